"""Import jobs' control: create a job (checking the upload), claim it, give it back after a
transient failure, fail it, and queue again the jobs whose worker stopped.

A job row is written when the steward sends a file or a URL (`import_job_create`), with an
outbox message for `datasets.import_job_run` (common.jobs), published after commit; the worker
claims the job with a conditional UPDATE (queued → running) under a lease, so a job delivered
twice is done once, and `runner` does the work. A job whose worker died is taken over when the
broker delivers it again, or queued again by the beat sweep (`import_job_requeue_stuck`) once
its lease ran out, and resumes after its last committed batch.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from accounts.models import Division, Organization, User
from common import jobs

from ..models import ImportFormat, ImportJob, ImportStatus
from .fetch import TransientFetchError, check_url
from .limits import ImportLimits
from .records import SourceError
from .sources import csv as csv_format
from .sources import read_source
from .sources.detect import HEAD_BYTES, resolve_format

# --- creating jobs ----------------------------------------------------------------------------


def import_source_check(
    *, head: bytes, given_format: str, name: str, content_type: str, path: Path | None = None
) -> str:
    """The source's format, or SourceError for what can be told from the upload itself: empty,
    binary, unknown format, and when `path` is given (small files), the whole parse: invalid
    JSON, a Turtle syntax error, a CSV without the required header."""
    data_format = resolve_format(head, given=given_format, name=name, content_type=content_type)
    if path is not None:
        read_source(path, data_format, ImportLimits.from_settings())
    elif data_format == ImportFormat.CSV:
        _check_csv_header(head)
    return data_format


def _check_csv_header(head: bytes) -> None:
    """The header of a large CSV, from its first bytes (the rest is read by the worker)."""
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    for encoding in ("utf-8-sig", "cp949"):
        try:
            first = line.decode(encoding)
        except UnicodeDecodeError:
            continue
        csv_format.check_header(csv_format.header_of(first))
        return


@transaction.atomic
def import_job_create(
    *,
    organization: Organization,
    created_by: User | None,
    file: File[Any] | None = None,
    url: str = "",
    data_format: str = "",
    dry_run: bool = False,
    division: Division | None = None,
    content_type: str = "",
    source_name: str = "",
    enqueue: bool = True,
) -> ImportJob:
    """Store the upload (or check the URL) and queue the job after commit.

    SourceError when the upload is plainly unusable (see `import_source_check`) or the URL is
    not allowed; the caller turns it into a 400."""
    limits = ImportLimits.from_settings()
    job = ImportJob(
        organization=organization,
        created_by=created_by if created_by is not None and created_by.pk else None,
        dry_run=dry_run,
        division=division,
        format=data_format,
        content_type=content_type[:100],
        source_name=source_name[:255],
    )
    if file is not None:
        name = Path(file.name or "import").name[:200]
        job.source_name = name
        file.seek(0)
        head = file.read(HEAD_BYTES)
        file.seek(0)
        with _small_copy(file, limits) as path:
            job.format = import_source_check(
                head=head, given_format=data_format, name=name, content_type=content_type, path=path
            )
        file.seek(0)
        job.file.save(name, file, save=False)
    elif url:
        try:
            check_url(url)
        except TransientFetchError as exc:
            raise SourceError(
                _("The URL's host cannot be resolved: %(error)s"),
                code="unresolvable_host",
                params={"error": str(exc)},
            ) from exc
        job.source_url = url
        job.source_name = job.source_name or urlsplit(url).path.rsplit("/", 1)[-1][:200]
    try:
        job.full_clean(exclude=["file"])
        job.save()
    except Exception:
        if job.file:
            job.file.delete(save=False)
        raise
    if enqueue:
        jobs.enqueue_on_commit("datasets.import_job_run", str(job.pk))
    return job


@contextlib.contextmanager
def _small_copy(file: File[Any], limits: ImportLimits) -> Iterator[Path | None]:
    """A path to the upload when it is small enough to parse right away, else None."""
    size = file.size or 0
    if not size or size > limits.check_at_upload_bytes:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="maxr-import-") as tmp:
        target = Path(tmp) / "source"
        with open(target, "wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        yield target


# --- the job's state --------------------------------------------------------------------------


def import_job_claim(*, job_id: Any, redelivered: bool = False) -> int | None:
    """Take a job for this worker (queued → running, or a running job whose worker died: its
    lease ran out, or the broker delivered its message again); this run's attempt number, which
    fences every write of the run, or None when another run has it."""
    now = timezone.now()
    return jobs.job_claim(
        ImportJob,
        pk=job_id,
        waiting=ImportStatus.QUEUED,
        working=ImportStatus.RUNNING,
        redelivered=redelivered,
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
    )


def import_job_fail(*, job_id: Any, error: dict[str, Any], attempt: int | None = None) -> ImportJob:
    """End a job that cannot go on; what earlier batches committed stays (and is audited).
    With `attempt`, only while that run still owns the job."""
    with transaction.atomic():
        unfinished = ImportJob.objects.filter(
            pk=job_id, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
        )
        if attempt is not None:
            unfinished = unfinished.filter(attempts=attempt)
        changed = unfinished.update(
            status=ImportStatus.FAILED,
            error=error,
            finished_at=timezone.now(),
            lease_expires_at=None,
        )
        job = ImportJob.objects.get(pk=job_id)
        if changed and not job.dry_run:
            import_job_audit(job_id=job.pk)
    return job


def import_job_release(*, job_id: Any, error: dict[str, Any], retry_in: float = 0) -> None:
    """Give a claimed job back after a transient failure, for the retry (in `retry_in`
    seconds) to claim again; `error` is stored like a failed job's (fetch.fetch_error). The
    sweep hands it out again only if that retry is lost."""
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        status=ImportStatus.QUEUED, error=error, lease_expires_at=jobs.redeliver_at(delay=retry_in)
    )


def import_job_audit(*, job_id: Any) -> None:
    """The audit event of a job that ended (succeeded or failed); dry runs have none."""
    from audit.chain import audit_append  # registry keeps the audit chain for every app

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    audit_append(
        actor=job.created_by,
        action=f"import.{job.status}",
        object_type="import_job",
        object_id=job.pk,
        steward_organization_ids=[job.organization_id],
        data={
            "format": job.format,
            "source": job.source_url or job.source_name,
            "records_processed": job.records_processed,
            "totals": job.totals,
            "error": (job.error or {}).get("code"),
        },
    )


def import_job_requeue_stuck() -> int:
    """Queue again the jobs whose worker died (`running`, lease run out: no heartbeat) and the
    jobs the broker lost (`queued`, not taken within JOB_REDELIVER_AFTER_SECONDS); they resume
    after their last committed batch. The number queued. Rows from before leases (no lease)
    count from their last heartbeat, or from when they were made."""
    now = timezone.now()
    lease = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    redeliver = timedelta(seconds=settings.JOB_REDELIVER_AFTER_SECONDS)
    running = ImportJob.objects.filter(status=ImportStatus.RUNNING).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, heartbeat_at__lt=now - lease)
        | Q(lease_expires_at__isnull=True, heartbeat_at__isnull=True, started_at__lt=now - lease)
    )
    stuck = jobs.requeue_due(
        running, status=ImportStatus.QUEUED, lease_expires_at=jobs.redeliver_at(now)
    )
    queued = ImportJob.objects.filter(status=ImportStatus.QUEUED).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, created_at__lt=now - redeliver)
    )
    lost = jobs.requeue_due(queued, lease_expires_at=jobs.redeliver_at(now))
    return jobs.publish_all("datasets.import_job_run", [str(pk) for pk in [*stuck, *lost]])
