"""Celery tasks of the sharing workflow: thin, named, time-limited, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from common.outbound import TransientDeliveryError

from .services import agreements, notifications, reminders, sharing_requests, webhooks

# Backoff stays far below the broker's visibility timeout (3600 s), so a retry never runs twice.
MAX_BACKOFF_SECONDS = 1800


def _backoff(retries: int) -> int:
    return int(min(MAX_BACKOFF_SECONDS, 30 * 2**retries))


# Every task here is acks_late with reject_on_worker_lost (the settings' defaults): a task whose
# worker died is delivered again, and the rows' attempt counts stop one that always kills it.


@shared_task(
    name="registry.check_sharing_request",
    time_limit=120,
    soft_time_limit=100,
    acks_late=True,
    reject_on_worker_lost=True,
)
def check_sharing_request(sharing_request_id: str) -> str:
    """Check a submitted request against its policy (a no-op when already checked)."""
    return str(sharing_requests.sharing_request_check(sharing_request_id=sharing_request_id).state)


@shared_task(name="registry.sharing_request_requeue_unchecked", time_limit=120, soft_time_limit=100)
def sharing_request_requeue_unchecked() -> int:
    return sharing_requests.sharing_request_requeue_unchecked()


@shared_task(name="registry.expire_grants", time_limit=300, soft_time_limit=240)
def expire_grants() -> int:
    return agreements.grants_expire()


@shared_task(name="registry.start_grants", time_limit=300, soft_time_limit=240)
def start_grants() -> int:
    return agreements.grants_start()


@shared_task(name="registry.remind_expiring_grants", time_limit=300, soft_time_limit=240)
def remind_expiring_grants() -> int:
    return reminders.grants_remind_expiring()


@shared_task(name="registry.remind_approvers", time_limit=300, soft_time_limit=240)
def remind_approvers() -> dict[str, Any]:
    return reminders.approvals_remind()


@shared_task(
    bind=True,
    name="registry.send_email",
    max_retries=5,
    time_limit=60,
    soft_time_limit=45,
    acks_late=True,
    reject_on_worker_lost=True,
)
def send_email(self: Task, notification_id: int) -> bool:  # type: ignore[type-arg]
    final = self.request.retries >= (self.max_retries or 0)
    countdown = _backoff(self.request.retries)
    try:
        return notifications.email_send(
            notification_id=notification_id, final_attempt=final, retry_in=countdown
        )
    except TransientDeliveryError as exc:
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(
    bind=True,
    name="registry.deliver_webhook",
    max_retries=6,
    time_limit=60,
    soft_time_limit=45,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver_webhook(self: Task, delivery_id: str) -> bool:  # type: ignore[type-arg]
    final = self.request.retries >= (self.max_retries or 0)
    countdown = _backoff(self.request.retries)
    try:
        return webhooks.webhook_deliver(
            delivery_id=delivery_id, final_attempt=final, retry_in=countdown
        )
    except TransientDeliveryError as exc:
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="registry.requeue_stuck_notifications", time_limit=300, soft_time_limit=240)
def requeue_stuck_notifications() -> int:
    return notifications.notifications_requeue_stuck()
