"""One open sharing request per requesting organisation and dataset, step 2: the constraint
(an open request is one still undecided: submitted or awaiting a decision). Two concurrent
submissions cannot both win."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_settle_duplicate_open_requests"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="sharingrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    state__in=(
                        "submitted",
                        "awaiting_publisher",
                        "awaiting_division_lead",
                    )
                ),
                fields=("requester", "dataset"),
                name="sharing_request_one_open",
                violation_error_code="open_request_exists",
            ),
        ),
    ]
