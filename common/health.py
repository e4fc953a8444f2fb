"""`/healthz`: each dependency's state and latency.

    {"status": "ok", "checks": {
        "database": {"status": "ok", "latency_ms": 0.4},
        "cache": {"status": "ok", "latency_ms": 0.2, "failures": 0, "skipped": 0},
        "broker": {"status": "ok", "latency_ms": 1.9}}}

`status` is `ok` when every dependency answers, `degraded` when the database answers but Redis
(cache or broker) does not: the API still serves reads and writes, without rate limits or
cached figures, and queued work waits (docs/operations.md). Both answer 200, so a load balancer
keeps the instance. Without the database the answer is `down` with 503. `failures` and
`skipped` count, since the process started, the cache calls answered without Redis (see
`common.cache`). Errors are named by their type only: the endpoint is public.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from .cache import DegradingRedisCache

OK = "ok"
DEGRADED = "degraded"
DOWN = "down"
BROKER_TIMEOUT_SECONDS = 2


def _timed(check: Callable[[], None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure is the dependency's state, not the endpoint's
        result: dict[str, Any] = {"status": DOWN, "error": type(exc).__name__}
    else:
        result = {"status": OK}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _ping_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _ping_cache() -> None:
    cache = caches["default"]
    if isinstance(cache, DegradingRedisCache):
        cache.ping()  # straight to Redis, whatever its back-off says
    else:
        cache.set("healthz", 1, timeout=10)


def _ping_broker() -> None:
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)


def check_database() -> dict[str, Any]:
    return _timed(_ping_database)


def check_cache() -> dict[str, Any]:
    result = _timed(_ping_cache)
    cache = caches["default"]
    if isinstance(cache, DegradingRedisCache):
        result.update(cache.failure_counts())
    return result


def check_broker() -> dict[str, Any]:
    return _timed(_ping_broker)


def health() -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of the health check."""
    checks = {"database": check_database(), "cache": check_cache(), "broker": check_broker()}
    if checks["database"]["status"] != OK:
        return 503, {"status": DOWN, "checks": checks}
    if any(check["status"] != OK for check in checks.values()):
        return 200, {"status": DEGRADED, "checks": checks}
    return 200, {"status": OK, "checks": checks}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    status, body = health()
    response = JsonResponse(body, status=status)
    if status == 503:
        response["Retry-After"] = "5"
    return response
