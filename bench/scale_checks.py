"""Sample checks for the scale-out bench, queued the way the API queues them.

Each job is one `datasets.services.validation.sample_upload` in its own transaction, as one
upload request makes it: the sample is stored, a `ValidationReport` is created `queued`, and
`common.jobs.enqueue_on_commit` writes an outbox row that is published to Redis when the
transaction commits. Completions are counted from the database (`finished_at`).

The samples go to draft versions of a few datasets of one organisation of the bench's own
(`bench-scale`, which bench/seed.py leaves out of its row counts), made once through the
services and reused; what one phase queued (samples, reports, outbox rows, files) is deleted
when it ends.

Import only after `django.setup()`, with DATABASE_URL pointing at the bench database.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count

from accounts.models import Division, Organization, OrganizationKind
from accounts.services import organization_create
from accounts.validators import make_business_registration_number
from common.models import OutboxMessage
from datasets.models import (
    DatasetVersion,
    Distribution,
    License,
    SchemaKind,
    Sensitivity,
    Theme,
    ValidationReport,
    VersionStatus,
)
from datasets.services import catalog, validation

from .seed import SCALE_ORGANIZATION_SLUG as ORGANIZATION_SLUG

DATASETS = 4
SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "sensor", "type": "string"},
        {"name": "value", "type": "number"},
        {"name": "measured_at", "type": "datetime"},
        {"name": "ok", "type": "boolean"},
    ],
    "primaryKey": ["id"],
}


def sample_csv(rows: int, *, seed: int = 12) -> bytes:
    """A CSV sample of `rows` sensor readings that passes `SCHEMA`."""
    rng = random.Random(seed)
    lines = ["id,sensor,value,measured_at,ok"]
    for index in range(1, rows + 1):
        lines.append(
            f"{index},S-{rng.randrange(100):03d},{rng.uniform(-50, 150):.3f},"
            f"2026-11-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:"
            f"{rng.randrange(60):02d}:00Z,{rng.choice(('true', 'false'))}"
        )
    return ("\n".join(lines) + "\n").encode()


@transaction.atomic
def ensure_versions() -> list[DatasetVersion]:
    """The draft versions the samples go to (made once, through the services)."""
    organization = Organization.objects.filter(slug=ORGANIZATION_SLUG).first()
    if organization is None:
        organization = organization_create(
            slug=ORGANIZATION_SLUG,
            name_ko="벤치 확장 측정",
            name_en="Bench scale-out",
            kind=OrganizationKind.MANUFACTURER,
            business_registration_number=make_business_registration_number("999000777"),
        )
    division = Division.objects.annotate(n=Count("datasets")).order_by("-n", "code").first()
    assert division is not None, "the bench database has no divisions"
    versions = list(
        DatasetVersion.objects.filter(
            dataset__publisher=organization, status=VersionStatus.DRAFT
        ).order_by("dataset__slug")[:DATASETS]
    )
    for index in range(len(versions), DATASETS):
        dataset = catalog.dataset_create(
            publisher=organization,
            division=division,
            slug=f"{ORGANIZATION_SLUG}-{index}",
            title_ko=f"확장 측정용 센서 데이터 {index}",
            title_en=f"Scale-out bench sensor data {index}",
            theme=Theme.SENSOR_TIME_SERIES,
            license=License.CC_BY_4_0,
            sensitivity=Sensitivity.MEMBERS,
            formats=["csv"],
        )
        # The schema is given with the version, so making it queues no check of its own.
        versions.append(
            catalog.version_create(
                dataset=dataset,
                version="1.0.0",
                schema=SCHEMA,
                schema_kind=SchemaKind.TABLE_SCHEMA,
            )
        )
    return versions


@dataclass(frozen=True)
class Batch:
    """The jobs one phase queued."""

    report_ids: list[str]
    sample_ids: list[str]
    outbox_ids: list[int]
    queued_at: dt.datetime
    seconds: float  # spent queueing them

    @property
    def unpublished(self) -> int:
        """Outbox rows the on-commit publish did not get to Redis (the broker refused)."""
        return OutboxMessage.objects.filter(pk__in=self.outbox_ids, sent_at__isnull=True).count()


def queue_checks(versions: list[DatasetVersion], *, jobs: int, sample: bytes) -> Batch:
    """Upload `jobs` samples, one transaction each, round the versions; each upload queues
    its check through the outbox."""
    started = time.perf_counter()
    queued_at = dt.datetime.now(dt.UTC)
    sample_ids: list[str] = []
    for index in range(jobs):
        distribution = validation.sample_upload(
            version=versions[index % len(versions)],
            file=ContentFile(sample, name=f"scale-{index:05d}.csv"),
            data_format="csv",
        )
        sample_ids.append(str(distribution.pk))
    seconds = time.perf_counter() - started
    report_ids = [
        str(pk)
        for pk in ValidationReport.objects.filter(sample_id__in=sample_ids).values_list(
            "pk", flat=True
        )
    ]
    outbox_ids = list(
        OutboxMessage.objects.filter(
            task_name="datasets.validation_run", args__0__in=report_ids
        ).values_list("pk", flat=True)
    )
    return Batch(report_ids, sample_ids, outbox_ids, queued_at, seconds)


def finish_times(batch: Batch) -> list[float]:
    """When each finished check of the batch finished (Unix seconds), in order."""
    return sorted(
        moment.timestamp()
        for moment in ValidationReport.objects.filter(
            pk__in=batch.report_ids, finished_at__isnull=False
        ).values_list("finished_at", flat=True)
        if moment is not None
    )


def outcomes(batch: Batch) -> dict[str, int]:
    """How many of the batch's reports are in each status."""
    rows = (
        ValidationReport.objects.filter(pk__in=batch.report_ids)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return {str(status): int(n) for status, n in rows}


def discard(batch: Batch) -> None:
    """Delete what the batch made: reports, samples (and their files), outbox rows."""
    distributions = list(Distribution.objects.filter(pk__in=batch.sample_ids))
    with transaction.atomic():
        ValidationReport.objects.filter(pk__in=batch.report_ids).delete()
        Distribution.objects.filter(pk__in=batch.sample_ids).delete()
        OutboxMessage.objects.filter(pk__in=batch.outbox_ids).delete()
    for distribution in distributions:
        if distribution.file:
            distribution.file.delete(save=False)
