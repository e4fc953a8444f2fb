"""Celery tasks for accounts: thin wrappers around services."""

from __future__ import annotations

from celery import Task, shared_task

from common.outbound import TransientDeliveryError

from . import services

# Backoff stays far below the broker's visibility timeout (3600 s), so a retry never runs twice.
MAX_BACKOFF_SECONDS = 1800


@shared_task(name="accounts.purge_expired_api_tokens", time_limit=300, soft_time_limit=240)
def purge_expired_api_tokens() -> int:
    return services.api_token_purge_expired()


@shared_task(
    bind=True,
    name="accounts.invitation_send",
    max_retries=5,
    time_limit=60,
    soft_time_limit=45,
    acks_late=True,
    reject_on_worker_lost=True,
)
def invitation_send(self: Task, invitation_id: int) -> bool:  # type: ignore[type-arg]
    """Email an invitation its link; a no-op once sent (queued by `invitation_create`)."""
    try:
        return services.invitation_send(invitation_id=invitation_id)
    except TransientDeliveryError as exc:
        countdown = int(min(MAX_BACKOFF_SECONDS, 30 * 2**self.request.retries))
        raise self.retry(exc=exc, countdown=countdown) from exc
