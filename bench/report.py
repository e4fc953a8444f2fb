"""The figures as a console table and as docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import unicodedata
from dataclasses import dataclass
from importlib import metadata

import psycopg

from . import stats as stats_bench
from .endpoints import Result
from .measure import percentile
from .seed import SeedReport, SharingFacts

HEADERS = (
    "Endpoint",
    "Auth",
    "Matches",
    "Queries",
    "n",
    "p50 ms",
    "p99 ms",
    "req/s 1 client",
    "req/s 4 threads",
    "page SQL p50 ms",
    "HTTP/SQL",
    "Goal",
    "Result",
)


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gib: float
    postgres: str
    postgres_settings: str
    python: str
    packages: str

    @classmethod
    def probe(cls, database_url: str) -> Machine:
        cpu = "unknown CPU"
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as info:
                for line in info:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        memory = math.nan
        try:
            with open("/proc/meminfo", encoding="utf-8") as info:
                for line in info:
                    if line.startswith("MemTotal:"):
                        memory = int(line.split()[1]) / 1024 / 1024
                        break
        except OSError:
            pass
        with psycopg.connect(database_url) as conn:
            version_row = conn.execute("SHOW server_version").fetchone()
            settings = conn.execute(
                "SELECT string_agg(name || ' ' || current_setting(name), ', ' ORDER BY name)"
                " FROM pg_settings WHERE name IN"
                " ('shared_buffers', 'work_mem', 'effective_cache_size', 'jit')"
            ).fetchone()
        packages = ", ".join(
            f"{name} {metadata.version(name)}"
            for name in ("Django", "djangorestframework", "django-filter", "gunicorn", "psycopg")
        )
        return cls(
            cpu=cpu,
            cores=os.cpu_count() or 0,
            memory_gib=memory,
            postgres=str(version_row[0]) if version_row else "?",
            postgres_settings=str(settings[0]) if settings else "",
            python=platform.python_version(),
            packages=packages,
        )


def _ms(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}"


def _rps(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.0f}"


def headers(results: list[Result]) -> tuple[str, ...]:
    threads = next((r.concurrent.threads for r in results if r.concurrent), 4)
    return tuple(h.replace("4 threads", f"{threads} threads") for h in HEADERS)


def _matches(result: Result) -> str:
    count = result.capture.count
    if count is None:
        return "—"
    return f"{count:,}+" if result.capture.count_is_capped else f"{count:,}"


def row(result: Result) -> tuple[str, ...]:
    seq, conc = result.sequential, result.concurrent
    ratio = result.ratio
    return (
        result.endpoint.label,
        result.endpoint.auth,
        _matches(result),
        str(len(result.capture.queries)),
        str(len(seq.samples_ms)) if seq else "0",
        _ms(seq.p50 if seq else None),
        _ms(seq.p99 if seq else None),
        _rps(seq.rps if seq else None),
        _rps(conc.rps if conc else None),
        _ms(result.page_sql_ms),
        "—" if ratio is None else f"{ratio:.1f}x",
        result.goal(),
        result.verdict(),
    )


def _width(text: str) -> int:
    """Terminal columns: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def console_table(results: list[Result]) -> str:
    rows = [headers(results), *(row(r) for r in results)]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = []
    for index, cells in enumerate(rows):
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        lines.append("  ".join(padded).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def stats_console_table(results: list[stats_bench.StatsResult]) -> str:
    heads = stats_bench.headers(results)
    rows = [heads, *(stats_bench.result_row(r) for r in results)]
    widths = [max(_width(r[i]) for r in rows) for i in range(len(heads))]
    lines = []
    for index, cells in enumerate(rows):
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        lines.append("  ".join(padded).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
    return "\n".join(lines)


def results_table(results: list[Result]) -> str:
    return markdown_table(headers(results), [row(r) for r in results])


def queries_table(results: list[Result]) -> str:
    rows: list[tuple[str, ...]] = []
    for result in results:
        parts = []
        for figure in result.queries:
            timing = f" {figure.timing.p50_ms:.2f} ms" if figure.timing else ""
            parts.append(f"{figure.query.role}{timing}")
        rows.append(
            (
                f"{result.endpoint.label} ({result.endpoint.auth})",
                f"`GET {result.endpoint.shown}`",
                str(len(result.capture.queries)),
                ", ".join(parts) or "none",
                _ms(result.sql_total_ms),
            )
        )
    return markdown_table(
        ("Endpoint", "Request", "Queries", "Each query (bare SQL p50)", "SQL total ms"), rows
    )


def breakdown_table(results: list[Result]) -> str:
    rows: list[tuple[str, ...]] = []
    for result in results:
        http, server = result.http_p50, result.server_p50
        inproc, sql = result.inprocess_ms, result.inprocess_sql_ms
        rows.append(
            (
                f"{result.endpoint.label} ({result.endpoint.auth})",
                _ms(http),
                _ms(server),
                _ms(http - server),
                _ms(inproc),
                _ms(sql),
                f"{100 * sql / inproc:.0f} %" if inproc else "—",
                _ms(inproc - sql),
            )
        )
    return markdown_table(
        (
            "Endpoint",
            "HTTP p50 ms",
            "gunicorn p50 ms",
            "client + loopback ms",
            "In process p50 ms",
            "of which SQL ms",
            "SQL share",
            "Django + DRF ms",
        ),
        rows,
    )


_NODE = re.compile(
    r"^\s*(?:->\s+)?(?P<node>.+?)\s+\(cost=[^)]*\)\s+"
    r"\(actual time=[\d.]+\.\.(?P<ms>[\d.]+) rows=(?P<rows>\d+) loops=(?P<loops>\d+)\)"
)
_DETAIL = re.compile(
    r"^\s*(Sort Method|Rows Removed by Filter|Rows Removed by Index Recheck): (.+)$"
)


def plan_outline(text: str, depth: int = 3) -> str:
    """The top plan nodes (parent first) and the scans of the dataset table, with rows/time."""
    picked: list[str] = []
    details: list[str] = []
    for line in text.splitlines():
        if line.strip().startswith(("SubPlan", "InitPlan", "Planning")):
            break  # per-row subqueries and planning stats are not the shape of the plan
        match = _NODE.match(line)
        if match:
            rows = int(match["rows"]) * int(match["loops"])
            node = f"{match['node']} ({rows:,} rows, {float(match['ms']):.1f} ms)"
            if len(picked) < depth or " on datasets_dataset" in match["node"]:
                picked.append(node)
            continue
        detail = _DETAIL.match(line)
        if detail and not detail.group(2).strip().startswith("0"):
            details.append(f"{detail.group(1).lower()} {' '.join(detail.group(2).split())}")
    outline = " > ".join(picked)
    return outline + (f" ({'; '.join(dict.fromkeys(details))})" if details else "")


@dataclass(frozen=True)
class TableFacts:
    """Sizes that explain plans: the width of a heap row and of a stored search vector."""

    heap_bytes_per_row: float
    search_vector_bytes: float

    @classmethod
    def probe(cls, database_url: str) -> TableFacts:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                "SELECT pg_relation_size('datasets_dataset')::float"
                " / greatest(1, (SELECT count(*) FROM datasets_dataset)),"
                " (SELECT avg(pg_column_size(search_vector)) FROM datasets_dataset)"
            ).fetchone()
        if row is None:
            return cls(math.nan, math.nan)
        return cls(float(row[0] or math.nan), float(row[1] or math.nan))


def _ranked_rows(plan: str) -> int | None:
    """Rows fed to a sort on `ts_rank` (the child of that Sort node), if the plan has one."""
    lines = plan.splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("Sort Key:") and "ts_rank" in line:
            for child in lines[index + 1 :]:
                match = _NODE.match(child)
                if match:
                    return int(match["rows"]) * int(match["loops"])
    return None


TOAST_THRESHOLD = 2032  # bytes: PostgreSQL moves larger values out of line (8 KB pages)


def diagnose(result: Result, facts: TableFacts) -> list[str]:
    """Known causes, recognised in the SQL and the plans of this run."""
    findings: list[str] = []
    page = result.page
    page_plan = result.plans.get("page")
    count_plan = result.plans.get("count")
    if page and re.match(r"^SELECT DISTINCT", page.query.sql, re.I):
        findings.append(
            "the page query is `SELECT DISTINCT` over every column (django-filter's "
            "multiple-choice filters default to `distinct=True`), so PostgreSQL builds, "
            "de-duplicates and sorts every matching row, with its joins and the "
            "`latest_version` subquery, before the LIMIT; the filtered relations are "
            "to-one, so `distinct=False` returns the same rows"
        )
    if page and '"accounts_division"."code" =' in page.query.sql:
        findings.append(
            "the division is filtered by code through the join, so the planner cannot walk "
            "the `(division_id, modified_at)` index in order; filtering on the division's id "
            "lets it stop after one page"
        )
    ranked = _ranked_rows(page_plan.text) if page_plan else None
    if ranked is not None:
        stored = facts.search_vector_bytes
        where = (
            "above the ~2 KB TOAST threshold, so they are fetched from the TOAST table"
            if stored > TOAST_THRESHOLD
            else "stored in the row"
        )
        findings.append(
            f"ordering by relevance ranks every match before the LIMIT ({ranked:,} rows "
            "ranked for one page), and `ts_rank` reads each match's whole "
            f"`search_vector` (on average {stored:,.0f} bytes, {where}); the work grows "
            "with the number of matches, not with the page size"
        )
    count = next((q for q in result.queries if q.query.role == "count"), None)
    limit = re.search(r"LIMIT (\d+)\)", count.query.sql) if count else None
    cap = f"{int(limit.group(1)):,}" if limit else "the cap of"
    if count_plan and "Seq Scan on datasets_dataset" in count_plan.text:
        if "@@" in count_plan.text:
            findings.append(
                "the capped count is planned as a sequential scan that evaluates the text match "
                f"row by row, reading every row's vector, until {cap} matches (the planner "
                "does not price those TOAST reads)"
            )
        else:
            findings.append(
                f"the capped count reads up to {cap} heap rows of about "
                f"{facts.heap_bytes_per_row:,.0f} bytes each, because no index holds both "
                "columns of the visibility filter (`status`, `publisher_id`)"
            )
    return findings


def analysis(results: list[Result], facts: TableFacts) -> list[str]:
    """Bullet points computed from the figures, so that they stay true on every run."""
    measured = [r for r in results if not math.isnan(r.http_p50)]
    if not measured:
        return ["No endpoint answered successfully; see the console output."]
    points: list[str] = []
    cheapest = min(measured, key=lambda r: r.inprocess_sql_ms)
    python_ms = sorted(r.inprocess_ms - r.inprocess_sql_ms for r in measured)
    outside = [r.http_p50 - r.server_p50 for r in measured if r.server_ms]
    points.append(
        f"**Fixed cost per request.** Even where SQL takes {cheapest.inprocess_sql_ms:.1f} ms "
        f"({cheapest.endpoint.label}, {cheapest.endpoint.auth}), a request spends "
        f"{cheapest.inprocess_ms - cheapest.inprocess_sql_ms:.1f} ms in Django, DRF and "
        f"the serializers (from {python_ms[0]:.1f} to {python_ms[-1]:.1f} ms across endpoints; "
        "a page serialises 25 datasets with their division and publisher). Outside the "
        "worker, the client and the loopback connection add "
        + (f"{percentile(outside, 50):.1f} ms (median)." if outside else "little.")
    )
    by_key = {(r.endpoint.label, r.endpoint.auth): r for r in measured}
    deltas: list[str] = []
    extra_queries: set[int] = set()
    for label in ("list", "detail"):
        anonymous, bearer = by_key.get((label, "anonymous")), by_key.get((label, "bearer"))
        if anonymous and bearer:
            deltas.append(f"{label} {bearer.http_p50 - anonymous.http_p50:+.1f} ms")
            extra_queries.add(len(bearer.queries) - len(anonymous.queries))
    if deltas:
        auth_ms = [
            q.timing.p50_ms
            for r in measured
            for q in r.queries
            if q.timing and q.query.role in ("token", "actor roles")
        ]
        more = "/".join(str(n) for n in sorted(extra_queries))
        points.append(
            f"**Bearer requests** run {more} more queries (the token, the caller's roles: "
            f"{sum(auth_ms) / max(1, len(auth_ms)):.2f} ms each in bare SQL) and see every "
            "listed dataset instead of the public ones only, which changes the plans; p50 "
            f"against anonymous: {', '.join(deltas)}."
        )
    ratios = [ratio for r in measured if (ratio := r.ratio)]
    if ratios:
        points.append(
            f"**HTTP / page SQL** ranges from {min(ratios):.1f}x to {max(ratios):.1f}x. Near 1x "
            "the page query is the response time; far above it the time goes to the count "
            "query, the other queries and Python."
        )
    for result in measured:
        reasons = result.failures()
        if not reasons:
            continue
        timed = [q for q in result.queries if q.timing]
        worst = max(timed, key=lambda q: q.timing.p50_ms if q.timing else 0.0, default=None)
        text = (
            f"**{result.endpoint.label} ({result.endpoint.auth}) misses its goal** "
            f"({'; '.join(reasons)}): p50 {result.http_p50:.1f} ms over HTTP; in process, "
            f"{result.inprocess_sql_ms:.1f} of {result.inprocess_ms:.1f} ms went to SQL."
        )
        if worst and worst.timing:
            plan = result.plans.get(worst.query.role)
            text += (
                f" The costliest statement is the {worst.query.role} query "
                f"({worst.timing.p50_ms:.1f} ms bare)"
            )
            text += f": {plan_outline(plan.text)}." if plan else "."
        causes = diagnose(result, facts)
        if causes:
            text += " Why: " + "; ".join(causes) + "."
        points.append(text)
    return points


def plans_section(results: list[Result]) -> str:
    blocks: list[str] = []
    for result in results:
        for role, plan in result.plans.items():
            statement = next((q.query.sql for q in result.queries if q.query.role == role), "")
            blocks.append(
                f"<details><summary>{result.endpoint.label} ({result.endpoint.auth}): {role} "
                f"query, {plan.execution_ms:.2f} ms</summary>\n\n"
                f"```sql\n{statement}\n```\n\n```\n{plan.text}\n```\n</details>"
            )
    return "\n\n".join(blocks)


def seed_line(report: SeedReport) -> str:
    how = (
        "reused from an earlier run (row counts matched)"
        if report.reused
        else f"seeded in {report.seconds:.0f} s with COPY"
    )
    return (
        f"{report.datasets:,} datasets, {report.versions:,} versions, "
        f"{report.organizations:,} organisations; {how}"
    )


def sharing_line(facts: SharingFacts | None) -> str:
    if facts is None:
        return "no sharing data"
    how = (
        "reused from an earlier run (row counts matched)"
        if facts.reused
        else f"seeded in {facts.seconds:.0f} s with COPY"
    )
    return (
        f"{facts.sharing_requests:,} sharing requests over 24 months in every state, "
        f"{facts.grants:,} agreements and grants, {facts.downloads:,} downloads, "
        f"{facts.validation_reports:,} validation reports ({how}; bench/sharing.py)"
    )


@dataclass(frozen=True)
class RunInfo:
    """How the run was made, for the reproduction notes."""

    argv: list[str]
    database: str
    workers: int
    threads: int
    requests: int
    concurrent_requests: int
    time_limit: float
    member_organization: str
    member_organization_datasets: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    seconds: float


def _load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in load)


def render_document(
    *,
    machine: Machine,
    facts: TableFacts,
    seeding: SeedReport,
    run: RunInfo,
    results: list[Result],
    stats_results: list[stats_bench.StatsResult] | None = None,
    scale_section: list[str] | None = None,
) -> str:
    now = dt.datetime.now(dt.UTC)
    flags = f"`{' '.join(run.argv)}`" if run.argv else "none, the defaults"
    passed = sum(1 for r in results if not r.failures())
    stats_results = stats_results or []
    stats_passed = sum(1 for r in stats_results if not r.failures())
    stats_summary = (
        f" **{stats_passed} of {len(stats_results)} stats rows meet theirs** "
        "([the alliance's figures](#the-alliances-figures-apiv1stats))."
        if stats_results
        else ""
    )
    stats_section: list[str] = []
    if stats_results:
        from stats.tables import cache_seconds

        stats_section = stats_bench.markdown(
            stats_results,
            table=markdown_table,
            outline=plan_outline,
            sharing_line=sharing_line(seeding.sharing),
            cache_seconds=cache_seconds(),
        )
    lines = [
        "# Catalog and stats benchmarks",
        "",
        "Generated by `make bench` ([bench/run.py](../bench/run.py)); rerunning it rewrites this "
        "file. Goals are reported, not enforced.",
        "",
        f"- **Date:** {now:%Y-%m-%d %H:%M} UTC; the whole run took {run.seconds:.0f} s "
        f"(flags: {flags}).",
        f"- **Machine:** {machine.cpu}, {machine.cores} cores (nproc), "
        f"{machine.memory_gib:.1f} GiB memory; load average (1/5/15 min) "
        f"{_load(run.load_before)} before and {_load(run.load_after)} after the run.",
        f"- **PostgreSQL {machine.postgres}** ({machine.postgres_settings}), on the same "
        "machine, loopback TCP. Redis on loopback for the cache and throttles.",
        f"- **Software:** Python {machine.python}; {machine.packages}.",
        f"- **Stack:** gunicorn, {run.workers} sync workers, `config.settings.production` "
        "(DEBUG off; SECURE_SSL_REDIRECT off since there is no TLS proxy on loopback; "
        "throttle rates raised to 100000/s so throttling still costs its Redis round trips "
        "but never answers 429).",
        f"- **Data** (database `{run.database}`): {seed_line(seeding)}. Bearer requests come "
        f"from a user with the member role in `{run.member_organization}`, the largest "
        f"publisher ({run.member_organization_datasets:,} datasets, drafts included). "
        f"Sharing layer: {sharing_line(seeding.sharing)}.",
        "",
        f"**{passed} of {len(results)} catalog endpoint rows meet their goals.**{stats_summary}",
        "",
        "## Results",
        "",
        results_table(results),
        "",
        "Matches: `count` in the first page (`+`: the paginator stopped counting at its cap). "
        "Queries: SQL statements one request runs, captured in process with "
        "`CaptureQueriesContext` (requests and statements: next section). n, p50 / p99 / "
        f"req/s 1 client: n of up to {run.requests} sequential requests from one "
        f"`requests.Session` after a warm-up, at most {run.time_limit:.0f} s per endpoint "
        f"(slow endpoints get fewer samples). req/s {run.threads} threads: up to "
        f"{run.concurrent_requests} requests from {run.threads} threads, at most "
        f"{min(2.0, run.time_limit / 2):.0f} s. Page SQL: the page "
        "query the ORM sent, replayed alone with psycopg (no Python, same literal SQL). "
        "HTTP/SQL: HTTP p50 divided by page SQL p50. Detail requests cycle over 200 datasets "
        "the caller may see.",
        "",
        "## Queries per request",
        "",
        queries_table(results),
        "",
        "## Where the time goes",
        "",
        breakdown_table(results),
        "",
        "HTTP p50: as in the results. gunicorn p50: the worker's own time for those same "
        "requests, from its access log (`%(D)s`); client + loopback: the difference (sync "
        "workers close the connection after each response, so it includes a TCP connect). "
        "In process: the same request through Django's test client after the HTTP run, with "
        "`connection.execute_wrapper` clocking the database calls of those very requests; "
        "Django + DRF: in-process time minus that SQL time (routing, middleware, throttles, "
        "filters, pagination, serialisation). The in-process and HTTP runs happen at "
        "different moments, so compare shares rather than subtract across them.",
        "",
        *(f"- {point}" for point in analysis(results, facts)),
        "",
        "Noise: the figures come from one run on a shared 2-core machine where PostgreSQL, "
        "gunicorn and the client compete for the same cores; compare runs with similar load "
        "averages, and expect 10-20 % between runs.",
        "",
        *stats_section,
        *(scale_section or []),
        "## How search stays fast",
        "",
        "Until 2026-12-01 search missed its goal (p50 161-304 ms for `?q=센서` on this machine, "
        "230-510 ms on the 2026-11-24 run): results were ordered by relevance in one query, so "
        "PostgreSQL computed the relevance of every match (15,000 to 45,000 rows) and sorted "
        "them before the LIMIT, and multi-syllable Korean words were phrases of bigrams (`<->`) "
        "that made it re-read each candidate's vector from TOAST to check adjacency. Now:",
        "",
        "- **Relevance tiers, one query each** (`common.pagination.Tiers`): title and keyword "
        "matches first, then description matches, each tier `ORDER BY modified_at DESC, id "
        "DESC LIMIT n`, which PostgreSQL answers by walking the `modified_at` index (common "
        "words) or from the GIN index (rare ones). A later tier is read only when the earlier "
        "one runs out within the page. When the count is under its cap, one query sorts the "
        "few matches.",
        "- **A keyset cursor over the whole ordering key**, so deep pages of tied rows (every "
        "title match has relevance 1) stay index range scans instead of DRF's OFFSET within "
        "ties.",
        "- **An AND of bigrams instead of a phrase**, which the GIN index answers exactly, and "
        "vectors stored stripped of positions and with each lexeme once (about half the size).",
        "",
        "What is left: the planner multiplies the selectivities of the search match and the "
        "title match although one implies the other, so for words found in many titles "
        "(`vibration`, 9 % of datasets) it expects a few hundred title matches, builds a "
        "bitmap of thousands and sorts them (the page query of `search vibration "
        "(anonymous)`). A deep walk that reaches the description tier of such a word can "
        "read much of the table once, at the page where the titles run out.",
        "",
        "## How to reproduce",
        "",
        "```sh",
        "make bench                                   # seeds once, then reuses the data",
        'make bench BENCH_ARGS="--reseed"             # seed again from scratch',
        'make bench BENCH_ARGS="--requests 1000 --datasets 200000 --organizations 2000 '
        '--output /tmp/bench.md"',
        "```",
        "",
        "`make bench` runs `scripts/dev.py exec`, which provides DATABASE_URL and REDIS_URL "
        "(the installed servers, or embedded ones). Flags of `bench/run.py`: `--requests N` "
        "(sequential requests per endpoint, 300), `--datasets N` (100000), "
        "`--organizations N` (1300), `--reseed`, `--output PATH` (docs/benchmarks.md), "
        "`--database NAME` (max_registry_bench), `--workers N` (2), `--threads N` (4), "
        "`--concurrent-requests N` (120), `--warmup N` (10), `--time-limit S` (4 s per "
        "endpoint), `--sql-runs N` (20); for the alliance's figures `--sharing-requests N` "
        "(30000), `--downloads N` (100000), `--cold-requests N` (6 per endpoint), "
        "`--stats-time-limit S` (1.5 s warm, twice that cold, per endpoint), `--no-stats`; for "
        "scale-out `--scale-only` (measure it alone and rewrite only its section), `--no-scale`, "
        "`--scale-jobs N` (sample checks queued per phase, 200), `--scale-time-limit S` (25 s of "
        "checking per phase), `--scale-sample-rows N` (5000), `--scale-api-seconds S` (10 s per "
        "gunicorn phase).",
        "",
        "The bench database lives next to DATABASE_URL's on the same server; it is migrated "
        "on every run and seeded with COPY when its row counts differ from the flags. Seeding "
        "is deterministic (fixed random seed): titles, descriptions and keywords in Korean and "
        "English, search columns filled with `datasets.search.document_tokens` as the app "
        "does, 85 % published, Zipf-like publishers, one to four versions per dataset. The "
        "sharing layer (bench/sharing.py, its own seed) adds validation reports for about half "
        "the versions, one requester per organisation, sharing requests over 24 months "
        "(AI companies and institutes asking most, popular datasets asked most, decisions "
        "log-normal around a day, automatic ones in seconds), an agreement and a grant per "
        "approval (expiries, revocations and timed releases included) and downloads within "
        "grant windows; an older bench database without it gets it added in place, and one "
        "whose sharing sizes differ from the flags is seeded again from scratch.",
        "",
        "## Query plans",
        "",
        "EXPLAIN (ANALYZE, BUFFERS) of the page and count queries, as the ORM sent them.",
        "",
        plans_section(results),
        "",
    ]
    return "\n".join(lines)
