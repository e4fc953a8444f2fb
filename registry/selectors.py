"""Read queries of the sharing workflow. Every query starts from what the caller may see.

- the requesting organisation's members see its requests, agreements, grants and downloads;
- the publisher's data stewards see those for their datasets;
- a division lead sees the requests routed to them (their approval step, or an escalation);
- the secretariat sees everything; nobody else learns that a request exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch, Q, QuerySet, Window, prefetch_related_objects
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Division, Organization
from accounts.selectors import Actor
from audit.models import AuditEvent
from datasets.models import Dataset
from interop.odrl import OdrlLookups

from . import policy as engine
from .models import (
    OPEN_REQUEST_STATES,
    PENDING_STATES,
    AccessPolicy,
    Agreement,
    Download,
    Grant,
    SharingRequest,
    SharingRequestEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from .models import SharingRequestState as S
from .permissions import decidable_now


def sharing_request_visibility(actor: Actor, prefix: str = "") -> Q:
    if actor.is_secretariat:
        return Q()
    if not actor.is_authenticated:
        return Q(pk__in=[])
    p = prefix
    visible = Q(**{f"{p}requester_id__in": actor.organization_ids}) | Q(
        **{f"{p}dataset__publisher_id__in": actor.steward_organization_ids}
    )
    if actor.lead_division_ids:
        visible |= Q(
            **{
                f"{p}dataset__division_id__in": actor.lead_division_ids,
                f"{p}routed_to_division_lead_at__isnull": False,
            }
        )
    return visible


def sharing_request_list(*, actor: Actor) -> QuerySet[SharingRequest]:
    return SharingRequest.objects.filter(sharing_request_visibility(actor)).select_related(
        "dataset",
        "dataset__publisher",
        "dataset__division",
        "requester",
        "requested_by",
        "version",
        "policy",
        "agreement",
        "agreement__grant",
    )


def sharing_request_get(*, actor: Actor, pk: str) -> SharingRequest | None:
    try:
        return sharing_request_list(actor=actor).filter(pk=pk).first()
    except (ValueError, ValidationError):  # not a UUID: no such request (404, not 400)
        return None


def sharing_request_detail_get(*, actor: Actor, pk: str) -> SharingRequest | None:
    """A visible request with its history (events and their actors) read in one more query:
    what its detail shows, however long the history."""
    found = sharing_request_get(actor=actor, pk=pk)
    if found is not None:
        prefetch_related_objects(
            [found],
            Prefetch("events", queryset=SharingRequestEvent.objects.select_related("actor")),
        )
    return found


def sharing_request_awaiting_list(*, actor: Actor) -> QuerySet[SharingRequest]:
    """The requests waiting for `actor`'s decision (an approver's inbox): of those the caller
    sees, the ones the permission rules let them decide at the step they are at
    (`permissions.decidable_now`). Oldest first."""
    return (
        sharing_request_list(actor=actor).filter(decidable_now(actor)).order_by("created_at", "id")
    )


def sharing_request_requester_list(
    *, actor: Actor, states: Sequence[str]
) -> QuerySet[SharingRequest]:
    """The requests of the caller's own organisations in `states` (what waits on the
    requesting side: open requests, returned ones to edit)."""
    return sharing_request_list(actor=actor).filter(
        requester_id__in=actor.organization_ids, state__in=list(states)
    )


def sharing_request_open_of_requester(*, actor: Actor) -> QuerySet[SharingRequest]:
    return sharing_request_requester_list(actor=actor, states=PENDING_STATES)


def sharing_request_returned_of_requester(*, actor: Actor) -> QuerySet[SharingRequest]:
    return sharing_request_requester_list(actor=actor, states=(S.RETURNED,))


def grant_ending_list(*, actor: Actor, within: timedelta) -> QuerySet[Grant]:
    """The caller's organisations' grants in force that end within `within`, soonest first."""
    now = timezone.now()
    return (
        grant_list(actor=actor)
        .filter(
            organization_id__in=actor.organization_ids,
            revoked_at__isnull=True,
            valid_from__lte=now,
            valid_until__gt=now,
            valid_until__lte=now + within,
        )
        .order_by("valid_until", "id")
    )


@dataclass
class RequesterHistory:
    """What a requesting organisation got from a publisher before: its grants (revoked ones
    included), how many were revoked, and the newest few."""

    grants: int = 0
    revocations: int = 0
    recent: list[SharingRequest] = field(default_factory=list)


HISTORY_RECENT = 3


def requester_history(
    *, actor: Actor, sharing_requests: Iterable[SharingRequest]
) -> dict[tuple[int, int], RequesterHistory]:
    """For each (requester, publisher) pair of `sharing_requests`: the requester's past grants
    for that publisher's datasets, among the requests the caller sees. One query for all the
    pairs: window functions count each pair's grants and revocations and number its rows, so
    only the newest HISTORY_RECENT of each pair are read."""
    pairs = {(r.requester_id, r.dataset.publisher_id) for r in sharing_requests}
    if not pairs:
        return {}
    pair_filter = Q()
    for requester_id, publisher_id in pairs:
        pair_filter |= Q(requester_id=requester_id, dataset__publisher_id=publisher_id)
    partition = [F("requester_id"), F("dataset__publisher_id")]
    revoked = Q(agreement__grant__revoked_at__isnull=False)
    rows = (
        SharingRequest.objects.filter(sharing_request_visibility(actor))
        .filter(pair_filter, agreement__grant__isnull=False)
        .select_related("dataset", "agreement__grant")
        .annotate(
            publisher_id=F("dataset__publisher_id"),
            pair_grants=Window(Count("pk"), partition_by=partition),
            pair_revocations=Window(Count("pk", filter=revoked), partition_by=partition),
            pair_row=Window(
                RowNumber(),
                partition_by=partition,
                order_by=[F("created_at").desc(), F("id").desc()],
            ),
        )
        .filter(pair_row__lte=HISTORY_RECENT)
        .order_by("-created_at", "-id")
    )
    found: dict[tuple[int, int], RequesterHistory] = {pair: RequesterHistory() for pair in pairs}
    for row in rows:
        history = found[(row.requester_id, row.publisher_id)]
        history.grants = row.pair_grants
        history.revocations = row.pair_revocations
        history.recent.append(row)
    return found


def sharing_request_open_get(*, requester: Organization, dataset: Dataset) -> SharingRequest | None:
    """The organisation's open request for the dataset (pending, approved or active), if any:
    there is at most one. For callers acting for `requester`, who see its requests."""
    return SharingRequest.objects.filter(
        requester=requester, dataset=dataset, state__in=OPEN_REQUEST_STATES
    ).first()


def agreement_list(*, actor: Actor) -> QuerySet[Agreement]:
    return Agreement.objects.filter(
        sharing_request_visibility(actor, prefix="sharing_request__")
    ).select_related("sharing_request", "grant")


def grant_list(*, actor: Actor) -> QuerySet[Grant]:
    return Grant.objects.filter(
        sharing_request_visibility(actor, prefix="agreement__sharing_request__")
    ).select_related(
        "agreement", "agreement__sharing_request", "organization", "version", "version__dataset"
    )


def download_list(*, actor: Actor) -> QuerySet[Download]:
    return Download.objects.filter(
        sharing_request_visibility(actor, prefix="grant__agreement__sharing_request__")
    ).select_related("grant", "distribution", "user")


def _policy_unsaved_default(dataset: Dataset) -> AccessPolicy:
    """Revision 1 with the defaults of the dataset's sensitivity, not saved: what a dataset
    from before every dataset got a policy at creation shows until a write needs its policy
    (services.policies.policy_ensure saves it then). Its id is saved nowhere and it has no
    `created_at` yet."""
    return AccessPolicy(
        dataset=dataset,
        revision=1,
        is_current=True,
        created_by=None,
        **engine.default_terms(dataset.sensitivity),
    )


def policy_current_get(*, dataset: Dataset) -> AccessPolicy:
    """The dataset's current policy, read only (a GET never writes): every dataset gets one at
    creation; one from before that rule shows its defaults, unsaved."""
    found = AccessPolicy.objects.filter(dataset=dataset, is_current=True).first()
    return found if found is not None else _policy_unsaved_default(dataset)


def policy_current_by_dataset(*, datasets: Iterable[Dataset]) -> dict[object, AccessPolicy]:
    """Each dataset's current policy (as `policy_current_get`), in one query for all."""
    datasets = list(datasets)
    found = {
        policy.dataset_id: policy
        for policy in AccessPolicy.objects.filter(
            dataset_id__in=[d.pk for d in datasets], is_current=True
        )
    }
    return {d.pk: found.get(d.pk) or _policy_unsaved_default(d) for d in datasets}


def policy_revisions(*, dataset: Dataset) -> list[AccessPolicy]:
    """Every revision, newest first (the unsaved defaults alone for a dataset without one)."""
    revisions = list(AccessPolicy.objects.filter(dataset=dataset).order_by("-revision"))
    return revisions or [_policy_unsaved_default(dataset)]


def audit_event_list(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Organisations read events that concern them; the secretariat reads all."""
    if actor.is_secretariat:
        return AuditEvent.objects.all()
    if not actor.is_authenticated:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        Q(organization_ids__overlap=list(actor.organization_ids))
        | Q(steward_organization_ids__overlap=list(actor.steward_organization_ids))
    )


def audit_event_recent_of(*, actor: Actor, limit: int = 10) -> list[AuditEvent]:
    """The caller's own latest actions in the audit chain (their "recent activity")."""
    if actor.user is None:
        return []
    return list(AuditEvent.objects.filter(actor=actor.user).order_by("-id")[:limit])


def webhook_endpoint_list(*, actor: Actor) -> QuerySet[WebhookEndpoint]:
    qs = WebhookEndpoint.objects.select_related("organization")
    if actor.is_secretariat:
        return qs
    return qs.filter(organization_id__in=actor.organization_ids)


def policy_odrl_lookups(policies: Iterable[AccessPolicy]) -> OdrlLookups:
    """The organisation slugs and division codes these policies name, for their ODRL offers:
    at most two queries however many policies there are (a catalog page renders dozens)."""
    organization_ids: set[int] = set()
    division_ids: set[int] = set()
    for policy in policies:
        organization_ids.update(policy.allowed_organization_ids)
        organization_ids.update(policy.denied_organization_ids)
        division_ids.update(policy.allowed_division_ids)
    slugs: dict[int, str] = {}
    codes: dict[int, str] = {}
    if organization_ids:
        slugs = dict(Organization.objects.filter(pk__in=organization_ids).values_list("pk", "slug"))
    if division_ids:
        # Division.Meta.ordering: the offer lists allowed divisions in the divisions' own order.
        codes = dict(Division.objects.filter(pk__in=division_ids).values_list("pk", "code"))
    return OdrlLookups(organization_slugs=slugs, division_codes=codes)


def agreement_party_slugs(agreement: Agreement) -> tuple[str, str]:
    """The slugs of the agreement's assigner and assignee (`unknown` for one since deleted),
    for its ODRL Agreement; one query."""
    parties = agreement.document
    assigner, assignee = parties["assigner"]["id"], parties["assignee"]["id"]
    slugs = dict(Organization.objects.filter(pk__in=[assigner, assignee]).values_list("pk", "slug"))
    return slugs.get(assigner, "unknown"), slugs.get(assignee, "unknown")


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first (the endpoint is already one the caller sees)."""
    return endpoint.deliveries.order_by("-created_at")
