"""Sharing requests may be returned to their requester for changes (state `returned`). A
returned request is still open (undecided), so the one-open-request constraint covers it: the
organisation edits and resubmits it, or withdraws it, before asking again."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_publishing_defaults"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="sharingrequest",
            name="sharing_request_one_open",
        ),
        migrations.AlterField(
            model_name="sharingrequest",
            name="state",
            field=models.CharField(
                choices=[
                    ("submitted", "Submitted"),
                    ("awaiting_publisher", "Waiting for the publisher"),
                    ("awaiting_division_lead", "Waiting for the division lead"),
                    ("returned", "Returned for changes"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("withdrawn", "Withdrawn"),
                    ("active", "Active"),
                    ("expired", "Expired"),
                    ("revoked", "Revoked"),
                ],
                default="submitted",
                max_length=30,
                verbose_name="state",
            ),
        ),
        migrations.AlterField(
            model_name="sharingrequestevent",
            name="from_state",
            field=models.CharField(
                blank=True,
                choices=[
                    ("submitted", "Submitted"),
                    ("awaiting_publisher", "Waiting for the publisher"),
                    ("awaiting_division_lead", "Waiting for the division lead"),
                    ("returned", "Returned for changes"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("withdrawn", "Withdrawn"),
                    ("active", "Active"),
                    ("expired", "Expired"),
                    ("revoked", "Revoked"),
                ],
                max_length=30,
                verbose_name="from state",
            ),
        ),
        migrations.AlterField(
            model_name="sharingrequestevent",
            name="to_state",
            field=models.CharField(
                choices=[
                    ("submitted", "Submitted"),
                    ("awaiting_publisher", "Waiting for the publisher"),
                    ("awaiting_division_lead", "Waiting for the division lead"),
                    ("returned", "Returned for changes"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                    ("withdrawn", "Withdrawn"),
                    ("active", "Active"),
                    ("expired", "Expired"),
                    ("revoked", "Revoked"),
                ],
                max_length=30,
                verbose_name="to state",
            ),
        ),
        migrations.AddConstraint(
            model_name="sharingrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    (
                        "state__in",
                        ("submitted", "awaiting_publisher", "awaiting_division_lead", "returned"),
                    )
                ),
                fields=("requester", "dataset"),
                name="sharing_request_one_open",
                violation_error_code="open_request_exists",
            ),
        ),
    ]
