"""Access policies (revisions of a dataset's terms) and eligibility under them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organization, User
from accounts.selectors import Actor
from audit.chain import audit_append
from common.errors import Conflict
from datasets.models import LISTED_STATUSES, Dataset, DatasetVersion, VersionStatus

from .. import policy as engine
from .. import selectors
from ..models import OPEN_REQUEST_STATES, AccessPolicy, ApprovalRoute, SharingRequest


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
    base = (
        engine.default_terms(dataset.sensitivity)
        if current is None or replace
        else policy_terms_dict(current)
    )
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


def policy_ensure(*, dataset: Dataset) -> AccessPolicy:
    """The dataset's current policy, saved, for a write that needs the row (a sharing request
    points at it). Every dataset gets one when it is created; for one created before that rule
    the defaults of its sensitivity are saved here as revision 1. Reads never save it: they
    show those defaults unsaved (selectors.policy_current_get)."""
    found = AccessPolicy.objects.filter(dataset=dataset, is_current=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        # Look again under the dataset's lock: a concurrent first use may have made it.
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


def _applicant(organization: Organization, division_ids: Iterable[int]) -> engine.Applicant:
    return engine.Applicant(
        organization_id=organization.pk,
        kind=organization.kind,
        division_ids=frozenset(division_ids),
    )


def _dataset_available(dataset: Dataset) -> bool:
    return (
        dataset.status in LISTED_STATUSES
        and DatasetVersion.objects.filter(dataset=dataset, status=VersionStatus.PUBLISHED).exists()
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
    """The policy engine's decision for this ask; reads only (the current policy when none is
    given)."""
    policy = policy or selectors.policy_current_get(dataset=dataset)
    return _evaluate(
        policy=policy,
        dataset=dataset,
        applicant=_applicant(organization, organization.divisions.values_list("id", flat=True)),
        dataset_available=_dataset_available(dataset),
        purpose=purpose,
        period_days=period_days,
        accepted_obligations=accepted_obligations,
    )


def _evaluate(
    *,
    policy: AccessPolicy,
    dataset: Dataset,
    applicant: engine.Applicant,
    dataset_available: bool,
    purpose: str,
    period_days: int,
    accepted_obligations: list[str],
) -> engine.Decision:
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
        dataset_available=dataset_available,
    )


def eligibility_of_requests(
    *, sharing_requests: Sequence[SharingRequest]
) -> dict[Any, engine.Decision]:
    """`eligibility_evaluate` of each request's ask under its dataset's current policy (would
    it pass the check today?), by request id: three queries however many requests (a page of
    an approver's inbox). The requests come with `dataset` and `requester` loaded."""
    if not sharing_requests:
        return {}
    datasets = {r.dataset_id: r.dataset for r in sharing_requests}
    policies = selectors.policy_current_by_dataset(datasets=datasets.values())
    divisions: dict[int, set[int]] = {}
    for organization_id, division_id in Organization.divisions.through.objects.filter(
        organization_id__in={r.requester_id for r in sharing_requests}
    ).values_list("organization_id", "division_id"):
        divisions.setdefault(organization_id, set()).add(division_id)
    published = set(
        DatasetVersion.objects.filter(dataset_id__in=datasets, status=VersionStatus.PUBLISHED)
        .values_list("dataset_id", flat=True)
        .distinct()
    )
    return {
        r.pk: _evaluate(
            policy=policies[r.dataset_id],
            dataset=r.dataset,
            applicant=_applicant(r.requester, divisions.get(r.requester_id, ())),
            dataset_available=r.dataset.status in LISTED_STATUSES and r.dataset_id in published,
            purpose=r.purpose,
            period_days=r.period_days,
            accepted_obligations=list(r.accepted_obligations),
        )
        for r in sharing_requests
    }


# A request is asked once: while one is open, asking again is a 409 (`open_request_exists`).
OPEN_REQUEST_REASON: dict[str, object] = {
    "code": "open_request_exists",
    "message": gettext_noop("Your organisation already has an open request for this dataset."),
}
SIGN_IN_REASON: dict[str, object] = {
    "code": "not_authenticated",
    "message": gettext_noop("Sign in to ask for this dataset."),
}
NO_ORGANIZATION_REASON: dict[str, object] = {
    "code": "no_organization",
    "message": gettext_noop("Only members of an organisation may ask for data."),
}


@dataclass(frozen=True)
class AskingEligibility:
    """Whether the caller may ask for a dataset at all, before choosing a purpose and a period:
    the policy's rules on who asks, and no open request already. `reasons` are the eligibility
    endpoint's (`code`, English `message`, details); `open_request` is the open one, if any."""

    may_ask: bool
    reasons: list[dict[str, object]]
    open_request: SharingRequest | None = None


def asking_eligibility(
    *, actor: Actor, dataset: Dataset, policy: AccessPolicy | None = None
) -> AskingEligibility:
    """May the caller's organisation ask for `dataset` (visible to the caller)? The rules of
    `eligibility_evaluate` that do not depend on the ask, for each organisation the caller is
    a member of (they may ask when one of them may); a fixed number of queries."""
    if not actor.is_authenticated:
        return AskingEligibility(may_ask=False, reasons=[SIGN_IN_REASON])
    organizations = list(
        Organization.objects.filter(pk__in=actor.organization_ids)
        .prefetch_related("divisions")
        .order_by("pk")
    )
    if not organizations:
        return AskingEligibility(may_ask=False, reasons=[NO_ORGANIZATION_REASON])
    policy = policy or selectors.policy_current_get(dataset=dataset)
    terms = _terms(policy)
    available = _dataset_available(dataset)
    open_requests = {
        request.requester_id: request
        for request in SharingRequest.objects.filter(
            requester__in=organizations, dataset=dataset, state__in=OPEN_REQUEST_STATES
        )
    }
    reasons: list[dict[str, object]] = []
    for organization in organizations:
        applicant = _applicant(organization, (d.pk for d in organization.divisions.all()))
        found = [
            reason.as_dict()
            for reason in engine.applicant_reasons(
                terms, applicant, publisher_id=dataset.publisher_id, dataset_available=available
            )
        ]
        if organization.pk in open_requests:
            found.append(OPEN_REQUEST_REASON)
        if not found:
            return AskingEligibility(may_ask=True, reasons=[])
        reasons.extend(reason for reason in found if reason not in reasons)
    return AskingEligibility(
        may_ask=False,
        reasons=reasons,
        open_request=next(iter(open_requests.values()), None),
    )


@dataclass(frozen=True)
class EligibilityReport:
    """What the eligibility endpoint and the console's request form say about an ask: the
    policy engine's decision, plus the organisation's open request for the dataset (asking
    again would be a 409). `reasons` hold the English messages, as stored."""

    eligible: bool
    approval_route: str
    policy_revision: int
    reasons: list[dict[str, Any]]
    open_request: SharingRequest | None


def eligibility_report(
    *,
    dataset: Dataset,
    organization: Organization,
    purpose: str,
    period_days: int,
    accepted_obligations: list[str],
) -> EligibilityReport:
    """May `organization` ask for `dataset` so? Every failed rule of the current policy, and
    `open_request_exists` while the organisation has an open request for it; reads only."""
    policy = selectors.policy_current_get(dataset=dataset)
    decision = eligibility_evaluate(
        dataset=dataset,
        organization=organization,
        purpose=purpose,
        period_days=period_days,
        accepted_obligations=accepted_obligations,
        policy=policy,
    )
    reasons = [reason.as_dict() for reason in decision.reasons]
    # A request is asked once: while one is open, asking again is a 409, so say so here.
    open_request = selectors.sharing_request_open_get(requester=organization, dataset=dataset)
    if open_request is not None:
        reasons.append(dict(OPEN_REQUEST_REASON))
    return EligibilityReport(
        eligible=decision.eligible and open_request is None,
        approval_route=decision.approval_route,
        policy_revision=policy.revision,
        reasons=reasons,
        open_request=open_request,
    )
