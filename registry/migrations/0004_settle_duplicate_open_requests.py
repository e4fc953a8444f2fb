"""One open sharing request per requesting organisation and dataset, step 1: the data.

Before the constraint (0005), requests that break it are settled: of an organisation's pending
requests for a dataset beside another open one, all but the one kept are withdrawn (the kept
one is the approved or active request if there is one, else the newest pending). Two approved
or active requests for the same pair cannot be settled without ending someone's access: the
migration stops and names them, for the publisher or the secretariat to revoke one.
"""

from typing import Any

from django.db import migrations
from django.db.models import Count
from django.utils import timezone

OPEN = ("submitted", "awaiting_publisher", "awaiting_division_lead", "approved", "active")
PENDING = ("submitted", "awaiting_publisher", "awaiting_division_lead")
LIVE = ("approved", "active")
COMMENT = "Withdrawn: the organisation has another open request for this dataset."


def settle_duplicates(apps: Any, schema_editor: Any) -> None:
    SharingRequest = apps.get_model("registry", "SharingRequest")
    SharingRequestEvent = apps.get_model("registry", "SharingRequestEvent")
    pairs = (
        SharingRequest.objects.filter(state__in=OPEN)
        .values("requester_id", "dataset_id")
        .annotate(open_count=Count("id"))
        .filter(open_count__gt=1)
    )
    unsettled: list[str] = []
    now = timezone.now()
    for pair in pairs:
        rows = list(
            SharingRequest.objects.filter(
                requester_id=pair["requester_id"], dataset_id=pair["dataset_id"], state__in=OPEN
            ).order_by("-created_at")
        )
        live = [row for row in rows if row.state in LIVE]
        if len(live) > 1:
            unsettled.extend(str(row.pk) for row in live)
            continue
        keep = live[0] if live else rows[0]
        for row in rows:
            if row.pk == keep.pk or row.state not in PENDING:
                continue
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
    if unsettled:
        raise RuntimeError(
            "Several approved or active sharing requests of one organisation for one dataset: "
            "revoke all but one, then migrate again: " + ", ".join(sorted(unsettled))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_job_leases"),
    ]

    operations = [
        migrations.RunPython(settle_duplicates, migrations.RunPython.noop),
    ]
