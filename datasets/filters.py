"""Catalog filters: every relation by key (`*_id`) and by its readable code or slug."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.views import APIView

from common.filters import MultiValueCharFilter, MultiValueNumberFilter

from .models import DataFormat, Dataset, DatasetStatus, License, Sensitivity, Theme
from .selectors import dataset_search


class DatasetFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        label="Full-text search over titles, descriptions and keywords (Korean and English).",
    )
    division_id = MultiValueNumberFilter(field_name="division_id")
    division = MultiValueCharFilter(field_name="division__code", label="Division code")
    publisher_id = MultiValueNumberFilter(field_name="publisher_id")
    publisher = MultiValueCharFilter(field_name="publisher__slug", label="Publisher slug")
    theme = filters.MultipleChoiceFilter(choices=Theme.choices)
    format = filters.MultipleChoiceFilter(
        choices=DataFormat.choices, method="filter_format", label="Any of these formats"
    )
    keyword = filters.CharFilter(method="filter_keyword", label="Exact keyword")
    license = filters.MultipleChoiceFilter(choices=License.choices)
    sensitivity = filters.MultipleChoiceFilter(choices=Sensitivity.choices)
    status = filters.MultipleChoiceFilter(choices=DatasetStatus.choices)
    modified_after = filters.IsoDateTimeFilter(field_name="modified_at", lookup_expr="gte")
    modified_before = filters.IsoDateTimeFilter(field_name="modified_at", lookup_expr="lt")
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Dataset
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Dataset], name: str, value: str) -> QuerySet[Dataset]:
        return dataset_search(queryset, value) if value.strip() else queryset

    def filter_format(
        self, queryset: QuerySet[Dataset], name: str, value: list[str]
    ) -> QuerySet[Dataset]:
        return queryset.filter(formats__overlap=value) if value else queryset

    def filter_keyword(
        self, queryset: QuerySet[Dataset], name: str, value: Any
    ) -> QuerySet[Dataset]:
        return queryset.filter(keywords__contains=[value]) if value else queryset


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
