"""A small HTTP server on 127.0.0.1 for harvesting tests: fixed routes, CKAN paging, logs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/octet-stream"
    location: str = ""
    send_length: bool = True
    delay: float = 0.0


@dataclass
class Site:
    server: ThreadingHTTPServer
    routes: dict[str, Route | Callable[[dict[str, list[str]]], Route]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def ckan_pages(packages: list[dict[str, Any]]) -> Callable[[dict[str, list[str]]], Route]:
    """package_search over `packages`, honouring rows and start."""

    def answer(query: dict[str, list[str]]) -> Route:
        rows = int(query.get("rows", ["10"])[0])
        start = int(query.get("start", ["0"])[0])
        body = {
            "success": True,
            "result": {"count": len(packages), "results": packages[start : start + rows]},
        }
        return Route(json.dumps(body).encode(), content_type="application/json")

    return answer


@contextmanager
def serving() -> Iterator[Site]:
    ref: list[Site] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site = ref[0]
            site.requests.append(self.path)
            parts = urlsplit(self.path)
            route = site.routes.get(parts.path)
            if callable(route):
                route = route(parse_qs(parts.query))
            if route is None:
                route = Route(b"not found", status=404)
            if route.delay:
                time.sleep(route.delay)
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.location:
                self.send_header("Location", route.location)
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ref.append(Site(server))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield ref[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
