"""The transactional outbox (common.jobs): a row with the state, a publish on commit, the relay
for what the broker did not take, and the cleanup. Tasks run eagerly here unless a test
publishes to a broker of its own (tests.brokers); real processes: tests/faults/."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from common import jobs
from common.models import OutboxMessage
from tests.brokers import publishing_to

pytestmark = pytest.mark.django_db

# Nothing listens here: a broker that is down.
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """What `enqueue` hands the broker, instead of handing it."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args: calls.append((name, args)))
    return calls


def unsent() -> list[str]:
    return list(
        OutboxMessage.objects.filter(sent_at__isnull=True).values_list("task_name", flat=True)
    )


def test_a_row_is_written_with_the_state_and_published_on_commit(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = jobs.enqueue_on_commit("registry.send_email", 7)
        assert published == []  # nothing leaves before the commit

    assert published == [("registry.send_email", (7,))]
    message.refresh_from_db()
    assert message.args == [7]
    assert message.sent_at is not None
    assert message.attempts == 0
    assert unsent() == []


def test_nothing_is_promised_when_the_transaction_rolls_back(
    published, django_capture_on_commit_callbacks
):
    @transaction.atomic
    def promise_then_fail() -> None:
        jobs.enqueue_on_commit("registry.send_email", 7)
        raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        promise_then_fail()

    assert published == []
    assert not OutboxMessage.objects.exists()


def test_eagerly_the_task_runs_on_commit_and_the_row_is_sent(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    from registry.services.notifications import email_queue

    with django_capture_on_commit_callbacks(execute=True):
        email_queue(recipients=["a@example.kr"], subject="s", body="b", event="test")

    assert [m.to for m in mailoutbox] == [["a@example.kr"]]
    assert unsent() == []


def test_a_broker_that_is_down_leaves_the_row_for_the_relay_and_the_caller_goes_on(
    django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with (
        publishing_to(DEAD_BROKER, "test-outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = jobs.enqueue_on_commit("registry.send_email", 7)  # no exception
    elapsed = time.monotonic() - started

    assert elapsed < 2, "a dead broker must not hold the request"
    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "111" in message.last_error or "refused" in message.last_error.lower()
    assert message.available_at > timezone.now()  # backoff before the relay tries again
    assert "not published" in caplog.text


def test_the_relay_publishes_what_is_left_once_it_is_due(published):
    fresh = OutboxMessage.objects.create(
        task_name="registry.send_email",
        args=[1],
        available_at=timezone.now() + timedelta(seconds=10),
    )
    due = OutboxMessage.objects.create(
        task_name="registry.deliver_webhook", args=["d"], available_at=timezone.now()
    )

    assert jobs.outbox_relay() == 1

    assert published == [("registry.deliver_webhook", ("d",))]
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert (due.sent_at is not None, due.attempts) == (True, 1)
    assert fresh.sent_at is None
    assert jobs.outbox_relay() == 0


def test_two_relays_never_publish_the_same_row(monkeypatch):
    OutboxMessage.objects.create(
        task_name="registry.send_email", args=[1], available_at=timezone.now()
    )
    inner: list[int] = []

    def publish(name: str, *args: Any) -> None:
        # A second relay, running while the first is publishing, finds nothing to take.
        inner.append(jobs.outbox_relay())

    monkeypatch.setattr(jobs, "enqueue", publish)

    assert jobs.outbox_relay() == 1
    assert inner == [0]


def test_the_relay_stops_at_a_refusal_and_gives_the_rest_back(monkeypatch):
    now = timezone.now()
    rows = [
        OutboxMessage.objects.create(task_name="registry.send_email", args=[n], available_at=now)
        for n in range(3)
    ]
    calls: list[Any] = []

    def refuse(name: str, *args: Any) -> None:
        calls.append(args)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(jobs, "enqueue", refuse)

    assert jobs.outbox_relay() == 0

    assert calls == [(0,)]  # one refusal is enough to know the broker is down
    first, *rest = (OutboxMessage.objects.get(pk=row.pk) for row in rows)
    assert (first.attempts, first.sent_at) == (1, None)
    assert first.available_at > timezone.now()
    assert "refused" in first.last_error
    assert [(row.attempts, row.available_at <= timezone.now()) for row in rest] == [(0, True)] * 2


def test_the_backoff_grows_and_is_capped(settings):
    settings.OUTBOX_RETRY_MAX_SECONDS = 300
    assert [jobs._backoff(n).total_seconds() for n in (1, 2, 5, 9, 50)] == [2, 4, 32, 300, 300]


def test_the_cleanup_deletes_old_sent_rows_only(settings):
    settings.OUTBOX_KEEP_SECONDS = 3600
    now = timezone.now()
    old_sent = OutboxMessage.objects.create(
        task_name="t", available_at=now, sent_at=now - timedelta(hours=2)
    )
    recent = OutboxMessage.objects.create(task_name="t", available_at=now, sent_at=now)
    old_unsent = OutboxMessage.objects.create(task_name="t", available_at=now - timedelta(days=30))

    assert jobs.outbox_cleanup() == 1

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, old_unsent.pk}
    assert not OutboxMessage.objects.filter(pk=old_sent.pk).exists()


def test_the_command_relays_and_says_what_is_left(published, capsys):
    OutboxMessage.objects.create(
        task_name="registry.send_email", args=[3], available_at=timezone.now()
    )

    call_command("outbox_relay")

    assert published == [("registry.send_email", (3,))]
    assert "published 1; unsent 0" in capsys.readouterr().out


def test_the_command_fails_while_the_broker_refuses(monkeypatch):
    OutboxMessage.objects.create(
        task_name="registry.send_email", args=[3], available_at=timezone.now()
    )

    def refuse(name: str, *args: Any) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(jobs, "enqueue", refuse)

    with pytest.raises(CommandError, match="1 due message"):
        call_command("outbox_relay")


def test_beat_runs_the_relay_and_the_cleanup(settings):
    from config.celery import app as celery_app

    entries = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("common.outbox_relay", "common.outbox_cleanup"):
        assert name in entries
        assert name in celery_app.tasks
    relay = entries["common.outbox_relay"]["schedule"]
    assert relay == timedelta(seconds=settings.JOBS_SWEEP_SECONDS) <= timedelta(minutes=1)
