"""A version as a Frictionless Data Package: the renderer and content negotiation.

Errors stay problem documents (`application/problem+json`) whatever representation the caller
asked for.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import Actor
from common.urls import base_url

from .. import selectors
from ..datapackage import MEDIA_TYPE as DATA_PACKAGE
from ..datapackage import datapackage_descriptor
from ..models import Dataset


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


def datapackage_response(
    *, request: Request, actor: Actor, dataset: Dataset, version_id: object
) -> Response:
    """The descriptor of a version the caller may see; 404 otherwise. Its media type is the
    negotiated renderer's: `application/json` or `application/vnd.datapackage+json`. Its URLs
    are under the registry's address as `request` sees it (`common.urls`)."""
    version = selectors.datapackage_version_get(
        actor=actor, dataset=dataset, version_id=str(version_id)
    )
    if version is None:
        raise Http404
    descriptor = datapackage_descriptor(version, base_url=base_url(request))
    return Response(descriptor)
