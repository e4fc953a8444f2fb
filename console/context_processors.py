"""What the layout needs on every page: which sections the reader's roles open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .views.base import page_actor


@dataclass(frozen=True)
class Sections:
    """The navigation a reader gets. Each flag mirrors who the API serves for that section;
    the pages check again on their own."""

    signed_in: bool
    requests: bool  # members of an organisation ask for data
    inbox: bool  # data stewards and division leads decide
    publish: bool  # data stewards publish
    organization: bool  # organisation admins (and the secretariat) manage members
    figures: bool  # secretariat and division leads
    audit: bool  # secretariat


def _sections(request: HttpRequest) -> Sections:
    actor = page_actor(request)
    lead = bool(actor.lead_division_ids)
    return Sections(
        signed_in=actor.is_authenticated,
        requests=bool(actor.organization_ids),
        inbox=bool(actor.steward_organization_ids) or lead,
        publish=bool(actor.steward_organization_ids),
        organization=bool(actor.admin_organization_ids) or actor.is_secretariat,
        figures=actor.is_secretariat or lead,
        audit=actor.is_secretariat,
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    # Lazy: pages that never draw the navigation (fragments) do not read the roles.
    return {"sections": SimpleLazyObject(lambda: _sections(request))}
