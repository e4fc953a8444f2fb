"""Celery tasks of the catalog: thin wrappers around services, safe to run twice."""

from __future__ import annotations

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .services import checks

# Far below the broker's visibility timeout, so a slow check is never handed out twice.
VALIDATION_TIME_LIMIT = 1800


@shared_task(
    bind=True,
    name="datasets.run_validation",
    max_retries=5,
    time_limit=VALIDATION_TIME_LIMIT,
    soft_time_limit=VALIDATION_TIME_LIMIT - 60,
    acks_late=True,
    reject_on_worker_lost=False,  # a file that kills workers must not loop: the sweep retries
)
def run_validation(self: Task, report_id: str) -> str:  # type: ignore[type-arg]
    try:
        return str(checks.validation_run(report_id=report_id).status)
    except checks.TransientStorageError as exc:
        checks.validation_release(report_id=report_id, error=str(exc))
        raise self.retry(exc=exc, countdown=min(600, 10 * 2**self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        checks.validation_fail(report_id=report_id, error="The check took too long.")
        return "error"


@shared_task(name="datasets.requeue_stuck_validations", time_limit=120, soft_time_limit=100)
def requeue_stuck_validations() -> int:
    return checks.validation_requeue_stuck()
