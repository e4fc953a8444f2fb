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
import tempfile
import time
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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from audit.chain import audit_append
from common import jobs
from common.errors import Conflict
from interop.dcat import MEDIA_TYPES

from ..models import (
    CompatibilityMode,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    DistributionRole,
    SchemaKind,
    ValidationReport,
    ValidationStatus,
    VersionStatus,
)
from ..selectors import (
    dataset_publication_missing,
    latest_report,
    schema_digest,
    version_publication_blockers,
)
from .catalog import (
    data_format_resolve,
    dataset_lock_writable,
    dataset_publish,
    distribution_create,
    file_head,
    version_ensure_draft,
    version_publish,
)
from .previews import preview_settings, preview_store

TABULAR_FORMATS = {
    "csv": "csv",
    "tsv": "tsv",
    "parquet": "parquet",
    "jsonl": "jsonl",
    "xlsx": "xlsx",
}
# Formats a sample may have: the ones the validation engine reads.
SAMPLE_FORMATS = tuple(TABULAR_FORMATS)


class TransientStorageError(Exception):
    """Storage could not be read just now (network, throttling): the task retries."""


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
    if schema_checked(version):
        _report_vouched(version)
    else:
        validation_enqueue(version=version)
    return version


# Fields of a finished check that hold for any schema it vouched for (see schema_checked).
VOUCHED_FIELDS = (
    "sample",
    "status",
    "row_count",
    "error_count",
    "errors_by_code",
    "errors",
    "profile",
    "inferred_schema",
    "schema_digest",
    "encoding",
    "delimiter",
    "sheet",
    "timings",
    "started_at",
    "finished_at",
)


def _report_vouched(version: DatasetVersion) -> ValidationReport:
    """The version's newest report, restated for the schema it now has: the check that
    inferred it also checked the file against it, so no second check runs."""
    report = latest_report(version)
    assert report is not None
    return ValidationReport.objects.create(
        version=version,
        **{name: getattr(report, name) for name in VOUCHED_FIELDS},
        schema_needed=False,
        # Stored in English; the API shows it in the reader's language.
        message=gettext_noop(
            "Checked against this schema when it was inferred from the file: no errors."
        ),
    )


def schema_checked(version: DatasetVersion) -> bool:
    """The version's newest check is finished and vouches for exactly its current schema
    against its current file (the check of a file without a schema also checks the schema it
    infers): accepting that schema needs no second check."""
    report = latest_report(version)
    return (
        version.schema is not None
        and report is not None
        and report.status not in (ValidationStatus.QUEUED, ValidationStatus.RUNNING)
        and report.schema_digest == schema_digest(version.schema)
        and report.sample_id is not None
        and report.sample_id == getattr(latest_sample(version), "pk", None)
    )


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


@transaction.atomic
def sample_upload(
    *,
    version: DatasetVersion,
    file: File[Any],
    data_format: str | None = None,
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
    sha256: str = "",
) -> Distribution:
    """Store a sample (SHA-256 and size computed while streaming) and have it validated. With
    no `data_format`, the file's name and first bytes tell it."""
    data_format = data_format_resolve(
        filename=file.name or "",
        head=file_head(file),
        declared=data_format,
        allowed=SAMPLE_FORMATS,
    )
    sample = distribution_create(
        version=version,
        file=file,
        title=Path(file.name or "sample").name[:300],
        format=data_format,
        media_type=MEDIA_TYPES[data_format],
        role=DistributionRole.SAMPLE,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        sha256=sha256,
    )
    validation_enqueue(version=version)
    return sample


def latest_sample(version: DatasetVersion) -> Distribution | None:
    """The file a check runs on: the newest sample, else the newest data file in a format
    the validator reads (a dataset made from one file has that file only)."""
    files = Distribution.objects.filter(version=version).exclude(file="").order_by("-created_at")
    return (
        files.filter(role=DistributionRole.SAMPLE).first()
        or files.filter(role=DistributionRole.DATA, format__in=TABULAR_FORMATS).first()
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


# Stored in English; the API shows it in the reader's language.
SCHEMA_NEEDED_MESSAGE = gettext_noop(
    "The sample was read and profiled, but the version has no schema yet, so nothing was "
    "checked against one and the version cannot be published. Accept the inferred schema "
    "(POST …/schema/accept-inferred/) or upload one (PUT …/schema/)."
)


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
        report = _finish(
            report_id,
            attempt,
            status=ValidationStatus.ERROR,
            # Stored in English; the API shows it in the reader's language.
            message=gettext_noop(
                "The check was started too many times without finishing (its worker stopped "
                "each time); it was given up. Upload the sample again, or a smaller one."
            ),
        )
        publish_request_settle(version_id=report.version_id)
        return report
    renew = jobs.lease_renewer(
        ValidationReport, pk=report_id, working=ValidationStatus.RUNNING, attempt=attempt
    )
    with jobs.lease_kept(renew):
        report = _validation_check(report_id, attempt)
    publish_request_settle(version_id=report.version_id)
    return report


def schema_problems(*, kind: str, schema: Any) -> list[dict[str, str]]:
    """The schema document's own problems (`pointer`, `message`, `code`), as the check of a
    version reports them before it reads the file: empty when the schema is valid."""
    from .. import validation as engine

    limits = engine.Limits(**getattr(settings, "VALIDATION_LIMITS", {}))
    checker = (
        engine.check_json_schema if kind == SchemaKind.JSON_SCHEMA else engine.check_table_schema
    )
    return [problem.to_dict() for problem in checker(schema, limits)]


def _validation_check(report_id: Any, attempt: int) -> ValidationReport:
    from .. import validation as engine

    report = ValidationReport.objects.select_related("version", "version__dataset", "sample").get(
        pk=report_id
    )
    version = report.version
    limits = engine.Limits(**getattr(settings, "VALIDATION_LIMITS", {}))
    schema = version.schema
    kind: Any = version.schema_kind or SchemaKind.TABLE_SCHEMA  # one of engine.SCHEMA_KINDS
    problems = schema_problems(kind=kind, schema=schema) if schema is not None else []
    if problems:
        return _finish(
            report.pk,
            attempt,
            status=ValidationStatus.ERROR,
            schema_problems=problems,
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
            schema_needed=schema is None,
            message=gettext_noop("No sample uploaded: only the schema was checked.")
            if schema is not None
            else gettext_noop(
                "No sample and no schema yet: upload a sample (POST …/samples/) and a schema "
                "(PUT …/schema/), or accept the schema inferred from the sample."
            ),
        )
    # The preview comes from the rows the check reads (never a reading of its own).
    made_with = preview_settings(version)
    rows, exclude = made_with

    def collector() -> Any:
        return engine.PreviewCollector(rows, exclude=exclude) if rows > 0 else None

    preview = collector()
    with local_copy(sample, limits.max_bytes) as path:
        result, inferred, vouched = None, None, ""
        if schema is None and _data_format(sample) != "jsonl":
            # Against a previous version the schema must be compared too: a second check.
            vouch = previous is None or mode == CompatibilityMode.NONE
            result, inferred, vouched = _check_against_inferred(
                path, sample, limits, vouch, preview
            )
        if result is None:
            preview = collector()  # the typed attempt may have collected rows already
            result = engine.validate_file(
                path,
                schema=schema,
                schema_kind=kind,
                data_format=_data_format(sample),
                encoding=sample.encoding or None,
                delimiter=sample.delimiter or None,
                limits=limits,
                sheet=sample.sheet or None,
                preview=preview,
            )
    body = result.to_dict()
    status = body["status"]
    if status == ValidationStatus.PASSED and breaking:
        status = ValidationStatus.FAILED
    message = body.get("message") or ""
    # Read but not checked against anything: the status stays (clients know it), the report
    # says what the version still needs.
    schema_needed = schema is None and status != ValidationStatus.ERROR
    if schema_needed:
        message = SCHEMA_NEEDED_MESSAGE
    preview_store(
        version_id=version.pk,
        source_id=sample.pk,
        made_with=made_with,
        result=preview.to_dict() if preview is not None else None,
        report_id=report.pk,
    )
    return _finish(
        report.pk,
        attempt,
        status=status,
        message=message,
        schema_needed=schema_needed,
        sheet=body.get("sheet") or "",
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
        # Checked without a schema: the report also vouches for the inferred one when the file
        # passes it, so accepting it publishes without a second check.
        **({"schema_digest": vouched} if vouched else {}),
    )


def _check_against_inferred(
    path: Path, sample: Distribution, limits: Any, vouch: bool, preview: Any = None
) -> tuple[Any, Any, str]:
    """A file checked without a schema: infer one from its first rows, then check the whole
    file against it, which runs on Arrow's typed columns (about 50 times faster on CSV than
    parsing and profiling text with no types, ~5k rows/s). Returns (the report when the file
    passes, else None for the untyped check; the inferred schema; its digest when the report
    vouches for it)."""
    from .. import validation as engine

    started = time.perf_counter()
    try:
        inferred = engine.infer_table_schema(
            path,
            data_format=_data_format(sample),
            encoding=sample.encoding or None,
            delimiter=sample.delimiter or None,
            limits=limits,
            sheet=sample.sheet or None,
        )
    except engine.InferenceError:
        return None, None, ""  # the untyped check reports why the file cannot be read
    result = engine.validate_file(
        path,
        schema=inferred,
        schema_kind="table_schema",
        data_format=_data_format(sample),
        encoding=sample.encoding or None,
        delimiter=sample.delimiter or None,
        limits=limits,
        sheet=sample.sheet or None,
        preview=preview,
    )
    if result.status != "passed":
        return None, inferred, ""  # rows past the inferred sample differ: the untyped check
    result.timings["infer"] = round(time.perf_counter() - started - result.timings["total"], 4)
    return result, inferred, schema_digest(inferred) if vouch else ""


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
    version_id = (
        ValidationReport.objects.filter(pk=report_id).values_list("version_id", flat=True).first()
    )
    if version_id is not None:
        publish_request_settle(version_id=version_id)


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
    publish_requests_settle_due()
    return jobs.publish_all("datasets.validation_run", [str(pk) for pk in [*stuck, *lost]])


# --- the publication rule ---------------------------------------------------------------------


# The rule lives with the other publication rules (datasets.selectors); kept here by its old
# name for the callers of the version publish.
publication_blockers = version_publication_blockers


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


# --- a publish requested while the file is checked again ---------------------------------------


@transaction.atomic
def publish_request_record(*, version: DatasetVersion, actor: User) -> DatasetVersion:
    """Remember that the steward asked to publish `version` (and its dataset) once its
    current check passes; asking again while it waits changes nothing."""
    DatasetVersion.objects.filter(
        pk=version.pk, status=VersionStatus.DRAFT, publish_requested_at__isnull=True
    ).update(
        publish_requested_at=timezone.now(),
        publish_requested_by=actor,
        publish_request_dropped_reason="",
    )
    version.refresh_from_db()
    return version


def publish_request_settle(*, version_id: Any) -> str:
    """Complete or drop the publish requested for a version once its check has finished:
    "published", "dropped", or "waiting" (nothing to do yet, or nothing requested). Safe to run
    twice: the version row is locked and the request cleared in the same transaction."""
    with transaction.atomic():
        version = (
            DatasetVersion.objects.select_for_update()
            .filter(pk=version_id, status=VersionStatus.DRAFT, publish_requested_at__isnull=False)
            .first()
        )
        if version is None:
            return "waiting"
        report = latest_report(version)
        if report is None or report.status in (ValidationStatus.QUEUED, ValidationStatus.RUNNING):
            return "waiting"
        dataset = Dataset.objects.select_for_update().get(pk=version.dataset_id)
        actor = version.publish_requested_by
        missing = dataset_publication_missing(dataset, publishing=version)
        if dataset.status == DatasetStatus.WITHDRAWN or missing:
            reason = gettext_noop(
                "The publish was not done: the file did not pass the check of the new schema, "
                "or something else is missing (see missing)."
            )
            DatasetVersion.objects.filter(pk=version.pk).update(
                publish_requested_at=None, publish_request_dropped_reason=reason
            )
            audit_append(
                actor=actor,
                action="dataset.publish_request_dropped",
                object_type="dataset",
                object_id=dataset.pk,
                steward_organization_ids=[dataset.publisher_id],
                data={"version": version.version, "missing": [m["code"] for m in missing]},
            )
            return "dropped"
        DatasetVersion.objects.filter(pk=version.pk).update(publish_requested_at=None)
        version.publish_requested_at = None
        dataset_publish(dataset=dataset, version=version, actor=actor)
        return "published"


def publish_requests_settle_due() -> int:
    """The sweep's share: requests whose check finished but whose worker stopped before
    settling them (the number settled)."""
    waiting = DatasetVersion.objects.filter(
        status=VersionStatus.DRAFT, publish_requested_at__isnull=False
    ).values_list("pk", flat=True)[:500]
    return sum(publish_request_settle(version_id=pk) != "waiting" for pk in list(waiting))
