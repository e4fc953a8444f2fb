"""The home page: what waits for the reader, by role, as counts that link to the lists, and
their recent activity.

Each count is one bounded query over a selector's scoped set (`COUNT` of at most CAP + 1
rows, shown as "99+" above CAP), so the page costs the same whatever the data; a reader sees
only the tiles of the roles they hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.selectors import Actor, invitation_pending_list
from datasets import selectors as dataset_selectors
from registry import selectors
from registry.models import SharingRequestState as S

from .base import console_page, page_actor

# The audit's actions as the activity list names them; others show their code.
ACTION_LABELS: dict[str, Any] = {
    "policy.changed": _("Changed an access policy"),
    "agreement.created": _("Agreement made"),
    "dataset.published": _("Published a dataset"),
    "version.published": _("Published a version"),
    "dataset.created_from_file": _("Made a dataset from a file"),
    "dataset.publish_requested": _("Asked to publish a dataset"),
    "publishing_defaults.changed": _("Changed the publishing defaults"),
    "download": _("Downloaded a file"),
}


def action_label(action: str) -> Any:
    """`sharing_request.<state>`: the state's label ("Sharing request: Approved")."""
    prefix, _dot, state = action.partition(".")
    if prefix == "sharing_request" and state in S.values:
        return _("Sharing request: %(state)s") % {"state": S(state).label}
    return ACTION_LABELS.get(action, action)


CAP = 99
GRANTS_ENDING_WITHIN = timedelta(days=30)
RECENT_ACTIVITY = 10


@dataclass(frozen=True)
class Tile:
    """A count of what waits, linking to its list. `key` names it for tests and styles."""

    key: str
    label: Any
    count: int
    url: str

    @property
    def shown(self) -> str:
        return f"{CAP}+" if self.count > CAP else str(self.count)


def count_capped(queryset: QuerySet[Any]) -> int:
    """How many rows, counted up to CAP + 1 (`SELECT count(*) FROM (... LIMIT 100)`)."""
    return queryset.order_by().values("pk")[: CAP + 1].count()


def _url(name: str, **query: str) -> str:
    return reverse(name) + ("?" + urlencode(query) if query else "")


def home_tiles(actor: Actor) -> list[Tile]:
    """The counts of what waits for `actor`, role by role (one query each)."""
    tiles: list[Tile] = []

    def add(key: str, label: Any, queryset: QuerySet[Any], url: str) -> None:
        tiles.append(Tile(key, label, count_capped(queryset), url))

    if actor.steward_organization_ids or actor.lead_division_ids:
        add(
            "inbox",
            _("Requests waiting for your decision"),
            selectors.sharing_request_awaiting_list(actor=actor),
            _url("console:inbox"),
        )
    if actor.organization_ids:
        add(
            "open_requests",
            _("Your organisation's requests waiting for a decision"),
            selectors.sharing_request_open_of_requester(actor=actor),
            _url("console:sharing-requests"),
        )
        add(
            "returned_requests",
            _("Requests returned to you for changes"),
            selectors.sharing_request_returned_of_requester(actor=actor),
            _url("console:sharing-requests", state=S.RETURNED),
        )
        add(
            "grants_ending",
            _("Grants ending within 30 days"),
            selectors.grant_ending_list(actor=actor, within=GRANTS_ENDING_WITHIN),
            _url("console:sharing-requests", state=S.ACTIVE),
        )
    if actor.steward_organization_ids:
        add(
            "drafts",
            _("Draft datasets"),
            dataset_selectors.dataset_draft_list(actor=actor),
            _url("console:publish"),
        )
        add(
            "checks_failed",
            _("Datasets whose check failed"),
            dataset_selectors.dataset_check_failed_list(actor=actor),
            _url("console:publish"),
        )
    if actor.admin_organization_ids:
        add(
            "invitations_pending",
            _("Invitations waiting to be accepted"),
            invitation_pending_list(organization_ids=actor.admin_organization_ids),
            _url("console:organization"),
        )
    if actor.is_secretariat:
        every = selectors.sharing_request_list(actor=actor)
        add(
            "alliance_awaiting_publisher",
            _("Requests waiting for a publisher"),
            every.filter(state=S.AWAITING_PUBLISHER),
            _url("console:figures"),
        )
        add(
            "alliance_awaiting_division_lead",
            _("Requests waiting for a division lead"),
            every.filter(state=S.AWAITING_DIVISION_LEAD),
            _url("console:figures"),
        )
        add(
            "alliance_escalated",
            _("Overdue requests escalated to a division lead"),
            every.filter(state=S.AWAITING_PUBLISHER, escalated_at__isnull=False),
            _url("console:audit", action="sharing_request.escalated"),
        )
    return tiles


@console_page
def home(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    activity = selectors.audit_event_recent_of(actor=actor, limit=RECENT_ACTIVITY)
    return render(
        request,
        "console/home.html",
        {
            "actor": actor,
            "tiles": home_tiles(actor),
            "activity": [
                {
                    "event": event,
                    "label": action_label(event.action),
                    "url": reverse("console:sharing-request", kwargs={"pk": event.object_id})
                    if event.object_type == "sharing_request"
                    else "",
                }
                for event in activity
            ],
        },
    )
