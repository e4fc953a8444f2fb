#!/usr/bin/env python
"""Catalog and stats benchmark (`make bench`): seed a bench database, serve it, measure, report.

1. Creates a separate database (default `max_registry_bench`) on the DATABASE_URL server,
   migrates it, and seeds it with COPY unless it already holds the requested row counts: the
   catalog (bench/seed.py), then the sharing layer the alliance's figures read
   (bench/sharing.py), added to an older bench database that lacks it.
2. Creates bench users with API tokens and records, in process (Django test client), the SQL
   every endpoint runs.
3. Serves the app with gunicorn (production settings) on a free loopback port and measures
   each endpoint: sequential p50/p99 and requests/s from one client, then requests/s from
   several threads. Every loop is bounded in requests and in seconds. Stats endpoints are
   measured cold (their cache emptied before each request) and warm (bench/stats.py).
4. Times the same requests in process (SQL versus Python), then replays the captured SQL
   alone with psycopg (bare SQL time, EXPLAIN ANALYZE).
5. Scale-out (bench/scale.py): sample checks per minute with 1 and with 2 Celery worker
   processes on one queue, and API requests per second with 1 and with 2 gunicorn processes.
   `--scale-only` runs this part alone and rewrites only the report's "Scale-out" section;
   `--no-scale` skips it.
6. Prints a table and writes Markdown (default docs/benchmarks.md).

Goals are reported (PASS/FAIL), never asserted: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
# Run as a script: import the project (and this package) from the repository root, not bench/
# (whose stats.py would shadow the stats app).
if Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

import psycopg  # noqa: E402

from bench import (  # noqa: E402
    endpoints,
    measure,
    pages,
    publish,
    report,
    scale,
    seed,
    sharing,
    stack,
)
from bench import stats as stats_bench  # noqa: E402
from bench.endpoints import Endpoint, QueryFigure, Result  # noqa: E402
from bench.sqltime import SqlTimer  # noqa: E402

if TYPE_CHECKING:
    from bench import inprocess as inprocess_types


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=300, help="sequential requests per endpoint"
    )
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--organizations", type=int, default=1_300)
    parser.add_argument("--reseed", action="store_true", help="seed even if the data is there")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--database", default="max_registry_bench", help="bench database name")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=4, help="clients in the concurrent run")
    parser.add_argument(
        "--concurrent-requests", type=int, default=120, help="requests per endpoint, all threads"
    )
    parser.add_argument("--warmup", type=int, default=10, help="requests before timing")
    parser.add_argument(
        "--time-limit", type=float, default=4.0, help="seconds of sequential requests per endpoint"
    )
    parser.add_argument("--sql-runs", type=int, default=20, help="replays of each SQL statement")
    parser.add_argument("--sharing-requests", type=int, default=30_000)
    parser.add_argument("--downloads", type=int, default=100_000)
    parser.add_argument(
        "--cold-requests", type=int, default=6, help="cold requests per stats endpoint"
    )
    parser.add_argument(
        "--stats-time-limit",
        type=float,
        default=1.5,
        help="seconds of warm (and, doubled, of cold) requests per stats endpoint",
    )
    parser.add_argument("--no-stats", action="store_true", help="measure the catalog only")
    defaults = scale.ScaleOptions()
    parser.add_argument(
        "--scale-only",
        action="store_true",
        help="measure scale-out alone; rewrite only the report's Scale-out section",
    )
    parser.add_argument("--no-scale", action="store_true", help="skip the scale-out part")
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="measure the console's pages alone; rewrite only the report's Console pages section",
    )
    parser.add_argument(
        "--scale-jobs", type=int, default=defaults.jobs, help="sample checks queued per phase"
    )
    parser.add_argument(
        "--scale-time-limit",
        type=float,
        default=defaults.time_limit,
        help="seconds of checking per worker phase",
    )
    parser.add_argument(
        "--scale-sample-rows", type=int, default=defaults.sample_rows, help="rows per sample"
    )
    parser.add_argument(
        "--scale-api-seconds",
        type=float,
        default=defaults.api_seconds,
        help="timed seconds per gunicorn phase",
    )
    parser.add_argument(
        "--publish-only",
        action="store_true",
        help="only the three-call publish of a CP949 CSV (bench/publish.py; its flags below)",
    )
    publish.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.scale_only and args.no_scale:
        parser.error("--scale-only and --no-scale exclude each other")
    for name in (
        "requests",
        "datasets",
        "organizations",
        "workers",
        "threads",
        "sql_runs",
        "sharing_requests",
        "downloads",
        "cold_requests",
        "scale_jobs",
        "scale_sample_rows",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.organizations < 2:
        parser.error("--organizations must be at least 2")
    if min(args.time_limit, args.stats_time_limit, args.scale_time_limit) <= 0:
        parser.error("--time-limit, --stats-time-limit and --scale-time-limit must be positive")
    if args.scale_api_seconds <= 0:
        parser.error("--scale-api-seconds must be positive")
    return args


def scale_options(args: argparse.Namespace) -> scale.ScaleOptions:
    return scale.ScaleOptions(
        jobs=args.scale_jobs,
        time_limit=args.scale_time_limit,
        sample_rows=args.scale_sample_rows,
        api_seconds=args.scale_api_seconds,
        threads=args.threads,
    )


def prepare_database(args: argparse.Namespace) -> tuple[str, dict[str, str], seed.SeedReport]:
    base_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not base_url or not redis_url:
        raise SystemExit("Set DATABASE_URL and REDIS_URL (or run through `make bench`).")
    url = seed.with_database(base_url, args.database)
    if url == base_url:
        raise SystemExit(
            f"--database {args.database} is DATABASE_URL's own database; pick another."
        )
    if seed.ensure_database(base_url, args.database):
        log(f"created database {args.database}")
    env = stack.django_env(url, redis_url)
    seed.migrate(env, log)
    with psycopg.connect(url) as conn:
        organizations, datasets, versions = seed.row_counts(conn)
        reports, requests, downloads = sharing.sharing_counts(conn)
    sizes = sharing.SharingSizes(args.sharing_requests, args.downloads)
    catalog_matches = (organizations, datasets) == (args.organizations, args.datasets)
    sharing_missing = not (reports or requests or downloads)
    sharing_matches = (requests, downloads) == (sizes.sharing_requests, sizes.downloads)
    # Agreements are append-only (a trigger refuses DELETE): a sharing layer of other sizes
    # cannot be emptied in place, so the database is seeded again from scratch.
    if args.reseed or not catalog_matches or not (sharing_missing or sharing_matches):
        log(
            f"seeding {args.datasets:,} datasets, {args.organizations:,} organisations and "
            f"{sizes.sharing_requests:,} sharing requests into a fresh {args.database}"
        )
        seed.recreate_database(base_url, args.database)
        seed.migrate(env, log)
        outcome = seed.seed(url, organizations=args.organizations, datasets=args.datasets, log=log)
        layer = sharing.seed_sharing(url, sizes=sizes, seed=seed.RANDOM_SEED, log=log)
        facts = _facts(layer, reused=False)
    else:
        log(f"reusing {datasets:,} datasets and {organizations:,} organisations ({args.database})")
        outcome = seed.SeedReport(organizations, datasets, versions, 0.0, reused=True)
        if sharing_missing:
            log("the bench database has no sharing data yet: adding it")
            facts = _facts(sharing.seed_sharing(url, sizes=sizes, seed=seed.RANDOM_SEED, log=log))
        else:
            log(f"reusing {requests:,} sharing requests and {downloads:,} downloads")
            with psycopg.connect(url) as conn:
                grants = sharing.grant_count(conn)
            facts = seed.SharingFacts(reports, requests, grants, downloads, 0.0, reused=True)
    return url, env, dataclasses.replace(outcome, sharing=facts)


def _facts(layer: sharing.SharingReport, reused: bool = False) -> seed.SharingFacts:
    return seed.SharingFacts(
        layer.validation_reports,
        layer.sharing_requests,
        layer.grants,
        layer.downloads,
        layer.seconds,
        reused=reused,
    )


def capture(targets: list[Endpoint], tokens: dict[str, str]) -> list[Result]:
    """Per endpoint, in process: the SQL statements one request runs."""
    from bench import inprocess

    results = []
    for endpoint in targets:
        captured = inprocess.capture(endpoint.paths[0], token=tokens.get(endpoint.auth))
        if captured.status != 200:
            log(f"warning: {endpoint.label} ({endpoint.auth}) answered {captured.status}")
        results.append(Result(endpoint, captured))
    return results


def capture_stats(
    personas: inprocess_types.Personas, tokens: dict[str, str]
) -> list[stats_bench.StatsResult]:
    """Per stats endpoint, in process: the statements of a cold and of a warm request."""
    from stats.months import Month

    from24 = str(Month.current().plus(-23))
    results = []
    for endpoint in stats_bench.stats_endpoints(personas.organization_slug, personas.lead_division):
        path = endpoint.path.replace("{from24}", from24)
        result = stats_bench.capture(endpoint, path, tokens[endpoint.persona])
        if result.status != 200:
            log(f"warning: stats {endpoint.label} ({endpoint.persona}) answered {result.status}")
        results.append(result)
    return results


def time_in_process(results: list[Result], tokens: dict[str, str]) -> None:
    """Per endpoint, in process: request time and the part of it spent in the database."""
    from bench import inprocess

    for result in results:
        result.inprocess = inprocess.time_requests(
            result.endpoint.paths[0],
            token=tokens.get(result.endpoint.auth),
            repeat=20,
            time_limit=0.75,
        )


def time_sql(url: str, results: list[Result], runs: int) -> None:
    """EXPLAIN ANALYZE the page and count queries, then replay every read statement alone."""
    timer = SqlTimer(url)
    try:
        for result in results:
            for captured in result.capture.queries:
                head = captured.sql.lstrip("( \n").upper()
                if not head.startswith(("SELECT", "WITH")):
                    result.queries.append(QueryFigure(captured, None))
                    continue
                if captured.role in ("page", "count") and captured.role not in result.plans:
                    result.plans[captured.role] = timer.explain(captured.sql)
                timing = timer.time(captured.sql, runs=runs, time_limit=0.5)
                result.queries.append(QueryFigure(captured, timing))
    finally:
        timer.close()


def run_http(
    args: argparse.Namespace,
    env: dict[str, str],
    results: list[Result],
    tokens: dict[str, str],
    stats_results: list[stats_bench.StatsResult],
) -> None:
    with stack.gunicorn(env, workers=args.workers) as server:
        log(f"gunicorn up at {server.base_url} with {server.workers} sync workers")
        run_catalog_http(args, server, results, tokens)
        run_stats_http(args, server, stats_results, tokens)


def run_catalog_http(
    args: argparse.Namespace,
    server: stack.Server,
    results: list[Result],
    tokens: dict[str, str],
) -> None:
    for index, result in enumerate(results):
        endpoint = result.endpoint
        token = tokens.get(endpoint.auth)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        tag = f"seq-{index}"
        seq = measure.sequential(
            server.base_url,
            endpoint.paths,
            headers,
            requests_count=args.requests,
            warmup=args.warmup,
            time_limit=args.time_limit,
            tag={stack.TAG_HEADER: tag},
        )
        result.server_ms = server.server_times(tag)
        conc = measure.concurrent(
            server.base_url,
            endpoint.paths,
            headers,
            threads=args.threads,
            requests_count=args.concurrent_requests,
            time_limit=min(2.0, args.time_limit / 2),
        )
        result.sequential, result.concurrent = seq, conc
        log(
            f"{endpoint.label} ({endpoint.auth}): p50 {seq.p50:.1f} ms, p99 {seq.p99:.1f} ms "
            f"over {len(seq.samples_ms)} requests; {conc.rps:.0f} req/s with "
            f"{conc.threads} threads"
        )
        if seq.first_error:
            log(f"  first error: {seq.first_error}")


def run_stats_http(
    args: argparse.Namespace,
    server: stack.Server,
    results: list[stats_bench.StatsResult],
    tokens: dict[str, str],
) -> None:
    """Cold (the stats cache emptied before each request), then warm, then warm concurrently."""
    for index, result in enumerate(results):
        headers = {"Authorization": f"Bearer {tokens[result.endpoint.persona]}"}
        tag = f"stats-cold-{index}"
        result.cold = measure.sequential(
            server.base_url,
            (result.path,),
            headers,
            requests_count=args.cold_requests,
            warmup=1,
            time_limit=2 * args.stats_time_limit,
            tag={stack.TAG_HEADER: tag},
            before=stats_bench.clear_cache,
        )
        result.cold_server_ms = server.server_times(tag)
        result.warm = measure.sequential(
            server.base_url,
            (result.path,),
            headers,
            requests_count=args.requests,
            warmup=args.warmup,
            time_limit=args.stats_time_limit,
        )
        result.concurrent = measure.concurrent(
            server.base_url,
            (result.path,),
            headers,
            threads=args.threads,
            requests_count=args.concurrent_requests,
            time_limit=min(1.0, args.stats_time_limit / 2),
        )
        cold, warm = result.cold, result.warm
        log(
            f"stats {result.endpoint.label} ({result.endpoint.persona}): cold p50 "
            f"{cold.p50:,.0f} ms over {len(cold.samples_ms)}, warm p50 {warm.p50:.1f} ms, "
            f"{result.concurrent.rps:.0f} req/s with {result.concurrent.threads} threads"
        )
        for run in (cold, warm):
            if run.first_error:
                log(f"  first error: {run.first_error}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.publish_only:
        return publish.run(args)
    started = time.perf_counter()
    load_before = os.getloadavg()
    if load_before[0] > 1.0:
        log(f"note: load average {load_before[0]:.2f}; other work on this machine adds noise")
    url, env, seeding = prepare_database(args)
    # The scale-out part's samples are files its workers read: a media root of the run's own.
    media = tempfile.mkdtemp(prefix="max-bench-media-")
    env["MEDIA_ROOT"] = media
    # Production settings serve the console's static files from collectstatic's manifest.
    env["STATIC_ROOT"] = os.path.join(media, "static")
    try:
        return measure_all(args, argv, url, env, seeding, started, load_before)
    finally:
        shutil.rmtree(media, ignore_errors=True)


def measure_all(
    args: argparse.Namespace,
    argv: list[str] | None,
    url: str,
    env: dict[str, str],
    seeding: seed.SeedReport,
    started: float,
    load_before: tuple[float, float, float],
) -> int:
    # Django in this process: bench personas, and the SQL each endpoint runs.
    os.environ.update(env)
    # Production settings serve static files through WhiteNoise; the API needs none built.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.db import connections

    from bench import inprocess

    personas = inprocess.ensure_personas()
    tokens = {
        "bearer": personas.member_token,
        "member": personas.member_token,
        "secretariat": personas.secretariat_token,
        "lead": personas.lead_token,
    }
    targets = endpoints.catalog_endpoints(
        inprocess.detail_sample(public_only=True, size=200),
        inprocess.detail_sample(public_only=False, size=200),
    )
    if args.pages_only:
        measured = pages.measure_pages(env, args, targets_ids(targets), log)
        write_section(args.output, pages.section(measured, report.markdown_table), pages.SECTION)
        log(f"wrote the Console pages section of {args.output}")
        return 0
    if args.scale_only:
        write_scale_only(
            args.output, run_scale(args, env, targets, tokens), report.Machine.probe(url)
        )
        log(f"wrote the Scale-out section of {args.output}")
        return 0
    log("capturing each endpoint's SQL in process")
    results = capture(targets, tokens)
    stats_results = [] if args.no_stats else capture_stats(personas, tokens)
    connections.close_all()
    run_http(args, env, results, tokens, stats_results)
    log("timing the same requests in process (test client)")
    time_in_process(results, tokens)
    for stats_result in stats_results:
        stats_bench.time_in_process(stats_result, tokens[stats_result.endpoint.persona])
    connections.close_all()
    log("replaying the SQL alone with psycopg")
    time_sql(url, results, args.sql_runs)
    stats_bench.replay(url, stats_results, runs=min(args.sql_runs, 3))
    log("measuring the console's pages")
    page_results = pages.measure_pages(env, args, targets_ids(targets), log)
    # Last, so the catalog's and the alliance's figures never run beside its workers.
    scaled = None if args.no_scale else run_scale(args, env, targets, tokens)

    print()
    print(report.console_table(results))
    if stats_results:
        print()
        print(report.stats_console_table(stats_results))
    print()
    run = report.RunInfo(
        argv=sys.argv[1:] if argv is None else argv,
        database=args.database,
        workers=args.workers,
        threads=args.threads,
        requests=args.requests,
        concurrent_requests=args.concurrent_requests,
        time_limit=args.time_limit,
        member_organization=personas.organization_slug,
        member_organization_datasets=personas.organization_datasets,
        load_before=load_before,
        load_after=os.getloadavg(),
        seconds=time.perf_counter() - started,
    )
    document = report.render_document(
        machine=report.Machine.probe(url),
        facts=report.TableFacts.probe(url),
        seeding=seeding,
        run=run,
        results=results,
        stats_results=stats_results,
        scale_section=(
            scale.markdown(scaled, table=report.markdown_table) if scaled is not None else None
        ),
    )
    document = scale.replace_section(
        document, pages.section(page_results, report.markdown_table), heading=pages.SECTION
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(document, encoding="utf-8")
    log(f"wrote {args.output} ({run.seconds:.0f} s in all)")
    return 0


def run_scale(
    args: argparse.Namespace,
    env: dict[str, str],
    targets: list[Endpoint],
    tokens: dict[str, str],
) -> scale.ScaleResult:
    from django.db import connections

    connections.close_all()
    log("scale-out: sample checks with 1 and 2 worker processes, the API with 1 and 2 gunicorn")
    scaled = scale.run(
        env,
        options=scale_options(args),
        mix=scale.api_mix(targets, tokens),
        cores=os.cpu_count() or 0,
        log=log,
    )
    print()
    print("\n".join(scale.console_lines(scaled)))
    return scaled


def targets_ids(targets: list[Endpoint]) -> list[str]:
    """The dataset ids the detail endpoints cycle over (the member's sample)."""
    detail = [t for t in targets if t.kind == "detail" and t.auth == "bearer"]
    paths = detail[0].paths if detail else ()
    return [path.rstrip("/").rsplit("/", 1)[-1] for path in paths]


def write_section(output: Path, section: list[str], heading: str) -> None:
    """Rewrite one section of an existing report (or start one with it)."""
    document = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(scale.replace_section(document, section, heading=heading), encoding="utf-8")


def write_scale_only(output: Path, scaled: scale.ScaleResult, machine: report.Machine) -> None:
    """Rewrite the Scale-out section of an existing report, or write a report of it alone."""
    section = scale.markdown(scaled, table=report.markdown_table)
    if output.exists():
        document = output.read_text(encoding="utf-8")
    else:
        document = "\n".join(
            [
                "# Scale-out benchmark",
                "",
                "Generated by `make bench BENCH_ARGS=--scale-only` "
                "([bench/run.py](../bench/run.py)).",
                "",
                f"- **Machine:** {machine.cpu}, {machine.cores} cores (nproc), "
                f"{machine.memory_gib:.1f} GiB memory; PostgreSQL {machine.postgres} and Redis "
                "on the same machine, loopback TCP.",
                "",
            ]
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(scale.replace_section(document, section), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
