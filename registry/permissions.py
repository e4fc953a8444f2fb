"""Who may do what in the exchange, as small predicates on an Actor.

Services and views ask these and raise their own PermissionDenied (each with the message that
fits the step). Reads need no rule here: every queryset starts from `selectors`' visibility, so
what the caller may not see is a 404, never a 403. Who may edit a dataset's access policy is the
dataset's rule (datasets.permissions: its publisher's data stewards).
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Organization
from accounts.selectors import Actor
from datasets.models import Distribution, DistributionRole

from .models import Grant, SharingRequest
from .models import SharingRequestState as S

# --- sharing requests -------------------------------------------------------------------------


def can_act_for(actor: Actor, organization: Organization) -> bool:
    """A member acts for their own organisation only: asks on its behalf, checks its
    eligibility, names it for a webhook."""
    return actor.is_member_of(organization.pk)


def can_withdraw(actor: Actor, sharing_request: SharingRequest) -> bool:
    return actor.is_member_of(sharing_request.requester_id)


def can_decide_as_publisher(actor: Actor, sharing_request: SharingRequest) -> bool:
    """The publisher's data stewards approve or reject at the publisher's step."""
    return actor.is_steward_of(sharing_request.dataset.publisher_id)


def can_decide_as_division_lead(actor: Actor, sharing_request: SharingRequest) -> bool:
    """The lead of the dataset's division decides at the division lead's step."""
    return sharing_request.dataset.division_id in actor.lead_division_ids


def can_decide_after_escalation(actor: Actor, sharing_request: SharingRequest) -> bool:
    """An overdue request handed to the division lead: the lead may decide it alone (approve
    only on the publisher-only route; see sharing_request_approve)."""
    return (
        sharing_request.state == S.AWAITING_PUBLISHER
        and sharing_request.escalated_at is not None
        and can_decide_as_division_lead(actor, sharing_request)
    )


def decidable_now(actor: Actor) -> Q:
    """The requests `actor` may decide now, as a filter on SharingRequest: the same rules as
    the predicates above (`can_decide_as_publisher` at the publisher's step,
    `can_decide_as_division_lead` at the lead's, `can_decide_after_escalation`), for lists
    (an approver's inbox). tests/registry/test_decidable.py holds the two to each other."""
    decidable = Q(
        state=S.AWAITING_PUBLISHER, dataset__publisher_id__in=actor.steward_organization_ids
    )
    if actor.lead_division_ids:
        divisions = Q(dataset__division_id__in=actor.lead_division_ids)
        decidable |= divisions & Q(state=S.AWAITING_DIVISION_LEAD)
        decidable |= divisions & Q(state=S.AWAITING_PUBLISHER, escalated_at__isnull=False)
    return decidable


def can_decide_now(actor: Actor, sharing_request: SharingRequest) -> bool:
    """Whether `actor` decides `sharing_request` at the step it is at (its page offers them
    the decisions): the predicate form of `decidable_now`."""
    if sharing_request.state == S.AWAITING_PUBLISHER:
        return can_decide_as_publisher(actor, sharing_request) or can_decide_after_escalation(
            actor, sharing_request
        )
    if sharing_request.state == S.AWAITING_DIVISION_LEAD:
        return can_decide_as_division_lead(actor, sharing_request)
    return False


def can_revoke(actor: Actor, sharing_request: SharingRequest) -> bool:
    """The publisher's data stewards or the secretariat end an agreement early."""
    return actor.is_secretariat or can_decide_as_publisher(actor, sharing_request)


# --- grants and downloads ---------------------------------------------------------------------


def can_download(actor: Actor, grant: Grant) -> bool:
    """Members of the grantee organisation download through its grant."""
    return actor.is_member_of(grant.organization_id)


def grant_covers(grant: Grant, distribution: Distribution) -> bool:
    """A grant opens the data files of the version it grants, no other: not the checked
    file, which its publisher's stewards alone see (datasets.permissions)."""
    return (
        distribution.version_id == grant.version_id and distribution.role == DistributionRole.DATA
    )


# --- webhooks ---------------------------------------------------------------------------------


def can_manage_webhooks(actor: Actor, organization_id: int) -> bool:
    """An organisation's admins add, change, delete and ping its endpoints; members read them."""
    return actor.is_admin_of(organization_id)


# --- publishing defaults ----------------------------------------------------------------------


def can_read_publishing_defaults(actor: Actor, organization_id: int) -> bool:
    """Members of the organisation read what their datasets get by default."""
    return actor.is_secretariat or actor.is_member_of(organization_id)


def can_change_publishing_defaults(actor: Actor, organization_id: int) -> bool:
    """Its admins set them (and the secretariat, as for the organisation itself)."""
    return actor.is_secretariat or actor.is_admin_of(organization_id)


# --- audit ------------------------------------------------------------------------------------


def can_read_audit_chain(actor: Actor) -> bool:
    """The whole chain, searched across organisations, and its verification: the secretariat,
    as in the admin and `manage.py verify_audit`. Members read the events of their own
    organisations through `GET /audit-events/` (`selectors.audit_event_list`)."""
    return actor.is_secretariat
