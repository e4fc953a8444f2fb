"""Sharing requests: submit, the worker's check against the policy, approve, reject, withdraw.

Each decision checks the actor's right (registry.permissions), moves the state under a row lock
(transitions.sharing_request_move, so of two approvers acting at once exactly one wins), writes a
SharingRequestEvent and an audit event in the same transaction, and answers 409 with the current
state when the move is not allowed from there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
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

from ..models import PENDING_STATES, ApprovalRoute, SharingRequest
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
    if version is not None and (
        version.dataset_id != dataset.pk or version.status != VersionStatus.PUBLISHED
    ):
        raise Conflict(
            _("Only a published version of this dataset can be asked for."),
            code="version_not_available",
        )
    already_open = sharing_request_open_get(requester=requester, dataset=dataset)
    if already_open is not None:
        raise open_request_conflict(already_open)
    policy = policy_ensure(dataset=dataset)
    try:
        # A savepoint: a concurrent submission of the same organisation for the same dataset
        # (or a concurrent retry with the same key) that committed first breaks a unique
        # constraint here, and that is answered as if it had been seen above.
        with transaction.atomic():
            sharing_request = SharingRequest.objects.create(
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
                check_due_at=jobs.redeliver_at(),
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
                {
                    "code": "check_failed",
                    "message": gettext_noop(
                        "The policy check was started too many times without finishing; "
                        "submit the request again, or ask the secretariat."
                    ),
                }
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
    reasons = [reason.as_dict() for reason in decision.reasons]
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
    decided = {"decided_at": timezone.now()}
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


@transaction.atomic
def sharing_request_reject(
    *, actor: Actor, sharing_request: SharingRequest, reason: str
) -> SharingRequest:
    """Either approver may refuse at their step; the lead also once a request is escalated.
    The `reason` (required: the requester reads it) is recorded in `decision_reasons`."""
    is_publisher = can_decide_as_publisher(actor, sharing_request)
    is_lead = can_decide_as_division_lead(actor, sharing_request)
    if not (is_publisher or is_lead):
        raise PermissionDenied(_("You may not decide on this request."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why: the requester reads it.")]})
    sharing_request.state = sharing_request_locked_state(sharing_request=sharing_request)
    sharing_request.refresh_from_db(fields=["escalated_at"])
    open_steps = (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)
    if sharing_request.state not in open_steps:
        raise transition_conflict(sharing_request.state, S.REJECTED, open_steps)
    if not (
        is_publisher
        or sharing_request.state == S.AWAITING_DIVISION_LEAD
        or can_decide_after_escalation(actor, sharing_request)
    ):
        raise PermissionDenied(_("Only data stewards of the publisher decide at this step."))
    by_publisher = is_publisher and sharing_request.state == S.AWAITING_PUBLISHER
    return sharing_request_move(
        sharing_request=sharing_request,
        sources=open_steps,
        target=S.REJECTED,
        actor=actor.user,
        comment=reason,
        reason_code="rejected_by_publisher" if by_publisher else "rejected_by_division_lead",
        decided_at=timezone.now(),
    )


@transaction.atomic
def sharing_request_withdraw(
    *, actor: Actor, sharing_request: SharingRequest, reason: str = ""
) -> SharingRequest:
    """The requesting organisation takes its request back before a decision; a `reason`, if
    given, is recorded in `decision_reasons`."""
    if not can_withdraw(actor, sharing_request):
        raise PermissionDenied(_("Only the requesting organisation may withdraw its request."))
    return sharing_request_move(
        sharing_request=sharing_request,
        sources=PENDING_STATES,
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
