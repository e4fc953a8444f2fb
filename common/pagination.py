"""Cursor pagination with a capped page size and a bounded count.

Deep OFFSET pages and exact COUNT(*) both grow with the table; a cursor stays on the index and the
count stops at COUNT_CAP, so every page costs the same whatever the catalog's size.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-created_at"
    # Counting costs a row visit per match (28 ms for 10,000 at 100k datasets, see
    # docs/benchmarks.md); "1,000+" tells a person and a script as much.
    count_cap = 1_000

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> tuple[str, ...]:
        """The requested ordering plus the primary key: rows that tie on the ordering field
        must come in the same order on every page, or the cursor repeats and skips them."""
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering):
            ordering = (*ordering, "-pk" if ordering[0].startswith("-") else "pk")
        return ordering

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        # `SELECT count(*) FROM (... LIMIT cap+1)`: bounded work however many rows match.
        self.bounded_count = queryset.order_by().values("pk")[: self.count_cap + 1].count()
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DataError, DjangoValidationError) as exc:
            # A forged cursor whose position does not fit the ordering field.
            raise NotFound(self.invalid_cursor_message) from exc

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "count": min(self.bounded_count, self.count_cap),
                "count_is_capped": self.bounded_count > self.count_cap,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        base = super().get_paginated_response_schema(schema)
        base["properties"] = {
            "count": {
                "type": "integer",
                "description": f"Matching rows, counted up to {self.count_cap}.",
            },
            "count_is_capped": {
                "type": "boolean",
                "description": "True when more rows match than `count` says.",
            },
            **base["properties"],
        }
        base["required"] = ["count", "count_is_capped", "results"]
        return base
