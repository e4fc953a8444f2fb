"""Emails go to the people who must act, through a row that a task claims once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse
from django.utils import timezone

from accounts.models import MembershipRole
from common.outbound import TransientDeliveryError
from registry import tasks
from registry.models import (
    ApprovalRoute,
    DeliveryStatus,
    EmailNotification,
    Grant,
    SharingRequest,
)
from registry.models import SharingRequestState as S
from registry.services import agreements, notifications
from tests.factories import DivisionLeadFactory, MembershipFactory, UserFactory
from tests.sharing import act

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp.example.kr:587 refused the connection")


@pytest.fixture
def eager_retries():
    """Let eager tasks retry inline. With task_eager_propagates (the test settings) a retry
    raises celery.exceptions.Retry out of the first attempt instead of running again."""
    conf = tasks.send_email.app.conf
    previous = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = previous


class FlakyBackend(BaseEmailBackend):
    """Refuses the first message it is given, then delivers like locmem."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        if type(self).calls == 1:
            raise TimeoutError("smtp.example.kr timed out")
        return LocmemBackend().send_messages(email_messages)


def sent_to(mailoutbox):
    return [(message.to, message.subject) for message in mailoutbox]


def recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


@pytest.fixture
def more_people(world):
    """A second acme steward, an inactive one, a humanoids lead: who gets told and who not."""
    MembershipFactory.create(
        user=UserFactory.create(email="steward2@example.kr"),
        organization=world.acme,
        role=MembershipRole.DATA_STEWARD,
    )
    MembershipFactory.create(
        user=UserFactory.create(email="gone@example.kr", is_active=False),
        organization=world.acme,
        role=MembershipRole.DATA_STEWARD,
    )
    DivisionLeadFactory.create(
        user=UserFactory.create(email="humanoid-lead@example.kr"), division=world.humanoids
    )


def test_awaiting_publisher_tells_the_publishers_active_stewards(
    world, more_people, submit, set_route, mailoutbox
):
    set_route(ApprovalRoute.PUBLISHER)

    request = submit()

    assert request.state == S.AWAITING_PUBLISHER
    assert recipients(mailoutbox) == ["steward2@example.kr", "steward@example.kr"]
    message = mailoutbox[0]
    assert message.subject.startswith("[M.AX] 승인 요청 / Approval needed: ")
    assert request.dataset.title_ko in message.subject
    assert str(request.pk) in message.body
    # The approver's email opens the decision page of their inbox in the console.
    assert reverse("console:inbox-item", kwargs={"pk": request.pk}) in message.body
    assert message.from_email == "registry@max-alliance.kr"


def test_awaiting_division_lead_tells_the_leads_of_the_datasets_division(
    world,
    more_people,
    client_for,
    submit,
    set_route,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    mailoutbox.clear()

    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)

    assert recipients(mailoutbox) == ["lead@example.kr"]
    assert "분과장 승인 요청 / Division lead approval" in mailoutbox[0].subject


def test_activation_tells_the_requesting_user_only(
    world,
    more_people,
    client_for,
    submit,
    set_route,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit("outsider_steward")
    mailoutbox.clear()

    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)

    assert sent_to(mailoutbox) == [(["outsider_steward@example.kr"], mailoutbox[0].subject)]
    assert "데이터 공유 승인 / Access granted" in mailoutbox[0].subject


def test_an_automatic_approval_tells_the_requester(world, submit, set_route, mailoutbox):
    set_route(ApprovalRoute.AUTOMATIC)

    submit()

    assert recipients(mailoutbox) == ["outsider_member@example.kr"]
    assert "Access granted" in mailoutbox[0].subject


def test_a_rejection_tells_the_requester(
    world, client_for, submit, set_route, mailoutbox, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    mailoutbox.clear()

    act(client_for("steward"), request, "reject", django_capture_on_commit_callbacks, reason="no")

    assert recipients(mailoutbox) == ["outsider_member@example.kr"]
    assert "데이터 공유 거절 / Request rejected" in mailoutbox[0].subject


def test_a_rejection_by_the_policy_check_tells_the_requester(world, submit, set_route, mailoutbox):
    set_route(ApprovalRoute.PUBLISHER, max_period_days=10)

    request = submit()

    request.refresh_from_db()
    assert request.state == S.REJECTED
    assert recipients(mailoutbox) == ["outsider_member@example.kr"]


def test_a_revocation_tells_the_requester(
    world, client_for, submit, set_route, mailoutbox, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    mailoutbox.clear()

    act(client_for("steward"), request, "revoke", django_capture_on_commit_callbacks, reason="x")

    assert recipients(mailoutbox) == ["outsider_member@example.kr"]
    assert "데이터 접근 회수 / Access revoked" in mailoutbox[0].subject


def test_an_expiry_tells_the_requester(
    world, submit, set_route, mailoutbox, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    mailoutbox.clear()
    now = timezone.now()
    Grant.objects.filter(agreement__sharing_request=request).update(
        valid_from=now - timedelta(days=3), valid_until=now - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        agreements.grants_expire()

    assert recipients(mailoutbox) == ["outsider_member@example.kr"]
    assert "데이터 접근 만료 / Access expired" in mailoutbox[0].subject


def test_a_withdrawal_tells_nobody(
    world, client_for, submit, set_route, mailoutbox, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    mailoutbox.clear()

    response = act(
        client_for("outsider_member"), request, "withdraw", django_capture_on_commit_callbacks
    )

    assert response.json()["state"] == S.WITHDRAWN
    assert mailoutbox == []


def test_every_email_row_ends_delivered(
    world, client_for, submit, set_route, mailoutbox, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)
    act(client_for("division_lead"), request, "approve", django_capture_on_commit_callbacks)

    rows = list(EmailNotification.objects.order_by("id"))
    assert [(row.event, row.recipient) for row in rows] == [
        ("sharing_request.awaiting_publisher", "steward@example.kr"),
        ("sharing_request.awaiting_division_lead", "lead@example.kr"),
        ("sharing_request.active", "outsider_member@example.kr"),
    ]
    for row in rows:
        assert row.status == DeliveryStatus.DELIVERED
        assert row.attempts == 1
        assert row.sent_at is not None
        assert row.last_error == ""
        assert row.object_id == str(request.pk)
    assert len(mailoutbox) == 3


def test_rows_are_written_with_the_transition_but_sent_only_after_commit(
    world, client_for, submit, set_route, mailoutbox, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client_for("steward").post(
            reverse("sharing-request-approve", kwargs={"pk": request.pk}), {}
        )

    row = EmailNotification.objects.get(event="sharing_request.active")
    assert row.status == DeliveryStatus.PENDING
    assert mailoutbox == []
    assert callbacks  # the send is queued for after the commit


# --- sending once -----------------------------------------------------------------------------


def _queued(recipient="someone@example.kr"):
    [row] = notifications.email_queue(
        recipients=[recipient], subject="제목 / Subject", body="본문", event="test.event"
    )
    return row


def test_email_send_twice_sends_once(world, mailoutbox):
    row = _queued()

    first = notifications.email_send(notification_id=row.pk)
    second = notifications.email_send(notification_id=row.pk)

    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["someone@example.kr"]
    assert mailoutbox[0].subject == "제목 / Subject"
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED
    assert row.attempts == 1


def test_the_task_twice_sends_once(world, mailoutbox):
    row = _queued()

    assert tasks.send_email.apply(args=(row.pk,)).get() is True
    assert tasks.send_email.apply(args=(row.pk,)).get() is False

    assert len(mailoutbox) == 1


def test_an_email_being_sent_by_another_worker_is_skipped(world, mailoutbox):
    row = _queued()
    EmailNotification.objects.filter(pk=row.pk).update(status=DeliveryStatus.SENDING)

    assert notifications.email_send(notification_id=row.pk) is False
    assert mailoutbox == []


def test_one_row_per_distinct_recipient(world):
    rows = notifications.email_queue(
        recipients=["b@example.kr", "a@example.kr", "b@example.kr"],
        subject="s",
        body="b",
        event="test.event",
    )

    assert [row.recipient for row in rows] == ["a@example.kr", "b@example.kr"]
    assert notifications.email_queue(recipients=[], subject="s", body="b", event="e") == []


def test_a_failed_send_goes_back_to_pending_with_the_error(world, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.registry.test_notifications.FailingBackend"
    row = _queued()

    with pytest.raises(TransientDeliveryError, match="refused"):
        notifications.email_send(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING
    assert row.attempts == 1
    assert "refused the connection" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.email_send(notification_id=row.pk) is True
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DELIVERED, 2, "")


def test_the_task_retries_a_failed_send(world, settings, eager_retries):
    settings.EMAIL_BACKEND = "tests.registry.test_notifications.FailingBackend"
    row = _queued()

    # The last retry gives up quietly (the row says why) instead of raising.
    assert tasks.send_email.apply(args=(row.pk,)).get() is False

    row.refresh_from_db()
    assert row.attempts == (tasks.send_email.max_retries or 0) + 1


def test_a_transient_failure_is_retried_until_sent(world, settings, mailoutbox, eager_retries):
    settings.EMAIL_BACKEND = "tests.registry.test_notifications.FlakyBackend"
    FlakyBackend.calls = 0
    row = _queued()

    assert tasks.send_email.apply(args=(row.pk,)).get() is True

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.DELIVERED, 2, "")
    assert len(mailoutbox) == 1


def test_an_email_that_can_never_be_sent_ends_failed(world, settings, eager_retries, mailoutbox):
    settings.EMAIL_BACKEND = "tests.registry.test_notifications.FailingBackend"
    row = _queued()

    assert tasks.send_email.apply(args=(row.pk,)).get() is False

    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == (tasks.send_email.max_retries or 0) + 1
    assert "refused the connection" in row.last_error
    assert row.sent_at is None
    # Failed for good: another run does not take it up again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.email_send(notification_id=row.pk) is False
    assert mailoutbox == []


def test_the_last_attempt_marks_the_row_failed(world, settings):
    settings.EMAIL_BACKEND = "tests.registry.test_notifications.FailingBackend"
    row = _queued()

    assert notifications.email_send(notification_id=row.pk, final_attempt=True) is False

    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert "refused the connection" in row.last_error


def test_stuck_emails_are_queued_again(world, mailoutbox):
    """Rows a lost task or a killed worker left pending or `sending` for long are sent by the
    periodic requeue; fresh, delivered and failed rows are left alone."""
    _queued("pending@example.kr")
    sending = _queued("sending@example.kr")
    failed = _queued("failed@example.kr")
    delivered = _queued("delivered@example.kr")
    fresh = _queued("fresh@example.kr")
    EmailNotification.objects.filter(pk=sending.pk).update(
        status=DeliveryStatus.SENDING, attempts=1
    )
    EmailNotification.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED)
    EmailNotification.objects.filter(pk=delivered.pk).update(status=DeliveryStatus.DELIVERED)
    EmailNotification.objects.exclude(pk=fresh.pk).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )

    assert tasks.requeue_stuck_notifications.delay().get() == 2

    assert recipients(mailoutbox) == ["pending@example.kr", "sending@example.kr"]
    statuses = dict(EmailNotification.objects.values_list("recipient", "status"))
    assert statuses == {
        "pending@example.kr": DeliveryStatus.DELIVERED,
        "sending@example.kr": DeliveryStatus.DELIVERED,
        "failed@example.kr": DeliveryStatus.FAILED,
        "delivered@example.kr": DeliveryStatus.DELIVERED,
        "fresh@example.kr": DeliveryStatus.PENDING,
    }
    assert EmailNotification.objects.get(pk=sending.pk).attempts == 2
    assert tasks.requeue_stuck_notifications.delay().get() == 0
    assert len(mailoutbox) == 2


# --- links: each email opens the page its recipient acts on ------------------------------------


def _opens_for_its_recipient(world, message, expected_name, request):
    """The email's link is the console page `expected_name` of `request`, and it opens (200)
    for the person it was sent to."""
    from django.test import Client

    link = message.body.rstrip().splitlines()[-1]
    path = reverse(expected_name, kwargs={"pk": request.pk})
    assert link.endswith(path), (message.subject, link)
    [user] = [u for u in world.users.values() if u.email == message.to[0]]
    client = Client()
    client.force_login(user)
    assert client.get(path).status_code == 200, (message.subject, message.to)


def test_every_email_links_to_the_page_its_recipient_acts_on(
    world,
    client_for,
    submit,
    set_route,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    from registry.services import reminders

    settings.PUBLIC_BASE_URL = "https://registry.example.kr"
    approver, requester = "console:inbox-item", "console:sharing-request"
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    seen: set[str] = set()

    def check(request, expected_name, event):
        [message] = [m for m in mailoutbox if str(request.pk) in m.body and event in m.subject]
        assert message.body.rstrip().splitlines()[-1].startswith("https://registry.example.kr/")
        _opens_for_its_recipient(world, message, expected_name, request)
        seen.add(event)

    # To the publisher's steward, then the division lead; the grant to the requester.
    first = submit()
    check(first, approver, "Approval needed")
    act(client_for("steward"), first, "approve", django_capture_on_commit_callbacks)
    check(first, approver, "Division lead approval")
    act(client_for("division_lead"), first, "approve", django_capture_on_commit_callbacks)
    check(first, requester, "Access granted")
    # A grant about to end.
    grant = Grant.objects.get(agreement__sharing_request=first)
    Grant.objects.filter(pk=grant.pk).update(valid_until=timezone.now() + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        reminders.grants_remind_expiring()
    check(first, requester, "Access expires soon")

    # Returned for changes, then rejected: both to the requester.
    second = submit()
    act(
        client_for("steward"),
        second,
        "return",
        django_capture_on_commit_callbacks,
        comment="name the plant",
    )
    check(second, requester, "Changes requested")
    act(client_for("outsider_member"), second, "withdraw", django_capture_on_commit_callbacks)
    third = submit()
    act(client_for("steward"), third, "reject", django_capture_on_commit_callbacks, reason="no")
    check(third, requester, "Request rejected")

    # Waiting too long: a reminder to the steward, the escalation to the lead.
    fourth = submit()
    SharingRequest.objects.filter(pk=fourth.pk).update(
        modified_at=timezone.now() - timedelta(days=settings.APPROVAL_ESCALATION_DAYS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminders.approvals_remind()
    check(fourth, approver, "Waiting for your decision")
    check(fourth, approver, "Approval overdue")

    assert len(seen) == 8
