"""Catalog filters: every relation by key (`*_id`) and by its readable code or slug."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Division, Organization
from common.filters import (
    BoundedDateTimeFilter,
    ChoicesFilter,
    MultiValueCharFilter,
    MultiValueNumberFilter,
)

from .models import DataFormat, Dataset, DatasetStatus, License, Sensitivity, Theme
from .selectors import FACETS, dataset_search


class DatasetFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        label=_("Full-text search over titles, descriptions and keywords (Korean and English)."),
    )
    division_id = MultiValueNumberFilter(field_name="division_id")
    division = MultiValueCharFilter(method="filter_division", label=_("Division code"))
    publisher_id = MultiValueNumberFilter(field_name="publisher_id")
    publisher = MultiValueCharFilter(method="filter_publisher", label=_("Publisher slug"))
    theme = ChoicesFilter(choices=Theme.choices)
    format = ChoicesFilter(
        choices=DataFormat.choices, method="filter_format", label=_("Any of these formats")
    )
    keyword = filters.CharFilter(method="filter_keyword", label=_("Exact keyword"))
    license = ChoicesFilter(choices=License.choices)
    sensitivity = ChoicesFilter(choices=Sensitivity.choices)
    status = ChoicesFilter(choices=DatasetStatus.choices)
    modified_after = BoundedDateTimeFilter(field_name="modified_at", lookup_expr="gte")
    modified_before = BoundedDateTimeFilter(field_name="modified_at", lookup_expr="lt")
    created_after = BoundedDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Dataset
        fields: list[str] = []

    # Codes and slugs become ids first (one small query), so that PostgreSQL can walk the
    # (division_id, modified_at) index instead of joining and sorting every match.
    def filter_division(
        self, queryset: QuerySet[Dataset], name: str, value: list[str]
    ) -> QuerySet[Dataset]:
        return queryset.filter(self.facet_condition("division", value)) if value else queryset

    def filter_publisher(
        self, queryset: QuerySet[Dataset], name: str, value: list[str]
    ) -> QuerySet[Dataset]:
        return queryset.filter(self.facet_condition("publisher", value)) if value else queryset

    def filter_q(self, queryset: QuerySet[Dataset], name: str, value: str) -> QuerySet[Dataset]:
        return dataset_search(queryset, value) if value.strip() else queryset

    def filter_format(
        self, queryset: QuerySet[Dataset], name: str, value: list[str]
    ) -> QuerySet[Dataset]:
        return queryset.filter(self.facet_condition("format", value)) if value else queryset

    def filter_keyword(
        self, queryset: QuerySet[Dataset], name: str, value: Any
    ) -> QuerySet[Dataset]:
        return queryset.filter(keywords__contains=[value]) if value else queryset

    # --- facets (the console's catalog; selectors.dataset_facets) ------------------------------
    # The six filters a catalog counts by value. Each is "any of these values", and each keeps
    # one home for its condition, so a facet's count and the filter it sets agree.

    @staticmethod
    def facet_condition(name: str, values: Sequence[str]) -> Q:
        """The rows one facet's chosen values keep."""
        if name == "division":
            ids = list(Division.objects.filter(code__in=values).values_list("pk", flat=True))
            return Q(division_id__in=ids)
        if name == "publisher":
            ids = list(Organization.objects.filter(slug__in=values).values_list("pk", flat=True))
            return Q(publisher_id__in=ids)
        if name == "format":
            return Q(formats__overlap=list(values))
        return Q(**{f"{name}__in": list(values)})

    def chosen_facets(self) -> dict[str, list[str]]:
        """The facets the (valid) query narrows, with their values, in FACETS order."""
        data = self.form.cleaned_data
        return {name: sorted(set(data[name])) for name in FACETS if data.get(name)}

    def qs_without_facets(self) -> QuerySet[Dataset]:
        """The queryset narrowed by every filter but the facets (`qs` narrows by those too:
        it equals this narrowed by every `facet_condition` of `chosen_facets`)."""
        queryset: QuerySet[Dataset] = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name not in FACETS:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


class DatasetOrderingFilter(OrderingFilter):
    """Search results come by relevance unless another order is asked for.

    `relevance` exists only with `q`; without it, asking for it falls back to the default.
    """

    RELEVANCE = "relevance"

    @staticmethod
    def _searching(request: Request | None) -> bool:
        return bool(request is not None and request.query_params.get("q", "").strip())

    def get_default_ordering(self, view: APIView) -> Sequence[str] | None:
        if self._searching(getattr(view, "request", None)):
            return (f"-{self.RELEVANCE}", "-modified_at")
        return super().get_default_ordering(view)

    def remove_invalid_fields(
        self, queryset: QuerySet[Dataset], fields: Iterable[str], view: APIView, request: Request
    ) -> list[str]:
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if not self._searching(request):
            valid = [term for term in valid if term.lstrip("-") != self.RELEVANCE]
        return valid
