"""Scale-out (`make bench`, the report's "Scale-out" section): the same work with one process
and with two, measured in the same run.

- **Sample checks per minute** with 1 and with 2 Celery worker processes consuming one queue:
  separate `celery worker` processes (`--concurrency 1` each, as two machines would run
  them) on the bench's Redis, against the bench database. Each phase first queues its jobs
  through the real path (bench/scale_checks.py: a sample upload through the datasets services,
  its check promised in the outbox and published to Redis on commit), then starts the
  workers. Checks are counted from the database, those finished after every worker was
  ready (the ones an earlier-ready worker did meanwhile are its warm-up), until all are done
  or the time limit passes.
- **API requests per second** with 1 and with 2 gunicorn sync worker processes: several
  client threads cycling through the catalog's read endpoints (bench/endpoints.py: lists,
  filtered lists, searches, details; anonymous and with a bearer token), after a warm-up. Both
  servers run at once and the timed requests alternate between them in short slices.

Both are bounded in jobs or requests and in seconds. The ratio 2-vs-1 is the figure to read:
on a machine with 2 cores, 2 processes are the ceiling (PostgreSQL, Redis and the client
share those cores).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from . import measure, stack
from .endpoints import Endpoint

PROCESSES = (1, 2)


@dataclass(frozen=True)
class ScaleOptions:
    jobs: int = 200  # sample checks queued per phase
    time_limit: float = 25.0  # seconds of checking per phase, from when every worker is ready
    sample_rows: int = 5_000
    api_seconds: float = 10.0  # timed seconds per server
    api_requests: int = 20_000  # request budget per server
    api_warmup_seconds: float = 1.5
    api_slice_seconds: float = 2.0  # the timed requests alternate between servers this often
    threads: int = 4  # client threads of the API phases


@dataclass(frozen=True)
class WorkerRun:
    processes: int
    queued: int
    counted: int  # checks finished after every worker was ready
    seconds: float  # from then to the last of them (or to the time limit)
    before_ready: int = 0  # finished before every worker was ready: warm-up, not counted
    outcomes: dict[str, int] = field(default_factory=dict)
    unpublished: int = 0  # outbox rows the on-commit publish did not hand to Redis
    queue_seconds: float = 0.0

    @property
    def per_minute(self) -> float:
        return self.counted * 60 / self.seconds if self.seconds > 0 else math.nan


@dataclass(frozen=True)
class ApiRun:
    processes: int
    threads: int
    completed: int
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else math.nan


@dataclass(frozen=True)
class ScaleResult:
    cores: int
    options: ScaleOptions
    workers: list[WorkerRun] = field(default_factory=list)
    api: list[ApiRun] = field(default_factory=list)
    sample_bytes: int = 0
    seconds: float = 0.0
    error: str | None = None  # why a part was not measured
    measured_at: dt.datetime | None = None
    load_before: float = math.nan  # 1-minute load average
    load_after: float = math.nan

    @property
    def worker_ratio(self) -> float | None:
        return ratio({r.processes: r.per_minute for r in self.workers})

    @property
    def api_ratio(self) -> float | None:
        return ratio({r.processes: r.rps for r in self.api})


def ratio(figures: dict[int, float]) -> float | None:
    """The figure with 2 processes over the figure with 1; None without both."""
    one, two = figures.get(1, math.nan), figures.get(2, math.nan)
    if math.isnan(one) or math.isnan(two) or one <= 0:
        return None
    return two / one


def throughput_window(
    finished: Sequence[float], *, ready: float, stopped: float, queued: int
) -> tuple[int, float]:
    """(checks, seconds) counted from `ready` (every worker consuming): the checks finished
    after it, over the time from it to the last of them when all `queued` are done, else to
    `stopped` (the time limit)."""
    counted = sorted(moment for moment in finished if moment > ready)
    end = counted[-1] if counted and len(finished) >= queued else stopped
    return len(counted), max(0.0, end - ready)


def api_mix(
    targets: Sequence[Endpoint], tokens: dict[str, str], *, per_endpoint: int = 20
) -> list[tuple[str, dict[str, str]]]:
    """The read mix: the endpoints taken in turn, `per_endpoint` rounds, each round an
    endpoint's next path (details cycle over their datasets)."""
    mix: list[tuple[str, dict[str, str]]] = []
    for round_ in range(per_endpoint):
        for endpoint in targets:
            token = tokens.get(endpoint.auth)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            mix.append((endpoint.paths[round_ % len(endpoint.paths)], headers))
    return mix


# --- measuring ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _publishing_to(queue: str) -> Iterator[None]:
    """This process's Celery app publishes to `queue` (the workers of one phase read only it)."""
    from config.celery import app

    saved = (app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.update(task_default_queue=queue, task_always_eager=False)
    try:
        yield
    finally:
        app.conf.update(task_default_queue=saved[0], task_always_eager=saved[1])


def _drop_queue(redis_url: str, queue: str) -> None:
    """Delete what a phase left in Redis: its queue (with kombu's priority lists) and binding."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(
            queue,
            *(f"{queue}\x06\x16{p}" for p in (3, 6, 9)),
            f"_kombu.binding.{queue}",
            f"_kombu.binding_permanent.{queue}",
        )
    finally:
        client.close()


def measure_workers(
    env: dict[str, str],
    processes: int,
    options: ScaleOptions,
    log: Callable[[str], None],
    queue: str,
) -> WorkerRun:
    from . import scale_checks

    versions = scale_checks.ensure_versions()
    with _publishing_to(queue):
        batch = scale_checks.queue_checks(
            versions, jobs=options.jobs, sample=scale_checks.sample_csv(options.sample_rows)
        )
    try:
        unpublished = batch.unpublished
        log(
            f"queued {len(batch.report_ids)} sample checks in {batch.seconds:.1f} s through the "
            f"outbox; starting {processes_label(processes, 'worker')}"
        )
        with stack.celery_workers(env, count=processes, queue=queue):
            ready = time.time()
            deadline = ready + options.time_limit
            while True:
                finished = scale_checks.finish_times(batch)
                stopped = time.time()
                if len(finished) >= len(batch.report_ids) or stopped >= deadline:
                    break
                time.sleep(0.25)
        counted, seconds = throughput_window(
            finished, ready=ready, stopped=stopped, queued=len(batch.report_ids)
        )
        outcome = scale_checks.outcomes(batch)
    finally:
        _drop_queue(env["REDIS_URL"], queue)
        scale_checks.discard(batch)
    run = WorkerRun(
        processes=processes,
        queued=len(batch.report_ids),
        counted=counted,
        seconds=seconds,
        before_ready=len(finished) - counted,
        outcomes=outcome,
        unpublished=unpublished,
        queue_seconds=batch.seconds,
    )
    log(
        f"{processes_label(processes, 'worker')}: {run.per_minute:,.0f} sample checks/min "
        f"({counted} in {seconds:.1f} s, {run.before_ready} before all were ready)"
    )
    return run


def slice_order(slices: int) -> list[int]:
    """Which server (by its process count) each timed slice goes to: 1, 2, 2, 1, 1, 2, ...
    (ABBA), so a load that rises or falls during the run weighs on both alike."""
    order: list[int] = []
    for index in range(slices):
        pair = PROCESSES if index % 2 == 0 else PROCESSES[::-1]
        order.extend(pair)
    return order


def measure_api(
    env: dict[str, str],
    mix: Sequence[tuple[str, dict[str, str]]],
    options: ScaleOptions,
    log: Callable[[str], None],
) -> list[ApiRun]:
    """Both servers run at once (an idle one costs nothing); the timed requests alternate
    between them in short slices, up to `api_seconds` for each."""
    slices = max(1, math.ceil(options.api_seconds / options.api_slice_seconds))
    budget = max(1, options.api_requests // slices)
    completed = dict.fromkeys(PROCESSES, 0)
    errors = dict.fromkeys(PROCESSES, 0)
    seconds = dict.fromkeys(PROCESSES, 0.0)
    with contextlib.ExitStack() as running:
        servers = {n: running.enter_context(stack.gunicorn(env, workers=n)) for n in PROCESSES}
        for server in servers.values():
            measure.concurrent_mix(
                server.base_url,
                mix,
                threads=options.threads,
                requests_count=options.api_requests,
                time_limit=options.api_warmup_seconds,
            )
        for processes in slice_order(slices):
            timed = measure.concurrent_mix(
                servers[processes].base_url,
                mix,
                threads=options.threads,
                requests_count=budget,
                time_limit=options.api_seconds / slices,
            )
            completed[processes] += timed.completed
            errors[processes] += timed.errors
            seconds[processes] += timed.seconds
    runs = [ApiRun(n, options.threads, completed[n], errors[n], seconds[n]) for n in PROCESSES]
    for api_run in runs:
        label = processes_label(api_run.processes, "gunicorn worker")
        log(
            f"{label}: {api_run.rps:,.0f} req/s with "
            f"{api_run.threads} client threads ({api_run.completed} in {api_run.seconds:.1f} s, "
            f"{api_run.errors} errors)"
        )
    return runs


def run(
    env: dict[str, str],
    *,
    options: ScaleOptions,
    mix: Sequence[tuple[str, dict[str, str]]],
    cores: int,
    log: Callable[[str], None],
) -> ScaleResult:
    """Both measurements, 1 process then 2 each; a failure is reported, not raised (the bench
    reports and never stops on a figure)."""
    from . import scale_checks

    measured_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    workers: list[WorkerRun] = []
    api: list[ApiRun] = []
    error = None
    queues = {n: f"bench-scale-{uuid.uuid4().hex[:8]}-{n}" for n in PROCESSES}
    try:
        for processes in PROCESSES:
            workers.append(measure_workers(env, processes, options, log, queues[processes]))
        api = measure_api(env, mix, options, log)
    except (Exception, SystemExit) as exc:  # a worker or gunicorn that would not start
        error = f"{type(exc).__name__}: {str(exc)[:500]}"
        log(f"scale-out not measured in full: {error}")
    return ScaleResult(
        cores=cores,
        options=options,
        workers=workers,
        api=api,
        sample_bytes=len(scale_checks.sample_csv(options.sample_rows)),
        seconds=time.perf_counter() - started,
        error=error,
        measured_at=measured_at,
        load_before=load_before,
        load_after=os.getloadavg()[0],
    )


# --- reporting ----------------------------------------------------------------------------------


def processes_label(count: int, kind: str) -> str:
    """ "1 worker process", "2 worker processes"."""
    return f"{count} {kind} process" + ("" if count == 1 else "es")


def _figure(value: float | None, digits: int = 0) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def summary_rows(result: ScaleResult) -> list[tuple[str, ...]]:
    workers = {r.processes: r.per_minute for r in result.workers}
    api = {r.processes: r.rps for r in result.api}
    return [
        (
            "Sample checks per minute (Celery worker processes on one queue)",
            _figure(workers.get(1)),
            _figure(workers.get(2)),
            _ratio(result.worker_ratio),
        ),
        (
            f"API requests per second (gunicorn sync workers, {result.options.threads} client "
            "threads, catalog read mix)",
            _figure(api.get(1)),
            _figure(api.get(2)),
            _ratio(result.api_ratio),
        ),
    ]


SUMMARY_HEADERS = ("Measured", "1 process", "2 processes", "2 vs 1")


def console_lines(result: ScaleResult) -> list[str]:
    lines = [f"Scale-out ({result.cores} cores):"]
    for label, one, two, times in summary_rows(result):
        lines.append(f"  {label}: {one} -> {two} ({times})")
    if result.error:
        lines.append(f"  not measured in full: {result.error}")
    return lines


def ceiling_note(cores: int) -> str:
    if cores <= 2:
        return (
            f"This machine has {cores} cores (nproc): two processes on two cores is the "
            "ceiling. The ratio cannot pass 2.0, and PostgreSQL, Redis and the bench's own "
            "client (and on a shared machine, other work) run on the same cores, so a ratio "
            "short of 2 is the cores running out, not the registry."
        )
    return (
        f"This machine has {cores} cores (nproc): two processes do not use them all, so the "
        "ratio says how far the registry itself scales from one process to two; PostgreSQL, "
        "Redis and the bench's client share the machine."
    )


def markdown(
    result: ScaleResult, *, table: Callable[[tuple[str, ...], list[tuple[str, ...]]], str]
) -> list[str]:
    options = result.options
    lines = [
        "## Scale-out",
        "",
        "The same work with one process and with two, measured in the same run "
        "([bench/scale.py](../bench/scale.py)); how the registry scales past one machine is in "
        "[scaling.md](scaling.md).",
        "",
        table(SUMMARY_HEADERS, summary_rows(result)),
        "",
        ceiling_note(result.cores),
        "",
    ]
    if result.measured_at is not None:
        lines += [
            f"Measured {result.measured_at:%Y-%m-%d %H:%M} UTC, in {result.seconds:.0f} s; "
            f"load average (1 min) {result.load_before:.2f} before and "
            f"{result.load_after:.2f} after.",
            "",
        ]
    if result.error:
        lines += [f"**Not measured in full:** `{result.error}`.", ""]
    if result.workers:
        lines += [
            "Sample checks: each phase uploads its samples through "
            "`datasets.services.validation.sample_upload`, one transaction each (the check is "
            "promised in the outbox and published to Redis on commit), then starts its "
            "workers: separate `celery worker --pool prefork --concurrency 1` processes on one "
            f"queue. Each sample is a CSV of {options.sample_rows:,} rows "
            f"({result.sample_bytes / 1024:,.0f} KiB) checked against a 5-field table schema "
            "with a primary key. Counted: checks finished (`ValidationReport.finished_at`) "
            "after every worker was ready, up to the last of them or the time limit "
            f"({options.time_limit:.0f} s).",
            "",
        ]
        for run in result.workers:
            outcome = ", ".join(f"{n} {status}" for status, n in sorted(run.outcomes.items()))
            relay = f"; {run.unpublished} outbox rows left to the relay" if run.unpublished else ""
            lines.append(
                f"- {processes_label(run.processes, 'worker')}: {run.counted} of {run.queued} "
                f"checks in {run.seconds:.1f} s ({run.before_ready} finished before every "
                f"worker was ready); reports at the end: {outcome or 'none'}; queueing took "
                f"{run.queue_seconds:.1f} s{relay}."
            )
        lines.append("")
    if result.api:
        lines += [
            f"API: {options.threads} client threads cycle through the catalog endpoints "
            "(bench/endpoints.py: lists, filtered lists, searches, details; anonymous and "
            "bearer) against two gunicorn servers running side by side, one with 1 sync "
            f"worker and one with 2; {options.api_warmup_seconds:.1f} s of warm-up each, then "
            f"the timed requests alternate between them in slices of "
            f"{options.api_slice_seconds:.0f} s (1, 2, 2, 1, ...), so a change in the "
            "machine's load weighs on both alike; at most "
            f"{options.api_seconds:.0f} s or {options.api_requests:,} requests each.",
            "",
        ]
        for api_run in result.api:
            label = processes_label(api_run.processes, "gunicorn worker")
            lines.append(
                f"- {label}: {api_run.completed:,} requests in {api_run.seconds:.1f} s, "
                f"{api_run.errors} errors."
            )
        lines.append("")
    return lines


SECTION = "## Scale-out"


def replace_section(
    document: str,
    section: list[str],
    *,
    before: str = "## How to reproduce",
    heading: str = SECTION,
) -> str:
    """`document` with its `heading` section (up to the next `## ` heading) replaced by
    `section`; inserted before the heading `before` when it has none, else appended."""
    lines = document.splitlines()
    new = list(section)
    if new and new[-1] != "":
        new.append("")
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = new
    elif before in lines:
        at = lines.index(before)
        lines[at:at] = new
    else:
        if lines and lines[-1] != "":
            lines.append("")
        lines += new
    return "\n".join(lines).rstrip("\n") + "\n"
