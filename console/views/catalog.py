"""The catalog: search, facets, sorting and paging, through the API's own filters.

The page's URL takes exactly the query of GET /api/v1/datasets/ (every filter of
`DatasetFilter`, `ordering`, `cursor`, `page_size`), narrows the same visible set with it and
pages it with the same cursor pagination, so a page lists what the API lists for the same
person and a search's URL can be shared. Facet counts come from one grouped query
(`selectors.dataset_facets`), cached briefly per visibility scope and filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.utils import translate_validation

from common.pagination import CursorPagination
from datasets import selectors
from datasets.api.serializers import DatasetOutputSerializer
from datasets.api.views import DatasetViewSet
from datasets.filters import DatasetFilter
from datasets.models import DataFormat, License, Sensitivity, Theme, ValidationStatus

from .base import api_request, page_actor, public_page

FACET_LEGENDS = {
    "division": _("Division"),
    "theme": _("Theme"),
    "format": _("Format"),
    "sensitivity": _("Sensitivity"),
    "license": _("Licence"),
    "publisher": _("Publisher"),
}
VOCABULARIES: dict[str, Any] = {
    "theme": Theme,
    "format": DataFormat,
    "sensitivity": Sensitivity,
    "license": License,
}
SENSITIVITY_BADGES = {
    Sensitivity.PUBLIC: "badge-ok",
    Sensitivity.MEMBERS: "",
    Sensitivity.CONFIDENTIAL: "badge-warn",
    Sensitivity.RESTRICTED: "badge-bad",
}

# The newest check of the latest published version: (badge class, words).
CHECK_BADGES: dict[str, tuple[str, Any]] = {
    ValidationStatus.PASSED: ("badge-ok", _("Checks passed")),
    ValidationStatus.FAILED: ("badge-bad", _("Checks failed")),
    ValidationStatus.ERROR: ("badge-bad", _("Could not be checked")),
    ValidationStatus.QUEUED: ("badge-warn", _("Being checked")),
    ValidationStatus.RUNNING: ("badge-warn", _("Being checked")),
}


def in_language(korean: str | None, english: str | None) -> str:
    """The reader's language's text, else the other one."""
    if (get_language() or "ko").startswith("en"):
        return english or korean or ""
    return korean or english or ""


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int
    checked: bool


@dataclass(frozen=True)
class FacetGroup:
    name: str
    legend: str
    options: list[FacetOption]
    more: bool


def _sorts(searching: bool, ordering: str) -> list[tuple[str, str]]:
    """The API's orderings (`ordering`), the first being its default for this query; an
    other ordering the URL asks for is listed as it is, so the list shows what applies."""
    sorts = [
        ("-modified_at", str(_("Recently updated"))),
        ("-created_at", str(_("Newest"))),
        ("created_at", str(_("Oldest"))),
        ("title_ko", str(_("Title (Korean)"))),
        ("title_en", str(_("Title (English)"))),
    ]
    if searching:
        sorts.insert(0, ("-relevance", str(_("Relevance"))))
    if ordering and ordering not in {value for value, _label in sorts}:
        terms = [term.strip().lstrip("-") for term in ordering.split(",")]
        allowed = set(DatasetViewSet.ordering_fields) - (set() if searching else {"relevance"})
        if all(term in allowed for term in terms):  # else the API ignores it too
            sorts.append((ordering, ordering))
    return sorts


def _facet_groups(
    facets: dict[str, selectors.Facet], chosen: dict[str, list[str]]
) -> list[FacetGroup]:
    groups = []
    for name in selectors.FACETS:
        facet = facets[name]
        vocabulary = VOCABULARIES.get(name)
        labels = dict(vocabulary.choices) if vocabulary is not None else {}
        options = [
            FacetOption(
                value=item.value,
                label=str(labels.get(item.value, item.value or _("(none)")))
                if vocabulary is not None
                else in_language(item.name_ko, item.name_en) or item.value,
                count=item.count,
                checked=item.value in chosen.get(name, ()),
            )
            for item in facet.values
        ]
        groups.append(FacetGroup(name, str(FACET_LEGENDS[name]), options, facet.more))
    return groups


def _pages(paginator: CursorPagination) -> dict[str, Any]:
    """The cursors of the previous and next pages, for links that keep every other parameter
    of the URL (`{% querystring %}`); None for a link that drops the cursor (the first page)."""
    pages: dict[str, Any] = {}
    for name, link in (
        ("previous", paginator.get_previous_link()),
        ("next", paginator.get_next_link()),
    ):
        pages[f"has_{name}"] = link is not None
        values = parse_qs(urlsplit(link or "").query).get(CursorPagination.cursor_query_param)
        pages[name] = values[0] if values else None
    return pages


def _cards(page: list[Any]) -> list[dict[str, Any]]:
    """The API's output for each dataset, with its title and names in the reader's language
    and the badges of its latest published version."""
    badges = selectors.dataset_check_badges(dataset_ids=[dataset.pk for dataset in page])
    sensitivities = dict(Sensitivity.choices)
    cards = []
    for data, dataset in zip(DatasetOutputSerializer(page, many=True).data, page, strict=True):
        badge = badges.get(dataset.pk)
        cards.append(
            {
                "data": data,
                "title": in_language(data["title_ko"], data["title_en"]),
                "description": in_language(data["description_ko"], data["description_en"]),
                "publisher": in_language(
                    data["publisher"]["name_ko"], data["publisher"]["name_en"]
                ),
                "division": in_language(data["division"]["name_ko"], data["division"]["name_en"]),
                "sensitivity": sensitivities.get(data["sensitivity"], ""),
                "sensitivity_class": SENSITIVITY_BADGES.get(data["sensitivity"], ""),
                "check": CHECK_BADGES.get(badge.check_status or "") if badge else None,
                "waiver_reason": badge.waiver_reason if badge else "",
            }
        )
    return cards


@public_page
def index(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    drf_request = api_request(request)
    # The API's list view, for what its ordering filter and pagination read from a view.
    view = DatasetViewSet(request=drf_request, action="list", kwargs={}, format_kwarg=None)
    filterset = DatasetFilter(
        data=request.GET, queryset=selectors.dataset_list(actor=actor), request=drf_request
    )
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    chosen = filterset.chosen_facets()
    conditions = {
        name: DatasetFilter.facet_condition(name, values) for name, values in chosen.items()
    }
    narrowed = filterset.qs_without_facets()
    results = narrowed.filter(*conditions.values())

    paginator = CursorPagination()
    page = paginator.paginate_queryset(results, drf_request, view) or []
    facets = selectors.dataset_facets_cached(
        actor=actor,
        filters=filterset.form.cleaned_data,
        queryset=narrowed,
        conditions=conditions,
        chosen=chosen,
    )
    # htmx asks for the results alone as the reader types or ticks (the form pushes the URL).
    htmx = getattr(request, "htmx", None)  # django-htmx's HtmxDetails
    fragment = bool(htmx and not htmx.history_restore_request)
    query = request.GET.get("q", "")
    searching = bool(query.strip())
    ordering = request.GET.get("ordering", "")
    context = {
        "cards": _cards(page),
        "facets": _facet_groups(facets, chosen),
        "count": min(paginator.bounded_count, paginator.count_cap),
        "count_is_capped": paginator.bounded_count > paginator.count_cap,
        "pages": _pages(paginator),
        "q": query,
        "sorts": _sorts(searching, ordering),
        "ordering": ordering,
        "hidden": _hidden_filters(request),
        "fragment": fragment,
    }
    template = "console/catalog/_results.html" if fragment else "console/catalog/index.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# Parameters the page's form has fields for; any other filter of the URL rides along hidden.
FORM_PARAMETERS = {"q", "ordering", "cursor", *selectors.FACETS}


def _hidden_filters(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, values in request.GET.lists()
        if name not in FORM_PARAMETERS
        for value in values
    ]


urlpatterns: list[URLPattern | URLResolver] = [
    path("datasets/", index, name="catalog"),
]
