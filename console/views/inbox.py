"""The approver's inbox: the sharing requests waiting for the reader's decision, oldest first,
and the page where they decide one (approve, reject with a reason, return for changes).

Reads go through the registry's selectors (`sharing_request_awaiting_list`, the API's
`sharing_request_get`), decisions through the services the API's approve, reject and return
endpoints call, so a decision made here is the same state, history and audit event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework import exceptions

from accounts.models import OrganizationKind
from accounts.selectors import Actor
from common.pagination import CursorPagination
from registry import selectors
from registry.api.serializers import (
    SharingRequestDetailSerializer,
    SharingRequestOutputSerializer,
    localized_reasons,
)
from registry.models import Purpose, SharingRequest, SharingRequestEvent
from registry.models import SharingRequestState as S
from registry.permissions import can_decide_now
from registry.policy import Decision
from registry.services import policies, sharing_requests

from ..forms.inbox import ApproveForm, RejectForm, ReturnForm
from .base import api_request, console_page, form_service_call, page_actor

PAGE_SIZE = 25


def localized(korean: str, english: str) -> str:
    """The reader's language first, the other when it is empty."""
    if (get_language() or "ko").startswith("en"):
        return english or korean
    return korean or english


@dataclass
class InboxItem:
    """One waiting request as a page shows it: the API's fields, with labels in the reader's
    language, its eligibility today and the requester's history with the publisher."""

    data: dict[str, Any]
    sharing_request: SharingRequest
    title: str
    requester_name: str
    requester_kind: str
    purpose: str
    state: str
    escalated: bool
    eligible: bool
    reasons: list[dict[str, Any]]
    history: selectors.RequesterHistory
    history_titles: list[tuple[SharingRequest, str]]


def inbox_items(
    request: HttpRequest, actor: Actor, page: Sequence[SharingRequest]
) -> list[InboxItem]:
    """The page's requests with their facts: a fixed number of queries for the whole page
    (eligibility: three; the history: one)."""
    decisions: dict[Any, Decision] = policies.eligibility_of_requests(sharing_requests=page)
    histories = selectors.requester_history(actor=actor, sharing_requests=page)
    data = SharingRequestOutputSerializer(
        page, many=True, context={"request": api_request(request)}
    ).data
    kinds = dict(OrganizationKind.choices)
    purposes = dict(Purpose.choices)
    items = []
    for row, sharing_request in zip(data, page, strict=True):
        decision = decisions[sharing_request.pk]
        dataset = sharing_request.dataset
        requester = sharing_request.requester
        history = histories[(sharing_request.requester_id, dataset.publisher_id)]
        items.append(
            InboxItem(
                data=row,
                sharing_request=sharing_request,
                title=localized(dataset.title_ko, dataset.title_en) or dataset.slug,
                requester_name=localized(requester.name_ko, requester.name_en),
                requester_kind=str(kinds.get(requester.kind, requester.kind)),
                purpose=str(purposes.get(sharing_request.purpose, sharing_request.purpose)),
                state=sharing_request.get_state_display(),
                escalated=sharing_request.escalated_at is not None
                and sharing_request.state == S.AWAITING_PUBLISHER,
                eligible=decision.eligible,
                reasons=localized_reasons([reason.as_dict() for reason in decision.reasons]),
                history=history,
                history_titles=[
                    (past, localized(past.dataset.title_ko, past.dataset.title_en))
                    for past in history.recent
                ],
            )
        )
    return items


class _InboxPaging(CursorPagination):
    page_size = PAGE_SIZE
    ordering = ("created_at",)


@console_page
def index(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    paginator = _InboxPaging()
    view: Any = SimpleNamespace(ordering=paginator.ordering, filter_backends=[])
    page = paginator.paginate_queryset(
        selectors.sharing_request_awaiting_list(actor=actor), api_request(request), view
    )
    items = inbox_items(request, actor, page or [])
    return render(
        request,
        "console/inbox/index.html",
        {
            "items": items,
            "count": min(paginator.bounded_count, paginator.count_cap),
            "count_is_capped": paginator.bounded_count > paginator.count_cap,
            "next_url": paginator.get_next_link(),
            "previous_url": paginator.get_previous_link(),
        },
    )


# --- the decision page ------------------------------------------------------------------------


def _visible_request(actor: Actor, pk: Any) -> SharingRequest:
    """The request as the API finds it for the caller: 404 when the API would hide it."""
    sharing_request = selectors.sharing_request_get(actor=actor, pk=str(pk))
    if sharing_request is None:
        raise Http404
    return sharing_request


def _decision_page(
    request: HttpRequest,
    sharing_request: SharingRequest,
    forms_given: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = page_actor(request)
    prefetch_related_objects(
        [sharing_request],
        Prefetch("events", queryset=SharingRequestEvent.objects.select_related("actor")),
    )
    [item] = inbox_items(request, actor, [sharing_request])
    detail = SharingRequestDetailSerializer(
        sharing_request, context={"request": api_request(request)}
    ).data
    decides = can_decide_now(actor, sharing_request)
    given = forms_given or {}
    # A refused decision on a request the reader no longer decides (decided meanwhile: 409)
    # has no form left to show its words in: they go above the facts.
    refusals = [] if decides else [e for f in given.values() for e in f.non_field_errors()]
    return render(
        request,
        "console/inbox/item.html",
        {
            "item": item,
            "detail": detail,
            "events": detail["events"],
            "decision_reasons": detail["decision_reasons"],
            "decides": decides,
            "refusals": refusals,
            "approve_form": given.get("approve") or ApproveForm(),
            "reject_form": given.get("reject") or RejectForm(),
            "return_form": given.get("return") or ReturnForm(),
        },
        status=status,
    )


@console_page
def item(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = page_actor(request)
    return _decision_page(request, _visible_request(actor, pk))


def _decide(
    request: HttpRequest,
    pk: Any,
    form_class: type[forms.Form],
    call: Callable[[Actor, SharingRequest, dict[str, Any]], SharingRequest],
    done: str,
) -> HttpResponse:
    """Validate the form, call the service as the API does, and go back to the inbox; a
    refusal (a reason missing, a decision already made: 409) shows the page again with the
    service's words and its status."""
    actor = page_actor(request)
    sharing_request = _visible_request(actor, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _decision_page(request, sharing_request, {form.prefix or "": form}, status=400)
    refused: dict[str, int] = {}

    def run() -> SharingRequest:
        try:
            return call(actor, sharing_request, form.cleaned_data)
        except exceptions.APIException as exc:
            refused["status"] = exc.status_code
            raise

    if form_service_call(form, run) is None:
        fresh = _visible_request(actor, pk)
        status = refused.get("status", 400)
        return _decision_page(request, fresh, {form.prefix or "": form}, status=status)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("console:inbox"))


@require_POST
@console_page
def approve(request: HttpRequest, pk: Any) -> HttpResponse:
    return _decide(
        request,
        pk,
        ApproveForm,
        lambda actor, sharing_request, data: sharing_requests.sharing_request_approve(
            actor=actor, sharing_request=sharing_request, reason=data["reason"]
        ),
        _("Approved."),
    )


@require_POST
@console_page
def reject(request: HttpRequest, pk: Any) -> HttpResponse:
    return _decide(
        request,
        pk,
        RejectForm,
        lambda actor, sharing_request, data: sharing_requests.sharing_request_reject(
            actor=actor, sharing_request=sharing_request, reason=data["reason"]
        ),
        _("Rejected; the requester is told why."),
    )


@require_POST
@console_page
def return_for_changes(request: HttpRequest, pk: Any) -> HttpResponse:
    return _decide(
        request,
        pk,
        ReturnForm,
        lambda actor, sharing_request, data: sharing_requests.sharing_request_return(
            actor=actor, sharing_request=sharing_request, comment=data["comment"]
        ),
        _("Returned to the requester for changes."),
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("inbox/", index, name="inbox"),
    path("inbox/<uuid:pk>/", item, name="inbox-item"),
    path("inbox/<uuid:pk>/approve/", approve, name="inbox-approve"),
    path("inbox/<uuid:pk>/reject/", reject, name="inbox-reject"),
    path("inbox/<uuid:pk>/return/", return_for_changes, name="inbox-return"),
]
