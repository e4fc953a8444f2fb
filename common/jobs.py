"""Hand work to the Celery workers by task name, through a transactional outbox.

Services queue work through here instead of importing their app's `tasks` module, so the
import graph stays one way (tasks -> services, never back): a task is a thin wrapper that
loads by id and calls a service.

The outbox (docs/adr/0007-transactional-outbox.md). `enqueue_on_commit` writes an
`OutboxMessage` row in the caller's transaction, beside the state the task concerns, and
publishes it once that transaction commits; a publish that fails (the broker is down) is
logged and left to the relay, so the caller's request still answers. `outbox_relay`, on beat
and as `manage.py outbox_relay`, publishes what is left unsent, claiming rows with
`SELECT ... FOR UPDATE SKIP LOCKED`, so two relays never publish the same row. Delivery is at
least once: a message can still be published twice (the web process dies between the publish
and marking it sent), so every task claims its work with a conditional UPDATE.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# One quick reconnect (a pooled connection the broker dropped), then give up: the relay tries
# again later. A request never waits on a broker that is down.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# A row the relay took is not taken again for this long, should the relay die publishing it.
RELAY_CLAIM_SECONDS = 60
RELAY_BATCH = 500


def enqueue(task_name: str, *args: Any) -> None:
    """Publish `task_name` now (honours `CELERY_TASK_ALWAYS_EAGER`, unlike `send_task`).

    Raises when the broker does not take it. For sweeps, which re-deliver work that is
    already recorded in the database; services use `enqueue_on_commit`."""
    current_app.tasks[task_name].apply_async(
        args=tuple(args), retry=True, retry_policy=PUBLISH_RETRY_POLICY
    )


def enqueue_on_commit(task_name: str, *args: Any) -> OutboxMessage:
    """Promise `task_name` in the surrounding transaction (an outbox row) and publish it once
    that transaction commits, so the worker reads committed rows; nothing is queued if it
    rolls back, and nothing is lost if the broker is down when it commits."""
    message = OutboxMessage.objects.create(
        task_name=task_name,
        args=list(args),
        available_at=timezone.now() + timedelta(seconds=settings.OUTBOX_RELAY_AFTER_SECONDS),
    )
    transaction.on_commit(
        partial(outbox_publish, message_id=message.pk, task_name=task_name, args=message.args)
    )
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.OUTBOX_RETRY_MAX_SECONDS, 2 ** min(attempts, 20)))


def outbox_publish(*, message_id: int, task_name: str, args: list[Any]) -> bool:
    """Publish one committed outbox message and mark it sent; False (logged) when the broker
    does not take it, for the relay to try again.

    Called on commit, before the relay may take the row (`OUTBOX_RELAY_AFTER_SECONDS`). With
    tasks run eagerly (tests) publishing runs the task inline: its errors propagate, as they
    did before the outbox."""
    if current_app.conf.task_always_eager:
        try:
            enqueue(task_name, *args)
        finally:
            _mark_sent(message_id)
        return True
    try:
        enqueue(task_name, *args)
    except Exception as exc:  # the broker's errors are many; every one means "later"
        _mark_failed(message_id, exc)
        return False
    _mark_sent(message_id)
    return True


def _mark_sent(pk: int) -> None:
    OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).update(
        sent_at=timezone.now(), last_error=""
    )


def _mark_failed(pk: int, exc: BaseException, *, counted: bool = False) -> None:
    """Record a failed publish; the relay takes the row again after a backoff."""
    logger.warning("outbox message %s not published (the relay will retry): %r", pk, exc)
    attempts = OutboxMessage.objects.filter(pk=pk).values_list("attempts", flat=True).first()
    attempts = (attempts or 0) + (0 if counted else 1)
    OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).update(
        attempts=attempts,
        last_error=repr(exc)[:2000],
        available_at=timezone.now() + _backoff(attempts),
    )


def outbox_relay(*, limit: int = RELAY_BATCH) -> int:
    """Publish the unsent messages whose time has come; the number published.

    Rows are claimed (moved out of reach for RELAY_CLAIM_SECONDS) in a short transaction with
    SKIP LOCKED, then published outside it. When the broker refuses one, the rest of the batch
    is given back untouched and the relay stops: the broker is down."""
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, available_at__lte=now)
            .order_by("available_at", "id")
            .values_list("pk", "task_name", "args")[:limit]
        )
        if batch:
            OutboxMessage.objects.filter(pk__in=[row[0] for row in batch]).update(
                available_at=now + timedelta(seconds=RELAY_CLAIM_SECONDS),
                attempts=F("attempts") + 1,
            )
    published = 0
    for index, (pk, task_name, args) in enumerate(batch):
        try:
            enqueue(task_name, *args)
        except Exception as exc:
            _mark_failed(pk, exc, counted=True)
            rest = [row[0] for row in batch[index + 1 :]]
            OutboxMessage.objects.filter(pk__in=rest, sent_at__isnull=True).update(
                available_at=now, attempts=F("attempts") - 1
            )
            break
        _mark_sent(pk)
        published += 1
    if published:
        logger.info("outbox relay published %d message(s)", published)
    return published


def outbox_cleanup(*, older_than: timedelta | None = None, batch: int = 10_000) -> int:
    """Delete messages sent longer ago than `OUTBOX_KEEP_SECONDS`; the number deleted."""
    cutoff = timezone.now() - (older_than or timedelta(seconds=settings.OUTBOX_KEEP_SECONDS))
    deleted = 0
    while True:
        pks = list(
            OutboxMessage.objects.filter(sent_at__lt=cutoff).values_list("pk", flat=True)[:batch]
        )
        if not pks:
            return deleted
        deleted += OutboxMessage.objects.filter(pk__in=pks).delete()[0]
