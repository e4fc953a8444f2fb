"""Pages of the console's requests section: the requester's side of the exchange.

- the request form of a dataset, with its eligibility checked as it is filled in;
- the requests of the reader's organisations (`GET /api/v1/sharing-requests/?requester_id=`);
- a request's page: its history, the decision, the agreement, the grant, fresh download links,
  withdrawal, and the resubmission of a request returned for changes.

Every read is the API's selector and every write the API's service, called with the reader's
`Actor`; what the page shows comes from the API's output serializers.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer

from accounts.models import Organization
from accounts.selectors import Actor, acting_organization, organization_list
from common.errors import Conflict
from common.pagination import CursorPagination
from common.urls import absolute_url
from datasets import selectors as dataset_selectors
from datasets.models import Dataset
from registry import selectors
from registry.api.serializers import (
    AgreementOutputSerializer,
    EligibilityInputSerializer,
    GrantOutputSerializer,
    SharingRequestDetailSerializer,
    SharingRequestOutputSerializer,
    localized_reasons,
)
from registry.filters import SharingRequestFilter
from registry.models import (
    OPEN_REQUEST_STATES,
    AccessPolicy,
    Obligation,
    Prohibition,
    Purpose,
    SharingRequest,
    SharingRequestState,
)
from registry.permissions import can_act_for, can_download, can_withdraw
from registry.services import downloads, policies, sharing_requests
from registry.services.agreements import grant_is_valid

from ..forms.requests import ResubmitForm, SharingRequestForm, WithdrawForm, in_reader_language
from .base import api_request, console_page, error_page, form_service_call, page_actor

T = TypeVar("T")

# --- shared pieces ----------------------------------------------------------------------------


def _visible_dataset(actor: Actor, key: str) -> Dataset:
    dataset = dataset_selectors.dataset_get(actor=actor, key=key)
    if dataset is None:
        raise Http404
    return dataset


def _visible_request(actor: Actor, pk: str, *, with_history: bool = False) -> SharingRequest:
    get = selectors.sharing_request_detail_get if with_history else selectors.sharing_request_get
    sharing_request = get(actor=actor, pk=pk)
    if sharing_request is None:
        raise Http404
    return sharing_request


def _organizations(actor: Actor) -> list[Organization]:
    """The organisations the reader may ask for (those they are a member of)."""
    if not actor.organization_ids:
        return []
    return list(organization_list().filter(pk__in=actor.organization_ids).order_by("name_ko", "pk"))


# --- the request form -------------------------------------------------------------------------


def _form_context(
    dataset: Dataset, policy: AccessPolicy, form: SharingRequestForm
) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "dataset_title": in_reader_language(dataset.title_ko, dataset.title_en),
        "policy": policy,
        "form": form,
        "eligibility_url": reverse("console:sharing-request-eligibility", args=[dataset.slug]),
    }


@console_page
@require_http_methods(["GET", "POST"])
def sharing_request_new(request: HttpRequest, key: str) -> HttpResponse:
    """Ask for a dataset: `POST /api/v1/sharing-requests/` with the form's idempotency key."""
    actor = page_actor(request)
    dataset = _visible_dataset(actor, key)
    organizations = _organizations(actor)
    if len(organizations) < 2:
        # Nobody to ask for: the API's 403 ("You are not a member of any organisation.").
        acting_organization(actor=actor, named=None, role="member")
    policy = selectors.policy_current_get(dataset=dataset)
    form = SharingRequestForm(
        request.POST if request.method == "POST" else None,
        policy=policy,
        organizations=organizations,
    )
    context = _form_context(dataset, policy, form)
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def submit() -> SharingRequest:
            named = next((o for o in organizations if o.slug == data.get("organization")), None)
            organization = acting_organization(actor=actor, named=named, role="member")
            try:
                sharing_request, _created = sharing_requests.sharing_request_create(
                    actor=actor,
                    dataset=dataset,
                    requester=organization,
                    purpose=data["purpose"],
                    justification=data["justification"],
                    period_days=data["period_days"],
                    accepted_obligations=list(data["accepted_obligations"]),
                    idempotency_key=data["idempotency_key"].strip()[:200] or None,
                )
            except Conflict as exc:
                context["open_request_id"] = exc.extra.get("open_request")
                raise
            return sharing_request

        created, status = _on_form(form, submit)
        if created is not None:
            return redirect("console:sharing-request", pk=created.pk)
    context["eligibility"] = _eligibility(actor, dataset, form.data or _initial_ask(form))
    return render(
        request,
        "console/sharing_requests/new.html",
        context,
        status=status,
    )


def _on_form(form: forms.Form, call: Callable[[], T]) -> tuple[T | None, int]:
    """`form_service_call`, and the status the API would have answered (400 for a form the
    service found invalid, else the refusal's: 403, 409...)."""
    status = {"code": 400}

    def answered() -> T:
        try:
            return call()
        except exceptions.APIException as exc:
            status["code"] = exc.status_code
            raise

    return form_service_call(form, answered), status["code"]


def _initial_ask(form: SharingRequestForm) -> QueryDict:
    ask = QueryDict(mutable=True)
    ask["purpose"] = form.first_purpose()
    ask["period_days"] = str(form.initial.get("period_days", ""))
    return ask


def _eligibility(actor: Actor, dataset: Dataset, data: Any) -> dict[str, Any]:
    """The eligibility endpoint's answer for the form's current values: the API's input
    serializer, the reader's organisation, then `policies.eligibility_report` (the same
    function as `POST /api/v1/datasets/{key}/eligibility/`)."""
    ask: dict[str, Any] = {
        "purpose": data.get("purpose", ""),
        "period_days": data.get("period_days", ""),
        "accepted_obligations": data.getlist("accepted_obligations")
        if hasattr(data, "getlist")
        else list(data.get("accepted_obligations", [])),
    }
    if data.get("organization"):
        ask["organization"] = data.get("organization")
    serializer = EligibilityInputSerializer(data=ask)
    if not serializer.is_valid():
        return {"incomplete": True}
    values = serializer.validated_data
    try:
        organization = acting_organization(
            actor=actor, named=values.get("organization"), role="member"
        )
    except exceptions.APIException as exc:
        return {"refused": str(exc.detail)}
    report = policies.eligibility_report(
        dataset=dataset,
        organization=organization,
        purpose=values["purpose"],
        period_days=values["period_days"],
        accepted_obligations=values["accepted_obligations"],
    )
    return {
        "eligible": report.eligible,
        "approval_route": report.approval_route,
        "reasons": localized_reasons(report.reasons),
        "open_request_id": report.open_request.pk if report.open_request else None,
    }


@console_page
@require_POST
def sharing_request_eligibility(request: HttpRequest, key: str) -> HttpResponse:
    """The form's live eligibility: a fragment naming every failed rule (htmx swaps it in)."""
    actor = page_actor(request)
    dataset = _visible_dataset(actor, key)
    return render(
        request,
        "console/sharing_requests/_eligibility.html",
        {"eligibility": _eligibility(actor, dataset, request.POST)},
    )


# --- my requests ------------------------------------------------------------------------------

STATE_BADGES: dict[str, str] = {
    SharingRequestState.APPROVED: "badge-ok",
    SharingRequestState.ACTIVE: "badge-ok",
    SharingRequestState.SUBMITTED: "badge-warn",
    SharingRequestState.AWAITING_PUBLISHER: "badge-warn",
    SharingRequestState.AWAITING_DIVISION_LEAD: "badge-warn",
    SharingRequestState.RETURNED: "badge-warn",
    SharingRequestState.REJECTED: "badge-bad",
    SharingRequestState.WITHDRAWN: "badge-bad",
    SharingRequestState.EXPIRED: "badge-bad",
    SharingRequestState.REVOKED: "badge-bad",
}


OBLIGATION_LABELS = dict(Obligation.choices)


class _RequestListing:
    """What the API's paging reads from its view: the list's ordering, no ordering filter."""

    ordering = "-created_at"
    filter_backends: list[Any] = []


def _requester_side(actor: Actor, state: str) -> SharingRequestFilter:
    """The reader's organisations' own requests as the API lists them to the reader:
    `sharing_request_list` narrowed by the API's `requester_id` (and `state`) filters."""
    params = QueryDict(mutable=True)
    params.setlist("requester_id", [str(pk) for pk in sorted(actor.organization_ids)])
    if state:
        params.setlist("state", [state])
    return SharingRequestFilter(params, queryset=selectors.sharing_request_list(actor=actor))


@console_page
def sharing_request_list(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    state = request.GET.get("state", "")
    filterset = _requester_side(actor, state)
    if not filterset.is_valid():
        return error_page(request, 400, _("No such state."))
    rows: list[dict[str, Any]] = []
    paginator = CursorPagination()
    if actor.organization_ids:
        page = paginator.paginate_queryset(
            filterset.qs,
            api_request(request),
            view=_RequestListing(),  # type: ignore[arg-type]
        )
        data = SharingRequestOutputSerializer(page, many=True).data
        for item, obj in zip(data, page or [], strict=True):
            rows.append(
                {
                    **item,
                    "title": in_reader_language(obj.dataset.title_ko, obj.dataset.title_en),
                    "requester_name": in_reader_language(
                        obj.requester.name_ko, obj.requester.name_en
                    ),
                    "state_label": obj.get_state_display(),
                    "purpose_label": obj.get_purpose_display(),
                    "badge": STATE_BADGES.get(obj.state, ""),
                }
            )
        next_url, previous_url = paginator.get_next_link(), paginator.get_previous_link()
    else:
        next_url = previous_url = None
    return render(
        request,
        "console/sharing_requests/list.html",
        {
            "rows": rows,
            "state": state,
            "states": SharingRequestState.choices,
            "is_member": bool(actor.organization_ids),
            "next_url": next_url,
            "previous_url": previous_url,
        },
    )


# --- a request's page -------------------------------------------------------------------------


def _detail_context(request: HttpRequest, actor: Actor, sharing_request: SharingRequest) -> Any:
    data = SharingRequestDetailSerializer(sharing_request).data
    agreement = getattr(sharing_request, "agreement", None)
    grant = getattr(agreement, "grant", None) if agreement is not None else None
    agreement_data = AgreementOutputSerializer(agreement).data if agreement is not None else None
    grant_data = GrantOutputSerializer(grant).data if grant is not None else None
    member = can_act_for(actor, sharing_request.requester)
    context: dict[str, Any] = {
        "sharing_request": data,
        "title": in_reader_language(
            sharing_request.dataset.title_ko, sharing_request.dataset.title_en
        ),
        "requester_name": in_reader_language(
            sharing_request.requester.name_ko, sharing_request.requester.name_en
        ),
        "state_label": sharing_request.get_state_display(),
        "purpose_label": sharing_request.get_purpose_display(),
        "obligation_labels": [
            str(OBLIGATION_LABELS.get(code, code)) for code in sharing_request.accepted_obligations
        ],
        "badge": STATE_BADGES.get(sharing_request.state, ""),
        "agreement": agreement_data,
        "agreement_terms": _agreement_terms(agreement_data),
        "agreement_json": json.dumps(agreement_data["document"], ensure_ascii=False, indent=2)
        if agreement_data
        else "",
        "grant": grant_data,
        "may_download": grant is not None and can_download(actor, grant) and grant_is_valid(grant),
        "may_withdraw": sharing_request.state in OPEN_REQUEST_STATES
        and can_withdraw(actor, sharing_request),
        "withdraw_form": WithdrawForm(),
        "returned": sharing_request.state == SharingRequestState.RETURNED,
        "returned_comment": _returned_comment(sharing_request),
    }
    if context["returned"] and member:
        context["resubmit_form"] = ResubmitForm(
            policy=selectors.policy_current_get(dataset=sharing_request.dataset),
            initial={
                "purpose": sharing_request.purpose,
                "period_days": sharing_request.period_days,
                "justification": sharing_request.justification,
                "accepted_obligations": list(sharing_request.accepted_obligations),
            },
        )
    return context


def _labels(choices: Any, codes: Any) -> str:
    names = dict(choices)
    return ", ".join(str(names.get(code, code)) for code in codes or [])


def _agreement_terms(agreement: Any) -> dict[str, str]:
    """The frozen terms' codes in words (the document itself keeps the codes)."""
    if not agreement:
        return {}
    document = agreement["document"]
    return {
        "purpose": _labels(Purpose.choices, [document.get("purpose")]),
        "obligations": _labels(Obligation.choices, document.get("accepted_obligations")),
        "prohibitions": _labels(
            Prohibition.choices, document.get("policy", {}).get("prohibitions")
        ),
    }


def _returned_comment(sharing_request: SharingRequest) -> str:
    """The approver's words when the request was last returned (from its history)."""
    if sharing_request.state != SharingRequestState.RETURNED:
        return ""
    returned = [
        event
        for event in sharing_request.events.all()
        if event.to_state == SharingRequestState.RETURNED
    ]
    return returned[-1].comment if returned else ""


@console_page
def sharing_request_detail(request: HttpRequest, pk: str) -> HttpResponse:
    actor = page_actor(request)
    sharing_request = _visible_request(actor, pk, with_history=True)
    return render(
        request,
        "console/sharing_requests/detail.html",
        _detail_context(request, actor, sharing_request),
    )


@console_page
def sharing_request_agreement_json(request: HttpRequest, pk: str) -> HttpResponse:
    """The agreement as `GET /api/v1/agreements/{id}/` answers it, saved as a file."""
    actor = page_actor(request)
    sharing_request = _visible_request(actor, pk)
    agreements = selectors.agreement_list(actor=actor)
    agreement = agreements.filter(sharing_request=sharing_request).first()
    if agreement is None:
        raise Http404
    body = JSONRenderer().render(AgreementOutputSerializer(agreement).data)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="agreement-{agreement.pk}.json"'
    return response


@console_page
@require_POST
def sharing_request_download_links(request: HttpRequest, pk: str) -> HttpResponse:
    """Fresh signed links for the request's grant, made now (`POST /api/v1/grants/{id}/
    download-links/`): they expire, so a page never carries one from when it was drawn."""
    actor = page_actor(request)
    sharing_request = _visible_request(actor, pk)
    grant = selectors.grant_list(actor=actor).filter(agreement__sharing_request=sharing_request)
    found = grant.first()
    if found is None:
        raise Http404
    links: list[dict[str, Any]] = []
    error = ""
    status = 200
    try:
        links = downloads.download_links_issue(
            actor=actor,
            grant=found,
            absolute_uri=functools.partial(absolute_url, request=request),
        )
    except exceptions.APIException as exc:
        error, status = str(exc.detail), exc.status_code
    fragment = {"links": links, "links_error": error, "links_issued": True}
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only successful answers: the refusal is shown in the fragment, as text.
        return render(request, "console/sharing_requests/_download_links.html", fragment)
    sharing_request = _visible_request(actor, pk, with_history=True)
    context = {**_detail_context(request, actor, sharing_request), **fragment}
    return render(request, "console/sharing_requests/detail.html", context, status=status)


@console_page
@require_POST
def sharing_request_withdraw(request: HttpRequest, pk: str) -> HttpResponse:
    """`POST /api/v1/sharing-requests/{id}/withdraw/`: the service decides who may."""
    actor = page_actor(request)
    sharing_request = _visible_request(actor, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return error_page(request, 400, form.errors.as_text())
    sharing_requests.sharing_request_withdraw(
        actor=actor, sharing_request=sharing_request, reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("The request is withdrawn."))
    return redirect("console:sharing-request", pk=sharing_request.pk)


@console_page
@require_POST
def sharing_request_resubmit(request: HttpRequest, pk: str) -> HttpResponse:
    """`POST /api/v1/sharing-requests/{id}/resubmit/` with every term of the form."""
    actor = page_actor(request)
    sharing_request = _visible_request(actor, pk)
    form = ResubmitForm(
        request.POST, policy=selectors.policy_current_get(dataset=sharing_request.dataset)
    )
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        done, status = _on_form(
            form,
            lambda: sharing_requests.sharing_request_resubmit(
                actor=actor,
                sharing_request=sharing_request,
                purpose=data["purpose"],
                justification=data["justification"],
                period_days=data["period_days"],
                accepted_obligations=list(data["accepted_obligations"]),
                comment=data["comment"],
            ),
        )
        if done is not None:
            messages.success(request, _("The request is submitted again."))
            return redirect("console:sharing-request", pk=sharing_request.pk)
        if status == 403:  # not theirs to resubmit: the refusal, not a form to fix
            return error_page(request, status, " ".join(str(e) for e in form.non_field_errors()))
    sharing_request = _visible_request(actor, pk, with_history=True)
    context = {**_detail_context(request, actor, sharing_request), "resubmit_form": form}
    return render(request, "console/sharing_requests/detail.html", context, status=status)


urlpatterns: list[URLPattern | URLResolver] = [
    path("datasets/<str:key>/request/", sharing_request_new, name="sharing-request-new"),
    path(
        "datasets/<str:key>/request/eligibility/",
        sharing_request_eligibility,
        name="sharing-request-eligibility",
    ),
    path("sharing-requests/", sharing_request_list, name="sharing-requests"),
    path("sharing-requests/<str:pk>/", sharing_request_detail, name="sharing-request"),
    path(
        "sharing-requests/<str:pk>/agreement.json",
        sharing_request_agreement_json,
        name="sharing-request-agreement",
    ),
    path(
        "sharing-requests/<str:pk>/download-links/",
        sharing_request_download_links,
        name="sharing-request-download-links",
    ),
    path(
        "sharing-requests/<str:pk>/withdraw/",
        sharing_request_withdraw,
        name="sharing-request-withdraw",
    ),
    path(
        "sharing-requests/<str:pk>/resubmit/",
        sharing_request_resubmit,
        name="sharing-request-resubmit",
    ),
]
