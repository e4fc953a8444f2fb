"""The periodic sweep: expiry notices, approval reminders and escalation, grant expiry.

Time is moved by rewriting timestamps with querysets (`modified_at` is auto_now, so only
`.update()` can set it).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from config.celery import app as celery_app
from registry import tasks
from registry.models import ApprovalRoute, EmailNotification, Grant, SharingRequest, WebhookDelivery
from registry.models import SharingRequestState as S
from registry.services import agreements, reminders, webhooks
from tests.common.problems import assert_problem
from tests.sharing import act

pytestmark = pytest.mark.django_db


def recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


def days_ago(days, *, minutes=1):
    return timezone.now() - timedelta(days=days, minutes=minutes)


def set_window(grant, *, ends_in):
    now = timezone.now()
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=now - timedelta(days=30), valid_until=now + ends_in
    )


def waiting_since(request, when):
    SharingRequest.objects.filter(pk=request.pk).update(modified_at=when)


@pytest.fixture
def active_grant(world, submit, set_route, mailoutbox):
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    mailoutbox.clear()
    return Grant.objects.get(agreement__sharing_request=request)


@pytest.fixture
def waiting(world, submit, set_route, mailoutbox):
    """A request waiting for acme's stewards."""
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    assert request.state == S.AWAITING_PUBLISHER
    mailoutbox.clear()
    return request


# --- expiry notices ---------------------------------------------------------------------------


def test_a_grant_ending_soon_is_announced_once_to_the_requester(
    world, active_grant, mailoutbox, django_capture_on_commit_callbacks
):
    set_window(active_grant, ends_in=timedelta(days=settings.GRANT_EXPIRY_NOTICE_DAYS - 1))

    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.grants_remind_expiring()
    with django_capture_on_commit_callbacks(execute=True):
        second = reminders.grants_remind_expiring()

    assert (first, second) == (1, 0)
    assert recipients(mailoutbox) == ["outsider_member@example.kr"]
    message = mailoutbox[0]
    assert "접근 만료 예정 / Access expires soon" in message.subject
    active_grant.refresh_from_db()
    assert active_grant.valid_until.isoformat() in message.body
    assert active_grant.expiry_notice_sent_at is not None
    row = EmailNotification.objects.get(event="grant.expiring")
    assert row.object_id == str(active_grant.pk)
    assert row.status == "delivered"


@pytest.mark.parametrize(
    "ends_in",
    [
        timedelta(days=settings.GRANT_EXPIRY_NOTICE_DAYS, minutes=1),  # not yet
        timedelta(minutes=-1),  # already over: expiry's business, not a notice
    ],
)
def test_grants_outside_the_notice_window_are_left_alone(
    world, active_grant, mailoutbox, django_capture_on_commit_callbacks, ends_in
):
    set_window(active_grant, ends_in=ends_in)

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.grants_remind_expiring() == 0

    assert mailoutbox == []


def test_a_revoked_grant_gets_no_notice(
    world, client_for, active_grant, mailoutbox, django_capture_on_commit_callbacks
):
    request = active_grant.agreement.sharing_request
    act(client_for("steward"), request, "revoke", django_capture_on_commit_callbacks, reason="x")
    mailoutbox.clear()
    set_window(active_grant, ends_in=timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.grants_remind_expiring() == 0

    assert mailoutbox == []


def test_a_notice_is_judged_against_the_given_now(world, active_grant):
    set_window(active_grant, ends_in=timedelta(days=60))
    later = timezone.now() + timedelta(days=50)

    assert reminders.grants_remind_expiring(now=later) == 1
    assert reminders.grants_remind_expiring(now=later) == 0


def test_the_notice_goes_to_the_requesters_webhooks_only(world, active_grant):
    mine = webhooks.webhook_create(
        organization=world.other, url="https://hooks.other.example/in", events=[]
    )
    webhooks.webhook_create(organization=world.acme, url="https://hooks.acme.example/in", events=[])
    set_window(active_grant, ends_in=timedelta(days=2))

    reminders.grants_remind_expiring()  # no on_commit capture: rows only, nothing is sent

    [delivery] = WebhookDelivery.objects.filter(event="grant.expiring")
    assert delivery.endpoint_id == mine.pk
    assert delivery.payload["grant"]["id"] == str(active_grant.pk)
    assert delivery.payload["sharing_request"]["state"] == "active"


# --- approval reminders -----------------------------------------------------------------------


def test_a_fresh_request_gets_no_reminder(
    world, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    waiting_since(waiting, days_ago(settings.APPROVAL_REMINDER_DAYS, minutes=-5))

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.approvals_remind() == {"reminded": 0, "escalated": 0}

    assert mailoutbox == []


def test_a_waiting_request_reminds_the_stewards_once(
    world, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    waiting_since(waiting, days_ago(settings.APPROVAL_REMINDER_DAYS))

    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.approvals_remind()
    with django_capture_on_commit_callbacks(execute=True):
        second = reminders.approvals_remind()

    assert first == {"reminded": 1, "escalated": 0}
    assert second == {"reminded": 0, "escalated": 0}
    assert recipients(mailoutbox) == ["steward@example.kr"]
    assert "승인 대기 알림 / Waiting for your decision" in mailoutbox[0].subject
    waiting.refresh_from_db()
    assert waiting.reminded_at is not None
    assert waiting.escalated_at is None
    assert waiting.state == S.AWAITING_PUBLISHER


def test_a_long_wait_escalates_to_the_division_lead(
    world, client_for, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    lead = client_for("division_lead")
    detail = reverse("sharing-request-detail", kwargs={"pk": waiting.pk})
    assert_problem(lead.get(detail), 404, "not_found")
    waiting_since(waiting, days_ago(settings.APPROVAL_ESCALATION_DAYS))

    with django_capture_on_commit_callbacks(execute=True):
        first = reminders.approvals_remind()
    with django_capture_on_commit_callbacks(execute=True):
        second = reminders.approvals_remind()

    assert first == {"reminded": 1, "escalated": 1}
    assert second == {"reminded": 0, "escalated": 0}
    by_subject = {message.subject: message.to for message in mailoutbox}
    assert len(mailoutbox) == 2
    [escalation] = [s for s in by_subject if "승인 지연 보고 / Approval overdue" in s]
    assert by_subject[escalation] == ["lead@example.kr"]
    [reminder] = [s for s in by_subject if "Waiting for your decision" in s]
    assert by_subject[reminder] == ["steward@example.kr"]

    response = lead.get(detail)
    assert response.status_code == 200
    assert response.json()["state"] == "awaiting_publisher"
    assert [r["id"] for r in lead.get(reverse("sharing-request-list")).json()["results"]] == [
        str(waiting.pk)
    ]
    waiting.refresh_from_db()
    assert waiting.escalated_at is not None
    assert waiting.routed_to_division_lead_at == waiting.escalated_at
    [event] = AuditEvent.objects.filter(action="sharing_request.escalated")
    assert event.object_id == str(waiting.pk)
    assert event.actor_id is None


def test_escalation_is_judged_against_the_given_now(world, waiting):
    later = timezone.now() + timedelta(days=settings.APPROVAL_ESCALATION_DAYS, minutes=1)

    assert reminders.approvals_remind(now=later) == {"reminded": 1, "escalated": 1}
    assert reminders.approvals_remind(now=later) == {"reminded": 0, "escalated": 0}


def test_a_decided_request_gets_no_reminder(
    world, client_for, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    act(client_for("steward"), waiting, "reject", django_capture_on_commit_callbacks, reason="no")
    waiting_since(waiting, days_ago(30))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.approvals_remind() == {"reminded": 0, "escalated": 0}

    assert mailoutbox == []


def test_each_approval_step_gets_its_own_reminder(
    world, client_for, submit, set_route, mailoutbox, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    waiting_since(request, days_ago(settings.APPROVAL_REMINDER_DAYS))
    with django_capture_on_commit_callbacks(execute=True):
        reminders.approvals_remind()
    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)
    waiting_since(request, days_ago(settings.APPROVAL_REMINDER_DAYS))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = reminders.approvals_remind()

    assert result == {"reminded": 1, "escalated": 0}  # the lead's step is never escalated
    assert recipients(mailoutbox) == ["lead@example.kr"]
    assert "Waiting for your decision" in mailoutbox[0].subject


# --- expiry -----------------------------------------------------------------------------------


def test_grants_expire_ends_requests_whose_window_passed(
    world, active_grant, mailoutbox, django_capture_on_commit_callbacks
):
    set_window(active_grant, ends_in=timedelta(minutes=-1))

    with django_capture_on_commit_callbacks(execute=True):
        first = agreements.grants_expire()
    second = agreements.grants_expire()

    assert (first, second) == (1, 0)
    request = active_grant.agreement.sharing_request
    request.refresh_from_db()
    assert request.state == S.EXPIRED
    assert [e.to_state for e in request.events.order_by("id")][-1] == "expired"
    assert recipients(mailoutbox) == ["outsider_member@example.kr"]


def test_grants_expire_leaves_running_grants(world, active_grant):
    assert agreements.grants_expire() == 0

    active_grant.agreement.sharing_request.refresh_from_db()
    assert active_grant.agreement.sharing_request.state == S.ACTIVE


# --- the Celery wrappers and the schedule -----------------------------------------------------


def test_expire_grants_task_returns_its_count(world, active_grant):
    set_window(active_grant, ends_in=timedelta(minutes=-1))

    assert tasks.expire_grants.delay().get() == 1
    assert tasks.expire_grants.delay().get() == 0


def test_remind_expiring_grants_task_returns_its_count(world, active_grant):
    set_window(active_grant, ends_in=timedelta(days=1))

    assert tasks.remind_expiring_grants.delay().get() == 1
    assert tasks.remind_expiring_grants.delay().get() == 0


def test_remind_approvers_task_returns_its_counts(world, waiting):
    waiting_since(waiting, days_ago(settings.APPROVAL_ESCALATION_DAYS))

    assert tasks.remind_approvers.delay().get() == {"reminded": 1, "escalated": 1}
    assert tasks.remind_approvers.delay().get() == {"reminded": 0, "escalated": 0}


def test_check_sharing_request_task_is_a_no_op_once_checked(world, waiting):
    assert tasks.check_sharing_request.delay(str(waiting.pk)).get() == "awaiting_publisher"

    waiting.refresh_from_db()
    assert waiting.state == S.AWAITING_PUBLISHER
    assert waiting.events.count() == 2


@pytest.mark.parametrize(
    "name",
    [
        "registry.expire_grants",
        "registry.start_grants",
        "registry.remind_expiring_grants",
        "registry.remind_approvers",
        "registry.requeue_stuck_notifications",
    ],
)
def test_the_beat_schedule_runs_the_sweep(name):
    entries = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert name in entries
    assert name in celery_app.tasks
    schedule = entries[name]["schedule"]
    assert isinstance(schedule, timedelta)
    assert schedule <= timedelta(hours=1)
    task = celery_app.tasks[name]
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert task.time_limit is not None
    assert task.soft_time_limit is not None
    assert task.soft_time_limit < task.time_limit < visibility
