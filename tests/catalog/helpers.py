"""The catalog exports' media types, its URL, and readers of the graphs it serves."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from rdflib import Graph

from common.urls import public_base_url

CATALOG_URL = reverse("catalog")
JSON_LD = "application/ld+json"
TURTLE = "text/turtle"
PROBLEM = "application/problem+json"
KST = dt.timezone(dt.timedelta(hours=9))
TABLE_SCHEMA = {
    "fields": [
        {"name": "ts", "type": "datetime"},
        {"name": "spindle_rpm", "type": "number", "constraints": {"minimum": 0}},
    ],
    "primaryKey": ["ts"],
}


# Without PUBLIC_BASE_URL (the test settings), URIs follow the host the test client sends.
TEST_HOST = "http://testserver"


def public_url(path: str) -> str:
    return f"{public_base_url() or TEST_HOST}{path}"


def local_path(url: str) -> str:
    """A URI the registry made, as a path the test client can request."""
    base = public_base_url() or TEST_HOST
    assert url.startswith(base), url
    return url.removeprefix(base)


def parse(response: Any, rdf_format: str | None = None) -> Graph:
    content_type = response["Content-Type"].split(";")[0]
    rdf_format = rdf_format or {TURTLE: "turtle"}.get(content_type, "json-ld")
    return Graph().parse(data=response.content.decode("utf-8"), format=rdf_format)
