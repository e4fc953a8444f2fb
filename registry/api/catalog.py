"""The published catalog as DCAT 3 with ODRL offers: GET /api/v1/catalog."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from accounts.api.mixins import ActorMixin
from common.exceptions import PROBLEM_CONTENT_TYPE
from common.filters import database_datetime
from common.pagination import CursorPagination
from common.urls import base_url
from interop.dcat import Uris
from interop.renderers import JSON_LD, TURTLE, JsonLdAsJsonRenderer, JsonLdRenderer, TurtleRenderer

from ..catalog import export
from ..catalog import selectors as dcat_selectors

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# --- input ------------------------------------------------------------------------------------

# A `+` in a query string is a space once decoded: `T09:00:00 09:00` was sent as `+09:00`.
_SPACE_FOR_PLUS = re.compile(r"(T[0-9:.,]+) ([0-9]{2}(?::?[0-9]{2})?)$")
# ISO 8601's extended forms only: Python's own parser also reads odd strings (300 digits are
# 1111-11-11T11:11:11.111111), which a harvester surely did not mean.
_ISO_8601 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,6})?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)


class ModifiedSinceField(serializers.Field):  # type: ignore[type-arg]
    """An ISO 8601 date-time or date; without an offset, in the registry's time zone; a date
    means its start."""

    default_error_messages = {
        "invalid": _(
            "Give an ISO 8601 date or date-time, such as 2025-10-01 or 2025-10-01T09:00:00+09:00."
        )
    }

    def to_internal_value(self, data: Any) -> dt.datetime:
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        text = _SPACE_FOR_PLUS.sub(r"\1+\2", data.strip())
        if not _ISO_8601.fullmatch(text):
            self.fail("invalid")
        try:
            moment = parse_datetime(text)
            if moment is None:
                day = parse_date(text)
                if day is not None:
                    moment = dt.datetime.combine(day, dt.time.min)
        except ValueError:  # well formed but impossible, e.g. month 13
            moment = None
        if moment is None:
            self.fail("invalid")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return database_datetime(moment)  # 400 for an offset beyond ±15:59

    def to_representation(self, value: dt.datetime) -> str:
        return value.isoformat()


class CatalogQuerySerializer(serializers.Serializer[Any]):
    modified_since = ModifiedSinceField(required=False)


# --- paging -----------------------------------------------------------------------------------


class CatalogPagination(CursorPagination):
    """The list API's keyset cursor (forged cursors are a 404), with harvester-sized pages."""

    page_size = 50
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        page = super().paginate_queryset(queryset, request, view)
        # Paging links are URIs in the graph: the catalog's own URI (whichever alias was asked)
        # under the registry's address (common.urls), with the page size, so that a page (the
        # hydra:view) never has the catalog's URI.
        catalog = str(Uris(base_url(request)).catalog())
        query = iri_to_uri(request.META.get("QUERY_STRING", ""))
        url = f"{catalog}?{query}" if query else catalog
        self.base_url = replace_query_param(url, self.page_size_query_param, self.size)
        return page or []

    def links(self) -> export.PageLinks:
        return export.PageLinks(
            current=self.base_url,
            first=remove_query_param(self.base_url, self.cursor_query_param),
            next=self.get_next_link(),
            previous=self.get_previous_link(),
            items_per_page=self.size,
            total_items=min(self.bounded_count, self.count_cap),
            total_is_capped=self.bounded_count > self.count_cap,
        )


# --- views ------------------------------------------------------------------------------------

CATALOG_PARAMETERS = [
    OpenApiParameter(
        "modified_since",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="Only datasets modified at or after this ISO 8601 date-time or date "
        "(without an offset: Asia/Seoul).",
    ),
    OpenApiParameter(
        "cursor",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="The page to read: follow `hydra:next` rather than building one.",
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        OpenApiParameter.QUERY,
        description=f"Datasets per page: {CatalogPagination.page_size} by default, at most "
        f"{CatalogPagination.max_page_size}.",
    ),
]


@extend_schema(tags=["catalog"])
class CatalogView(ActorMixin):
    """The published catalog, a page of datasets at a time, as DCAT-AP 3."""

    renderer_classes = [JsonLdRenderer, TurtleRenderer, JsonLdAsJsonRenderer]
    ordering = dcat_selectors.CATALOG_ORDERING

    @extend_schema(
        summary="The published catalog as DCAT 3 (DCAT-AP 3): JSON-LD or Turtle",
        description=(
            "Published and deprecated datasets the caller may see (anonymous callers: public "
            "ones), each with its published versions, their distributions and the current "
            "access policy as an ODRL Offer (`odrl:hasPolicy`). Oldest change first; the "
            "catalog node carries Hydra paging (`hydra:view` a `hydra:PartialCollectionView` "
            "with `hydra:first`, `hydra:next`, `hydra:itemsPerPage`; `hydra:totalItems` "
            "counted up to 1,000). Choose the representation with `Accept`: "
            "`application/ld+json` (default) or `text/turtle`."
        ),
        parameters=CATALOG_PARAMETERS,
        responses={
            (200, JSON_LD): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A page of the catalog (JSON-LD; also served for "
                "`application/json`, and as Turtle for `text/turtle`).",
            ),
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, TURTLE): OpenApiTypes.STR,
            (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="A malformed `modified_since`."
            ),
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="A cursor this catalog did not make."
            ),
            (406, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="Neither JSON-LD nor Turtle is acceptable."
            ),
        },
    )
    def get(self, request: Request) -> Response:
        query = CatalogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        datasets = dcat_selectors.catalog_dataset_list(
            actor=self.actor, modified_since=query.validated_data.get("modified_since")
        )
        paginator = CatalogPagination()
        page = paginator.paginate_queryset(datasets, request, view=self)
        catalog_page = export.CatalogPage(
            datasets=page,
            lookups=dcat_selectors.catalog_policy_lookups(page),
            links=paginator.links(),
            modified=dcat_selectors.catalog_modified(actor=self.actor),
        )
        return Response(export.catalog_graph(catalog_page, base_url=base_url(request)))


@extend_schema(tags=["catalog"])
class DatasetDcatView(ActorMixin):
    """One dataset of the published catalog as DCAT-AP 3 (what its catalog page entry says)."""

    renderer_classes = [JsonLdRenderer, TurtleRenderer, JsonLdAsJsonRenderer]

    @extend_schema(
        summary="A dataset as DCAT 3 (DCAT-AP 3): JSON-LD or Turtle",
        description=(
            "The dataset's description in the catalog: its published versions, their "
            "distributions and its current access policy as an ODRL Offer. Published and "
            "deprecated datasets the caller may see (anonymous callers: public ones); 404 "
            "for others, drafts and withdrawn datasets. Choose the representation with "
            "`Accept`: `application/ld+json` (default) or `text/turtle`."
        ),
        parameters=[
            OpenApiParameter(
                "dataset",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="Dataset UUID or slug.",
            )
        ],
        responses={
            (200, JSON_LD): OpenApiTypes.OBJECT,
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, TURTLE): OpenApiTypes.STR,
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="No such dataset in the catalog you may see."
            ),
        },
    )
    def get(self, request: Request, dataset: str) -> Response:
        found = dcat_selectors.catalog_dataset_get(actor=self.actor, key=dataset)
        if found is None:
            raise Http404
        graph = export.dataset_graph(
            found,
            lookups=dcat_selectors.catalog_policy_lookups([found]),
            base_url=base_url(request),
        )
        return Response(graph)


@extend_schema(exclude=True)
class CatalogSlashView(CatalogView):
    """`/api/v1/catalog/` answers too (documented once, without the slash)."""


urlpatterns: list[URLPattern] = [
    path("catalog", CatalogView.as_view(), name="catalog"),
    path("catalog/", CatalogSlashView.as_view(), name="catalog-slash"),
    path("datasets/<str:dataset>/dcat", DatasetDcatView.as_view(), name="dataset-dcat"),
]
