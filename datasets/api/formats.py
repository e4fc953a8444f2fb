"""Open-standard representations: DCAT as JSON-LD or Turtle, versions as Data Packages.

Renderers turn an rdflib Graph (or a descriptor) into bytes; errors stay problem documents
(`application/problem+json`) whatever representation the caller asked for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import Http404
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import Actor

from ..datapackage import MEDIA_TYPE as DATA_PACKAGE
from ..datapackage import datapackage_descriptor
from ..dcat import selectors as dcat_selectors
from ..models import Dataset

JSON_LD = "application/ld+json"
TURTLE = "text/turtle"


def _graph_bytes(data: Any, rdf_format: str) -> bytes:
    from rdflib import Graph

    from ..dcat.export import JSONLD_CONTEXT

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


class DataPackageRenderer(JSONRenderer):
    media_type = DATA_PACKAGE
    format = "datapackage"


class DataPackageNegotiationMixin(APIView):
    """For the version detail: `Accept: application/vnd.datapackage+json` answers with the
    version's Data Package descriptor instead of the version (`wants_datapackage`)."""

    datapackage_actions = ("retrieve",)

    def get_renderers(self) -> list[BaseRenderer]:
        renderers = list(super().get_renderers())
        if getattr(self, "action", None) in self.datapackage_actions:
            renderers.append(DataPackageRenderer())
        return renderers

    @staticmethod
    def wants_datapackage(request: Request) -> bool:
        return isinstance(getattr(request, "accepted_renderer", None), DataPackageRenderer)


def datapackage_response(*, actor: Actor, dataset: Dataset, version_id: object) -> Response:
    """The descriptor of a version the caller may see; 404 otherwise. Its media type is the
    negotiated renderer's: `application/json` or `application/vnd.datapackage+json`."""
    version = dcat_selectors.datapackage_version_get(
        actor=actor, dataset=dataset, version_id=str(version_id)
    )
    if version is None:
        raise Http404
    descriptor = datapackage_descriptor(version, base_url=settings.PUBLIC_BASE_URL)
    return Response(descriptor)
