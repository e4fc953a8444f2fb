"""Keyset cursor pagination with a capped page size and a bounded count.

Deep OFFSET pages and exact COUNT(*) both grow with the table. Here a cursor carries the whole
ordering key of the row a page starts after (the ordering always ends with the primary key, so
the key is unique), and the next page is `WHERE key > cursor ORDER BY key LIMIT n`: every page
costs the same however deep it is, and rows that tie on the first ordering field are neither
repeated nor skipped. DRF's own cursor keeps only the first field and an OFFSET among its ties,
which degrades to OFFSET paging when many rows tie (search relevance has only two values).

An ordering that starts with a `Tiers` annotation (a CASE of constants: search relevance) is
paged tier by tier when more rows match than the count's cap: each tier becomes its own query,
ordered by the rest of the key, so PostgreSQL can walk an index for it instead of computing the
CASE for every match and sorting them all. Below the cap, one query sorts the few matches.

The count stops at `count_cap`, so it too costs the same whatever the catalog's size.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import Case, Field, Q, QuerySet, Value, When
from django.template import loader
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from .urls import absolute_url


class Tiers(Case):
    """A CASE of constants, `Tiers((condition, value), ..., default=value)`, that the pagination
    pages one query per value when it leads the ordering over many rows (search relevance)."""

    def __init__(
        self, *branches: tuple[Q, Any], default: Any, output_field: Field[Any, Any]
    ) -> None:
        super().__init__(
            *(When(condition, then=Value(value)) for condition, value in branches),
            default=Value(default),
            output_field=output_field,
        )
        # Kept unresolved: the annotation Django stores holds resolved copies of the WHENs.
        self.branches = list(branches)
        self.default_value = default

    def tiers(self) -> list[tuple[Any, Q]]:
        by_value: dict[Any, Q] = {}
        earlier = Q()
        for condition, value in self.branches:
            # CASE takes the first WHEN that holds: a row is in a branch only if no earlier one
            # took it.
            branch = condition & ~earlier if earlier else condition
            by_value[value] = by_value[value] | branch if value in by_value else branch
            earlier = earlier | condition if earlier else condition
        rest = ~earlier if earlier else Q()
        default = self.default_value
        by_value[default] = by_value[default] | rest if default in by_value else rest
        return sorted(by_value.items(), key=lambda item: item[0])


@dataclass(frozen=True)
class OrderKey:
    """One term of the ordering: a model field or an annotation, ascending or descending."""

    name: str
    descending: bool
    field: Field[Any, Any]

    def order_by(self, reverse: bool) -> str:
        return self.name if self.descending == reverse else f"-{self.name}"

    def moves_down(self, reverse: bool) -> bool:
        """True when the next rows have smaller values of this key."""
        return self.descending != reverse


@dataclass(frozen=True)
class Cursor:
    reverse: bool
    position: tuple[Any, ...]  # the ordering key of the row the page starts after


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()  # full precision: DjangoJSONEncoder cuts microseconds
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


class CursorPagination(pagination.BasePagination):
    page_size = 25
    page_size_query_param = "page_size"
    page_size_query_description = _("Number of results to return per page.")
    max_page_size = 100
    cursor_query_param = "cursor"
    cursor_query_description = _("The pagination cursor value.")
    invalid_cursor_message = _("Invalid cursor")
    ordering: str | tuple[str, ...] = "-created_at"
    template = "rest_framework/pagination/previous_and_next.html"
    # Counting costs a row visit per match (28 ms for 10,000 at 100k datasets, see
    # docs/benchmarks.md); "1,000+" tells a person and a script as much.
    count_cap = 1_000

    def get_page_size(self, request: Request) -> int:
        """The requested size, up to `max_page_size`; the default when absent or unusable."""
        try:
            size = int(request.query_params[self.page_size_query_param])
        except (KeyError, ValueError):
            return self.page_size
        return min(size, self.max_page_size) if size > 0 else self.page_size

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any], view: APIView
    ) -> tuple[str, ...]:
        """The ordering filter's (else the view's, else ours), plus the primary key, which
        makes the key unique."""
        ordering: Any = getattr(view, "ordering", None) or self.ordering
        for backend in getattr(view, "filter_backends", []):
            if hasattr(backend, "get_ordering"):
                ordering = backend().get_ordering(request, queryset, view) or ordering
                break
        terms = (ordering,) if isinstance(ordering, str) else tuple(ordering)
        if not any(term.lstrip("-") in ("pk", "id") for term in terms):
            terms = (*terms, "-pk" if terms[0].startswith("-") else "pk")
        return terms

    # --- the page ---------------------------------------------------------------------------

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        assert view is not None
        self.request = request
        self.size = self.get_page_size(request)
        self.base_url = absolute_url(request.get_full_path(), request)
        self.keys = [
            self._key(queryset, term) for term in self.get_ordering(request, queryset, view)
        ]
        self.tiers = self._tiers(queryset, self.keys[0])
        self.cursor = self.decode_cursor(request)
        # `SELECT count(*) FROM (... LIMIT cap+1)`: bounded work however many rows match.
        self.bounded_count = queryset.order_by().values("pk")[: self.count_cap + 1].count()

        reverse = self.cursor.reverse if self.cursor else False
        try:
            rows = self._rows(queryset, reverse, limit=self.size + 1)
        except (ValueError, TypeError, DataError, DjangoValidationError) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        more = len(rows) > self.size
        page = rows[: self.size]
        if reverse:
            page.reverse()

        first = self._position(page[0]) if page else None
        last = self._position(page[-1]) if page else None
        self.has_next: bool
        self.has_previous: bool
        self.next_position: tuple[Any, ...] | None
        self.previous_position: tuple[Any, ...] | None
        if reverse:
            # Came back from a later page: that page follows this one.
            self.has_next, self.next_position = True, last
            self.has_previous, self.previous_position = more, first
        else:
            self.has_next, self.next_position = more, last
            self.has_previous = self.cursor is not None and first is not None
            self.previous_position = first
        self.display_page_controls = self.has_next or self.has_previous
        return page

    def _rows(self, queryset: QuerySet[Any], reverse: bool, limit: int) -> list[Any]:
        position = self.cursor.position if self.cursor else None
        if self.tiers is not None and self.bounded_count > self.count_cap:
            return self._tiered_rows(queryset, position, reverse, limit)
        if self.tiers is not None:
            # Few matches (the count was not capped): sort them all in one query, within the
            # bounded set the count saw, whatever the planner guesses about their number.
            bounded = queryset.order_by().values("pk")[: self.count_cap + 1]
            queryset = queryset.filter(pk__in=bounded)
        rows = queryset.order_by(*(key.order_by(reverse) for key in self.keys))
        if position is not None:
            rows = rows.filter(_after(self.keys, position, reverse))
        return list(rows[:limit])

    def _tiered_rows(
        self, queryset: QuerySet[Any], position: tuple[Any, ...] | None, reverse: bool, limit: int
    ) -> list[Any]:
        """Tier by tier from the cursor's, each ordered by the rest of the key; a later tier
        is read only when the earlier ones run out within this page.

        Reading every tier in one UNION ALL would keep the query count fixed, but PostgreSQL
        plans the second tier (`NOT title match`) as if matches were spread evenly, and when
        the titles hold nearly every match it walks the whole table to fill a page that no
        one asked for (0.7 s at 100,000 datasets for `vibration`, docs/benchmarks.md).
        """
        assert self.tiers is not None
        rest = self.keys[1:]
        order = [key.order_by(reverse) for key in rest]
        tiers = self.tiers if not self.keys[0].moves_down(reverse) else self.tiers[::-1]
        if position is not None:
            tiers = tiers[[value for value, _ in tiers].index(position[0]) :]
        found: list[Any] = []
        for index, (_value, condition) in enumerate(tiers):
            rows = queryset.filter(condition)
            if index == 0 and position is not None:
                rows = rows.filter(_after(rest, position[1:], reverse))
            found.extend(rows.order_by(*order)[: limit - len(found)])
            if len(found) >= limit:
                break
        return found

    # --- ordering keys and tiers --------------------------------------------------------------

    def _key(self, queryset: QuerySet[Any], term: str) -> OrderKey:
        name = term.lstrip("-")
        meta = queryset.model._meta
        if name == "pk":
            field: Field[Any, Any] = meta.pk
        elif name in queryset.query.annotations:
            field = queryset.query.annotations[name].output_field
        else:
            try:
                field = meta.get_field(name)
            except FieldDoesNotExist as exc:  # a view's ordering names an unknown field
                raise AssertionError(f"Cannot page on {name!r}") from exc
        return OrderKey(name=name, descending=term.startswith("-"), field=field)

    @staticmethod
    def _tiers(queryset: QuerySet[Any], key: OrderKey) -> list[tuple[Any, Q]] | None:
        """For a `Tiers` annotation: (value, rows with that value), by ascending value."""
        annotation = queryset.query.annotations.get(key.name)
        return annotation.tiers() if isinstance(annotation, Tiers) else None

    def _position(self, row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, key.name) for key in self.keys)

    # --- cursors ------------------------------------------------------------------------------

    def encode_cursor(self, cursor: Cursor) -> str:
        payload = {"r": int(cursor.reverse), "p": [_encode_value(v) for v in cursor.position]}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        token = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def decode_cursor(self, request: Request) -> Cursor | None:
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = json.loads(raw)
            reverse = payload["r"]
            values = payload["p"]
            if reverse not in (0, 1) or not isinstance(values, list):
                raise ValueError("malformed cursor")
            if len(values) != len(self.keys):
                raise ValueError("the cursor belongs to another ordering")
            position = tuple(
                self._parse(key, value) for key, value in zip(self.keys, values, strict=True)
            )
            if self.tiers is not None and position[0] not in {v for v, _ in self.tiers}:
                raise ValueError("no such tier")
        except (
            ValueError,
            TypeError,
            KeyError,
            binascii.Error,
            UnicodeError,
            DjangoValidationError,
        ) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        return Cursor(reverse=bool(reverse), position=position)

    @staticmethod
    def _parse(key: OrderKey, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError("a cursor value must be a string or a number")
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL in a cursor value")  # PostgreSQL refuses NUL in text
        parsed = key.field.to_python(value)
        if parsed is None:
            raise ValueError("empty cursor value")
        return parsed

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if self.next_position is None:  # an empty page reached backwards: start again
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self.encode_cursor(Cursor(reverse=False, position=self.next_position))

    def get_previous_link(self) -> str | None:
        if not self.has_previous or self.previous_position is None:
            return None
        return self.encode_cursor(Cursor(reverse=True, position=self.previous_position))

    # --- the response -------------------------------------------------------------------------

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

    def get_html_context(self) -> dict[str, Any]:
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link()}

    def to_html(self) -> str:
        return loader.get_template(self.template).render(self.get_html_context())

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(self.cursor_query_description),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"{self.page_size_query_description} "
                f"{self.page_size} by default, at most {self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "count_is_capped", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": f"Matching rows, counted up to {self.count_cap}.",
                },
                "count_is_capped": {
                    "type": "boolean",
                    "description": "True when more rows match than `count` says.",
                },
                "next": {**link, "description": "The next page, or null on the last."},
                "previous": {**link, "description": "The previous page, or null on the first."},
                "results": schema,
            },
        }


def _after(keys: list[OrderKey], position: tuple[Any, ...], reverse: bool) -> Q:
    """Rows strictly after `position` in the order of `keys` (before it when `reverse`).

    (a, b, c) after (x, y, z) is `a > x OR (a = x AND b > y) OR (a = x AND b = y AND c > z)`,
    each comparison in its key's direction; the leading `a >= x` lets an index on `a` bound
    the scan.
    """
    if not keys:
        return Q()
    first = keys[0]
    bound = Q(**{f"{first.name}__{'lte' if first.moves_down(reverse) else 'gte'}": position[0]})
    after = Q()
    equal = Q()
    for key, value in zip(keys, position, strict=True):
        step = Q(**{f"{key.name}__{'lt' if key.moves_down(reverse) else 'gt'}": value})
        after = after | (equal & step) if after else step
        equal = equal & Q(**{key.name: value})
    return bound & after
