"""The alliance's figures (`/api/v1/stats/`) in the benchmark: what is measured, goals, report.

Tables are cached per scope for STATS_CACHE_SECONDS (stats/tables.py), so every
endpoint is measured twice through gunicorn:

- cold: the stats cache is emptied before each request (not timed), so each one computes its
  figures with SQL aggregates, as the first caller of a scope does every few minutes;
- warm: the figures come from the cache, as nearly every request does.

Statements are captured in process on a cold request and replayed alone with psycopg, so the
report can say which aggregate dominated.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .measure import percentile

if TYPE_CHECKING:  # inprocess and Django need django.setup() first
    from .measure import Concurrent, Sequential
    from .sqltime import Plan, SqlTiming

Persona = Literal["secretariat", "lead", "member"]

# Goals. Warm: what callers see nearly always (the figures of the last few minutes), held to
# the catalog's own standard of a page. Cold: once per scope every STATS_CACHE_SECONDS, the
# price of recomputing one table from the whole catalog (or a division's, or a firm's).
WARM_P50_MS = 50.0
WARM_EXPORT_P50_MS = 100.0  # a CSV export of the whole table: 1,300 rows of 47 columns
WARM_MAX_QUERIES = 3  # the token, its last_used_at, the caller's roles: no figure is queried
COLD_P50_MS: dict[Persona, float] = {"secretariat": 1500.0, "lead": 1500.0, "member": 500.0}
COLD_MAX_QUERIES = 23  # constant, whatever the data (tests/stats/test_query_count.py)


@dataclass(frozen=True)
class StatsEndpoint:
    label: str
    persona: Persona
    path: str
    warm_goal_ms: float = WARM_P50_MS

    @property
    def cold_goal_ms(self) -> float:
        return COLD_P50_MS[self.persona]


def stats_endpoints(member_organization: str, lead_division: str) -> list[StatsEndpoint]:
    monthly = "/api/v1/stats/monthly/"
    return [
        StatsEndpoint("summary", "secretariat", "/api/v1/stats/"),
        StatsEndpoint("summary", "member", "/api/v1/stats/"),
        StatsEndpoint("divisions", "secretariat", "/api/v1/stats/divisions/"),
        StatsEndpoint("divisions", "lead", "/api/v1/stats/divisions/"),
        StatsEndpoint("organisation kinds", "secretariat", "/api/v1/stats/organization-kinds/"),
        StatsEndpoint("organisations", "secretariat", "/api/v1/stats/organizations/"),
        StatsEndpoint(
            "organisations CSV",
            "secretariat",
            "/api/v1/stats/organizations/?format=csv",
            warm_goal_ms=WARM_EXPORT_P50_MS,
        ),
        StatsEndpoint("organisations", "lead", "/api/v1/stats/organizations/"),
        StatsEndpoint("organisations", "member", "/api/v1/stats/organizations/"),
        StatsEndpoint("monthly, 24 months", "secretariat", f"{monthly}?from={{from24}}"),
        StatsEndpoint("monthly, 12 months", "lead", monthly),
        StatsEndpoint(
            "organisation monthly",
            "member",
            f"/api/v1/stats/organizations/{member_organization}/monthly/",
        ),
    ]


@dataclass(frozen=True)
class Statement:
    role: str
    sql: str


@dataclass
class StatementFigure:
    statement: Statement
    timing: SqlTiming | None


@dataclass
class StatsResult:
    endpoint: StatsEndpoint
    path: str  # with the month filled in
    status: int
    rows: int | None
    cold_statements: list[Statement]
    warm_statements: list[Statement]
    figures: list[StatementFigure] = field(default_factory=list)
    plan: Plan | None = None  # of the costliest cold statement
    cold: Sequential | None = None
    warm: Sequential | None = None
    concurrent: Concurrent | None = None
    cold_server_ms: list[float] = field(default_factory=list)
    cold_inprocess_ms: float = math.nan
    cold_inprocess_sql_ms: float = math.nan
    warm_inprocess_ms: float = math.nan

    @property
    def sql_total_ms(self) -> float:
        return sum(f.timing.p50_ms for f in self.figures if f.timing)

    @property
    def costliest(self) -> StatementFigure | None:
        timed = [f for f in self.figures if f.timing]
        return max(timed, key=lambda f: f.timing.p50_ms if f.timing else 0.0, default=None)

    def failures(self) -> list[str]:
        reasons: list[str] = []
        if self.warm is None or not self.warm.samples_ms:
            return ["no successful request"]
        if not self.warm.p50 < self.endpoint.warm_goal_ms:
            reasons.append(f"warm p50 ≥ {self.endpoint.warm_goal_ms:.0f} ms")
        if len(self.warm_statements) > WARM_MAX_QUERIES:
            reasons.append(f"warm > {WARM_MAX_QUERIES} queries")
        if self.cold is None or not self.cold.samples_ms:
            reasons.append("no cold request")
        elif not self.cold.p50 < self.endpoint.cold_goal_ms:
            reasons.append(f"cold p50 ≥ {self.endpoint.cold_goal_ms:.0f} ms")
        if len(self.cold_statements) > COLD_MAX_QUERIES:
            reasons.append(f"cold > {COLD_MAX_QUERIES} queries")
        for run in (self.cold, self.warm):
            if run is not None and run.errors:
                reasons.append("errors")
                break
        if self.concurrent and self.concurrent.errors:
            reasons.append("errors")
        return reasons

    def goal(self) -> str:
        return (
            f"warm p50 < {self.endpoint.warm_goal_ms:.0f} ms, ≤ {WARM_MAX_QUERIES} queries; "
            f"cold p50 < {self.endpoint.cold_goal_ms:,.0f} ms"
        )

    def verdict(self) -> str:
        reasons = self.failures()
        return "PASS" if not reasons else "FAIL (" + "; ".join(dict.fromkeys(reasons)) + ")"


# --- in process -------------------------------------------------------------------------------

_ROLES = [
    (re.compile(r'FROM "accounts_apitoken"', re.I), "token"),
    (re.compile(r'^UPDATE "accounts_apitoken"', re.I), "token last_used"),
    (re.compile(r'FROM "accounts_membership"', re.I), "actor roles"),
    (re.compile(r"\bINTERSECT\b", re.I), "publishing consumers"),
    (re.compile(r'FROM "registry_download"', re.I), "downloads"),
    (re.compile(r'FROM "registry_grant"', re.I), "grants"),
    (re.compile(r'FROM "registry_sharingrequest"', re.I), "requests"),
    (re.compile(r'FROM "datasets_validationreport"', re.I), "checks"),
    (re.compile(r'FROM "datasets_datasetversion"', re.I), "versions"),
    (re.compile(r'FROM "datasets_dataset"', re.I), "datasets"),
    (re.compile(r'FROM "accounts_division"', re.I), "divisions"),
    (re.compile(r'FROM "accounts_organization"', re.I), "organisations"),
]


def statement_role(sql: str) -> str:
    for pattern, role in _ROLES:
        if pattern.search(sql):
            return role
    return "other"


def clear_cache() -> None:
    """Empty the stats cache (its keys only) in the Redis the app under test uses."""
    from django.core.cache import cache

    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=cache.make_key("stats:*")))
    if keys:
        client.delete(*keys)


@contextmanager
def caching(enabled: bool) -> Iterator[None]:
    """In this process only: the stats cache on (as deployed) or off (every request computes)."""
    from django.conf import settings

    from stats.tables import DEFAULT_CACHE_SECONDS

    before = getattr(settings, "STATS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    settings.STATS_CACHE_SECONDS = DEFAULT_CACHE_SECONDS if enabled else 0
    try:
        yield
    finally:
        settings.STATS_CACHE_SECONDS = before


def _rows_of(body: object) -> int | None:
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("count"), int):
        return int(body["count"])
    results = body.get("results")
    if isinstance(results, list):
        return len(results)
    return None


def capture(endpoint: StatsEndpoint, path: str, token: str) -> StatsResult:
    """A cold request's statements (cache off), then a warm one's (after filling the cache)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    client.get(path)  # may write the token's last_used_at
    # Each request empties Django's query log (request_started): copy the statements out.
    with caching(False), CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    cold = list(captured.captured_queries)
    clear_cache()
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    warm = list(captured.captured_queries)
    is_json = response.get("Content-Type", "").startswith("application/json")
    rows = _rows_of(response.json()) if is_json and response.status_code == 200 else None
    if rows is None and response.status_code == 200 and not is_json:
        rows = max(0, response.content.count(b"\n") - 2)  # CSV: minus header and total
    return StatsResult(
        endpoint=endpoint,
        path=path,
        status=response.status_code,
        rows=rows,
        cold_statements=[Statement(statement_role(q["sql"]), q["sql"]) for q in cold],
        warm_statements=[Statement(statement_role(q["sql"]), q["sql"]) for q in warm],
    )


def time_in_process(result: StatsResult, token: str) -> None:
    """Cold: request time and its SQL time (a few requests); warm: request time."""
    from django.db import connection
    from django.test import Client

    from .inprocess import SqlClock

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    totals: list[float] = []
    in_sql: list[float] = []
    with caching(False):
        deadline = time.perf_counter() + 1.5
        for _ in range(3):
            if totals and time.perf_counter() > deadline:
                break
            clock = SqlClock()
            with connection.execute_wrapper(clock):
                started = time.perf_counter()
                client.get(result.path)
                totals.append((time.perf_counter() - started) * 1000)
            in_sql.append(clock.seconds * 1000)
    result.cold_inprocess_ms = percentile(totals, 50)
    result.cold_inprocess_sql_ms = percentile(in_sql, 50)
    client.get(result.path)  # fills the cache
    warm: list[float] = []
    deadline = time.perf_counter() + 0.75
    for _ in range(20):
        if warm and time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        client.get(result.path)
        warm.append((time.perf_counter() - started) * 1000)
    result.warm_inprocess_ms = percentile(warm, 50)


def replay(url: str, results: list[StatsResult], runs: int) -> None:
    """Each cold SELECT alone with psycopg; EXPLAIN ANALYZE of each endpoint's costliest."""
    from .sqltime import SqlTimer

    timer = SqlTimer(url)
    try:
        for result in results:
            for statement in result.cold_statements:
                head = statement.sql.lstrip("( \n").upper()
                if not head.startswith(("SELECT", "WITH")):
                    result.figures.append(StatementFigure(statement, None))
                    continue
                timing = timer.time(statement.sql, runs=runs, time_limit=0.2, min_runs=2)
                result.figures.append(StatementFigure(statement, timing))
            worst = result.costliest
            if worst is not None:
                result.plan = timer.explain(worst.statement.sql)
    finally:
        timer.close()


# --- report -----------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.1f}"


def _rps(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.0f}"


RESULT_HEADERS = (
    "Endpoint",
    "Caller",
    "Rows",
    "Queries cold / warm",
    "cold n",
    "cold p50 ms",
    "cold p99 ms",
    "bare SQL ms",
    "cold HTTP/SQL",
    "warm n",
    "warm p50 ms",
    "warm p99 ms",
    "warm req/s 1 client",
    "warm req/s {threads} threads",
    "Goal",
    "Result",
)


def result_row(result: StatsResult) -> tuple[str, ...]:
    cold, warm, conc = result.cold, result.warm, result.concurrent
    sql_ms = result.sql_total_ms
    ratio = cold.p50 / sql_ms if cold and cold.samples_ms and sql_ms else None
    return (
        result.endpoint.label,
        result.endpoint.persona,
        "—" if result.rows is None else f"{result.rows:,}",
        f"{len(result.cold_statements)} / {len(result.warm_statements)}",
        str(len(cold.samples_ms)) if cold else "0",
        _ms(cold.p50 if cold else None),
        _ms(cold.p99 if cold else None),
        _ms(sql_ms),
        "—" if ratio is None else f"{ratio:.1f}x",
        str(len(warm.samples_ms)) if warm else "0",
        _ms(warm.p50 if warm else None),
        _ms(warm.p99 if warm else None),
        _rps(warm.rps if warm else None),
        _rps(conc.rps if conc else None),
        result.goal(),
        result.verdict(),
    )


def headers(results: list[StatsResult]) -> tuple[str, ...]:
    threads = next((r.concurrent.threads for r in results if r.concurrent), 4)
    return tuple(h.replace("{threads}", str(threads)) for h in RESULT_HEADERS)


def statements_row(result: StatsResult) -> tuple[str, ...]:
    parts = [
        f"{f.statement.role} {f.timing.p50_ms:.1f}" if f.timing else f.statement.role
        for f in result.figures
    ]
    return (
        f"{result.endpoint.label} ({result.endpoint.persona})",
        f"`GET {result.path}`",
        ", ".join(parts) or "none",
        _ms(result.sql_total_ms),
        _ms(result.cold_inprocess_ms),
        _ms(result.cold_inprocess_sql_ms),
        _ms(result.warm_inprocess_ms),
    )


STATEMENT_HEADERS = (
    "Endpoint",
    "Request",
    "Cold statements (bare SQL p50 ms each)",
    "SQL total ms",
    "cold in process ms",
    "of which SQL ms",
    "warm in process ms",
)


def by_role(results: list[StatsResult]) -> list[tuple[str, float, int]]:
    """(statement role, its share of all cold bare-SQL time, statements) over every endpoint."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for result in results:
        for figure in result.figures:
            if figure.timing:
                role = figure.statement.role
                totals[role] = totals.get(role, 0.0) + figure.timing.p50_ms
                counts[role] = counts.get(role, 0) + 1
    whole = sum(totals.values()) or 1.0
    return sorted(
        ((role, 100 * ms / whole, counts[role]) for role, ms in totals.items()),
        key=lambda item: -item[1],
    )


def analysis(results: list[StatsResult], outline: Callable[[str], str]) -> list[str]:
    measured = [r for r in results if r.cold and r.cold.samples_ms]
    if not measured:
        return ["No stats endpoint answered; see the console output."]
    points: list[str] = []
    shares = by_role(measured)
    points.append(
        "**What the cold requests spend their SQL on** (bare SQL time of every cold statement, "
        "all endpoints): "
        + ", ".join(f"{role} {share:.0f} % ({n} statements)" for role, share, n in shares)
        + ". Each of these attributes rows to a division or a publisher through the dataset "
        "(versions, checks, grants and downloads through two or three joins), so a whole-"
        "alliance table reads the 100,000-row dataset table once per kind of record."
    )
    worst = max(measured, key=lambda r: r.cold.p50 if r.cold else 0.0)
    costliest = worst.costliest
    if costliest and costliest.timing:
        text = (
            f"**Slowest cold request:** {worst.endpoint.label} ({worst.endpoint.persona}), "
            f"p50 {worst.cold.p50 if worst.cold else math.nan:,.0f} ms over HTTP, "
            f"{worst.sql_total_ms:,.0f} ms of it bare SQL in {len(worst.cold_statements)} "
            f"statements; its costliest is the {costliest.statement.role} aggregate "
            f"({costliest.timing.p50_ms:,.1f} ms)"
        )
        if worst.plan is not None:
            text += f": {outline(worst.plan.text)}"
        points.append(text + ".")
    points.append(
        "**Cold here is the worst case:** the bench empties every stats key, so each cold "
        "request also recomputes the alliance-wide totals (8 statements, about "
        f"{_alliance_ms(measured):,.0f} ms of bare SQL, mostly counting the versions of "
        "listed datasets), which every caller shares and which are therefore nearly always "
        "cached. Without an index holding a dataset's division, publisher and status, every "
        "aggregate by division or by publisher reads the dataset table's heap; docs/stats.md "
        "has the covering index (datasets app) that halves the division-scoped tables."
    )
    warm = [r.warm.p50 for r in measured if r.warm and r.warm.samples_ms]
    if warm:
        points.append(
            f"**Warm requests** take {min(warm):.1f} to {max(warm):.1f} ms: authentication, "
            "one Redis read of the pickled table and its serialisation (the secretariat's "
            "organisations table holds 1,300 rows; its JSON pages 100 of them, its CSV all)."
        )
    python = [r.cold_inprocess_ms - r.cold_inprocess_sql_ms for r in measured]
    python = [ms for ms in python if not math.isnan(ms)]
    if python:
        points.append(
            f"**Python's share of a cold request** is {min(python):.0f} to {max(python):.0f} ms "
            "(merging at most a few thousand aggregated rows and serialising them); the rest "
            "is SQL."
        )
    for result in measured:
        reasons = result.failures()
        if reasons:
            points.append(
                f"**{result.endpoint.label} ({result.endpoint.persona}) misses its goal:** "
                + "; ".join(dict.fromkeys(reasons))
                + "."
            )
    return points


def _alliance_ms(results: list[StatsResult]) -> float:
    """Bare SQL of the alliance totals: the secretariat summary's statements after the roles."""
    summary = next(
        (
            r
            for r in results
            if r.endpoint.label == "summary" and r.endpoint.persona == "secretariat"
        ),
        None,
    )
    if summary is None:
        return math.nan
    skipped = ("token", "token last_used", "actor roles")
    return sum(
        f.timing.p50_ms for f in summary.figures if f.timing and f.statement.role not in skipped
    )


def markdown(
    results: list[StatsResult],
    *,
    table: Callable[[tuple[str, ...], list[tuple[str, ...]]], str],
    outline: Callable[[str], str],
    sharing_line: str,
    cache_seconds: int,
) -> list[str]:
    passed = sum(1 for r in results if not r.failures())
    lines = [
        "## The alliance's figures (`/api/v1/stats/`)",
        "",
        f"Data: {sharing_line}. Callers: the secretariat (the whole alliance), the lead of "
        "the division with the most datasets, and a member of the largest publisher.",
        "",
        f"**{passed} of {len(results)} stats rows meet their goals.**",
        "",
        f"Every table is computed by SQL aggregation for one scope and cached for "
        f"STATS_CACHE_SECONDS ({cache_seconds} s by default; see docs/stats.md). *Cold*: the "
        "stats cache is emptied before each request (untimed), so the request runs every "
        "aggregate, as the first caller of a scope does once per period. *Warm*: read from the "
        "cache, as every other request is. Queries: statements of one cold and one warm request, "
        "captured in process; constant whatever the data (tests/stats/test_query_count.py). "
        "Bare SQL: the cold statements replayed alone with psycopg, summed; cold HTTP/SQL: cold "
        "p50 over that sum.",
        "",
        table(headers(results), [result_row(r) for r in results]),
        "",
        "### Statements of a cold request",
        "",
        table(STATEMENT_HEADERS, [statements_row(r) for r in results]),
        "",
        "### What dominates",
        "",
        *(f"- {point}" for point in analysis(results, outline)),
        "",
    ]
    plans = [r for r in results if r.plan is not None and r.costliest is not None]
    if plans:
        lines += ["### Plans of the costliest cold statements", ""]
        for result in plans:
            assert result.plan is not None
            assert result.costliest is not None
            lines.append(
                f"<details><summary>{result.endpoint.label} ({result.endpoint.persona}): "
                f"{result.costliest.statement.role}, {result.plan.execution_ms:.1f} ms</summary>"
                f"\n\n```sql\n{result.costliest.statement.sql}\n```\n\n```\n{result.plan.text}\n"
                "```\n</details>\n"
            )
    return lines
