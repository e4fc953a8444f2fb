"""The alliance's ten divisions (accounts.divisions), with stable codes."""

from django.db import migrations

from accounts.divisions import divisions_create, divisions_delete


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(divisions_create, divisions_delete)]
