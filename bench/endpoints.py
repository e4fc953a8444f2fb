"""What is measured, and the goals each endpoint is held to."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

from .measure import percentile

if TYPE_CHECKING:  # inprocess imports Django models, which need django.setup() first
    from .inprocess import Capture, CapturedQuery, Timing
    from .measure import Concurrent, Sequential
    from .sqltime import Plan, SqlTiming

Kind = Literal["list", "search", "detail"]
Auth = Literal["anonymous", "bearer"]

LIST_URL = "/api/v1/datasets/"
# p50 goals in milliseconds, and the most queries a list request may run.
P50_GOAL_MS: dict[Kind, float] = {"list": 30, "search": 60, "detail": 30}
MAX_LIST_QUERIES = 5


@dataclass(frozen=True)
class Endpoint:
    label: str
    kind: Kind
    auth: Auth
    paths: tuple[str, ...]
    shown: str  # the path as printed in the report

    @property
    def max_queries(self) -> int | None:
        return MAX_LIST_QUERIES if self.kind in ("list", "search") else None

    @property
    def p50_goal(self) -> float:
        return P50_GOAL_MS[self.kind]


def _list(label: str, kind: Kind, auth: Auth, params: dict[str, str]) -> Endpoint:
    path = LIST_URL + ("?" + urlencode(params) if params else "")
    shown = LIST_URL + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    return Endpoint(label, kind, auth, (path,), shown)


def catalog_endpoints(anonymous_ids: Sequence[str], member_ids: Sequence[str]) -> list[Endpoint]:
    """Anonymous callers see public datasets only, so their filtered list asks for those."""
    filtered = {"division": "ai-factory", "theme": "sensor_time_series"}
    endpoints: list[Endpoint] = [
        _list("list", "list", "anonymous", {}),
        _list("list", "list", "bearer", {}),
        _list("filtered list", "list", "anonymous", {**filtered, "sensitivity": "public"}),
        _list("filtered list", "list", "bearer", {**filtered, "sensitivity": "members"}),
    ]
    callers: tuple[Auth, ...] = ("anonymous", "bearer")
    for term in ("센서", "진동센서", "vibration"):
        for auth in callers:
            endpoints.append(_list(f"search {term}", "search", auth, {"q": term}))
    shown = LIST_URL + "<uuid>/"
    endpoints.append(
        Endpoint(
            "detail",
            "detail",
            "anonymous",
            tuple(f"{LIST_URL}{pk}/" for pk in anonymous_ids),
            shown,
        )
    )
    endpoints.append(
        Endpoint(
            "detail", "detail", "bearer", tuple(f"{LIST_URL}{pk}/" for pk in member_ids), shown
        )
    )
    return endpoints


@dataclass
class QueryFigure:
    query: CapturedQuery
    timing: SqlTiming | None


@dataclass
class Result:
    endpoint: Endpoint
    capture: Capture
    inprocess: Timing | None = None
    queries: list[QueryFigure] = field(default_factory=list)
    plans: dict[str, Plan] = field(default_factory=dict)
    sequential: Sequential | None = None
    concurrent: Concurrent | None = None
    server_ms: list[float] = field(default_factory=list)  # gunicorn's own time, same requests

    @property
    def inprocess_ms(self) -> float:
        """In-process (test client) p50, NaN until measured."""
        return self.inprocess.p50_ms if self.inprocess else math.nan

    @property
    def inprocess_sql_ms(self) -> float:
        """Time in database calls within those in-process requests (p50), NaN until measured."""
        return self.inprocess.sql_p50_ms if self.inprocess else math.nan

    @property
    def server_p50(self) -> float:
        return percentile(self.server_ms, 50)

    @property
    def http_p50(self) -> float:
        """Sequential HTTP p50 in ms (NaN before the HTTP phase or without a success)."""
        if self.sequential is None:
            return math.nan
        return self.sequential.p50

    @property
    def page(self) -> QueryFigure | None:
        return next((q for q in self.queries if q.query.role == "page"), None)

    @property
    def page_sql_ms(self) -> float | None:
        page = self.page
        return page.timing.p50_ms if page and page.timing else None

    @property
    def sql_total_ms(self) -> float:
        return sum(q.timing.p50_ms for q in self.queries if q.timing)

    @property
    def ratio(self) -> float | None:
        page_ms = self.page_sql_ms
        if not page_ms or math.isnan(self.http_p50):
            return None
        return self.http_p50 / page_ms

    def failures(self) -> list[str]:
        reasons: list[str] = []
        if self.sequential is None or not self.sequential.samples_ms:
            return ["no successful request"]
        if not self.sequential.p50 < self.endpoint.p50_goal:
            reasons.append(f"p50 ≥ {self.endpoint.p50_goal:.0f} ms")
        limit = self.endpoint.max_queries
        if limit is not None and len(self.capture.queries) > limit:
            reasons.append(f"> {limit} queries")
        if self.sequential.errors or (self.concurrent and self.concurrent.errors):
            reasons.append("errors")
        return reasons

    def goal(self) -> str:
        text = f"p50 < {self.endpoint.p50_goal:.0f} ms"
        if self.endpoint.max_queries is not None:
            text += f", ≤ {self.endpoint.max_queries} queries"
        return text

    def verdict(self) -> str:
        reasons = self.failures()
        return "PASS" if not reasons else "FAIL (" + "; ".join(reasons) + ")"
