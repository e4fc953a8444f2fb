"""A Redis cache that degrades instead of failing: the registry's cache fails open.

Everything the registry keeps in the cache can be lost or recomputed: rate-limit histories
(DRF's throttles), failed-login counters, the stats tables. So when Redis cannot be reached
(refused, reset, or silent past `socket_timeout`), each call answers as if the key were absent
and a write had not happened, instead of raising: reads return the default, writes do nothing,
`add` and `delete` report False. Requests go on without rate limits, lockouts or cached
figures until Redis is back (docs/operations.md, "Redis").

After a failure the backend stops asking Redis for `CACHE_RETRY_SECONDS` (per process and
server), so a stopped Redis costs one timeout per process every few seconds, not one per call.
Every failure is logged as a warning and counted (`failure_counts()`, shown by `/healthz`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What "Redis is unreachable" looks like: refused or reset connections (redis-py wraps socket
# errors into ConnectionError) and no answer within the socket timeouts.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
DEFAULT_RETRY_SECONDS = 5.0

_lock = threading.Lock()
# Per server (LOCATION): monotonic time until which Redis is not asked again.
_down_until: dict[str, float] = {}
# The metric: calls answered without Redis, per server, since the process started.
_failures: dict[str, int] = {}
_skipped: dict[str, int] = {}


def failure_counts() -> dict[str, dict[str, int]]:
    """Per server: `failures` (calls that reached for Redis and failed) and `skipped` (calls
    answered without asking while it was taken for down), since the process started."""
    with _lock:
        servers = set(_failures) | set(_skipped)
        return {
            server: {"failures": _failures.get(server, 0), "skipped": _skipped.get(server, 0)}
            for server in sorted(servers)
        }


def reset_state() -> None:
    """Forget failures and back-offs (tests)."""
    with _lock:
        _down_until.clear()
        _failures.clear()
        _skipped.clear()


class DegradingRedisCache(RedisCache):
    """Django's RedisCache, failing open when Redis is unreachable (see the module docstring).

    OPTIONS are those of RedisCache (`socket_timeout`, `socket_connect_timeout`... go to the
    redis-py connection pool), plus `retry_seconds`: how long to stop asking after a failure.
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.retry_seconds = float(options.pop("retry_seconds", DEFAULT_RETRY_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self.server = server if isinstance(server, str) else ",".join(server)

    # --- the guard ------------------------------------------------------------------------

    def is_backing_off(self) -> bool:
        """True while Redis is taken for down after a failure."""
        with _lock:
            return time.monotonic() < _down_until.get(self.server, 0.0)

    def _degrade(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        if self.is_backing_off():
            with _lock:
                _skipped[self.server] = _skipped.get(self.server, 0) + 1
            return fallback
        try:
            return call()
        except UNREACHABLE as exc:
            with _lock:
                _down_until[self.server] = time.monotonic() + self.retry_seconds
                _failures[self.server] = _failures.get(self.server, 0) + 1
            logger.warning(
                "cache unreachable, failing open: %s %s (%s); not asking again for %.1f s",
                operation,
                type(exc).__name__,
                exc,
                self.retry_seconds,
            )
            return fallback

    def failure_counts(self) -> dict[str, int]:
        """This server's `failures` and `skipped` (see `failure_counts`)."""
        return failure_counts().get(self.server, {"failures": 0, "skipped": 0})

    def ping(self) -> None:
        """One round trip to Redis, whatever the back-off says (the health check); raises
        when it is unreachable."""
        RedisCache.has_key(self, "healthz")

    # --- every operation of BaseCache (decr, get_or_set and the version helpers use these) ---

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._degrade(
            "add", partial(RedisCache.add, self, key, value, timeout, version), False
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._degrade("get", partial(RedisCache.get, self, key, default, version), default)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._degrade("set", partial(RedisCache.set, self, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._degrade("touch", partial(RedisCache.touch, self, key, timeout, version), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._degrade("delete", partial(RedisCache.delete, self, key, version), False)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._degrade("get_many", partial(RedisCache.get_many, self, keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._degrade("has_key", partial(RedisCache.has_key, self, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # As if the counter had just been created: a limit counted in the cache is not reached
        # while Redis is away. A missing key still raises ValueError, as in Django's backends.
        return self._degrade("incr", partial(RedisCache.incr, self, key, delta, version), delta)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        # The keys that were not stored, as Django's contract says.
        call = partial(RedisCache.set_many, self, data, timeout, version)
        return self._degrade("set_many", call, list(data))

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._degrade("delete_many", partial(RedisCache.delete_many, self, keys, version), None)

    def clear(self) -> None:
        self._degrade("clear", partial(RedisCache.clear, self), None)
