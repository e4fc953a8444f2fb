"""Read queries for accounts, and the caller's roles resolved once per request."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from .invitations import invitation_token_hash
from .models import (
    ApiToken,
    Division,
    DivisionLead,
    Invitation,
    Membership,
    MembershipRole,
    Organization,
    User,
)

DIVISION_LEAD = "division_lead"


@dataclass(frozen=True)
class Actor:
    """Who is calling and what they may do, read in one query (views cache it per request)."""

    user: User | None
    is_secretariat: bool = False
    organization_ids: frozenset[int] = field(default_factory=frozenset)
    steward_organization_ids: frozenset[int] = field(default_factory=frozenset)
    admin_organization_ids: frozenset[int] = field(default_factory=frozenset)
    lead_division_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    def is_member_of(self, organization_id: int) -> bool:
        return organization_id in self.organization_ids

    def is_steward_of(self, organization_id: int) -> bool:
        return organization_id in self.steward_organization_ids

    def is_admin_of(self, organization_id: int) -> bool:
        return organization_id in self.admin_organization_ids


ANONYMOUS = Actor(user=None)


def acting_organization(
    *, actor: Actor, named: Organization | None, role: Literal["member", "steward"]
) -> Organization:
    """The organisation the caller acts for in a write: the one they named, which must be
    theirs in that role, or else their only one. Members ask for data (sharing requests);
    data stewards publish and import (`publisher`)."""
    if not actor.is_authenticated:
        raise NotAuthenticated()
    steward = role == "steward"
    theirs = actor.steward_organization_ids if steward else actor.organization_ids
    if named is not None:
        if named.pk not in theirs:
            raise PermissionDenied(
                _("You are not a data steward of that organisation.")
                if steward
                else _("You may only act for your own organisation.")
            )
        return named
    if not theirs:
        raise PermissionDenied(
            _("Only data stewards may create datasets.")
            if steward
            else _("You are not a member of any organisation.")
        )
    if len(theirs) != 1:
        if steward:
            raise PermissionDenied(
                _("You steward several organisations: name the one you act for (publisher)."),
                code="publisher_required",
            )
        raise PermissionDenied(
            _("Name the organisation you act for (organization): you belong to %(count)d.")
            % {"count": len(theirs)}
        )
    return Organization.objects.get(pk=next(iter(theirs)))


def actor_for(user: User | AnonymousUser | None) -> Actor:
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    assert isinstance(user, User)
    roles = (
        Membership.objects.filter(user_id=user.pk)
        .values_list("organization_id", "role")
        .union(
            DivisionLead.objects.filter(user_id=user.pk).values_list(
                "division_id", Value(DIVISION_LEAD, output_field=CharField())
            ),
            all=True,
        )
    )
    orgs: set[int] = set()
    stewards: set[int] = set()
    admins: set[int] = set()
    divisions: set[int] = set()
    for object_id, role in roles:
        if role == DIVISION_LEAD:
            divisions.add(object_id)
            continue
        orgs.add(object_id)
        if role == MembershipRole.DATA_STEWARD:
            stewards.add(object_id)
        elif role == MembershipRole.ORG_ADMIN:
            admins.add(object_id)
    return Actor(
        user=user,
        is_secretariat=user.is_secretariat,
        organization_ids=frozenset(orgs),
        steward_organization_ids=frozenset(stewards),
        admin_organization_ids=frozenset(admins),
        lead_division_ids=frozenset(divisions),
    )


def division_list() -> QuerySet[Division]:
    return Division.objects.all()


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.prefetch_related("divisions")


def membership_list(*, actor: Actor) -> QuerySet[Membership]:
    """Memberships of the caller's own organisations (all of them for the secretariat)."""
    qs = Membership.objects.select_related("user", "organization")
    if actor.is_secretariat:
        return qs
    if actor.user is None:
        return qs.none()
    return qs.filter(organization_id__in=actor.organization_ids)


def invitation_list(*, organization: Organization) -> QuerySet[Invitation]:
    """An organisation's invitations, every status (the caller's right to see them is checked
    by the view: `permissions.can_manage_invitations`)."""
    return Invitation.objects.filter(organization=organization).select_related(
        "organization", "invited_by", "accepted_by"
    )


def invitation_pending_list(*, organization_ids: Collection[int]) -> QuerySet[Invitation]:
    """Invitations of these organisations still waiting for their invitee (not accepted,
    revoked or expired): what an organisation admin's home counts."""
    return Invitation.objects.filter(
        organization_id__in=organization_ids,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def invitation_get_live(*, token: str) -> Invitation | None:
    """The open invitation this token belongs to; None when unknown, accepted, revoked or
    expired (whoever holds the token may read it)."""
    return (
        Invitation.objects.select_related("organization")
        .filter(
            token_hash=invitation_token_hash(token),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def user_profile(*, user: User) -> dict[str, Any]:
    actor = actor_for(user)
    memberships = Membership.objects.filter(user=user).select_related("organization")
    return {
        "user": user,
        "memberships": list(memberships),
        "lead_divisions": list(Division.objects.filter(pk__in=actor.lead_division_ids)),
        "is_secretariat": actor.is_secretariat,
    }
