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

Leases (docs/operations.md, "Dead workers"). A job a worker has claimed carries
`lease_expires_at`, renewed by `lease_kept` while it works; when it runs out the worker is taken
for dead and the app's sweep queues the job again. `job_claim` takes a job for a worker.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connections, models, transaction
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


# --- leases -----------------------------------------------------------------------------------


def lease_until(now: datetime | None = None) -> datetime:
    """When a claim made (or renewed) now runs out."""
    return (now or timezone.now()) + timedelta(seconds=settings.JOB_LEASE_SECONDS)


def redeliver_at(now: datetime | None = None, *, delay: float = 0) -> datetime:
    """When a job handed to the broker now (`delay` seconds from now, for a retry) and not
    taken by a worker is handed out again by the sweep."""
    return (now or timezone.now()) + timedelta(seconds=settings.JOB_REDELIVER_AFTER_SECONDS + delay)


def is_redelivery(delivery_info: Mapping[str, Any] | None) -> bool:
    """Whether the broker gave this message out before: a worker took it and died
    (`reject_on_worker_lost`) or never acknowledged it within the visibility timeout."""
    return bool((delivery_info or {}).get("redelivered"))


def job_claim(
    model: type[models.Model],
    *,
    pk: Any,
    waiting: str,
    working: str,
    redelivered: bool = False,
    **fields: Any,
) -> int | None:
    """Take job `pk` for this worker; its attempt number (the run's fencing token), or None
    when the job is not this worker's to run.

    A job is taken when it is `waiting`, or `working` under a lease that ran out (its worker
    died), or `working` and this delivery is a redelivery (pass `redelivered` only for work
    whose every write is fenced by the attempt number: the run it replaces, were it alive,
    stops at its next write). The claim is a conditional UPDATE on the status and attempt
    number read, so of two workers exactly one wins. `fields` are set with the claim.
    """
    now = timezone.now()
    manager = model._default_manager
    row = manager.filter(pk=pk).values("status", "attempts", "lease_expires_at").first()
    if row is None:
        return None
    if row["status"] == working:
        lease = row["lease_expires_at"]
        if not (redelivered or (lease is not None and lease < now)):
            return None
    elif row["status"] != waiting:
        return None
    attempt = int(row["attempts"]) + 1
    claimed = manager.filter(pk=pk, status=row["status"], attempts=row["attempts"]).update(
        status=working, attempts=attempt, lease_expires_at=lease_until(now), **fields
    )
    return attempt if claimed else None


def lease_renewer(
    model: type[models.Model], *, pk: Any, working: str, attempt: int
) -> Callable[[], bool]:
    """For `lease_kept`: renew the lease of job `pk` while attempt `attempt` still holds it."""

    def renew() -> bool:
        return bool(
            model._default_manager.filter(pk=pk, status=working, attempts=attempt).update(
                lease_expires_at=lease_until()
            )
        )

    return renew


@contextlib.contextmanager
def lease_kept(renew: Callable[[], bool], *, every: float | None = None) -> Iterator[None]:
    """Renew a claimed job's lease while the block runs: `renew` is called every `every`
    seconds (a third of `JOB_LEASE_SECONDS`) from a thread with its own database connection,
    until the block ends or `renew` returns False (the job is no longer this run's).

    The thread dies with its process, so a killed worker's lease runs out; a hung one is
    ended by the task's time limit."""
    interval = every if every is not None else max(1.0, settings.JOB_LEASE_SECONDS / 3)
    stop = threading.Event()

    def keep() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not renew():
                        return
                except Exception:
                    logger.exception("could not renew a job's lease")
        finally:
            connections.close_all()  # this thread's connections only

    keeper = threading.Thread(target=keep, name="lease-keeper", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join(timeout=interval + 5)


def requeue_due(queryset: models.QuerySet[Any], *, limit: int = 500, **updates: Any) -> list[Any]:
    """Take the due jobs in `queryset` for one sweep (rows another sweep holds are skipped),
    apply `updates` to them and return their keys, for the caller to publish them again."""
    with transaction.atomic():
        pks = list(
            queryset.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
        )
        if pks:
            queryset.model._default_manager.filter(pk__in=pks).update(**updates)
    return pks


def publish_all(task_name: str, keys: Sequence[Any]) -> int:
    """Publish `task_name` once per key (a sweep's re-deliveries); stops at the first the broker
    refuses (the rows stay due for the next sweep). The number published."""
    for count, key in enumerate(keys):
        try:
            enqueue(task_name, key)
        except Exception as exc:
            if current_app.conf.task_always_eager:
                raise
            logger.warning("sweep: %s(%s) not published: %r", task_name, key, exc)
            return count
    return len(keys)
