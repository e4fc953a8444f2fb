"""Absolute URLs: one rule for every link the registry writes out.

`PUBLIC_BASE_URL` (scheme, host and port, e.g. `https://registry.example.kr`), when set, is the
address the registry is reached at, and every absolute link starts with it: behind a proxy the
request's own host may be an internal one. When it is empty (the default), a link made while
answering a request follows that request's scheme, host and port (Django has already checked
the host against `ALLOWED_HOSTS`). Work outside a request (emails, webhooks sent by workers)
has no host to follow and needs `PUBLIC_BASE_URL`; `make run` sets it from its port. Without
either, such a link stays a path, and a warning says why.
"""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)


class BuildsAbsoluteUri(Protocol):
    """A Django `HttpRequest` or a DRF `Request`."""

    def build_absolute_uri(self, location: str | None = None) -> str: ...


def public_base_url() -> str:
    """`PUBLIC_BASE_URL` without its trailing slash; empty when unset."""
    return str(getattr(settings, "PUBLIC_BASE_URL", "") or "").strip().rstrip("/")


def absolute_url(path: str, request: BuildsAbsoluteUri | None = None) -> str:
    """`path` (from `reverse()`, with its query string if any) as a full URL: under
    `PUBLIC_BASE_URL` when set, else under the host `request` came to. A URL that is absolute
    already is returned as it is."""
    if urlsplit(path).scheme:
        return path
    if not path.startswith("/"):
        path = "/" + path
    base = public_base_url()
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    logger.warning(
        "PUBLIC_BASE_URL is not set: a link made outside a request stays a path (%s)", path
    )
    return path


def base_url(request: BuildsAbsoluteUri | None = None) -> str:
    """The registry's own address, without a trailing slash: the base of the URIs the catalog
    and Data Packages name (`interop.dcat.Uris`)."""
    return absolute_url("/", request).rstrip("/")
