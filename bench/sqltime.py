"""Bare SQL timings: the statements Django sent, replayed with psycopg on their own."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import psycopg

from .measure import percentile

_EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


@dataclass(frozen=True)
class SqlTiming:
    p50_ms: float
    runs: int


@dataclass(frozen=True)
class Plan:
    text: str
    execution_ms: float


class SqlTimer:
    """One connection, client-side parameters already inlined, no prepared statements.

    That is how Django's psycopg backend talks to PostgreSQL (client-side binding), so a
    replay costs what the ORM's statement costs minus Python: round trip, planning, execution
    and fetching the rows.
    """

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        # Django sets the session time zone to UTC (USE_TZ); the literals in its SQL assume it.
        self.conn.execute("SET TIME ZONE 'UTC'")

    def close(self) -> None:
        self.conn.close()

    def time(
        self, statement: str, *, runs: int, time_limit: float, warmup: int = 0, min_runs: int = 3
    ) -> SqlTiming:
        """p50 of up to `runs` executions (at least `min_runs`, else stop after `time_limit`)."""
        samples: list[float] = []
        query = statement.encode()
        with self.conn.cursor() as cur:
            for _ in range(warmup):
                cur.execute(query, prepare=False)
                if cur.description is not None:
                    cur.fetchall()
            deadline = time.perf_counter() + time_limit
            for _ in range(runs):
                if len(samples) >= min_runs and time.perf_counter() > deadline:
                    break
                started = time.perf_counter()
                cur.execute(query, prepare=False)
                if cur.description is not None:
                    cur.fetchall()
                samples.append((time.perf_counter() - started) * 1000)
        return SqlTiming(percentile(samples, 50), len(samples))

    def explain(self, statement: str) -> Plan:
        with self.conn.cursor() as cur:
            cur.execute(b"EXPLAIN (ANALYZE, BUFFERS) " + statement.encode(), prepare=False)
            text = "\n".join(str(row[0]) for row in cur.fetchall())
        match = _EXECUTION.search(text)
        return Plan(text, float(match.group(1)) if match else float("nan"))
