"""One open sharing request per requesting organisation and dataset, step 1: the data.

Before the constraint (0005), requests that break it are settled: of an organisation's
undecided requests for a dataset, all but the newest are withdrawn, each with an event saying
why.
"""

from typing import Any

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

PENDING = ("submitted", "awaiting_publisher", "awaiting_division_lead")
COMMENT = "Withdrawn: the organisation has another open request for this dataset."


def settle_duplicates(apps: Any, schema_editor: Any) -> None:
    SharingRequest = apps.get_model("registry", "SharingRequest")
    SharingRequestEvent = apps.get_model("registry", "SharingRequestEvent")
    pairs = (
        SharingRequest.objects.filter(state__in=PENDING)
        .values("requester_id", "dataset_id")
        .annotate(open_count=Count("id"))
        .filter(open_count__gt=1)
    )
    now = timezone.now()
    for pair in pairs:
        rows = list(
            SharingRequest.objects.filter(
                requester_id=pair["requester_id"],
                dataset_id=pair["dataset_id"],
                state__in=PENDING,
            ).order_by("-created_at")
        )
        for row in rows[1:]:
            SharingRequest.objects.filter(pk=row.pk).update(
                state="withdrawn", modified_at=now, check_due_at=None
            )
            SharingRequestEvent.objects.create(
                sharing_request_id=row.pk,
                actor=None,
                from_state=row.state,
                to_state="withdrawn",
                comment=COMMENT,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_job_leases"),
    ]

    operations = [
        migrations.RunPython(settle_duplicates, migrations.RunPython.noop),
    ]
