"""Dead workers (common.jobs): claims with a lease, takeover when the lease runs out or the
broker delivers a job again, fencing by attempt number, the lease keeper, and every task
delivered again when its worker dies. Each app's jobs: tests/test_dead_workers.py."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from common import jobs
from config.celery import app as celery_app
from registry.models import DeliveryStatus, EmailNotification

pytestmark = pytest.mark.django_db

PENDING, SENDING = DeliveryStatus.PENDING, DeliveryStatus.SENDING


def email(**fields) -> EmailNotification:
    return EmailNotification.objects.create(
        recipient="a@example.kr", subject="s", body="b", event="test", **fields
    )


def claim(row: EmailNotification, redelivered: bool = False) -> int | None:
    return jobs.job_claim(
        EmailNotification, pk=row.pk, waiting=PENDING, working=SENDING, redelivered=redelivered
    )


def test_a_waiting_job_is_claimed_once_under_a_lease():
    row = email()

    assert claim(row) == 1
    assert claim(row) is None  # the second delivery finds it taken

    row.refresh_from_db()
    assert (row.status, row.attempts) == (SENDING, 1)
    assert row.lease_expires_at is not None
    lease = (row.lease_expires_at - timezone.now()).total_seconds()
    assert settings.JOB_LEASE_SECONDS - 5 < lease <= settings.JOB_LEASE_SECONDS


def test_a_job_whose_lease_ran_out_is_taken_over():
    row = email(status=SENDING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1))

    assert claim(row) == 2


def test_a_redelivered_job_is_taken_over_at_once():
    row = email(status=SENDING, attempts=1, lease_expires_at=jobs.lease_until())

    assert claim(row) is None
    assert claim(row, redelivered=True) == 2


def test_finished_jobs_are_never_claimed():
    for status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        assert claim(email(status=status), redelivered=True) is None
    assert jobs.job_claim(EmailNotification, pk=0, waiting=PENDING, working=SENDING) is None


def test_the_lease_keeper_renews_until_the_block_ends():
    renewed = threading.Event()
    calls: list[int] = []

    def renew() -> bool:
        calls.append(1)
        renewed.set()
        return True

    with jobs.lease_kept(renew, every=0.01):
        assert renewed.wait(5)
    count = len(calls)
    threading.Event().wait(0.05)
    assert len(calls) == count  # stopped with the block


def test_the_lease_keeper_stops_when_the_job_is_no_longer_this_runs():
    calls: list[int] = []
    done = threading.Event()

    def renew() -> bool:
        calls.append(1)
        done.set()
        return False

    with jobs.lease_kept(renew, every=0.01):
        assert done.wait(5)
        threading.Event().wait(0.05)
    assert calls == [1]


def test_a_renewal_is_fenced_by_the_attempt():
    row = email(status=SENDING, attempts=2, lease_expires_at=timezone.now())

    assert not jobs.lease_renewer(EmailNotification, pk=row.pk, working=SENDING, attempt=1)()
    assert jobs.lease_renewer(EmailNotification, pk=row.pk, working=SENDING, attempt=2)()
    row.refresh_from_db()
    assert row.lease_expires_at is not None
    assert row.lease_expires_at > timezone.now() + timedelta(seconds=10)


def test_every_task_is_acked_late_and_delivered_again_when_its_worker_dies():
    ours = [task for name, task in celery_app.tasks.items() if not name.startswith("celery.")]

    assert len(ours) >= 15
    assert all(task.acks_late for task in ours)
    assert all(task.reject_on_worker_lost for task in ours)


def test_leases_outlast_the_sweeps_and_the_heartbeats():
    assert settings.JOB_LEASE_SECONDS >= 3 * settings.JOBS_SWEEP_SECONDS
    assert settings.JOB_LEASE_SECONDS + settings.JOBS_SWEEP_SECONDS <= 120  # back within 2 min
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.JOB_REDELIVER_AFTER_SECONDS
