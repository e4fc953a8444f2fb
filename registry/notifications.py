"""Emails to the people who must act, and signed webhooks to organisations.

A notification is a row written in the same transaction as the change it reports; a task is
queued after commit and claims the row with a conditional UPDATE, so a task run twice sends once.

Emails are written in Korean and English at once (`한국어 / English`), whoever's request caused
them: the recipient is not the caller, and their language is not known. Fixed texts are written
out in both languages here, not run through gettext; labels of codes (purpose, state) are taken
from the catalog in both languages (`_both`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from accounts.models import DivisionLead, Membership, MembershipRole, Organization
from common import jobs, outbound
from common.outbound import TransientDeliveryError
from common.services import model_update

from .models import (
    DSP_STATE,
    DeliveryStatus,
    EmailNotification,
    Purpose,
    SharingRequest,
    SharingRequestState,
    WebhookDelivery,
    WebhookEndpoint,
)

S = SharingRequestState
SIGNATURE_HEADER = "X-MAX-Signature"


# --- who is told ------------------------------------------------------------------------------


def _steward_emails(organization_id: int) -> list[str]:
    return list(
        Membership.objects.filter(
            organization_id=organization_id,
            role=MembershipRole.DATA_STEWARD,
            user__is_active=True,
        ).values_list("user__email", flat=True)
    )


def _lead_emails(division_id: int) -> list[str]:
    return list(
        DivisionLead.objects.filter(division_id=division_id, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )


def _recipients(request: SharingRequest, state: str) -> list[str]:
    dataset = request.dataset
    if state == S.AWAITING_PUBLISHER:
        return _steward_emails(dataset.publisher_id)
    if state == S.AWAITING_DIVISION_LEAD:
        return _lead_emails(dataset.division_id)
    if state in (S.ACTIVE, S.REJECTED, S.REVOKED, S.EXPIRED):
        return [request.requested_by.email]
    return []


def _subject(request: SharingRequest, event: str) -> str:
    title = request.dataset.title_ko or request.dataset.title_en
    labels = {
        "sharing_request.awaiting_publisher": "승인 요청 / Approval needed",
        "sharing_request.awaiting_division_lead": "분과장 승인 요청 / Division lead approval",
        "sharing_request.active": "데이터 공유 승인 / Access granted",
        "sharing_request.rejected": "데이터 공유 거절 / Request rejected",
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


def _body(request: SharingRequest, event: str, extra: str = "") -> str:
    base = getattr(settings, "PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    requester = request.requester
    names = " / ".join(dict.fromkeys(n for n in (requester.name_ko, requester.name_en) if n))
    return (
        f"{_subject(request, event)}\n\n"
        f"요청 / Request: {request.pk}\n"
        f"데이터셋 / Dataset: {request.dataset.title_ko} / {request.dataset.title_en}\n"
        f"요청 기관 / Requester: {names}\n"
        f"목적 / Purpose: {_both(Purpose.choices, request.purpose)}\n"
        f"기간 / Period: {request.period_days}일 / {request.period_days} days\n"
        f"상태 / State: {_both(S.choices, request.state)}\n{extra}\n"
        f"{base}/api/v1/sharing-requests/{request.pk}/\n"
    )


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


def webhook_queue(*, organization_ids: Iterable[int], event: str, payload: dict[str, Any]) -> int:
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id__in=set(organization_ids), is_active=True
        )
        if endpoint.wants(event)
    ]
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event=event, payload=payload) for endpoint in endpoints
    )
    if rows:
        ids = [str(row.pk) for row in rows]
        for pk in ids:
            jobs.enqueue_on_commit("registry.deliver_webhook", pk)
    return len(rows)


def sharing_request_payload(request: SharingRequest, event: str) -> dict[str, Any]:
    return {
        "event": event,
        "occurred_at": timezone.now().isoformat(),
        "sharing_request": {
            "id": str(request.pk),
            "state": request.state,
            "dsp_state": DSP_STATE[S(request.state)],
            "dataset": str(request.dataset_id),
            "requester": request.requester.slug,
            "publisher": request.dataset.publisher.slug,
            "purpose": request.purpose,
        },
    }


def sharing_request_notify(request: SharingRequest, state: str) -> None:
    """Called by every transition, inside its transaction."""
    event = f"sharing_request.{state}"
    recipients = _recipients(request, state)
    if recipients:
        email_queue(
            recipients=recipients,
            subject=_subject(request, event),
            body=_body(request, event),
            event=event,
            object_id=str(request.pk),
        )
    webhook_queue(
        organization_ids=[request.requester_id, request.dataset.publisher_id],
        event=event,
        payload=sharing_request_payload(request, event),
    )


# --- sending ----------------------------------------------------------------------------------


def email_send(*, notification_id: int, final_attempt: bool = False) -> bool:
    """Send one queued email; False when another run already took it or it finally failed."""
    claimed = EmailNotification.objects.filter(
        pk=notification_id, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = EmailNotification.objects.get(pk=notification_id)
    try:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient],
        )
    except Exception as exc:  # SMTP errors are many; all of them mean "try again later"
        EmailNotification.objects.filter(pk=notification_id).update(
            status=DeliveryStatus.FAILED if final_attempt else DeliveryStatus.PENDING,
            last_error=str(exc)[:2000],
        )
        if final_attempt:
            return False
        raise TransientDeliveryError(str(exc)) from exc
    EmailNotification.objects.filter(pk=notification_id).update(
        status=DeliveryStatus.DELIVERED, sent_at=timezone.now(), last_error=""
    )
    return True


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; the time defeats replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_deliver(*, delivery_id: str, final_attempt: bool = False) -> bool:
    """POST one delivery. Raises TransientDeliveryError for the task to retry with backoff."""
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "max-registry-webhooks/1",
        "X-MAX-Event": delivery.event,
        "X-MAX-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: webhook_signature(delivery.endpoint.secret, timestamp, body),
    }
    status_code: int | None = None
    try:
        # The endpoint's URL validator allows http(s) only.
        status_code = outbound.post(delivery.endpoint.url, body=body, headers=headers, timeout=10)
    except urllib.error.HTTPError as exc:
        status_code = exc.code
        error = f"HTTP {exc.code}"
        if 300 <= exc.code < 400:
            error += " (redirects are not followed)"
        transient = exc.code >= 500 or exc.code == 429
    except ValueError as exc:  # refused destination: retrying will not help
        error, transient = str(exc), False
    except (OSError, TransientDeliveryError) as exc:
        error, transient = str(exc), True
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED,
            last_status_code=status_code,
            last_error="",
            delivered_at=timezone.now(),
        )
        return True
    failed = not transient or final_attempt
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
        last_status_code=status_code,
        last_error=error[:2000],
    )
    if not failed:
        raise TransientDeliveryError(error)
    return False


@transaction.atomic
def webhook_create(*, organization: Organization, url: str, events: list[str]) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        organization=organization, url=url, events=events, secret=webhook_secret_new()
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_update(*, endpoint: WebhookEndpoint, **fields: Any) -> WebhookEndpoint:
    model_update(instance=endpoint, data=fields)
    return endpoint


@transaction.atomic
def webhook_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="ping",
        payload={
            "event": "ping",
            "occurred_at": timezone.now().isoformat(),
            "organization": endpoint.organization.slug,
        },
    )
    jobs.enqueue_on_commit("registry.deliver_webhook", str(delivery.pk))
    return delivery


def notifications_requeue_stuck(*, older_than: timedelta = timedelta(minutes=15)) -> int:
    """Queue again what a lost task or a killed worker left behind: rows still pending, or
    stuck in `sending`, long after they were made. Safe to run twice (the send claims)."""
    cutoff = timezone.now() - older_than
    unfinished = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    emails = list(
        EmailNotification.objects.filter(status__in=unfinished, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    EmailNotification.objects.filter(pk__in=emails).update(status=DeliveryStatus.PENDING)
    for email_id in emails:
        jobs.enqueue("registry.send_email", email_id)
    deliveries = list(
        WebhookDelivery.objects.filter(status__in=unfinished, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    WebhookDelivery.objects.filter(pk__in=deliveries).update(status=DeliveryStatus.PENDING)
    for delivery_id in deliveries:
        jobs.enqueue("registry.deliver_webhook", str(delivery_id))
    return len(emails) + len(deliveries)
