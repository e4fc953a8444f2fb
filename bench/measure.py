"""HTTP load from loopback clients: bounded in request count and in time."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests


def percentile(samples: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (NumPy's default); NaN when empty."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Sequential:
    samples_ms: list[float]
    errors: int
    seconds: float
    first_error: str | None

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.samples_ms, 99)

    @property
    def rps(self) -> float:
        return len(self.samples_ms) / self.seconds if self.seconds else math.nan


@dataclass(frozen=True)
class Concurrent:
    threads: int
    completed: int
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds else math.nan


def _session(headers: dict[str, str]) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Accept": "application/json", **headers})
    return session


def sequential(
    base_url: str,
    paths: Sequence[str],
    headers: dict[str, str],
    *,
    requests_count: int,
    warmup: int,
    time_limit: float,
    warmup_time_limit: float = 0.5,
    tag: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
) -> Sequential:
    """One client, one `requests.Session`, one request at a time; paths are taken in turn.

    `tag` (a header) goes on the timed requests only, so the server log can pick them out.
    `before` runs before each timed request, outside the timing (the stats bench empties a
    cache with it).
    """
    cycle = itertools.cycle(paths)
    samples: list[float] = []
    errors = 0
    first_error: str | None = None
    with _session(headers) as session:
        warm_until = time.perf_counter() + warmup_time_limit
        for _ in range(warmup):
            session.get(base_url + next(cycle), timeout=30).close()
            if time.perf_counter() > warm_until:
                break
        session.headers.update(tag or {})
        started = time.perf_counter()
        deadline = started + time_limit
        for _ in range(requests_count):
            if time.perf_counter() > deadline:
                break
            url = base_url + next(cycle)
            if before is not None:
                before()
            sent = time.perf_counter()
            response = session.get(url, timeout=30)
            _ = response.content
            elapsed = (time.perf_counter() - sent) * 1000
            if response.status_code == 200:
                samples.append(elapsed)
            else:
                errors += 1
                if first_error is None:
                    first_error = f"{response.status_code} {url}: {response.text[:300]}"
        seconds = time.perf_counter() - started
    return Sequential(samples, errors, seconds, first_error)


def concurrent(
    base_url: str,
    paths: Sequence[str],
    headers: dict[str, str],
    *,
    threads: int,
    requests_count: int,
    time_limit: float,
) -> Concurrent:
    """`threads` clients, each with its own session, sharing a budget of `requests_count`."""
    return concurrent_mix(
        base_url,
        [(path, headers) for path in paths],
        threads=threads,
        requests_count=requests_count,
        time_limit=time_limit,
    )


def concurrent_mix(
    base_url: str,
    mix: Sequence[tuple[str, dict[str, str]]],
    *,
    threads: int,
    requests_count: int,
    time_limit: float,
) -> Concurrent:
    """`threads` clients, each with its own session, sharing a budget of `requests_count`;
    each takes the (path, headers) pairs of `mix` in turn, from its own starting point."""
    lock = threading.Lock()
    budget = iter(range(requests_count))
    completed = 0
    errors = 0
    deadline = time.perf_counter() + time_limit

    def worker(offset: int) -> None:
        nonlocal completed, errors
        start = offset % len(mix)
        cycle = itertools.cycle([*mix[start:], *mix[:start]])
        with _session({}) as session:
            while time.perf_counter() < deadline:
                with lock:
                    if next(budget, None) is None:
                        return
                path, headers = next(cycle)
                response = session.get(base_url + path, headers=headers, timeout=30)
                _ = response.content
                with lock:
                    if response.status_code == 200:
                        completed += 1
                    else:
                        errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker, i * 7) for i in range(threads)]:
            future.result()
    return Concurrent(threads, completed, errors, time.perf_counter() - started)
