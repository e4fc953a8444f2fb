"""Agreements are append-only: the database refuses UPDATE and DELETE on them."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION registry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS registry_refuse_change();"),
        migrations.RunSQL(
            "CREATE TRIGGER agreement_append_only BEFORE UPDATE OR DELETE ON registry_agreement "
            "FOR EACH ROW EXECUTE FUNCTION registry_refuse_change();",
            "DROP TRIGGER IF EXISTS agreement_append_only ON registry_agreement;",
        ),
    ]
