"""DRF renderers for linked data: an rdflib Graph as JSON-LD or Turtle.

Errors stay problem documents (`application/problem+json`) whatever representation the caller
asked for (decided once in the exception handler).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rdflib import Graph
from rest_framework.renderers import BaseRenderer

from .dcat import JSONLD_CONTEXT

JSON_LD = "application/ld+json"
TURTLE = "text/turtle"


def _graph_bytes(data: Any, rdf_format: str) -> bytes:
    if not isinstance(data, Graph):  # never expected: errors render as problem JSON
        return json.dumps(data, ensure_ascii=False).encode()
    if rdf_format == "json-ld":
        text = data.serialize(format="json-ld", context=JSONLD_CONTEXT, auto_compact=True)
    else:
        text = data.serialize(format=rdf_format)
    return text.encode("utf-8")


class JsonLdRenderer(BaseRenderer):
    media_type = JSON_LD
    format = "jsonld"
    charset = None  # JSON is UTF-8 by definition (RFC 8259)

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return _graph_bytes(data, "json-ld")


class JsonLdAsJsonRenderer(JsonLdRenderer):
    """JSON-LD for clients that ask for plain JSON (it is JSON)."""

    media_type = "application/json"
    format = "json"


class TurtleRenderer(BaseRenderer):
    media_type = TURTLE
    format = "ttl"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return _graph_bytes(data, "turtle")
