"""Agreements and grants: the agreement frozen at approval, the grant it gives, revocation, and
the sweeps that start timed releases and end expired grants."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from accounts.selectors import Actor
from audit.chain import audit_append, canonical_json
from common.errors import Conflict
from datasets.models import Dataset, DatasetVersion, VersionStatus

from ..models import Agreement, Grant, SharingRequest
from ..models import SharingRequestState as S
from ..permissions import can_decide_as_publisher, can_revoke
from .policies import policy_terms_dict
from .transitions import sharing_request_move


def grant_is_valid(grant: Grant, at: datetime | None = None) -> bool:
    at = at or timezone.now()
    return grant.revoked_at is None and grant.valid_from <= at < grant.valid_until


def _latest_version(dataset: Dataset) -> DatasetVersion | None:
    return (
        DatasetVersion.objects.filter(dataset=dataset, status=VersionStatus.PUBLISHED)
        .order_by("-published_at")
        .first()
    )


def _agreement_document(
    sharing_request: SharingRequest, version: DatasetVersion, start: datetime, end: datetime
) -> dict[str, Any]:
    dataset = sharing_request.dataset
    return {
        "sharing_request": str(sharing_request.pk),
        "assigner": {"id": dataset.publisher_id, "name": dataset.publisher.name_ko},
        "assignee": {"id": sharing_request.requester_id, "name": sharing_request.requester.name_ko},
        "target": {
            "dataset": str(dataset.pk),
            "dataset_title_ko": dataset.title_ko,
            "dataset_title_en": dataset.title_en,
            "version": str(version.pk),
            "version_string": version.version,
        },
        "purpose": sharing_request.purpose,
        "justification": sharing_request.justification,
        "policy": {
            "id": str(sharing_request.policy.pk),
            "revision": sharing_request.policy.revision,
            **policy_terms_dict(sharing_request.policy),
        },
        "accepted_obligations": list(sharing_request.accepted_obligations),
        "valid_from": start.isoformat(),
        "valid_until": end.isoformat(),
        "approval_route": sharing_request.approval_route,
    }


def agreement_activate(*, sharing_request: SharingRequest, actor: User | None) -> SharingRequest:
    """approved → agreement + grant; → active at once unless access starts later (timed
    release, then `grants_start` activates it). In the caller's transaction."""
    version = sharing_request.version or _latest_version(sharing_request.dataset)
    if version is None:
        raise Conflict(
            _("The dataset has no published version to share yet."), code="no_published_version"
        )
    now = timezone.now()
    start = max(sharing_request.start_at or now, now)
    end = start + timedelta(days=sharing_request.period_days)
    document = _agreement_document(sharing_request, version, start, end)
    digest = hashlib.sha256(canonical_json(document).encode()).hexdigest()
    agreement = Agreement.objects.create(
        sharing_request=sharing_request, document=document, digest=digest
    )
    grant = Grant.objects.create(
        agreement=agreement,
        organization_id=sharing_request.requester_id,
        version=version,
        valid_from=start,
        valid_until=end,
    )
    audit_append(
        actor=actor,
        action="agreement.created",
        object_type="agreement",
        object_id=agreement.pk,
        organization_ids=[sharing_request.requester_id],
        steward_organization_ids=[sharing_request.dataset.publisher_id],
        data={"digest": digest, "grant": str(grant.pk), "valid_until": end.isoformat()},
    )
    if start > now:
        return sharing_request
    return sharing_request_move(
        sharing_request=sharing_request, sources=(S.APPROVED,), target=S.ACTIVE, actor=actor
    )


@transaction.atomic
def grant_revoke(*, actor: Actor, sharing_request: SharingRequest, reason: str) -> SharingRequest:
    """End an approved or active request's grant now. The `reason` (required: the grantee reads
    it) is kept on the grant and recorded in `decision_reasons`."""
    if not can_revoke(actor, sharing_request):
        raise PermissionDenied(_("Only the publisher's stewards or the secretariat may revoke."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why: the grantee reads it.")]})
    by_publisher = can_decide_as_publisher(actor, sharing_request)
    now = timezone.now()
    Grant.objects.filter(
        agreement__sharing_request=sharing_request, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_by=actor.user, revocation_reason=reason)
    return sharing_request_move(
        sharing_request=sharing_request,
        sources=(S.APPROVED, S.ACTIVE),
        target=S.REVOKED,
        actor=actor.user,
        comment=reason,
        reason_code="revoked_by_publisher" if by_publisher else "revoked_by_secretariat",
    )


def _sweep(due: Any, *, source: str, target: str, comment: str) -> int:
    """Move every due request; one that moved meanwhile (e.g. revoked) is skipped."""
    count = 0
    for sharing_request in due.select_related("dataset"):
        try:
            sharing_request_move(
                sharing_request=sharing_request,
                sources=(source,),
                target=target,
                actor=None,
                comment=comment,
            )
            count += 1
        except Conflict:
            continue
    return count


@transaction.atomic
def grants_start(*, now: datetime | None = None) -> int:
    """Activate approved requests whose timed release has come. Safe to run twice."""
    due = SharingRequest.objects.filter(
        state=S.APPROVED, agreement__grant__valid_from__lte=now or timezone.now()
    )
    return _sweep(
        due,
        source=S.APPROVED,
        target=S.ACTIVE,
        comment=gettext_noop("The agreed access period began."),
    )


@transaction.atomic
def grants_expire(*, now: datetime | None = None) -> int:
    """End every active request whose grant's window has passed. Safe to run twice."""
    due = SharingRequest.objects.filter(
        state=S.ACTIVE, agreement__grant__valid_until__lte=now or timezone.now()
    )
    return _sweep(
        due,
        source=S.ACTIVE,
        target=S.EXPIRED,
        comment=gettext_noop("The agreement's validity window ended."),
    )
