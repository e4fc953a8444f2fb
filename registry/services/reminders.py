"""The periodic reminders: grants about to expire, and approvers who have not decided.

Each row is claimed with a conditional UPDATE before anyone is told, so two sweeps running at
the same time tell once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.chain import audit_append

from ..models import Grant, SharingRequest
from ..models import SharingRequestState as S
from .notifications import (
    division_lead_emails,
    email_body,
    email_queue,
    email_recipients,
    email_subject,
)
from .webhooks import sharing_request_payload, webhook_queue


def grants_remind_expiring(*, now: datetime | None = None) -> int:
    """Tell grantees, once per grant, that access ends within GRANT_EXPIRY_NOTICE_DAYS."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.GRANT_EXPIRY_NOTICE_DAYS)
    due = Grant.objects.filter(
        revoked_at__isnull=True,
        expiry_notice_sent_at__isnull=True,
        valid_until__gt=now,
        valid_until__lte=horizon,
        agreement__sharing_request__state=S.ACTIVE,
    ).values_list("pk", flat=True)
    sent = 0
    for grant_id in list(due):
        with transaction.atomic():
            # Claim first: a second sweep running at the same time skips this grant.
            if not Grant.objects.filter(pk=grant_id, expiry_notice_sent_at__isnull=True).update(
                expiry_notice_sent_at=now
            ):
                continue
            grant = Grant.objects.select_related(
                "agreement__sharing_request__dataset__publisher",
                "agreement__sharing_request__requester",
                "agreement__sharing_request__requested_by",
            ).get(pk=grant_id)
            sharing_request = grant.agreement.sharing_request
            event = "grant.expiring"
            email_queue(
                recipients=[sharing_request.requested_by.email],
                subject=email_subject(sharing_request, event),
                body=email_body(
                    sharing_request, event, f"만료 / Expires: {grant.valid_until.isoformat()}"
                ),
                event=event,
                object_id=str(grant.pk),
            )
            webhook_queue(
                organization_ids=[sharing_request.requester_id],
                event=event,
                payload={
                    **sharing_request_payload(sharing_request, event),
                    "grant": {"id": str(grant.pk), "valid_until": grant.valid_until.isoformat()},
                },
            )
            sent += 1
    return sent


def approvals_remind(*, now: datetime | None = None) -> dict[str, int]:
    """Remind approvers of requests waiting APPROVAL_REMINDER_DAYS; after
    APPROVAL_ESCALATION_DAYS at the publisher, hand the request to the division lead too."""
    now = now or timezone.now()
    reminded = escalated = 0
    remind_before = now - timedelta(days=settings.APPROVAL_REMINDER_DAYS)
    waiting = SharingRequest.objects.filter(
        state__in=(S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD),
        modified_at__lte=remind_before,
        reminded_at__isnull=True,
    ).values_list("pk", flat=True)
    for pk in list(waiting):
        with transaction.atomic():
            if not SharingRequest.objects.filter(pk=pk, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            sharing_request = SharingRequest.objects.select_related(
                "dataset", "dataset__publisher", "requester", "requested_by"
            ).get(pk=pk)
            event = "sharing_request.reminder"
            email_queue(
                recipients=email_recipients(sharing_request, sharing_request.state),
                subject=email_subject(sharing_request, event),
                body=email_body(sharing_request, event),
                event=event,
                object_id=str(pk),
            )
            reminded += 1
    escalate_before = now - timedelta(days=settings.APPROVAL_ESCALATION_DAYS)
    overdue = SharingRequest.objects.filter(
        state=S.AWAITING_PUBLISHER, modified_at__lte=escalate_before, escalated_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(overdue):
        with transaction.atomic():
            if not SharingRequest.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=now, routed_to_division_lead_at=now
            ):
                continue
            sharing_request = SharingRequest.objects.select_related(
                "dataset", "dataset__publisher", "requester", "requested_by"
            ).get(pk=pk)
            event = "sharing_request.escalated"
            email_queue(
                recipients=division_lead_emails(sharing_request.dataset.division_id),
                subject=email_subject(sharing_request, event),
                body=email_body(sharing_request, event),
                event=event,
                object_id=str(pk),
            )
            audit_append(
                actor=None,
                action="sharing_request.escalated",
                object_type="sharing_request",
                object_id=pk,
                organization_ids=[sharing_request.requester_id],
                steward_organization_ids=[sharing_request.dataset.publisher_id],
                data={"waiting_since": sharing_request.modified_at.isoformat()},
            )
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}
