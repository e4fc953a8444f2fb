"""Running an import job: its source read into records, the records imported in batches.

Records are processed in batches of IMPORT_LIMITS["batch_size"]: each batch is one
transaction, each record a savepoint inside it (a bad record never takes the others with it),
and the job's progress, totals and report are written in the same transaction, so they always
match what was committed. A job whose worker died resumes after its last committed batch. A
dry run does exactly the same and rolls each batch back. What one record does to the datasets
is `mapping`'s.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop as _
from django.utils.translation import override

from common.jobs import lease_kept, lease_until

from ..models import IMPORT_OUTCOMES, ImportJob, ImportStatus
from .fetch import TransientFetchError, harvest
from .jobs import import_job_audit, import_job_claim, import_job_fail
from .limits import ImportLimits
from .mapping import Destination, record_import
from .records import ParsedSource, Record, SourceError, stored_message
from .sources import read_source
from .sources.detect import read_head, resolve_format

logger = logging.getLogger(__name__)


class ImportSuperseded(Exception):
    """Another worker took the job over (it was re-queued as stuck): this one stops."""


@dataclass
class _Run:
    """What one run of a job needs and keeps, between batches."""

    job: ImportJob
    attempt: int
    limits: ImportLimits
    destination: Destination
    totals: dict[str, int]
    report: list[dict[str, Any]]
    kept: dict[str, int]
    truncated: bool
    warnings: list[dict[str, Any]] = field(default_factory=list)


def import_job_run(
    *, job_id: Any, path: Path | None = None, redelivered: bool = False
) -> ImportJob:
    """Run one queued job (from `path` when given: the command's local file). Safe to run
    twice: only the run that claims the job does the work (`redelivered`: the broker gave the
    message out before, so a running job is taken over; see jobs.import_job_claim).

    In English whatever the worker's language, so that what the job stores (reasons the
    services give, model messages) is English like the rest; readers see it in theirs."""
    with override("en"):
        return _import_job_run(job_id=job_id, path=path, redelivered=redelivered)


def _renew(job_id: Any, attempt: int) -> bool:
    """The lease keeper's heartbeat, between batches (a long parse or a slow batch)."""
    now = timezone.now()
    return bool(
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING, attempts=attempt).update(
            heartbeat_at=now, lease_expires_at=lease_until(now)
        )
    )


def _import_job_run(*, job_id: Any, path: Path | None, redelivered: bool) -> ImportJob:
    attempt = import_job_claim(job_id=job_id, redelivered=redelivered)
    if attempt is None:
        return ImportJob.objects.get(pk=job_id)
    with lease_kept(partial(_renew, job_id, attempt)):
        return _claimed_job_run(job_id=job_id, attempt=attempt, path=path)


def _claimed_job_run(*, job_id: Any, attempt: int, path: Path | None) -> ImportJob:
    job = ImportJob.objects.select_related("organization", "created_by", "division").get(pk=job_id)
    job.attempts = attempt  # this run's fencing token, whatever another run did since
    limits = ImportLimits.from_settings()
    if job.attempts > limits.max_attempts:
        return import_job_fail(
            job_id=job.pk,
            attempt=attempt,
            error=SourceError(
                _("The import was tried %(count)d times without finishing; gave up."),
                code="too_many_attempts",
                params={"count": job.attempts - 1},
            ).as_dict(),
        )
    try:
        with _source_path(job, path, limits) as source:
            _run(job, source, limits)
    except SourceError as exc:
        return import_job_fail(job_id=job.pk, attempt=attempt, error=exc.as_dict())
    except ImportSuperseded:
        logger.info("import %s was taken over by another worker", job.pk)
    except TransientFetchError:
        raise
    except Exception:
        logger.exception("import %s failed", job.pk)
        import_job_fail(
            job_id=job.pk,
            attempt=attempt,
            error=SourceError(
                _("The import failed unexpectedly."), code="internal_error"
            ).as_dict(),
        )
        raise
    return ImportJob.objects.get(pk=job.pk)


@contextlib.contextmanager
def _source_path(job: ImportJob, path: Path | None, limits: ImportLimits) -> Iterator[Path]:
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="maxr-import-") as tmp:
        target = Path(tmp) / "source"
        if job.file:
            _copy_stored(job, target, limits)
        elif job.source_url:
            fetched = harvest(job.source_url, target, limits)
            # Kept, so a retry (or a resumed job) reads the same bytes.
            with open(target, "rb") as stored:
                job.file.save(job.source_name or "harvest", File(stored), save=False)
            ImportJob.objects.filter(pk=job.pk).update(
                file=job.file.name, content_type=fetched.content_type[:100]
            )
            job.content_type = fetched.content_type[:100]
            job.warnings = [*job.warnings, *fetched.warnings]
        else:
            raise SourceError(
                _(
                    "The source is gone: this import was run by the import_catalog command from "
                    "a local file, and the command stopped. Run it again."
                ),
                code="source_gone",
            )
        yield target


def _copy_stored(job: ImportJob, target: Path, limits: ImportLimits) -> None:
    copied = 0
    with job.file.open("rb") as source, open(target, "wb") as out:
        while chunk := source.read(1024 * 1024):
            copied += len(chunk)
            if copied > limits.max_bytes:
                raise SourceError(
                    _("The source is larger than the import limit of %(limit)d bytes."),
                    code="source_too_large",
                    params={"limit": limits.max_bytes},
                    limit_bytes=limits.max_bytes,
                )
            out.write(chunk)


def _run(job: ImportJob, source: Path, limits: ImportLimits) -> None:
    head = read_head(source)
    data_format = resolve_format(
        head, given=job.format, name=job.source_name, content_type=job.content_type
    )
    # Known before parsing, so a job that fails to parse says what it was read as.
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(format=data_format)
    parsed = read_source(source, data_format, limits)
    run = _Run(
        job=job,
        attempt=job.attempts,
        limits=limits,
        destination=Destination.for_job(job),
        totals={outcome: int(job.totals.get(outcome, 0)) for outcome in IMPORT_OUTCOMES},
        report=list(job.report),
        kept={
            "rejected": sum(1 for e in job.report if e.get("outcome") == "rejected"),
            "others": sum(1 for e in job.report if e.get("outcome") != "rejected"),
        },
        truncated=job.report_truncated,
        warnings=_unique([*job.warnings, *parsed.warnings]),
    )
    total = parsed.total if parsed.total is None else min(parsed.total, limits.max_records)
    if parsed.total is not None and parsed.total > limits.max_records:
        run.warnings.append(
            stored_message(
                "more_records",
                _("The source has %(count)d records: only the first %(max)d were imported."),
                count=parsed.total,
                max=limits.max_records,
            )
        )
    _save(run, format=data_format, records_total=total, warnings=run.warnings)
    _process(run, parsed)
    _finish(run)


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_message = {item["message"]: item for item in reversed(items)}
    return [item for item in items if by_message.get(item["message"]) is item]


def _process(run: _Run, parsed: ParsedSource) -> None:
    done = run.job.records_processed  # > 0 when resuming after a stopped worker
    batch: list[Record] = []
    try:
        for record in parsed.records:
            if record.index > run.limits.max_records:
                break
            if record.index <= done:
                if record.identifier:
                    run.destination.seen.setdefault(record.identifier, record.index)
                continue
            batch.append(record)
            if len(batch) >= run.limits.batch_size:
                _batch(run, batch)
                batch = []
    except SourceError:
        if batch:  # the records read before the source broke are imported all the same
            _batch(run, batch)
        raise
    if batch:
        _batch(run, batch)


def _batch(run: _Run, records: list[Record]) -> None:
    entries: list[dict[str, Any]] = []
    with transaction.atomic():
        for record in records:
            entries.append(record_import(destination=run.destination, record=record))
        if run.job.dry_run:
            transaction.set_rollback(True)  # the same work as a real run, undone
        else:
            _record_progress(run, entries)
    if run.job.dry_run:
        with transaction.atomic():
            _record_progress(run, entries)


def _record_progress(run: _Run, entries: list[dict[str, Any]]) -> None:
    kept_before = len(run.report)
    for entry in entries:
        outcome = entry["outcome"]
        run.totals[outcome] += 1
        kind = "rejected" if outcome == "rejected" else "others"
        cap = (
            run.limits.report_max_rejections if kind == "rejected" else run.limits.report_max_others
        )
        if run.kept[kind] < cap:
            run.report.append(entry)
            run.kept[kind] += 1
        else:
            run.truncated = True
    fields: dict[str, Any] = {"totals": run.totals, "report_truncated": run.truncated}
    if len(run.report) != kept_before:  # once the report is full it is not written again
        fields["report"] = run.report
    _save(run, records_processed=F("records_processed") + len(entries), **fields)


def _save(run: _Run, **fields: Any) -> None:
    """Write the job's state, only while this run still owns it (a stale worker stops)."""
    now = timezone.now()
    changed = ImportJob.objects.filter(
        pk=run.job.pk, status=ImportStatus.RUNNING, attempts=run.attempt
    ).update(**{"heartbeat_at": now, "lease_expires_at": lease_until(now), **fields})
    if not changed:
        raise ImportSuperseded()


def _finish(run: _Run) -> None:
    with transaction.atomic():
        _save(
            run,
            status=ImportStatus.SUCCEEDED,
            finished_at=timezone.now(),
            warnings=run.warnings,
            lease_expires_at=None,
        )
        if not run.job.dry_run:
            import_job_audit(job_id=run.job.pk)
