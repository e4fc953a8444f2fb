"""Signed webhooks to organisations: endpoints, the deliveries queued for them, and sending.

A delivery is a row written in the same transaction as the change it reports; a task is queued
after commit and claims the row with a conditional UPDATE, so a task run twice sends once. The
POST goes through common.outbound (the SSRF guard, no redirects followed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from common import jobs, outbound
from common.outbound import TransientDeliveryError
from common.services import model_update

from ..models import (
    DSP_STATE,
    DeliveryStatus,
    SharingRequest,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..models import SharingRequestState as S

SIGNATURE_HEADER = "X-MAX-Signature"


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


def sharing_request_payload(sharing_request: SharingRequest, event: str) -> dict[str, Any]:
    return {
        "event": event,
        "occurred_at": timezone.now().isoformat(),
        "sharing_request": {
            "id": str(sharing_request.pk),
            "state": sharing_request.state,
            "dsp_state": DSP_STATE[S(sharing_request.state)],
            "dataset": str(sharing_request.dataset_id),
            "requester": sharing_request.requester.slug,
            "publisher": sharing_request.dataset.publisher.slug,
            "purpose": sharing_request.purpose,
            "decision_reasons": list(sharing_request.decision_reasons or []),
        },
    }


# --- sending ----------------------------------------------------------------------------------


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; the time defeats replays."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_deliver(*, delivery_id: str, final_attempt: bool = False, retry_in: float = 0) -> bool:
    """POST one delivery. Raises TransientDeliveryError for the task to retry with backoff
    (in `retry_in` seconds).

    Claimed like an email (notifications.email_send): a lease renewed during the POST, taken
    back from a dead worker only once it runs out, so one delivery is never POSTed twice at
    once; delivered at least once (a worker killed after the receiver answered POSTs it again,
    with the same X-MAX-Delivery id for the receiver to drop); failed for good after
    JOB_MAX_ATTEMPTS claims."""
    attempt = jobs.job_claim(
        WebhookDelivery,
        pk=delivery_id,
        waiting=DeliveryStatus.PENDING,
        working=DeliveryStatus.SENDING,
    )
    if attempt is None:
        return False
    if attempt > settings.JOB_MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery_id, attempts=attempt).update(
            status=DeliveryStatus.FAILED,
            lease_expires_at=None,
            last_error=f"Gave up after {attempt - 1} attempts that did not finish.",
        )
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
        # WEBHOOK_URL_VALIDATOR allows http(s) URLs only.
        renew = jobs.lease_renewer(
            WebhookDelivery, pk=delivery.pk, working=DeliveryStatus.SENDING, attempt=attempt
        )
        with jobs.lease_kept(renew):
            status_code = outbound.post(
                delivery.endpoint.url, body=body, headers=headers, timeout=10
            )
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
        WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
            status=DeliveryStatus.DELIVERED,
            last_status_code=status_code,
            last_error="",
            delivered_at=timezone.now(),
            lease_expires_at=None,
        )
        return True
    failed = not transient or final_attempt
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
        status=DeliveryStatus.FAILED if failed else DeliveryStatus.PENDING,
        last_status_code=status_code,
        last_error=error[:2000],
        lease_expires_at=None if failed else jobs.redeliver_at(delay=retry_in),
    )
    if not failed:
        raise TransientDeliveryError(error)
    return False


# --- endpoints --------------------------------------------------------------------------------


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
