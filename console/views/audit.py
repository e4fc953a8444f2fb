"""The audit chain for the secretariat: the events, filtered and paged by id, and the chain's
verification (the same check as `manage.py verify_audit`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import PermissionDenied

from accounts.models import Organization
from audit.chain import audit_chain_check
from audit.models import AuditEvent
from registry import selectors
from registry.filters import AuditEventFilter
from registry.permissions import can_read_audit_chain

from .base import console_page, page_actor

PAGE_SIZE = 50
# Objects the filter form selects by: a link on each event narrows the chain to its object.
OBJECT_FILTERS = {"dataset": "dataset_id", "sharing_request": "sharing_request_id"}
# Time-range fields use the browser's date and time picker; the filter reads ISO 8601.
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AuditFilterForm(forms.Form):
    """The page's view of the API's `AuditEventFilter`: the same parameter names, one value
    each, so a page's URL is also a query of `GET /api/v1/audit-events/`."""

    organization = forms.SlugField(label=_("Organisation (slug)"), required=False)
    dataset_id = forms.UUIDField(label=_("Dataset ID"), required=False)
    sharing_request_id = forms.UUIDField(label=_("Sharing request ID"), required=False)
    action = forms.CharField(label=_("Action"), required=False, max_length=60)
    occurred_after = forms.DateTimeField(label=_("From"), required=False, widget=DATETIME_WIDGET)
    occurred_before = forms.DateTimeField(
        label=_("Until (not included)"), required=False, widget=DATETIME_WIDGET
    )


def _require_reader(request: HttpRequest) -> None:
    if not can_read_audit_chain(page_actor(request)):
        raise PermissionDenied(_("Only the secretariat reads the whole audit chain."))


def _keyset_page(
    queryset: Any, query: QueryDict
) -> tuple[list[AuditEvent], int | None, int | None]:
    """A page of events by id, newest first: `before=<id>` goes back in time, `after=<id>`
    forward. Each page is one indexed range read; nothing counts the chain."""
    try:
        before = int(query.get("before", "")) if query.get("before") else None
        after = int(query.get("after", "")) if query.get("after") else None
    except ValueError:
        before = after = None
    if after is not None:
        rows = list(queryset.filter(id__gt=after).order_by("id")[: PAGE_SIZE + 1])
        newer_exists = len(rows) > PAGE_SIZE
        events = rows[:PAGE_SIZE][::-1]
        older = events[-1].id if events else None
        return events, (events[0].id if events and newer_exists else None), older
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset.order_by("-id")[: PAGE_SIZE + 1])
    events = rows[:PAGE_SIZE]
    newer = events[0].id if events and before is not None else None
    older = events[-1].id if len(rows) > PAGE_SIZE else None
    return events, newer, older


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Each event with the slugs of the organisations it concerns (one query for the page)."""
    ids = {i for e in events for i in (*e.organization_ids, *e.steward_organization_ids)}
    slugs = dict(Organization.objects.filter(pk__in=ids).values_list("pk", "slug")) if ids else {}
    rows = []
    for event in events:
        filter_name = OBJECT_FILTERS.get(event.object_type)
        rows.append(
            {
                "event": event,
                "organizations": [slugs.get(i, str(i)) for i in event.organization_ids],
                "stewards": [slugs.get(i, str(i)) for i in event.steward_organization_ids],
                "object_filter": f"?{filter_name}={event.object_id}" if filter_name else "",
            }
        )
    return rows


def _link(query: QueryDict, **changes: int) -> str:
    params = query.copy()
    for name in ("before", "after"):
        params.pop(name, None)
    for name, value in changes.items():
        params[name] = str(value)
    return reverse("console:audit") + "?" + params.urlencode()


def _listing(request: HttpRequest, query: QueryDict) -> tuple[dict[str, Any], int]:
    """The filter form and a page of the events it selects, from the API's own filterset."""
    form = AuditFilterForm(query or None)
    events: list[AuditEvent] = []
    newer = older = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        filters = QueryDict(mutable=True)
        for name in form.fields:
            if value := query.get(name, "").strip():
                filters[name] = value
        filterset = AuditEventFilter(
            filters, queryset=selectors.audit_event_list(actor=page_actor(request))
        )
        if filterset.is_valid():
            events, newer, older = _keyset_page(filterset.qs, query)
        else:
            for name, errors in filterset.errors.items():
                form.add_error(name if name in form.fields else None, errors)
            status = 400
    context = {
        "form": form,
        "rows": _rows(events),
        "newer_url": _link(query, after=newer) if newer is not None else None,
        "older_url": _link(query, before=older) if older is not None else None,
    }
    return context, status


@console_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    context, status = _listing(request, request.GET)
    return render(request, "console/audit/index.html", context, status=status)


@console_page
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    """Walk the whole chain now. htmx swaps the result in; without script, the page again."""
    _require_reader(request)
    check = audit_chain_check()
    if getattr(request, "htmx", False):
        return render(request, "console/audit/_verify.html", {"check": check})
    context, _status = _listing(request, QueryDict())
    return render(request, "console/audit/index.html", {**context, "check": check})


urlpatterns: list[URLPattern | URLResolver] = [
    path("audit/", index, name="audit"),
    path("audit/verify/", verify, name="audit-verify"),
]
