"""Sharing requests: submit, the worker's check against the policy, approve, reject, return for
changes and resubmit, withdraw.

Each decision checks the actor's right (registry.permissions), moves the state under a row lock
(transitions.sharing_request_move, so of two approvers acting at once exactly one wins), writes a
SharingRequestEvent and an audit event in the same transaction, and answers 409 with the current
state when the move is not allowed from there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.models import Organization
from accounts.selectors import Actor
from common import jobs
from common.errors import Conflict
from datasets.models import Dataset, DatasetVersion, VersionStatus

from ..models import OPEN_REQUEST_STATES, ApprovalRoute, SharingRequest
from ..models import SharingRequestState as S
from ..permissions import (
    can_act_for,
    can_decide_after_escalation,
    can_decide_as_division_lead,
    can_decide_as_publisher,
    can_withdraw,
)
from ..selectors import sharing_request_open_get
from .agreements import agreement_activate
from .policies import eligibility_evaluate, policy_ensure
from .transitions import (
    sharing_request_event_record,
    sharing_request_locked_state,
    sharing_request_move,
    transition_conflict,
)


def _asks_differently(
    sharing_request: SharingRequest,
    *,
    dataset: Dataset,
    requester: Organization,
    purpose: str,
    period_days: int,
) -> bool:
    """A retry with the same Idempotency-Key must ask for the same thing as the first."""
    return (
        sharing_request.dataset_id != dataset.pk
        or sharing_request.purpose != purpose
        or sharing_request.requester_id != requester.pk
        or sharing_request.period_days != period_days
    )


def _idempotency_key_lock(*, user_id: int, idempotency_key: str) -> None:
    """Serialise the calls that carry one user's key until the caller's transaction ends.

    Without it, concurrent retries all find no request, all insert, and all but one hit the
    unique constraint (409 `integrity_error`). Holding the lock, a retry looks up only once the
    first call has committed (or rolled back), so it finds that request and answers with it.
    A hash collision between two keys only makes their calls wait for each other."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"sharing_request_idempotency:{user_id}:{idempotency_key}"],
        )


def open_request_conflict(open_request: SharingRequest) -> Conflict:
    """The 409 for a second open request: names the open one, its state and where it is."""
    return Conflict(
        _(
            "Your organisation already has an open request for this dataset "
            "(%(id)s, state '%(state)s'); follow it, or withdraw it before asking again."
        )
        % {"id": open_request.pk, "state": open_request.state},
        code="open_request_exists",
        open_request=str(open_request.pk),
        open_request_state=open_request.state,
        open_request_url=reverse("sharing-request-detail", kwargs={"pk": open_request.pk}),
    )


def _idempotent_retry(
    *,
    user: Any,
    idempotency_key: str,
    dataset: Dataset,
    requester: Organization,
    purpose: str,
    period_days: int,
) -> SharingRequest | None:
    """The request first made with this Idempotency-Key, if any; 409 when it asked for
    something else."""
    existing = SharingRequest.objects.filter(
        requested_by=user, idempotency_key=idempotency_key
    ).first()
    if existing is None:
        return None
    if _asks_differently(
        existing, dataset=dataset, requester=requester, purpose=purpose, period_days=period_days
    ):
        raise Conflict(
            _("This Idempotency-Key was used for a different request."),
            code="idempotency_key_reused",
        )
    if existing.state == S.SUBMITTED:
        # Not checked yet: the check may have been lost (a dead worker or broker), and the
        # client retries because it saw no progress. Queue it again; the check does nothing
        # for a request checked in the meantime.
        sharing_request_check_queue(sharing_request=existing)
    return existing


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
    """Submit a request: (sharing request, created). A repeated Idempotency-Key returns the
    first request (queuing its check again while it is still `submitted`), or 409 when the
    first asked for something else. A second open request of the organisation for the dataset
    is a 409 `open_request_exists` naming the first."""
    user = actor.user
    assert user is not None
    if not can_act_for(actor, requester):
        raise PermissionDenied(_("You may only ask on behalf of your own organisation."))
    if idempotency_key:
        _idempotency_key_lock(user_id=user.pk, idempotency_key=idempotency_key)

    def retried() -> SharingRequest | None:
        if not idempotency_key:
            return None
        return _idempotent_retry(
            user=user,
            idempotency_key=idempotency_key,
            dataset=dataset,
            requester=requester,
            purpose=purpose,
            period_days=period_days,
        )

    first = retried()
    if first is not None:
        return first, False
    terms = _submission_terms(
        dataset=dataset,
        version=version,
        purpose=purpose,
        justification=justification,
        period_days=period_days,
        start_at=start_at,
        accepted_obligations=accepted_obligations,
    )
    already_open = sharing_request_open_get(requester=requester, dataset=dataset)
    if already_open is not None:
        raise open_request_conflict(already_open)
    try:
        # A savepoint: a concurrent submission of the same organisation for the same dataset
        # (or a concurrent retry with the same key) that committed first breaks a unique
        # constraint here, and that is answered as if it had been seen above.
        with transaction.atomic():
            sharing_request = SharingRequest.objects.create(
                dataset=dataset,
                requester=requester,
                requested_by=user,
                state=S.SUBMITTED,
                idempotency_key=idempotency_key or "",
                **terms,
            )
    except IntegrityError:
        first = retried()
        if first is not None:
            return first, False
        already_open = sharing_request_open_get(requester=requester, dataset=dataset)
        if already_open is None:
            raise
        raise open_request_conflict(already_open) from None
    sharing_request_event_record(
        sharing_request=sharing_request, actor=user, from_state="", to_state=S.SUBMITTED
    )
    jobs.enqueue_on_commit("registry.check_sharing_request", str(sharing_request.pk))
    return sharing_request, True


def _submission_terms(
    *,
    dataset: Dataset,
    version: DatasetVersion | None,
    purpose: str,
    justification: str,
    period_days: int,
    start_at: datetime | None,
    accepted_obligations: list[str],
) -> dict[str, Any]:
    """What a submission writes, a new request's or a resubmitted one's: the terms asked for,
    under the dataset's current policy and its route, and the worker's check promised afresh.
    409 `version_not_available` for a version that is not a published one of the dataset.
    The check (`sharing_request_check`) then judges the terms as it judges every request."""
    if version is not None and (
        version.dataset_id != dataset.pk or version.status != VersionStatus.PUBLISHED
    ):
        raise Conflict(
            _("Only a published version of this dataset can be asked for."),
            code="version_not_available",
        )
    policy = policy_ensure(dataset=dataset)
    return {
        "version": version,
        "purpose": purpose,
        "justification": justification,
        "period_days": period_days,
        "start_at": start_at,
        "accepted_obligations": sorted(set(accepted_obligations)),
        "policy": policy,
        "approval_route": policy.approval_route,
        "check_attempts": 0,
        "check_due_at": jobs.redeliver_at(),
    }


class Unchanged(Enum):
    """A term a resubmission leaves as it was (None is a value: the latest version, access
    from approval)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


def _audited(value: Any) -> Any:
    if isinstance(value, DatasetVersion):
        return str(value.pk)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@transaction.atomic
def sharing_request_resubmit(
    *,
    actor: Actor,
    sharing_request: SharingRequest,
    purpose: str | Unchanged = UNCHANGED,
    justification: str | Unchanged = UNCHANGED,
    period_days: int | Unchanged = UNCHANGED,
    accepted_obligations: list[str] | Unchanged = UNCHANGED,
    version: DatasetVersion | Unchanged | None = UNCHANGED,
    start_at: datetime | Unchanged | None = UNCHANGED,
    comment: str = "",
) -> SharingRequest:
    """The requesting organisation submits a returned request again, with the terms it
    changed (the others as they were): returned → submitted, then the worker's check judges
    it as a new request, under the dataset's current policy (rejected with reasons, approved
    automatically, or routed to the publisher). The same rules as `sharing_request_create`
    (who may ask, which versions, `_submission_terms`); 409 unless the request is
    `returned`. The changes are in the audit event; `comment`, if given, in the history."""
    user = actor.user
    if not can_act_for(actor, sharing_request.requester):
        raise PermissionDenied(_("You may only ask on behalf of your own organisation."))
    current = sharing_request_locked_state(sharing_request=sharing_request)
    if current != S.RETURNED:
        raise transition_conflict(current, S.SUBMITTED, (S.RETURNED,))
    sharing_request.refresh_from_db()
    asked: dict[str, Any] = {
        "purpose": purpose,
        "justification": justification,
        "period_days": period_days,
        "accepted_obligations": accepted_obligations,
        "version": version,
        "start_at": start_at,
    }
    for name, value in asked.items():
        if value is UNCHANGED:
            asked[name] = getattr(sharing_request, name)
    terms = _submission_terms(dataset=sharing_request.dataset, **asked)
    changed = {
        name: _audited(terms[name])
        for name in asked
        if terms[name] != getattr(sharing_request, name)
    }
    sharing_request = sharing_request_move(
        sharing_request=sharing_request,
        sources=(S.RETURNED,),
        target=S.SUBMITTED,
        actor=user,
        comment=comment,
        audit_data={"changed": changed},
        escalated_at=None,
        decided_at=None,
        **terms,
    )
    jobs.enqueue_on_commit("registry.check_sharing_request", str(sharing_request.pk))
    return sharing_request


def sharing_request_check_queue(*, sharing_request: SharingRequest) -> None:
    """Promise the worker's check (an outbox message, in the caller's transaction); the sweep
    queues it again if it has not happened by `check_due_at`."""
    SharingRequest.objects.filter(pk=sharing_request.pk, state=S.SUBMITTED).update(
        check_due_at=jobs.redeliver_at()
    )
    jobs.enqueue_on_commit("registry.check_sharing_request", str(sharing_request.pk))


def sharing_request_check(*, sharing_request_id: Any) -> SharingRequest:
    """The worker's check against the policy: reject with reasons, approve, or route onwards.

    Safe to run twice: a request no longer `submitted` is returned as it is. The check is one
    transaction, so a worker killed in it leaves the request `submitted` for the next delivery.
    Each start is counted first, in a statement of its own: a request whose check was started
    JOB_MAX_ATTEMPTS times without finishing is rejected with the reason `check_failed`
    instead of killing worker after worker.
    """
    started = SharingRequest.objects.filter(pk=sharing_request_id, state=S.SUBMITTED).update(
        check_attempts=F("check_attempts") + 1, check_due_at=jobs.redeliver_at()
    )
    return _sharing_request_check(sharing_request_id=sharing_request_id, counted=bool(started))


@transaction.atomic
def _sharing_request_check(*, sharing_request_id: Any, counted: bool) -> SharingRequest:
    sharing_request = (
        SharingRequest.objects.select_for_update(of=("self",))
        .select_related("dataset", "requester", "policy")
        .get(pk=sharing_request_id)
    )
    if sharing_request.state != S.SUBMITTED:  # checked already (a task delivered twice)
        return sharing_request
    if counted and sharing_request.check_attempts > settings.JOB_MAX_ATTEMPTS:
        return sharing_request_move(
            sharing_request=sharing_request,
            sources=(S.SUBMITTED,),
            target=S.REJECTED,
            actor=None,
            comment=gettext_noop("Rejected: the policy check could not be completed."),
            decision_reasons=[
                *sharing_request.decision_reasons,
                {
                    "code": "check_failed",
                    "message": gettext_noop(
                        "The policy check was started too many times without finishing; "
                        "submit the request again, or ask the secretariat."
                    ),
                },
            ],
            decided_at=timezone.now(),
            check_due_at=None,
        )
    decision = eligibility_evaluate(
        dataset=sharing_request.dataset,
        organization=sharing_request.requester,
        purpose=sharing_request.purpose,
        period_days=sharing_request.period_days,
        accepted_obligations=list(sharing_request.accepted_obligations),
        policy=sharing_request.policy,
    )
    # A resubmitted request keeps the reasons it was returned with, before the check's.
    reasons = [
        *sharing_request.decision_reasons,
        *(reason.as_dict() for reason in decision.reasons),
    ]
    if not decision.eligible:
        return sharing_request_move(
            sharing_request=sharing_request,
            sources=(S.SUBMITTED,),
            target=S.REJECTED,
            actor=None,
            comment=gettext_noop("Rejected by the policy check."),
            decision_reasons=reasons,
            decided_at=timezone.now(),
        )
    if decision.automatic:
        sharing_request = sharing_request_move(
            sharing_request=sharing_request,
            sources=(S.SUBMITTED,),
            target=S.APPROVED,
            actor=None,
            comment=gettext_noop("Approved automatically: eligible under the policy."),
            decided_at=timezone.now(),
        )
        return agreement_activate(sharing_request=sharing_request, actor=None)
    return sharing_request_move(
        sharing_request=sharing_request,
        sources=(S.SUBMITTED,),
        target=S.AWAITING_PUBLISHER,
        actor=None,
    )


@transaction.atomic
def sharing_request_approve(
    *, actor: Actor, sharing_request: SharingRequest, reason: str = ""
) -> SharingRequest:
    """The publisher's steward approves at awaiting_publisher (onwards to the division lead when
    the route says so); the lead approves at awaiting_division_lead, and alone at
    awaiting_publisher once an overdue request on the publisher-only route is escalated.
    A `reason`, if given, is recorded in `decision_reasons`."""
    user = actor.user
    is_publisher = can_decide_as_publisher(actor, sharing_request)
    is_lead = can_decide_as_division_lead(actor, sharing_request)
    if not (is_publisher or is_lead):
        raise PermissionDenied(_("You may not decide on this request."))
    sharing_request.state = sharing_request_locked_state(sharing_request=sharing_request)
    sharing_request.refresh_from_db(fields=["escalated_at"])
    decided: dict[str, Any] = {"decided_at": timezone.now()}
    if sharing_request.state == S.AWAITING_DIVISION_LEAD:
        if not is_lead:
            if is_publisher:  # the publisher's step is done: a repeat or a lost race
                raise transition_conflict(
                    sharing_request.state, S.APPROVED, (S.AWAITING_PUBLISHER,)
                )
            raise PermissionDenied(_("Only the division lead approves at this step."))
        sharing_request = sharing_request_move(
            sharing_request=sharing_request,
            sources=(S.AWAITING_DIVISION_LEAD,),
            target=S.APPROVED,
            actor=user,
            comment=reason,
            reason_code="approved_by_division_lead",
            **decided,
        )
        return agreement_activate(sharing_request=sharing_request, actor=user)
    if sharing_request.state != S.AWAITING_PUBLISHER:
        raise transition_conflict(
            sharing_request.state, S.APPROVED, (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)
        )
    if is_publisher:
        if sharing_request.approval_route == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD:
            return sharing_request_move(
                sharing_request=sharing_request,
                sources=(S.AWAITING_PUBLISHER,),
                target=S.AWAITING_DIVISION_LEAD,
                actor=user,
                comment=reason,
                reason_code="approved_by_publisher",
                routed_to_division_lead_at=timezone.now(),
            )
    elif not (
        can_decide_after_escalation(actor, sharing_request)
        and sharing_request.approval_route == ApprovalRoute.PUBLISHER
    ):
        # Two-step routes (restricted data) always need the publisher's approval first.
        raise PermissionDenied(_("Only data stewards of the publisher approve at this step."))
    sharing_request = sharing_request_move(
        sharing_request=sharing_request,
        sources=(S.AWAITING_PUBLISHER,),
        target=S.APPROVED,
        actor=user,
        comment=reason
        or (
            "" if is_publisher else gettext_noop("Approved by the division lead after escalation.")
        ),
        reason_code=(
            ("approved_by_publisher" if is_publisher else "approved_by_division_lead")
            if reason
            else ""
        ),
        **decided,
    )
    return agreement_activate(sharing_request=sharing_request, actor=user)


DECISION_STEPS = (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)


def _refusal_check(*, actor: Actor, sharing_request: SharingRequest, target: str) -> str:
    """Who may refuse a request (reject it, or return it for changes) at the step it is at, in
    one place: the publisher's stewards at either step, the division lead at theirs, and at the
    publisher's once the request is escalated. Locks the row; 409 when the request is at no
    decision step, 403 when the caller may not decide at this one. The reason code's author:
    `publisher` or `division_lead`, the role the caller decides in."""
    is_publisher = can_decide_as_publisher(actor, sharing_request)
    is_lead = can_decide_as_division_lead(actor, sharing_request)
    sharing_request.state = sharing_request_locked_state(sharing_request=sharing_request)
    sharing_request.refresh_from_db(fields=["escalated_at"])
    if sharing_request.state not in DECISION_STEPS:
        raise transition_conflict(sharing_request.state, target, DECISION_STEPS)
    if not (
        is_publisher
        or sharing_request.state == S.AWAITING_DIVISION_LEAD
        or can_decide_after_escalation(actor, sharing_request)
    ):
        raise PermissionDenied(_("Only data stewards of the publisher decide at this step."))
    as_publisher = is_publisher and (sharing_request.state == S.AWAITING_PUBLISHER or not is_lead)
    return "publisher" if as_publisher else "division_lead"


def _require_decider(actor: Actor, sharing_request: SharingRequest) -> None:
    """403 before anything else for a caller who decides at no step of this request."""
    if not (
        can_decide_as_publisher(actor, sharing_request)
        or can_decide_as_division_lead(actor, sharing_request)
    ):
        raise PermissionDenied(_("You may not decide on this request."))


@transaction.atomic
def sharing_request_reject(
    *, actor: Actor, sharing_request: SharingRequest, reason: str
) -> SharingRequest:
    """Either approver may refuse at their step; the lead also once a request is escalated.
    The `reason` (required: the requester reads it) is recorded in `decision_reasons`."""
    _require_decider(actor, sharing_request)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why: the requester reads it.")]})
    by = _refusal_check(actor=actor, sharing_request=sharing_request, target=S.REJECTED)
    return sharing_request_move(
        sharing_request=sharing_request,
        sources=DECISION_STEPS,
        target=S.REJECTED,
        actor=actor.user,
        comment=reason,
        reason_code=f"rejected_by_{by}",
        decided_at=timezone.now(),
    )


@transaction.atomic
def sharing_request_return(
    *, actor: Actor, sharing_request: SharingRequest, comment: str
) -> SharingRequest:
    """Return the request to its requester for changes instead of deciding it: whoever may
    reject it at its step may return it. The `comment` (required: it says what to change) is
    recorded in the history and in `decision_reasons` (`returned_by_publisher`,
    `returned_by_division_lead`). The request stays open; its organisation resubmits it
    (`sharing_request_resubmit`) or withdraws it."""
    _require_decider(actor, sharing_request)
    if not comment.strip():
        raise ValidationError({"comment": [_("Say what to change: the requester reads it.")]})
    by = _refusal_check(actor=actor, sharing_request=sharing_request, target=S.RETURNED)
    return sharing_request_move(
        sharing_request=sharing_request,
        sources=DECISION_STEPS,
        target=S.RETURNED,
        actor=actor.user,
        comment=comment,
        reason_code=f"returned_by_{by}",
    )


@transaction.atomic
def sharing_request_withdraw(
    *, actor: Actor, sharing_request: SharingRequest, reason: str = ""
) -> SharingRequest:
    """The requesting organisation takes its request back before a decision (also one returned
    to it for changes); a `reason`, if given, is recorded in `decision_reasons`."""
    if not can_withdraw(actor, sharing_request):
        raise PermissionDenied(_("Only the requesting organisation may withdraw its request."))
    return sharing_request_move(
        sharing_request=sharing_request,
        sources=OPEN_REQUEST_STATES,
        target=S.WITHDRAWN,
        actor=actor.user,
        comment=reason,
        reason_code="withdrawn_by_requester",
    )


def sharing_request_requeue_unchecked() -> int:
    """Queue the check again for requests still `submitted` past their `check_due_at` (the
    check was lost with a dead worker or broker); the number queued. Requests from before
    `check_due_at` count from when they were made."""
    now = timezone.now()
    redeliver = timedelta(seconds=settings.JOB_REDELIVER_AFTER_SECONDS)
    due = SharingRequest.objects.filter(state=S.SUBMITTED).filter(
        Q(check_due_at__lt=now) | Q(check_due_at__isnull=True, created_at__lt=now - redeliver)
    )
    keys = jobs.requeue_due(due, check_due_at=jobs.redeliver_at(now))
    return jobs.publish_all("registry.check_sharing_request", [str(pk) for pk in keys])
