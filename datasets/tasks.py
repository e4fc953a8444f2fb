"""Celery tasks of the catalog: thin wrappers around services, safe to run twice."""

from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext_noop

from common import jobs

from .imports import SourceError
from .imports import jobs as import_jobs
from .imports import runner as import_runner
from .imports.fetch import TransientFetchError, fetch_error
from .services import previews, validation

# Far below the broker's visibility timeout, so a slow validation is never handed out twice.
# A long check holds its job by renewing a lease (JOB_LEASE_SECONDS), not by this limit.
VALIDATION_TIME_LIMIT = 1800


@shared_task(
    bind=True,
    name="datasets.validation_run",
    max_retries=5,
    time_limit=VALIDATION_TIME_LIMIT,
    soft_time_limit=VALIDATION_TIME_LIMIT - 60,
    acks_late=True,
    # A killed worker's job is delivered again; a file that kills every worker is given up
    # after JOB_MAX_ATTEMPTS claims (validation.validation_run).
    reject_on_worker_lost=True,
)
def validation_run(self: Task, report_id: str) -> str:  # type: ignore[type-arg]
    redelivered = jobs.is_redelivery(self.request.delivery_info)
    try:
        return str(validation.validation_run(report_id=report_id, redelivered=redelivered).status)
    except validation.TransientStorageError as exc:
        countdown = min(600, 10 * 2**self.request.retries)
        validation.validation_release(report_id=report_id, error=str(exc), retry_in=countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except SoftTimeLimitExceeded:
        validation.validation_fail(
            report_id=report_id, error=gettext_noop("The check took too long.")
        )
        return "error"


@shared_task(name="datasets.validation_requeue_stuck", time_limit=120, soft_time_limit=100)
def validation_requeue_stuck() -> int:
    return validation.validation_requeue_stuck()


# A preview reads the first rows only (at most 100): seconds, far below the visibility timeout.
PREVIEW_TIME_LIMIT = 300


@shared_task(
    bind=True,
    name="datasets.preview_make",
    max_retries=5,
    time_limit=PREVIEW_TIME_LIMIT,
    soft_time_limit=PREVIEW_TIME_LIMIT - 30,
    acks_late=True,
)
def preview_make(self: Task, version_id: str) -> int:  # type: ignore[type-arg]
    """The number of rows in the version's preview (0: none)."""
    try:
        preview = previews.preview_make(version_id=version_id)
    except validation.TransientStorageError as exc:
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc
    return preview.row_count if preview is not None else 0


# Imports parse whole documents and write up to IMPORT_LIMITS["max_records"] datasets: far
# below the visibility timeout too, and a job cut short resumes after its last batch.
IMPORT_TIME_LIMIT = 1800


@shared_task(
    bind=True,
    name="datasets.import_job_run",
    max_retries=3,
    time_limit=IMPORT_TIME_LIMIT,
    soft_time_limit=IMPORT_TIME_LIMIT - 60,
    acks_late=True,
    # A killed worker's job is delivered again and resumes after its last batch; a source that
    # kills every worker is given up after ImportLimits.max_attempts claims.
    reject_on_worker_lost=True,
)
def import_job_run(self: Task, job_id: str) -> str:  # type: ignore[type-arg]
    redelivered = jobs.is_redelivery(self.request.delivery_info)
    try:
        return str(import_runner.import_job_run(job_id=job_id, redelivered=redelivered).status)
    except TransientFetchError as exc:
        if self.request.retries >= (self.max_retries or 0):
            import_jobs.import_job_fail(job_id=job_id, error=fetch_error(exc))
            return "failed"
        countdown = min(600, 30 * 2**self.request.retries)
        import_jobs.import_job_release(
            job_id=job_id, error=fetch_error(exc, retrying=True), retry_in=countdown
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    except SoftTimeLimitExceeded:
        error = SourceError(
            gettext_noop("The import took too long; split the source."), code="time_limit"
        )
        import_jobs.import_job_fail(job_id=job_id, error=error.as_dict())
        return "failed"


@shared_task(name="datasets.import_job_requeue_stuck", time_limit=120, soft_time_limit=100)
def import_job_requeue_stuck() -> int:
    return import_jobs.import_job_requeue_stuck()
