"""Validation (the sample check): schemas, their validation by the workers, and the
publication rule.

A change that needs validating (a new schema, a new sample, a re-run) writes a queued
ValidationReport and, in the same transaction, an outbox message for `datasets.validation_run`
(common.jobs). The worker claims the report with a conditional UPDATE (queued → running) under
a lease it renews while it works, so a job delivered twice produces one report. A job whose
worker died is taken back: at once when the broker delivers it again (the run's writes are
fenced by its attempt number), else by the sweep once its lease ran out. A job claimed
JOB_MAX_ATTEMPTS times without finishing (a file that kills its worker) fails for good.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from accounts.models import User
from common import jobs
from common.errors import Conflict

from ..models import (
    CompatibilityMode,
    DatasetVersion,
    Distribution,
    DistributionRole,
    SchemaKind,
    ValidationReport,
    ValidationStatus,
    VersionStatus,
)
from .catalog import (
    dataset_lock_writable,
    distribution_create,
    version_ensure_draft,
    version_publish,
)
from .previews import preview_settings, preview_store

TABULAR_FORMATS = {"csv": "csv", "tsv": "tsv", "parquet": "parquet", "jsonl": "jsonl"}


class TransientStorageError(Exception):
    """Storage could not be read just now (network, throttling): the task retries."""


def schema_digest(schema: Any) -> str:
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --- writes -----------------------------------------------------------------------------------


def schema_read(*, file: File[Any]) -> Any:
    """The schema in an uploaded JSON file (read up to the schema upload limit); a
    ValidationError on `file` when it is not one."""
    from .. import validation as engine

    schema, problems = engine.load_schema_bytes(
        file.read(settings.UPLOAD_LIMITS["schema"] + 1), engine.Limits()
    )
    if schema is None:
        # The validator's words (Frictionless'), in English like its reports, with its codes
        # for clients to show in their own language.
        raise ValidationError(
            {
                "file": [
                    ValidationError(problem.message, code=problem.code) for problem in problems
                ]
                or [ValidationError(_("Not valid JSON."))]
            }
        )
    return schema


@transaction.atomic
def schema_set(
    *, version: DatasetVersion, kind: str, schema: Any = None, file: File[Any] | None = None
) -> DatasetVersion:
    """Attach a schema (given, or read from an uploaded `file`) to a draft version and have the
    workers validate it (and the sample)."""
    if file is not None:
        schema = schema_read(file=file)
    dataset_lock_writable(version.dataset_id)
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    version_ensure_draft(version)
    version.schema = schema
    version.schema_kind = kind
    version.save(update_fields=["schema", "schema_kind", "modified_at"])
    validation_enqueue(version=version)
    return version


@transaction.atomic
def schema_accept_inferred(*, version: DatasetVersion) -> DatasetVersion:
    report = (
        ValidationReport.objects.filter(version=version, inferred_schema__isnull=False)
        .order_by("-created_at")
        .first()
    )
    if report is None:
        raise Conflict(
            _("No inferred schema yet: upload a sample and wait for its check."),
            code="no_inferred_schema",
        )
    return schema_set(version=version, schema=report.inferred_schema, kind=SchemaKind.TABLE_SCHEMA)


MEDIA_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "jsonl": "application/jsonl",
    "parquet": "application/vnd.apache.parquet",
}


@transaction.atomic
def sample_upload(
    *,
    version: DatasetVersion,
    file: File[Any],
    data_format: str,
    encoding: str = "",
    delimiter: str = "",
    sha256: str = "",
) -> Distribution:
    """Store a sample (SHA-256 and size computed while streaming) and have it validated."""
    sample = distribution_create(
        version=version,
        file=file,
        title=Path(file.name or "sample").name[:300],
        format=data_format,
        media_type=MEDIA_TYPES[data_format],
        role=DistributionRole.SAMPLE,
        encoding=encoding,
        delimiter=delimiter,
        sha256=sha256,
    )
    validation_enqueue(version=version)
    return sample


def latest_sample(version: DatasetVersion) -> Distribution | None:
    return (
        Distribution.objects.filter(version=version, role=DistributionRole.SAMPLE)
        .exclude(file="")
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def validation_enqueue(*, version: DatasetVersion) -> ValidationReport:
    version = DatasetVersion.objects.get(pk=version.pk)  # the schema as stored, not a stale copy
    report = ValidationReport.objects.create(
        version=version,
        sample=latest_sample(version),
        schema_digest=schema_digest(version.schema) if version.schema is not None else "",
    )
    jobs.enqueue_on_commit("datasets.validation_run", str(report.pk))
    return report


def _previous_published(version: DatasetVersion) -> DatasetVersion | None:
    return (
        DatasetVersion.objects.filter(
            dataset_id=version.dataset_id, status=VersionStatus.PUBLISHED, schema__isnull=False
        )
        .exclude(pk=version.pk)
        .order_by("-published_at")
        .first()
    )


@contextlib.contextmanager
def local_copy(distribution: Distribution, max_bytes: int) -> Iterator[Path]:
    """A path to the file: the stored file itself on local disk, else a bounded temp copy."""
    storage = distribution.file.storage
    try:
        yield Path(storage.path(distribution.file.name))
        return
    except NotImplementedError:
        pass  # object storage: copy it down, never more than the limit
    with tempfile.TemporaryDirectory(prefix="maxr-check-") as tmp:
        target = Path(tmp) / Path(distribution.file.name).name
        try:
            with distribution.file.open("rb") as source, open(target, "wb") as out:
                copied = 0
                while chunk := source.read(1024 * 1024):
                    copied += len(chunk)
                    if copied > max_bytes:
                        break  # the validator reports the size problem on what it got
                    out.write(chunk)
        except OSError as exc:
            raise TransientStorageError(str(exc)) from exc
        yield target


def _data_format(distribution: Distribution) -> Any:  # one of engine.DATA_FORMATS
    return TABULAR_FORMATS.get(distribution.format, distribution.format)


def _finish(report_id: Any, attempt: int, **fields: Any) -> ValidationReport:
    """Store the outcome, only while this run still owns the job (a run taken over by another
    after its lease ran out stores nothing)."""
    ValidationReport.objects.filter(
        pk=report_id, status=ValidationStatus.RUNNING, attempts=attempt
    ).update(finished_at=timezone.now(), lease_expires_at=None, **fields)
    return ValidationReport.objects.get(pk=report_id)


def validation_run(*, report_id: Any, redelivered: bool = False) -> ValidationReport:
    """Run one queued check. Safe to run twice: only the run that claims it does the work.

    `redelivered`: the broker gave this message out before (its worker died), so the job is
    taken over even though its lease still runs."""
    attempt = jobs.job_claim(
        ValidationReport,
        pk=report_id,
        waiting=ValidationStatus.QUEUED,
        working=ValidationStatus.RUNNING,
        redelivered=redelivered,
        started_at=timezone.now(),
    )
    if attempt is None:
        return ValidationReport.objects.get(pk=report_id)
    if attempt > settings.JOB_MAX_ATTEMPTS:
        return _finish(
            report_id,
            attempt,
            status=ValidationStatus.ERROR,
            # Stored in English; the API shows it in the reader's language.
            message=gettext_noop(
                "The check was started too many times without finishing (its worker stopped "
                "each time); it was given up. Upload the sample again, or a smaller one."
            ),
        )
    renew = jobs.lease_renewer(
        ValidationReport, pk=report_id, working=ValidationStatus.RUNNING, attempt=attempt
    )
    with jobs.lease_kept(renew):
        return _validation_check(report_id, attempt)


def _validation_check(report_id: Any, attempt: int) -> ValidationReport:
    from .. import validation as engine

    report = ValidationReport.objects.select_related("version", "version__dataset", "sample").get(
        pk=report_id
    )
    version = report.version
    limits = engine.Limits(**getattr(settings, "VALIDATION_LIMITS", {}))
    schema = version.schema
    kind: Any = version.schema_kind or SchemaKind.TABLE_SCHEMA  # one of engine.SCHEMA_KINDS
    problems: list[Any] = []
    if schema is not None:
        checker = (
            engine.check_json_schema
            if kind == SchemaKind.JSON_SCHEMA
            else engine.check_table_schema
        )
        problems = checker(schema, limits)
    schema_problems = [problem.to_dict() for problem in problems]
    if schema_problems:
        return _finish(
            report.pk,
            attempt,
            status=ValidationStatus.ERROR,
            schema_problems=schema_problems,
            # Stored in English; the API shows it in the reader's language.
            message=gettext_noop("The schema is not valid: see schema_problems."),
        )
    compatibility: list[dict[str, Any]] = []
    previous = _previous_published(version)
    mode = version.dataset.compatibility_mode
    if schema is not None and previous is not None and mode != CompatibilityMode.NONE:
        compatibility = engine.compare_schemas(previous.schema or {}, schema, kind=kind, mode=mode)
    breaking = [change for change in compatibility if change.get("breaking")]
    sample = report.sample
    if sample is None or not sample.file:
        status = ValidationStatus.FAILED if breaking else ValidationStatus.PASSED
        return _finish(
            report.pk,
            attempt,
            status=status,
            compatibility=compatibility,
            message=gettext_noop("No sample uploaded: only the schema was checked."),
        )
    # The preview comes from the rows the check reads (never a second reading).
    made_with = preview_settings(version)
    rows, exclude = made_with
    collector = engine.PreviewCollector(rows, exclude=exclude) if rows > 0 else None
    with local_copy(sample, limits.max_bytes) as path:
        result = engine.validate_file(
            path,
            schema=schema,
            schema_kind=kind,
            data_format=_data_format(sample),
            encoding=sample.encoding or None,
            delimiter=sample.delimiter or None,
            limits=limits,
            preview=collector,
        )
        inferred = None
        if schema is None and result.status != "error" and _data_format(sample) != "jsonl":
            inferred = engine.infer_table_schema(
                path,
                data_format=_data_format(sample),
                encoding=result.encoding or None,
                delimiter=result.delimiter or None,
                limits=limits,
            )
    body = result.to_dict()
    status = body["status"]
    if status == ValidationStatus.PASSED and breaking:
        status = ValidationStatus.FAILED
    preview_store(
        version_id=version.pk,
        source_id=sample.pk,
        made_with=made_with,
        result=collector.to_dict() if collector is not None else None,
        report_id=report.pk,
    )
    return _finish(
        report.pk,
        attempt,
        status=status,
        message=body.get("message") or "",
        schema_problems=body.get("schema_problems") or [],
        compatibility=compatibility,
        row_count=body.get("row_count"),
        error_count=body.get("error_count"),
        errors_by_code=body.get("errors_by_code") or {},
        errors=body.get("errors") or [],
        profile=body.get("profile") or [],
        inferred_schema=inferred,
        encoding=body.get("encoding") or "",
        delimiter=body.get("delimiter") or "",
        timings=body.get("timings") or {},
    )


def validation_release(*, report_id: Any, error: str, retry_in: float = 0) -> None:
    """Give a claimed job back after a transient failure, for the retry (in `retry_in`
    seconds) to claim again; the sweep hands it out again only if that retry is lost."""
    ValidationReport.objects.filter(pk=report_id, status=ValidationStatus.RUNNING).update(
        status=ValidationStatus.QUEUED,
        message=error[:2000],
        lease_expires_at=jobs.redeliver_at(delay=retry_in),
    )


def validation_fail(*, report_id: Any, error: str) -> None:
    ValidationReport.objects.filter(
        pk=report_id, status__in=(ValidationStatus.QUEUED, ValidationStatus.RUNNING)
    ).update(
        status=ValidationStatus.ERROR,
        message=error[:2000],
        finished_at=timezone.now(),
        lease_expires_at=None,
    )


def validation_requeue_stuck() -> int:
    """Queue again the jobs whose worker died (`running`, lease run out) and the jobs the
    broker lost (`queued`, not taken within JOB_REDELIVER_AFTER_SECONDS); the number queued.
    Rows from before leases (no lease) count from when they started or were made."""
    now = timezone.now()
    lease = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    redeliver = timedelta(seconds=settings.JOB_REDELIVER_AFTER_SECONDS)
    running = ValidationReport.objects.filter(status=ValidationStatus.RUNNING).filter(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, started_at__lt=now - lease)
    )
    stuck = jobs.requeue_due(
        running, status=ValidationStatus.QUEUED, lease_expires_at=jobs.redeliver_at(now)
    )
    queued = ValidationReport.objects.filter(status=ValidationStatus.QUEUED).filter(
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, created_at__lt=now - redeliver)
    )
    lost = jobs.requeue_due(queued, lease_expires_at=jobs.redeliver_at(now))
    return jobs.publish_all("datasets.validation_run", [str(pk) for pk in [*stuck, *lost]])


# --- the publication rule ---------------------------------------------------------------------


def publication_blockers(version: DatasetVersion) -> list[dict[str, str]]:
    """Why this version may not be published yet; empty when it may."""
    if version.schema is None:
        return [{"code": "no_schema", "message": _("The version has no schema.")}]
    report = version.validation_reports.order_by("-created_at").first()
    if report is None or report.schema_digest != schema_digest(version.schema):
        return [{"code": "not_checked", "message": _("The current schema has not been checked.")}]
    if report.status in (ValidationStatus.QUEUED, ValidationStatus.RUNNING):
        return [{"code": "check_pending", "message": _("The check is still running.")}]
    blockers: list[dict[str, str]] = []
    if report.schema_problems:
        blockers.append({"code": "schema_invalid", "message": _("The schema is not valid.")})
    elif report.status == ValidationStatus.ERROR:
        # The stored message is English: ours (translated here) or the validator's.
        message = gettext(report.message) if report.message else ""
        blockers.append({"code": "check_error", "message": message})
    if report.sample_id is None:
        blockers.append({"code": "no_sample", "message": _("No sample was checked.")})
    elif report.error_count:
        blockers.append(
            {"code": "sample_failed", "message": _("The sample does not match the schema.")}
        )
    if any(change.get("breaking") for change in report.compatibility):
        blockers.append(
            {
                "code": "incompatible_schema",
                "message": _("The schema breaks compatibility with the previous version."),
            }
        )
    return blockers


def version_publish_validated(
    *, version: DatasetVersion, actor: User, waiver_reason: str = ""
) -> DatasetVersion:
    """Publish when the validation allows it; otherwise 409 with the reasons, unless the steward
    records a waiver, which every reader of the version then sees."""
    with transaction.atomic():
        dataset_lock_writable(version.dataset_id)
        blockers = publication_blockers(version)
        if blockers and not waiver_reason.strip():
            raise Conflict(
                _("This version cannot be published yet; see `reasons`, or give a waiver_reason."),
                code="publication_blocked",
                reasons=blockers,
            )
        if blockers:
            DatasetVersion.objects.filter(pk=version.pk).update(
                waiver_reason=waiver_reason.strip(), waived_by=actor
            )
        return version_publish(version=version)
