"""Writes and state changes of the sharing workflow. Every function runs in a transaction.

Each sharing-request transition checks the actor's right, moves the state with a conditional
UPDATE (so of two approvers acting at once exactly one wins), writes a SharingRequestEvent and an
audit event in the same transaction, and answers 409 with the current state when the move is not
allowed from there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework.exceptions import PermissionDenied

from accounts.models import Organization, User
from accounts.selectors import Actor, actor_for
from common import jobs
from common.errors import Conflict
from datasets.models import (
    LISTED_STATUSES,
    Dataset,
    DatasetVersion,
    Distribution,
    VersionStatus,
)

from . import notifications
from . import policy as engine
from .audit import audit_append, canonical_json
from .models import (
    DSP_STATE,
    OPEN_STATES,
    AccessPolicy,
    Agreement,
    ApprovalRoute,
    Download,
    Grant,
    Purpose,
    SharingRequest,
    SharingRequestEvent,
)
from .models import SharingRequestState as S
from .permissions import (
    can_act_for,
    can_decide_after_escalation,
    can_decide_as_division_lead,
    can_decide_as_publisher,
    can_download,
    can_revoke,
    can_withdraw,
    grant_covers,
)

# --- access policies --------------------------------------------------------------------------


def policy_defaults(dataset: Dataset) -> dict[str, Any]:
    return {
        "permitted_purposes": [p.value for p in Purpose],
        "prohibitions": ["redistribution", "resale", "reidentification"],
        "obligations": ["attribution", "delete_at_expiry"],
        "max_period_days": engine.DEFAULT_MAX_PERIOD_DAYS[dataset.sensitivity],
        "approval_route": engine.DEFAULT_ROUTE[dataset.sensitivity].value,
    }


def _validate_route(dataset: Dataset, route: str) -> None:
    if dataset.sensitivity == "restricted" and route != ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD:
        raise Conflict(
            _("Restricted data always needs the publisher and the division lead to approve."),
            code="route_not_allowed",
            required_route=ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD,
        )


@transaction.atomic
def policy_set(
    *, dataset: Dataset, actor: User | None, replace: bool = False, **terms: Any
) -> AccessPolicy:
    """Add a revision and make it current. Terms not given keep their current value, or, with
    `replace`, take the defaults of the dataset's sensitivity."""
    # The dataset row is the lock: two first edits cannot both make revision 1.
    Dataset.objects.select_for_update().filter(pk=dataset.pk).values_list("pk").get()
    current = AccessPolicy.objects.filter(dataset=dataset, is_current=True).first()
    base = policy_defaults(dataset) if current is None or replace else policy_terms_dict(current)
    merged = {**base, **terms}
    _validate_route(dataset, merged["approval_route"])
    revision = 1
    if current is not None:
        revision = current.revision + 1
        AccessPolicy.objects.filter(pk=current.pk).update(is_current=False)
    policy = AccessPolicy(dataset=dataset, revision=revision, created_by=actor, **merged)
    policy.full_clean(exclude=["is_current"])
    policy.save()
    audit_append(
        actor=actor,
        action="policy.changed",
        object_type="dataset",
        object_id=dataset.pk,
        steward_organization_ids=[dataset.publisher_id],
        data={"revision": revision, "terms": merged},
    )
    return policy


def policy_terms_dict(policy: AccessPolicy) -> dict[str, Any]:
    return {
        "allowed_division_ids": list(policy.allowed_division_ids),
        "allowed_organization_kinds": list(policy.allowed_organization_kinds),
        "allowed_organization_ids": list(policy.allowed_organization_ids),
        "denied_organization_ids": list(policy.denied_organization_ids),
        "permitted_purposes": list(policy.permitted_purposes),
        "prohibitions": list(policy.prohibitions),
        "obligations": list(policy.obligations),
        "max_period_days": policy.max_period_days,
        "approval_route": policy.approval_route,
    }


def policy_current(*, dataset: Dataset) -> AccessPolicy:
    """The dataset's current policy. Every dataset gets one when it is created; one created
    before that rule gets the defaults of its sensitivity on first use."""
    found = AccessPolicy.objects.filter(dataset=dataset, is_current=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        # Look again under the dataset's lock: a concurrent first read may have made it.
        Dataset.objects.select_for_update().filter(pk=dataset.pk).values_list("pk").get()
        found = AccessPolicy.objects.filter(dataset=dataset, is_current=True).first()
        return found if found is not None else policy_set(dataset=dataset, actor=None)


def policy_follow_sensitivity(*, dataset: Dataset, actor: User | None) -> None:
    """Restricted data always needs both approvers: raise the route when sensitivity rises."""
    current = AccessPolicy.objects.filter(dataset=dataset, is_current=True).first()
    if current is None:
        policy_set(dataset=dataset, actor=actor)
    elif dataset.sensitivity == "restricted" and (
        current.approval_route != ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD
    ):
        policy_set(
            dataset=dataset,
            actor=actor,
            approval_route=ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD,
        )


def _terms(policy: AccessPolicy) -> engine.PolicyTerms:
    return engine.PolicyTerms(
        permitted_purposes=frozenset(policy.permitted_purposes),
        obligations=frozenset(policy.obligations),
        max_period_days=policy.max_period_days,
        approval_route=policy.approval_route,
        allowed_division_ids=frozenset(policy.allowed_division_ids),
        allowed_organization_kinds=frozenset(policy.allowed_organization_kinds),
        allowed_organization_ids=frozenset(policy.allowed_organization_ids),
        denied_organization_ids=frozenset(policy.denied_organization_ids),
    )


def eligibility_evaluate(
    *,
    dataset: Dataset,
    organization: Organization,
    purpose: str,
    period_days: int,
    accepted_obligations: list[str],
    policy: AccessPolicy | None = None,
) -> engine.Decision:
    policy = policy or policy_current(dataset=dataset)
    applicant = engine.Applicant(
        organization_id=organization.pk,
        kind=organization.kind,
        division_ids=frozenset(organization.divisions.values_list("id", flat=True)),
    )
    ask = engine.Ask(
        purpose=purpose,
        period_days=period_days,
        accepted_obligations=frozenset(accepted_obligations),
    )
    return engine.evaluate(
        _terms(policy),
        applicant,
        ask,
        publisher_id=dataset.publisher_id,
        dataset_available=dataset.status in LISTED_STATUSES
        and DatasetVersion.objects.filter(dataset=dataset, status=VersionStatus.PUBLISHED).exists(),
    )


# --- sharing requests -------------------------------------------------------------------------


def _record(
    request: SharingRequest,
    *,
    actor: User | None,
    from_state: str,
    to_state: str,
    comment: str = "",
) -> None:
    SharingRequestEvent.objects.create(
        sharing_request=request,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
    )
    audit_append(
        actor=actor,
        action=f"sharing_request.{to_state}",
        object_type="sharing_request",
        object_id=request.pk,
        organization_ids=[request.requester_id],
        steward_organization_ids=[request.dataset.publisher_id],
        data={"from": from_state, "to": to_state, "comment": comment},
    )
    notifications.sharing_request_notify(request, to_state)


def _locked_state(request: SharingRequest) -> str:
    """Lock the request's row until the transaction ends and return its state now."""
    return str(
        SharingRequest.objects.select_for_update()
        .values_list("state", flat=True)
        .get(pk=request.pk)
    )


def _invalid_transition(current: str, target: str, sources: tuple[str, ...]) -> Conflict:
    return Conflict(
        _("A sharing request in state '%(current)s' cannot become '%(target)s'.")
        % {"current": current, "target": target},
        code="invalid_transition",
        current_state=current,
        dsp_state=DSP_STATE[S(current)],
        allowed_from=list(sources),
    )


def _move(
    request: SharingRequest,
    *,
    sources: tuple[str, ...],
    target: str,
    actor: User | None,
    comment: str = "",
    **updates: Any,
) -> SharingRequest:
    """Move from one of `sources` to `target` under a row lock; 409 with the current state if
    the request is elsewhere. The lock makes concurrent moves queue up, so the event records the
    state the move really left, and of two approvers exactly one wins."""
    from_state = _locked_state(request)
    if from_state not in sources:
        raise _invalid_transition(from_state, target, sources)
    SharingRequest.objects.filter(pk=request.pk).update(
        state=target, modified_at=timezone.now(), reminded_at=None, **updates
    )
    request.refresh_from_db()
    _record(request, actor=actor, from_state=from_state, to_state=target, comment=comment)
    return request


def _latest_version(dataset: Dataset) -> DatasetVersion | None:
    return (
        DatasetVersion.objects.filter(dataset=dataset, status=VersionStatus.PUBLISHED)
        .order_by("-published_at")
        .first()
    )


def _asks_differently(
    request: SharingRequest,
    *,
    dataset: Dataset,
    requester: Organization,
    purpose: str,
    period_days: int,
) -> bool:
    """A retry with the same Idempotency-Key must ask for the same thing as the first."""
    return (
        request.dataset_id != dataset.pk
        or request.purpose != purpose
        or request.requester_id != requester.pk
        or request.period_days != period_days
    )


@transaction.atomic
def sharing_request_create(
    *,
    actor: Actor,
    dataset: Dataset,
    requester: Organization,
    purpose: str,
    justification: str,
    period_days: int,
    accepted_obligations: list[str],
    version: DatasetVersion | None = None,
    start_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> tuple[SharingRequest, bool]:
    """Submit a request: (request, created). A repeated Idempotency-Key returns the first
    request, or 409 when the first asked for something else."""
    user = actor.user
    assert user is not None
    if not can_act_for(actor, requester):
        raise PermissionDenied(_("You may only ask on behalf of your own organisation."))
    if idempotency_key:
        existing = SharingRequest.objects.filter(
            requested_by=user, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if _asks_differently(
                existing,
                dataset=dataset,
                requester=requester,
                purpose=purpose,
                period_days=period_days,
            ):
                raise Conflict(
                    _("This Idempotency-Key was used for a different request."),
                    code="idempotency_key_reused",
                )
            return existing, False
    if version is not None and (
        version.dataset_id != dataset.pk or version.status != VersionStatus.PUBLISHED
    ):
        raise Conflict(
            _("Only a published version of this dataset can be asked for."),
            code="version_not_available",
        )
    policy = policy_current(dataset=dataset)
    request = SharingRequest.objects.create(
        dataset=dataset,
        version=version,
        requester=requester,
        requested_by=user,
        purpose=purpose,
        justification=justification,
        period_days=period_days,
        start_at=start_at,
        accepted_obligations=sorted(set(accepted_obligations)),
        policy=policy,
        approval_route=policy.approval_route,
        state=S.SUBMITTED,
        idempotency_key=idempotency_key or "",
    )
    _record(request, actor=user, from_state="", to_state=S.SUBMITTED)
    jobs.enqueue_on_commit("registry.check_sharing_request", str(request.pk))
    return request, True


@transaction.atomic
def sharing_request_check(*, request_id: Any) -> SharingRequest:
    """The worker's check against the policy: reject with reasons, approve, or route onwards.

    Safe to run twice: a request no longer `submitted` is returned as it is.
    """
    request = (
        SharingRequest.objects.select_for_update(of=("self",))
        .select_related("dataset", "requester", "policy")
        .get(pk=request_id)
    )
    if request.state != S.SUBMITTED:  # checked already (a task delivered twice)
        return request
    decision = eligibility_evaluate(
        dataset=request.dataset,
        organization=request.requester,
        purpose=request.purpose,
        period_days=request.period_days,
        accepted_obligations=list(request.accepted_obligations),
        policy=request.policy,
    )
    reasons = [reason.as_dict() for reason in decision.reasons]
    if not decision.eligible:
        return _move(
            request,
            sources=(S.SUBMITTED,),
            target=S.REJECTED,
            actor=None,
            comment=gettext_noop("Rejected by the policy check."),
            decision_reasons=reasons,
            decided_at=timezone.now(),
        )
    if decision.automatic:
        request = _move(
            request,
            sources=(S.SUBMITTED,),
            target=S.APPROVED,
            actor=None,
            comment=gettext_noop("Approved automatically: eligible under the policy."),
            decided_at=timezone.now(),
        )
        return _activate(request, actor=None)
    return _move(request, sources=(S.SUBMITTED,), target=S.AWAITING_PUBLISHER, actor=None)


@transaction.atomic
def sharing_request_approve(
    *, actor: Actor, request: SharingRequest, comment: str = ""
) -> SharingRequest:
    """The publisher's steward approves at awaiting_publisher (onwards to the division lead when
    the route says so); the lead approves at awaiting_division_lead, and alone at
    awaiting_publisher once an overdue request on the publisher-only route is escalated."""
    user = actor.user
    is_publisher = can_decide_as_publisher(actor, request)
    is_lead = can_decide_as_division_lead(actor, request)
    if not (is_publisher or is_lead):
        raise PermissionDenied(_("You may not decide on this request."))
    request.state = _locked_state(request)
    request.refresh_from_db(fields=["escalated_at"])
    decided = {"decided_at": timezone.now()}
    if request.state == S.AWAITING_DIVISION_LEAD:
        if not is_lead:
            if is_publisher:  # the publisher's step is done: a repeat or a lost race
                raise _invalid_transition(request.state, S.APPROVED, (S.AWAITING_PUBLISHER,))
            raise PermissionDenied(_("Only the division lead approves at this step."))
        request = _move(
            request,
            sources=(S.AWAITING_DIVISION_LEAD,),
            target=S.APPROVED,
            actor=user,
            comment=comment,
            **decided,
        )
        return _activate(request, actor=user)
    if request.state != S.AWAITING_PUBLISHER:
        raise _invalid_transition(
            request.state, S.APPROVED, (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)
        )
    if is_publisher:
        if request.approval_route == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD:
            return _move(
                request,
                sources=(S.AWAITING_PUBLISHER,),
                target=S.AWAITING_DIVISION_LEAD,
                actor=user,
                comment=comment,
                routed_to_division_lead_at=timezone.now(),
            )
    elif not (
        can_decide_after_escalation(actor, request)
        and request.approval_route == ApprovalRoute.PUBLISHER
    ):
        # Two-step routes (restricted data) always need the publisher's approval first.
        raise PermissionDenied(_("Only data stewards of the publisher approve at this step."))
    request = _move(
        request,
        sources=(S.AWAITING_PUBLISHER,),
        target=S.APPROVED,
        actor=user,
        comment=comment
        or (
            "" if is_publisher else gettext_noop("Approved by the division lead after escalation.")
        ),
        **decided,
    )
    return _activate(request, actor=user)


@transaction.atomic
def sharing_request_reject(
    *, actor: Actor, request: SharingRequest, comment: str
) -> SharingRequest:
    """Either approver may refuse at their step; the lead also once a request is escalated."""
    is_publisher = can_decide_as_publisher(actor, request)
    is_lead = can_decide_as_division_lead(actor, request)
    if not (is_publisher or is_lead):
        raise PermissionDenied(_("You may not decide on this request."))
    request.state = _locked_state(request)
    request.refresh_from_db(fields=["escalated_at"])
    open_steps = (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)
    if request.state not in open_steps:
        raise _invalid_transition(request.state, S.REJECTED, open_steps)
    if not (
        is_publisher
        or request.state == S.AWAITING_DIVISION_LEAD
        or can_decide_after_escalation(actor, request)
    ):
        raise PermissionDenied(_("Only data stewards of the publisher decide at this step."))
    return _move(
        request,
        sources=open_steps,
        target=S.REJECTED,
        actor=actor.user,
        comment=comment,
        decided_at=timezone.now(),
    )


@transaction.atomic
def sharing_request_withdraw(
    *, actor: Actor, request: SharingRequest, comment: str = ""
) -> SharingRequest:
    if not can_withdraw(actor, request):
        raise PermissionDenied(_("Only the requesting organisation may withdraw its request."))
    return _move(
        request, sources=OPEN_STATES, target=S.WITHDRAWN, actor=actor.user, comment=comment
    )


# --- agreement and grant ----------------------------------------------------------------------


def _agreement_document(
    request: SharingRequest, version: DatasetVersion, start: datetime, end: datetime
) -> dict[str, Any]:
    dataset = request.dataset
    return {
        "sharing_request": str(request.pk),
        "assigner": {"id": dataset.publisher_id, "name": dataset.publisher.name_ko},
        "assignee": {"id": request.requester_id, "name": request.requester.name_ko},
        "target": {
            "dataset": str(dataset.pk),
            "dataset_title_ko": dataset.title_ko,
            "dataset_title_en": dataset.title_en,
            "version": str(version.pk),
            "version_string": version.version,
        },
        "purpose": request.purpose,
        "justification": request.justification,
        "policy": {
            "id": str(request.policy.pk),
            "revision": request.policy.revision,
            **policy_terms_dict(request.policy),
        },
        "accepted_obligations": list(request.accepted_obligations),
        "valid_from": start.isoformat(),
        "valid_until": end.isoformat(),
        "approval_route": request.approval_route,
    }


def _activate(request: SharingRequest, *, actor: User | None) -> SharingRequest:
    """approved → agreement + grant; → active at once unless access starts later (timed
    release, then `grants_start` activates it). In the caller's transaction."""
    version = request.version or _latest_version(request.dataset)
    if version is None:
        raise Conflict(
            _("The dataset has no published version to share yet."), code="no_published_version"
        )
    now = timezone.now()
    start = max(request.start_at or now, now)
    end = start + timedelta(days=request.period_days)
    document = _agreement_document(request, version, start, end)
    digest = hashlib.sha256(canonical_json(document).encode()).hexdigest()
    agreement = Agreement.objects.create(sharing_request=request, document=document, digest=digest)
    grant = Grant.objects.create(
        agreement=agreement,
        organization_id=request.requester_id,
        version=version,
        valid_from=start,
        valid_until=end,
    )
    audit_append(
        actor=actor,
        action="agreement.created",
        object_type="agreement",
        object_id=agreement.pk,
        organization_ids=[request.requester_id],
        steward_organization_ids=[request.dataset.publisher_id],
        data={"digest": digest, "grant": str(grant.pk), "valid_until": end.isoformat()},
    )
    if start > now:
        return request
    return _move(request, sources=(S.APPROVED,), target=S.ACTIVE, actor=actor)


@transaction.atomic
def grant_revoke(*, actor: Actor, request: SharingRequest, reason: str) -> SharingRequest:
    if not can_revoke(actor, request):
        raise PermissionDenied(_("Only the publisher's stewards or the secretariat may revoke."))
    now = timezone.now()
    Grant.objects.filter(agreement__sharing_request=request, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor.user, revocation_reason=reason
    )
    return _move(
        request, sources=(S.APPROVED, S.ACTIVE), target=S.REVOKED, actor=actor.user, comment=reason
    )


def _sweep(due: Any, *, source: str, target: str, comment: str) -> int:
    """Move every due request; one that moved meanwhile (e.g. revoked) is skipped."""
    count = 0
    for request in due.select_related("dataset"):
        try:
            _move(request, sources=(source,), target=target, actor=None, comment=comment)
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


# --- downloads --------------------------------------------------------------------------------

_SIGNING_SALT = "registry.download"


def grant_is_valid(grant: Grant, at: datetime | None = None) -> bool:
    at = at or timezone.now()
    return grant.revoked_at is None and grant.valid_from <= at < grant.valid_until


def download_link_sign(*, grant: Grant, distribution: Distribution, user: User) -> str:
    return signing.dumps(
        {"g": str(grant.pk), "d": str(distribution.pk), "u": user.pk}, salt=_SIGNING_SALT
    )


def download_link_max_age() -> int:
    return int(getattr(settings, "DOWNLOAD_LINK_MAX_AGE_SECONDS", 600))


def download_links_issue(
    *, actor: Actor, grant: Grant, absolute_uri: Callable[[str], str]
) -> list[dict[str, Any]]:
    """A signed link to every file of the granted version, for a member of the grantee.
    `absolute_uri` makes the link's path a full URL (the API passes the request's
    `build_absolute_uri`, so links point at the host the caller used)."""
    if not can_download(actor, grant):
        raise PermissionDenied(_("Only members of the grantee organisation may download."))
    if not grant_is_valid(grant):
        raise Conflict(_("This grant is revoked or expired."), code="grant_not_valid")
    assert actor.user is not None
    links = []
    for distribution in grant.version.distributions.exclude(file=""):
        signed = download_link_sign(grant=grant, distribution=distribution, user=actor.user)
        links.append(
            {
                "distribution": distribution.pk,
                "title": distribution.title,
                "format": distribution.format,
                "url": absolute_uri(reverse("download-file", args=[signed])),
                "expires_in_seconds": download_link_max_age(),
            }
        )
    return links


def download_link_open(*, signed: str) -> tuple[Grant, Distribution, User]:
    """Check the signature and age, then the grant *now*: revocation and expiry apply at once."""
    try:
        payload = signing.loads(signed, salt=_SIGNING_SALT, max_age=download_link_max_age())
    except signing.SignatureExpired as exc:
        raise PermissionDenied(_("This download link has expired; ask for a new one.")) from exc
    except signing.BadSignature as exc:
        raise PermissionDenied(_("This download link is not valid.")) from exc
    grant = Grant.objects.select_related("version").filter(pk=payload["g"]).first()
    distribution = Distribution.objects.filter(pk=payload["d"]).first()
    user = User.objects.filter(pk=payload["u"], is_active=True).first()
    if grant is None or distribution is None or user is None:
        raise PermissionDenied(_("This download link is not valid."))
    if not grant_covers(grant, distribution):
        raise PermissionDenied(_("This download link is not valid."))
    if not grant_is_valid(grant):
        raise PermissionDenied(_("The grant behind this link is revoked or expired."))
    if not can_download(actor_for(user), grant):
        raise PermissionDenied(_("You are no longer a member of the grantee organisation."))
    return grant, distribution, user


@transaction.atomic
def download_record(
    *, grant: Grant, distribution: Distribution, user: User, byte_size: int, client_ip: str | None
) -> Download:
    download = Download.objects.create(
        grant=grant, distribution=distribution, user=user, byte_size=byte_size, client_ip=client_ip
    )
    audit_append(
        actor=user,
        action="download",
        object_type="distribution",
        object_id=distribution.pk,
        organization_ids=[grant.organization_id],
        steward_organization_ids=[grant.version.dataset.publisher_id],
        data={"grant": str(grant.pk), "bytes": byte_size},
    )
    return download


# --- the periodic sweep -----------------------------------------------------------------------


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
            request = grant.agreement.sharing_request
            event = "grant.expiring"
            notifications.email_queue(
                recipients=[request.requested_by.email],
                subject=notifications._subject(request, event),
                body=notifications._body(
                    request, event, f"만료 / Expires: {grant.valid_until.isoformat()}"
                ),
                event=event,
                object_id=str(grant.pk),
            )
            notifications.webhook_queue(
                organization_ids=[request.requester_id],
                event=event,
                payload={
                    **notifications.sharing_request_payload(request, event),
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
            request = SharingRequest.objects.select_related(
                "dataset", "dataset__publisher", "requester", "requested_by"
            ).get(pk=pk)
            event = "sharing_request.reminder"
            notifications.email_queue(
                recipients=notifications._recipients(request, request.state),
                subject=notifications._subject(request, event),
                body=notifications._body(request, event),
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
            request = SharingRequest.objects.select_related(
                "dataset", "dataset__publisher", "requester", "requested_by"
            ).get(pk=pk)
            event = "sharing_request.escalated"
            notifications.email_queue(
                recipients=notifications._lead_emails(request.dataset.division_id),
                subject=notifications._subject(request, event),
                body=notifications._body(request, event),
                event=event,
                object_id=str(pk),
            )
            audit_append(
                actor=None,
                action="sharing_request.escalated",
                object_type="sharing_request",
                object_id=pk,
                organization_ids=[request.requester_id],
                steward_organization_ids=[request.dataset.publisher_id],
                data={"waiting_since": request.modified_at.isoformat()},
            )
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}
