"""Dead workers, job by job: every state a worker owns comes back when the worker dies, once
its lease runs out (or at once when the broker delivers it again), and a job that kills every
worker is given up with a clear error. Tasks run inline here; the same with real processes
killed with SIGKILL: tests/faults/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from common import jobs
from datasets.models import ValidationReport, ValidationStatus, VersionStatus
from datasets.services import validation
from registry import tasks
from registry.models import DeliveryStatus, EmailNotification, SharingRequest
from registry.models import SharingRequestState as S
from registry.services import notifications, sharing_requests
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.sharing import REQUEST_BODY

pytestmark = pytest.mark.django_db

SCHEMA = {"fields": [{"name": "id", "type": "integer"}]}
PAST = timedelta(seconds=-1)


def ago(delta: timedelta = PAST) -> Any:
    return timezone.now() + delta


@pytest.fixture
def report(world: Any) -> ValidationReport:
    """A check a worker claimed and is running (it was queued and never run here)."""
    version = DatasetVersionFactory.create(
        status=VersionStatus.DRAFT, dataset=DatasetFactory.create(publisher=world.acme)
    )
    validation.schema_set(version=version, schema=SCHEMA, kind="table_schema")
    row = ValidationReport.objects.get(version=version)
    ValidationReport.objects.filter(pk=row.pk).update(
        status=ValidationStatus.RUNNING, attempts=1, started_at=ago(), lease_expires_at=ago()
    )
    return row


# --- sample checks ----------------------------------------------------------------------------


def test_a_check_under_a_live_lease_is_left_to_its_worker(report):
    ValidationReport.objects.filter(pk=report.pk).update(lease_expires_at=jobs.lease_until())

    assert validation.validation_run(report_id=report.pk).status == ValidationStatus.RUNNING
    assert validation.validation_requeue_stuck() == 0


def test_a_check_delivered_again_after_its_worker_died_runs_at_once(report):
    ValidationReport.objects.filter(pk=report.pk).update(lease_expires_at=jobs.lease_until())

    done = validation.validation_run(report_id=report.pk, redelivered=True)

    assert (done.status, done.attempts) == (ValidationStatus.PASSED, 2)
    assert done.lease_expires_at is None


def test_the_sweep_takes_back_a_check_whose_lease_ran_out(report):
    assert validation.validation_requeue_stuck() == 1  # and it ran, inline

    report.refresh_from_db()
    assert (report.status, report.attempts) == (ValidationStatus.PASSED, 2)


def test_a_run_taken_over_stores_nothing(report):
    ValidationReport.objects.filter(pk=report.pk).update(attempts=2)  # another run took it

    stale = validation._finish(report.pk, 1, status=ValidationStatus.FAILED)

    assert stale.status == ValidationStatus.RUNNING


def test_a_check_that_kills_every_worker_is_given_up(report):
    ValidationReport.objects.filter(pk=report.pk).update(attempts=settings.JOB_MAX_ATTEMPTS)

    done = validation.validation_run(report_id=report.pk, redelivered=True)

    assert done.status == ValidationStatus.ERROR
    assert "too many times" in done.message
    assert done.attempts == settings.JOB_MAX_ATTEMPTS + 1


def test_a_queued_check_the_broker_lost_is_handed_out_again_once_per_period(report):
    ValidationReport.objects.filter(pk=report.pk).update(
        status=ValidationStatus.QUEUED, lease_expires_at=jobs.redeliver_at()
    )
    assert validation.validation_requeue_stuck() == 0  # still waiting for its message

    ValidationReport.objects.filter(pk=report.pk).update(lease_expires_at=ago())
    assert validation.validation_requeue_stuck() == 1
    assert ValidationReport.objects.get(pk=report.pk).status == ValidationStatus.PASSED


# --- sharing requests -------------------------------------------------------------------------


@pytest.fixture
def submitted(world, shared_dataset, client_for, django_capture_on_commit_callbacks) -> Any:
    """A request whose check was lost: it stays `submitted`."""
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for("outsider_member").post(
            reverse("sharing-request-list"),
            {**REQUEST_BODY, "dataset": str(shared_dataset.pk)},
            format="json",
            HTTP_IDEMPOTENCY_KEY="key-1",
        )
    assert response.status_code == 201
    return SharingRequest.objects.get(pk=response.json()["id"])


def moves(request: SharingRequest) -> list[str]:
    return list(request.events.order_by("id").values_list("to_state", flat=True))


def test_a_submitted_request_whose_check_was_lost_is_checked_by_the_sweep(submitted):
    assert submitted.check_due_at > timezone.now()
    assert tasks.sharing_request_requeue_unchecked() == 0  # not due yet

    SharingRequest.objects.filter(pk=submitted.pk).update(check_due_at=ago())
    assert tasks.sharing_request_requeue_unchecked() == 1

    submitted.refresh_from_db()
    assert submitted.state == S.AWAITING_PUBLISHER
    assert moves(submitted) == [S.SUBMITTED, S.AWAITING_PUBLISHER]
    assert submitted.check_attempts == 1
    assert tasks.sharing_request_requeue_unchecked() == 0


def test_a_request_from_before_check_due_at_counts_from_its_creation(submitted):
    SharingRequest.objects.filter(pk=submitted.pk).update(
        check_due_at=None, created_at=ago(-timedelta(seconds=settings.JOB_REDELIVER_AFTER_SECONDS))
    )

    assert tasks.sharing_request_requeue_unchecked() == 1


def test_retrying_with_the_same_key_queues_the_lost_check_again(
    submitted, shared_dataset, client_for: Callable[[str], APIClient],
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        retry = client_for("outsider_member").post(
            reverse("sharing-request-list"),
            {**REQUEST_BODY, "dataset": str(shared_dataset.pk)},
            format="json",
            HTTP_IDEMPOTENCY_KEY="key-1",
        )

    assert retry.status_code == 200
    assert retry.json()["id"] == str(submitted.pk)
    submitted.refresh_from_db()
    assert moves(submitted) == [S.SUBMITTED, S.AWAITING_PUBLISHER]


def test_a_check_that_kills_every_worker_rejects_the_request_with_a_reason(submitted):
    SharingRequest.objects.filter(pk=submitted.pk).update(check_attempts=settings.JOB_MAX_ATTEMPTS)

    checked = sharing_requests.sharing_request_check(sharing_request_id=submitted.pk)

    assert checked.state == S.REJECTED
    assert [reason["code"] for reason in checked.decision_reasons] == ["check_failed"]
    assert moves(checked) == [S.SUBMITTED, S.REJECTED]
    # Delivered once more: nothing changes.
    assert sharing_requests.sharing_request_check(sharing_request_id=submitted.pk).state == (
        S.REJECTED
    )
    assert moves(checked) == [S.SUBMITTED, S.REJECTED]


# --- emails and webhooks ----------------------------------------------------------------------


def test_an_email_being_sent_is_not_sent_again_however_old(world, mailoutbox):
    """The sweep used to take `sending` rows by their age: a slow send was sent twice."""
    row = EmailNotification.objects.create(
        recipient="a@example.kr", subject="s", body="b", event="test",
        status=DeliveryStatus.SENDING, attempts=1, lease_expires_at=jobs.lease_until(),
    )  # fmt: skip
    EmailNotification.objects.filter(pk=row.pk).update(created_at=ago(-timedelta(hours=2)))

    assert tasks.requeue_stuck_notifications() == 0
    assert mailoutbox == []

    EmailNotification.objects.filter(pk=row.pk).update(lease_expires_at=ago())  # worker died
    assert tasks.requeue_stuck_notifications() == 1
    assert [m.to for m in mailoutbox] == [["a@example.kr"]]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease_expires_at) == (DeliveryStatus.DELIVERED, 2, None)


def test_an_email_claimed_too_often_fails_for_good(world, mailoutbox):
    row = EmailNotification.objects.create(
        recipient="a@example.kr", subject="s", body="b", event="test",
        status=DeliveryStatus.SENDING, attempts=settings.JOB_MAX_ATTEMPTS, lease_expires_at=ago(),
    )  # fmt: skip

    assert tasks.send_email.delay(row.pk).get() is False

    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert "Gave up" in row.last_error
    assert mailoutbox == []


def test_an_email_sent_again_after_its_worker_died_keeps_its_message_id(world, mailoutbox):
    """A worker killed between the mail server's answer and the row's update: the copy sent
    once the lease runs out is the same message to the mail system (one Message-ID)."""
    [row] = notifications.email_queue(
        recipients=["a@example.kr"], subject="s", body="b", event="test"
    )
    assert notifications.email_send(notification_id=row.pk) is True
    # The row as the dead worker left it: claimed, the send not recorded.
    EmailNotification.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, lease_expires_at=jobs.lease_until()
    )

    assert tasks.send_email.delay(row.pk).get() is False  # its lease still runs: held back
    assert len(mailoutbox) == 1

    EmailNotification.objects.filter(pk=row.pk).update(lease_expires_at=ago())
    assert tasks.requeue_stuck_notifications() == 1

    first, again = (message.message()["Message-ID"] for message in mailoutbox)
    assert first == again
    assert first == notifications.email_message_id(row)
    assert first.startswith(f"<notification-{row.pk}.")
    assert first.endswith("@max-alliance.kr>")


def test_every_email_has_a_message_id_of_its_own(world, mailoutbox):
    rows = notifications.email_queue(
        recipients=["a@example.kr", "b@example.kr"], subject="s", body="b", event="test"
    )
    for row in rows:
        notifications.email_send(notification_id=row.pk)

    ids = [message.message()["Message-ID"] for message in mailoutbox]
    assert len(ids) == 2
    assert ids[0] != ids[1]
