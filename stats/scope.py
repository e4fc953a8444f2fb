"""Who may read which figures. Every table is computed over a `Scope`, resolved here first.

- The secretariat reads everything.
- A division lead reads every figure over the datasets of the divisions they lead: those
  divisions' rows, organisations and organisation kinds computed over those datasets, and
  monthly series restricted to them.
- A member of an organisation (any role) reads their own organisations' figures.
- Everyone signed in reads the alliance-wide totals (`GET /stats/`).

Tables whose rows aggregate other organisations (by division, by kind, by month) are refused to
members (403): a kind or a small division can be one firm. When a caller holds several roles,
the widest decides the tables (secretariat, then division lead, then member); their own
organisations' figures, in the summary and in their monthly series, are always complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from accounts.models import Division, Organization
from accounts.selectors import Actor


class Role(StrEnum):
    SECRETARIAT = "secretariat"
    DIVISION_LEAD = "division_lead"
    MEMBER = "member"
    NONE = "none"  # signed in, but neither secretariat, lead nor member of an organisation


def role_of(actor: Actor) -> Role:
    if actor.is_secretariat:
        return Role.SECRETARIAT
    if actor.lead_division_ids:
        return Role.DIVISION_LEAD
    if actor.organization_ids:
        return Role.MEMBER
    return Role.NONE


@dataclass(frozen=True)
class Scope:
    """What a table counts.

    `division_ids`: only the datasets of these divisions, and the requests, grants and
    downloads for them (None: every dataset). `organization_ids`: only these organisations'
    rows, and in the organisations table only their own figures (None: any organisation).
    """

    division_ids: frozenset[int] | None = None
    organization_ids: frozenset[int] | None = None

    @property
    def is_alliance(self) -> bool:
        return self.division_ids is None and self.organization_ids is None

    def cache_key(self) -> str:
        def ids(values: frozenset[int] | None) -> str:
            return "*" if values is None else ",".join(str(v) for v in sorted(values))

        return f"d{ids(self.division_ids)}:o{ids(self.organization_ids)}"


ALLIANCE = Scope()


def require_signed_in(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise NotAuthenticated()


def _division_ids(actor: Actor, division: Division | None) -> frozenset[int] | None:
    """The divisions a secretariat or lead table covers: the one named, else all they may see."""
    if actor.is_secretariat:
        return None if division is None else frozenset({division.pk})
    if division is None:
        return actor.lead_division_ids
    if division.pk not in actor.lead_division_ids:
        raise PermissionDenied(_("You may only read the figures of the divisions you lead."))
    return frozenset({division.pk})


def group_scope(actor: Actor, division: Division | None = None) -> Scope:
    """Tables by division, by organisation kind and by month: secretariat and division leads."""
    require_signed_in(actor)
    if role_of(actor) in (Role.SECRETARIAT, Role.DIVISION_LEAD):
        return Scope(division_ids=_division_ids(actor, division))
    raise PermissionDenied(
        _(
            "Figures by division, by organisation kind and by month are for the secretariat and "
            "division leads. Your organisation's figures are in /stats/ and "
            "/stats/organizations/."
        )
    )


def organization_table_scope(actor: Actor, division: Division | None = None) -> Scope:
    """The organisations table: everyone with a role; members see their own rows only."""
    require_signed_in(actor)
    role = role_of(actor)
    if role in (Role.SECRETARIAT, Role.DIVISION_LEAD):
        return Scope(division_ids=_division_ids(actor, division))
    if role == Role.MEMBER:
        return Scope(
            division_ids=None if division is None else frozenset({division.pk}),
            organization_ids=actor.organization_ids,
        )
    raise PermissionDenied(_("You are not a member of any organisation."))


def organization_series_scope(
    actor: Actor, organization: Organization, division: Division | None = None
) -> Scope:
    """One organisation's monthly series: complete for its own members and the secretariat,
    over their divisions for a division lead, refused to anyone else."""
    require_signed_in(actor)
    own = frozenset({organization.pk})
    if actor.is_secretariat or actor.is_member_of(organization.pk):
        divisions = None if division is None else frozenset({division.pk})
        return Scope(division_ids=divisions, organization_ids=own)
    if actor.lead_division_ids:
        lead = actor.lead_division_ids
        if division is not None and division.pk not in lead:
            raise PermissionDenied(_("You may only read the figures of the divisions you lead."))
        divisions = lead if division is None else frozenset({division.pk})
        return Scope(division_ids=divisions, organization_ids=own)
    raise PermissionDenied(_("You may only read your own organisation's figures."))
