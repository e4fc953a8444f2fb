"""Import jobs: catalog metadata from DCAT, CKAN or CSV into one organisation's datasets.

A job row is written when the steward sends a file or a URL (`import_job_create`) and the work
is queued after commit; the worker claims the job with a conditional UPDATE (queued → running),
so a job delivered twice is done once. Records are processed in batches of
IMPORT_LIMITS["batch_size"]: each batch is one transaction, each record a savepoint inside it
(a bad record never takes the others with it), and the job's progress, totals and report are
written in the same transaction, so they always match what was committed. A job whose worker
died is queued again by the beat sweep and resumes after its last committed batch.

Records are matched by their source identifier within the organisation (and a UUID identifier
also by the dataset's own id: the registry's export reads back into the datasets it came
from). Unchanged records are not written at all; changed ones go through `dataset_update` with
only the fields that changed, which records a revision; new ones become drafts through
`dataset_create`. A dry run does exactly the same and rolls each batch back.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_noop as _
from django.utils.translation import override

from accounts.models import Division, Organization, User
from common import jobs
from common.errors import Conflict

from ..imports import ImportLimits, ParsedSource, Problem, Record, SourceError, read_source
from ..imports.fetch import TransientFetchError, check_url, harvest
from ..imports.records import stored_message
from ..imports.sources import csv as csv_format
from ..imports.sources.detect import HEAD_BYTES, read_head, resolve_format
from ..models import (
    IMPORT_OUTCOMES,
    Dataset,
    DatasetStatus,
    ImportFormat,
    ImportJob,
    ImportStatus,
    Theme,
)
from .catalog import _unique_slug, dataset_create, dataset_update

logger = logging.getLogger(__name__)

LIST_FIELDS = ("keywords", "formats")


class ImportSuperseded(Exception):
    """Another worker took the job over (it was re-queued as stuck): this one stops."""


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
    file: File | None = None,
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
        jobs.enqueue_on_commit("datasets.run_import", str(job.pk))
    return job


@contextlib.contextmanager
def _small_copy(file: File, limits: ImportLimits) -> Iterator[Path | None]:
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


# --- running jobs -----------------------------------------------------------------------------


@dataclass
class _Run:
    """What one run of a job needs and keeps, between batches."""

    job: ImportJob
    attempt: int
    limits: ImportLimits
    divisions: dict[str, Division]
    organization_divisions: list[Division]
    totals: dict[str, int]
    report: list[dict[str, Any]]
    kept: dict[str, int]
    truncated: bool
    seen: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _claim(job_id: Any) -> bool:
    now = timezone.now()
    return bool(
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            heartbeat_at=now,
            attempts=F("attempts") + 1,
        )
    )


def import_job_run(*, job_id: Any, path: Path | None = None) -> ImportJob:
    """Run one queued job (from `path` when given: the command's local file). Safe to run
    twice: only the run that claims the job does the work.

    In English whatever the worker's language, so that what the job stores (reasons the
    services give, model messages) is English like the rest; readers see it in theirs."""
    with override("en"):
        return _import_job_run(job_id=job_id, path=path)


def _import_job_run(*, job_id: Any, path: Path | None) -> ImportJob:
    if not _claim(job_id):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("organization", "created_by", "division").get(pk=job_id)
    limits = ImportLimits.from_settings()
    if job.attempts > limits.max_attempts:
        return import_job_fail(
            job_id=job.pk,
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
        return import_job_fail(job_id=job.pk, error=exc.as_dict())
    except ImportSuperseded:
        logger.info("import %s was taken over by another worker", job.pk)
    except TransientFetchError:
        raise
    except Exception:
        logger.exception("import %s failed", job.pk)
        import_job_fail(
            job_id=job.pk,
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
    divisions = list(Division.objects.all())
    run = _Run(
        job=job,
        attempt=job.attempts,
        limits=limits,
        divisions=_division_index(divisions),
        organization_divisions=list(job.organization.divisions.all()),
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


def _division_index(divisions: list[Division]) -> dict[str, Division]:
    index: dict[str, Division] = {}
    for division in divisions:
        for key in (division.code, division.name_ko, division.name_en):
            if key:
                index.setdefault(key.strip().lower(), division)
    return index


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
                    run.seen.setdefault(record.identifier, record.index)
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
            entries.append(_import_record(run, record))
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
    changed = ImportJob.objects.filter(
        pk=run.job.pk, status=ImportStatus.RUNNING, attempts=run.attempt
    ).update(heartbeat_at=timezone.now(), **fields)
    if not changed:
        raise ImportSuperseded()


def _finish(run: _Run) -> None:
    with transaction.atomic():
        _save(
            run,
            status=ImportStatus.SUCCEEDED,
            finished_at=timezone.now(),
            warnings=run.warnings,
        )
        if not run.job.dry_run:
            _audit(run.job.pk)


def import_job_fail(*, job_id: Any, error: dict[str, Any]) -> ImportJob:
    """End a job that cannot go on; what earlier batches committed stays (and is audited)."""
    with transaction.atomic():
        changed = ImportJob.objects.filter(
            pk=job_id, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
        ).update(status=ImportStatus.FAILED, error=error, finished_at=timezone.now())
        job = ImportJob.objects.get(pk=job_id)
        if changed and not job.dry_run:
            _audit(job.pk)
    return job


def import_job_release(*, job_id: Any, error: dict[str, Any]) -> None:
    """Give a claimed job back after a transient failure, for the retry to claim again;
    `error` is stored like a failed job's (fetch.fetch_error)."""
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING).update(
        status=ImportStatus.QUEUED, error=error
    )


def _audit(job_id: Any) -> None:
    from registry.audit import audit_append  # registry keeps the audit chain for every app

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


def import_job_requeue_stuck(*, older_than: timedelta | None = None) -> int:
    """Jobs whose worker stopped heartbeating, or that were queued but lost, run again."""
    older_than = older_than or timedelta(seconds=settings.IMPORT_STUCK_AFTER_SECONDS)
    cutoff = timezone.now() - older_than
    stuck = list(
        ImportJob.objects.filter(status=ImportStatus.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .values_list("pk", flat=True)[:500]
    )
    ImportJob.objects.filter(pk__in=stuck, status=ImportStatus.RUNNING).update(
        status=ImportStatus.QUEUED
    )
    lost = list(
        ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lt=cutoff)
        .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
        .values_list("pk", flat=True)[:500]
    )
    for pk in {*stuck, *lost}:
        jobs.enqueue("datasets.run_import", str(pk))
    return len({*stuck, *lost})


# --- one record -------------------------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, field_name: str, code: str, template: str, **params: Any) -> None:
        self.problem = Problem(field_name, code, template, params).to_dict()
        super().__init__(self.problem["message"])


def _entry(record: Record) -> dict[str, Any]:
    entry: dict[str, Any] = {"index": record.index, "identifier": record.identifier}
    if record.line is not None:
        entry["line"] = record.line
    if record.title:
        entry["title"] = record.title
    return entry


def _import_record(run: _Run, record: Record) -> dict[str, Any]:
    entry = _entry(record)
    warnings = [problem.to_dict() for problem in record.warnings]
    reasons = [problem.to_dict() for problem in record.errors]
    if record.identifier:
        first = run.seen.setdefault(record.identifier, record.index)
        if first != record.index:
            reasons.append(
                Problem(
                    "identifier",
                    "duplicate_identifier",
                    _("identifier '%(identifier)s' is also record %(first)d"),
                    {"identifier": record.identifier, "first": first},
                ).to_dict()
            )
    if not reasons:
        try:
            with transaction.atomic():  # a savepoint: this record alone is undone on failure
                entry.update(_apply(run, record, warnings))
        except _Rejected as exc:
            reasons.append(exc.problem)
        except DjangoValidationError as exc:
            reasons.extend(_validation_reasons(exc))
        except Conflict as exc:
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else "conflict"
            # English (the job runs in English): translated on output when it is a whole msgid.
            text = str(exc.detail)
            reasons.append({"field": "", "code": code, "message": text, "template": text})
        except IntegrityError:
            reasons.append(
                Problem(
                    "",
                    "integrity_error",
                    _("conflicts with existing data (imported twice at once?)"),
                ).to_dict()
            )
    if reasons:
        entry.update(outcome="rejected", reasons=reasons)
    if warnings:
        entry["warnings"] = warnings
    return entry


def _validation_reasons(exc: DjangoValidationError) -> list[dict[str, Any]]:
    """The model's reasons, stored like ours: the English template and its parameters, so
    that Django's catalogs (and ours, for our validators) show them in the reader's language."""
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    reasons: list[dict[str, Any]] = []
    with override("en"):
        for name, items in errors.items():
            for error in items:
                text = str(error.message % error.params if error.params else error.message)
                template = str(error.message)
                params = _message_params(template, error.params)
                if not _renders_as(template, params, text):
                    # A plural message (ngettext_lazy) has no one template: the text itself.
                    template, params = text, {}
                reasons.append(
                    {
                        "field": "" if name == NON_FIELD_ERRORS else name,
                        **stored_message("invalid", template, **params),
                    }
                )
    return reasons


def _renders_as(template: str, params: dict[str, Any], text: str) -> bool:
    try:
        return bool(template) and (template % params if params else template) == text
    except (KeyError, TypeError, ValueError):
        return False


def _message_params(template: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters a template uses, as JSON values (lazy texts in the active language)."""
    return {
        key: value if isinstance(value, int | float) else str(value)
        for key, value in (params or {}).items()
        if f"%({key})" in template
    }


def _match(run: _Run, record: Record) -> Dataset | None:
    organization = run.job.organization
    found = (
        Dataset.objects.select_for_update()
        .filter(publisher=organization, source_identifier=record.identifier)
        .first()
    )
    if found is None:
        # Our own export: dct:identifier is the dataset's id.
        try:
            key = uuid.UUID(record.identifier)
        except ValueError:
            return None
        found = Dataset.objects.select_for_update().filter(publisher=organization, pk=key).first()
    return found


def _division(run: _Run, record: Record, existing: Dataset | None) -> Division | None:
    if record.division:
        division = run.divisions.get(record.division.strip().lower())
        if division is None:
            raise _Rejected(
                "division",
                "unknown_division",
                _("division '%(value)s' does not exist"),
                value=record.division,
            )
        return division
    if existing is not None:
        return None  # an update keeps the dataset's division
    if run.job.division is not None:
        return run.job.division
    if len(run.organization_divisions) == 1:
        return run.organization_divisions[0]
    raise _Rejected(
        "division",
        "no_division",
        _(
            "no division: give one in the record or a default division with the import "
            "(the organisation belongs to %(count)d divisions)"
        ),
        count=len(run.organization_divisions),
    )


def _same(current: Any, new: Any, name: str) -> bool:
    if name in LIST_FIELDS:  # order carries no meaning (RDF has none)
        return set(current or []) == set(new or [])
    if current is None or new is None:
        return (current or None) == (new or None)
    return bool(current == new)


def _apply(run: _Run, record: Record, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    job = run.job
    existing = _match(run, record)
    if existing is not None and existing.status == DatasetStatus.WITHDRAWN:
        raise _Rejected(
            "",
            "dataset_withdrawn",
            _("dataset '%(slug)s' is withdrawn: imports never change it"),
            slug=existing.slug,
        )
    division = _division(run, record, existing)
    values = dict(record.values)
    for name, items in record.merge.items():
        base = values.get(name, getattr(existing, name) if existing is not None else [])
        values[name] = list(dict.fromkeys([*(base or []), *items]))
    if existing is None:
        if "license" not in values:
            raise _Rejected("license", "no_license", _("no licence"))
        if "theme" not in values:
            values["theme"] = Theme.OTHER
            warnings.append(Problem("theme", "no_theme", _("no theme: 'other' was used")).to_dict())
        assert division is not None
        slug = _unique_slug(slugify(record.slug)) if record.slug and slugify(record.slug) else None
        dataset = dataset_create(
            publisher=job.organization,
            division=division,
            slug=slug,
            source_identifier=record.identifier,
            changed_by=job.created_by,
            import_job=job,
            **values,
        )
        return {
            "outcome": "created",
            "dataset": None if job.dry_run else str(dataset.pk),
            "slug": None if job.dry_run else dataset.slug,
        }
    changes = {
        name: value
        for name, value in values.items()
        if not _same(getattr(existing, name), value, name)
    }
    if division is not None and division.pk != existing.division_id:
        changes["division"] = division
    result: dict[str, Any] = {"dataset": str(existing.pk), "slug": existing.slug}
    if not changes:
        return {"outcome": "unchanged", **result}
    dataset_update(dataset=existing, changed_by=job.created_by, import_job=job, **changes)
    return {"outcome": "updated", "changed_fields": sorted(changes), **result}
