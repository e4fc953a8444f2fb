"""Redis away, for the outage and health tests."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

from django.conf import settings as django_settings
from django.test.utils import override_settings

from common import cache as degrading_cache

# Nothing listens there: connections are refused at once.
CLOSED_PORT = "redis://127.0.0.1:1/0"


@contextlib.contextmanager
def cache_at(location: str, **options: Any) -> Iterator[None]:
    """The default cache pointed at `location` for the block, with no back-off left over from
    another test; restored before the conftest's cleanup needs the real Redis again."""
    caches: dict[str, Any] = copy.deepcopy(django_settings.CACHES)
    caches["default"]["LOCATION"] = location
    caches["default"]["OPTIONS"].update(options)
    degrading_cache.reset_state()
    with override_settings(CACHES=caches):
        yield
    degrading_cache.reset_state()
