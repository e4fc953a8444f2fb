"""Emails to the people who must act, and what every sharing-request move tells whom.

A notification is a row written in the same transaction as the change it reports; a task is
queued after commit and claims the row with a conditional UPDATE, so a task run twice sends once.
Webhooks are in `webhooks`; this module queues them for each move.

Emails are written in Korean and English at once (`한국어 / English`), whoever's request caused
them: the recipient is not the caller, and their language is not known. Fixed texts are written
out in both languages here, not run through gettext; labels of codes (purpose, state) are taken
from the catalog in both languages (`_both`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import DivisionLead, Membership, MembershipRole
from common import jobs
from common.outbound import TransientDeliveryError
from common.urls import absolute_url

from ..models import (
    DeliveryStatus,
    EmailNotification,
    Purpose,
    SharingRequest,
    WebhookDelivery,
)
from ..models import SharingRequestState as S
from .webhooks import sharing_request_payload, webhook_queue

# --- who is told ------------------------------------------------------------------------------


def _steward_emails(organization_id: int) -> list[str]:
    return list(
        Membership.objects.filter(
            organization_id=organization_id,
            role=MembershipRole.DATA_STEWARD,
            user__is_active=True,
        ).values_list("user__email", flat=True)
    )


def division_lead_emails(division_id: int) -> list[str]:
    return list(
        DivisionLead.objects.filter(division_id=division_id, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )


def email_recipients(sharing_request: SharingRequest, state: str) -> list[str]:
    """Who must act on, or hear of, a request in `state`."""
    dataset = sharing_request.dataset
    if state == S.AWAITING_PUBLISHER:
        return _steward_emails(dataset.publisher_id)
    if state == S.AWAITING_DIVISION_LEAD:
        return division_lead_emails(dataset.division_id)
    if state in (S.ACTIVE, S.REJECTED, S.RETURNED, S.REVOKED, S.EXPIRED):
        return [sharing_request.requested_by.email]
    return []


# --- what they are told -----------------------------------------------------------------------


def email_subject(sharing_request: SharingRequest, event: str) -> str:
    title = sharing_request.dataset.title_ko or sharing_request.dataset.title_en
    labels = {
        "sharing_request.awaiting_publisher": "승인 요청 / Approval needed",
        "sharing_request.awaiting_division_lead": "분과장 승인 요청 / Division lead approval",
        "sharing_request.active": "데이터 공유 승인 / Access granted",
        "sharing_request.rejected": "데이터 공유 거절 / Request rejected",
        "sharing_request.returned": "요청 보완 요청 / Changes requested",
        "sharing_request.revoked": "데이터 접근 회수 / Access revoked",
        "sharing_request.expired": "데이터 접근 만료 / Access expired",
        "sharing_request.reminder": "승인 대기 알림 / Waiting for your decision",
        "sharing_request.escalated": "승인 지연 보고 / Approval overdue",
        "grant.expiring": "접근 만료 예정 / Access expires soon",
    }
    return f"[M.AX] {labels.get(event, event)}: {title}"


def _both(choices: Any, code: str) -> str:
    """The label of `code` in Korean and English ("AI 모델 학습 / AI model training"), whatever
    language is active; the code itself when it has no label."""
    label = dict(choices).get(code)
    if label is None:
        return code
    with translation.override("ko"):
        korean = str(label)
    with translation.override("en"):
        english = str(label)
    return korean if korean == english else f"{korean} / {english}"


# Emails that ask an approver to decide: they open the decision page of the approver's inbox.
# Every other email goes to the requester and opens their request's page.
APPROVER_EVENTS = frozenset(
    {
        "sharing_request.awaiting_publisher",
        "sharing_request.awaiting_division_lead",
        "sharing_request.reminder",
        "sharing_request.escalated",
    }
)


def sharing_request_link(sharing_request: SharingRequest, event: str) -> str:
    """The page an email's recipient acts on, in the web console: an approver's decision page
    (`/inbox/<id>/`) or the requester's request page (`/sharing-requests/<id>/`). Reversed by
    name (the registry imports nothing of the console) and written by workers outside any
    request, so under PUBLIC_BASE_URL (`common.urls`)."""
    name = "console:inbox-item" if event in APPROVER_EVENTS else "console:sharing-request"
    return absolute_url(reverse(name, kwargs={"pk": sharing_request.pk}))


def email_body(sharing_request: SharingRequest, event: str, extra: str = "") -> str:
    requester = sharing_request.requester
    names = " / ".join(dict.fromkeys(n for n in (requester.name_ko, requester.name_en) if n))
    return (
        f"{email_subject(sharing_request, event)}\n\n"
        f"요청 / Request: {sharing_request.pk}\n"
        f"데이터셋 / Dataset: {sharing_request.dataset.title_ko} / "
        f"{sharing_request.dataset.title_en}\n"
        f"요청 기관 / Requester: {names}\n"
        f"목적 / Purpose: {_both(Purpose.choices, sharing_request.purpose)}\n"
        f"기간 / Period: {sharing_request.period_days}일 / {sharing_request.period_days} days\n"
        f"상태 / State: {_both(S.choices, sharing_request.state)}\n{extra}\n"
        f"{sharing_request_link(sharing_request, event)}\n"
    )


def _reasons_text(sharing_request: SharingRequest, state: str) -> str:
    """Why a request was refused or ended, for the requester's email: the decision reasons
    as stored (a person's words as written, the registry's in English). A returned request:
    the approver's comment, what to change before resubmitting."""
    if not sharing_request.decision_reasons:
        return ""
    if state == S.RETURNED:
        comment = sharing_request.decision_reasons[-1].get("message", "")
        return f"보완할 점 / What to change:\n{comment}\n"
    if state not in (S.REJECTED, S.REVOKED):
        return ""
    lines = [f"- {reason.get('message', '')}" for reason in sharing_request.decision_reasons]
    return "사유 / Reasons:\n" + "\n".join(lines) + "\n"


# --- queueing ---------------------------------------------------------------------------------


def email_queue(
    *, recipients: Iterable[str], subject: str, body: str, event: str, object_id: str = ""
) -> list[EmailNotification]:
    rows = EmailNotification.objects.bulk_create(
        EmailNotification(
            recipient=recipient, subject=subject, body=body, event=event, object_id=object_id
        )
        for recipient in sorted(set(recipients))
    )
    if rows:
        ids = [row.pk for row in rows]
        for pk in ids:
            jobs.enqueue_on_commit("registry.send_email", pk)
    return rows


def sharing_request_notify(*, sharing_request: SharingRequest, state: str) -> None:
    """Called by every transition, inside its transaction."""
    event = f"sharing_request.{state}"
    recipients = email_recipients(sharing_request, state)
    if recipients:
        email_queue(
            recipients=recipients,
            subject=email_subject(sharing_request, event),
            body=email_body(sharing_request, event, _reasons_text(sharing_request, state)),
            event=event,
            object_id=str(sharing_request.pk),
        )
    webhook_queue(
        organization_ids=[sharing_request.requester_id, sharing_request.dataset.publisher_id],
        event=event,
        payload=sharing_request_payload(sharing_request, event),
    )


# --- sending ----------------------------------------------------------------------------------


def email_message_id(notification: EmailNotification) -> str:
    """The email's Message-ID, the same on every attempt: a copy sent again (a worker died
    between the mail server's answer and the row's update) is the same message, which mail
    systems and clients drop as a repeat. The creation time keeps it unique across databases
    that send from one domain."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<notification-{notification.pk}.{notification.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def email_message(notification: EmailNotification) -> EmailMessage:
    return EmailMessage(
        notification.subject,
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.recipient],
        headers={"Message-ID": email_message_id(notification)},
    )


def email_send(*, notification_id: int, final_attempt: bool = False, retry_in: float = 0) -> bool:
    """Send one queued email; False when another run already took it or it finally failed.

    The claim (pending → sending) holds a lease renewed while the email is handed to the mail
    server; a row left `sending` by a dead worker is taken back once its lease runs out, never
    before, so two workers never send it at once. A worker killed between the mail server's
    answer and the row's update sends it again once the lease runs out: email is delivered at
    least once, every copy with the same Message-ID (`email_message_id`). A row claimed
    JOB_MAX_ATTEMPTS times fails for good. `retry_in`: when the task retries after a failure.
    """
    attempt = jobs.job_claim(
        EmailNotification,
        pk=notification_id,
        waiting=DeliveryStatus.PENDING,
        working=DeliveryStatus.SENDING,
    )
    if attempt is None:
        return False
    if attempt > settings.JOB_MAX_ATTEMPTS:
        EmailNotification.objects.filter(pk=notification_id, attempts=attempt).update(
            status=DeliveryStatus.FAILED,
            lease_expires_at=None,
            last_error=f"Gave up after {attempt - 1} attempts that did not finish.",
        )
        return False
    notification = EmailNotification.objects.get(pk=notification_id)
    try:
        renew = jobs.lease_renewer(
            EmailNotification, pk=notification_id, working=DeliveryStatus.SENDING, attempt=attempt
        )
        with jobs.lease_kept(renew):
            email_message(notification).send()
    except Exception as exc:  # SMTP errors are many; all of them mean "try again later"
        EmailNotification.objects.filter(pk=notification_id, attempts=attempt).update(
            status=DeliveryStatus.FAILED if final_attempt else DeliveryStatus.PENDING,
            last_error=str(exc)[:2000],
            lease_expires_at=None if final_attempt else jobs.redeliver_at(delay=retry_in),
        )
        if final_attempt:
            return False
        raise TransientDeliveryError(str(exc)) from exc
    EmailNotification.objects.filter(pk=notification_id, attempts=attempt).update(
        status=DeliveryStatus.DELIVERED,
        sent_at=timezone.now(),
        last_error="",
        lease_expires_at=None,
    )
    return True


def notifications_requeue_stuck() -> int:
    """Queue again what a lost task or a killed worker left behind: rows `sending` whose lease
    ran out (a row still being sent keeps its lease, so it is never sent twice at once), and
    rows `pending` not taken within JOB_REDELIVER_AFTER_SECONDS of being queued. Safe to run
    twice (the send claims). Rows from before leases count from when they were made."""
    now = timezone.now()
    lease = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    redeliver = timedelta(seconds=settings.JOB_REDELIVER_AFTER_SECONDS)
    due = Q(status=DeliveryStatus.SENDING) & (
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, created_at__lt=now - lease)
    ) | Q(status=DeliveryStatus.PENDING) & (
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, created_at__lt=now - redeliver)
    )
    requeued: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "lease_expires_at": jobs.redeliver_at(now),
    }
    emails = jobs.requeue_due(EmailNotification.objects.filter(due), **requeued)
    deliveries = jobs.requeue_due(WebhookDelivery.objects.filter(due), **requeued)
    return jobs.publish_all("registry.send_email", emails) + jobs.publish_all(
        "registry.deliver_webhook", [str(pk) for pk in deliveries]
    )
