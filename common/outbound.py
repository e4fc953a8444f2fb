"""Outbound HTTP to addresses other people type in (webhook receivers, catalogs to harvest).

The worker sits inside the network, so every destination must resolve to a public address
(the SSRF guard) unless WEBHOOK_ALLOW_PRIVATE_NETWORKS says otherwise, and a POST never follows
a redirect (one would bypass the guard). Imports no app: any app's services may use it.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


class TransientDeliveryError(Exception):
    """The receiver may accept later (timeout, 5xx, connection refused): retry with backoff."""


def check_destination(url: str) -> None:
    """Refuse private and loopback addresses unless allowed (SSRF: the worker is inside).

    Raises ValueError for a refused destination (retrying will not help) and
    TransientDeliveryError when the host cannot be resolved now."""
    if getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False):
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise TransientDeliveryError(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
        ):
            raise ValueError(f"{host} resolves to a non-public address ({address})")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver answers; it does not send the worker elsewhere (SSRF: a redirect would bypass
    the destination check). The redirect comes back as an HTTPError with its 3xx code."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(NoRedirects)


def post(url: str, *, body: bytes, headers: Mapping[str, str], timeout: float = 10) -> int:
    """POST `body` to `url` once, after the destination check, without following redirects,
    and return the response's status code.

    Raises urllib.error.HTTPError for an error or redirect status, ValueError for a refused
    destination, TransientDeliveryError or OSError when the receiver may accept later."""
    request = urllib.request.Request(  # noqa: S310 (callers validate http(s) URLs)
        url, data=body, method="POST", headers=dict(headers)
    )
    check_destination(url)
    with _opener.open(request, timeout=timeout) as response:
        return int(response.status)
