"""`/api/schema/`: the OpenAPI document, as YAML or, asked for, JSON."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.views import SpectacularAPIView
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class SchemaView(SpectacularAPIView):
    """The document: YAML by default, JSON with `Accept: application/vnd.oai.openapi+json` or
    `?format=json` (`?format=yaml` too). DRF's `?format=` override is off for the whole API
    (`URL_FORMAT_OVERRIDE`: `format` is a dataset filter), so this view reads it itself."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        wanted = request.query_params.get("format")
        if wanted:
            for renderer in self.get_renderers():
                if renderer.format == wanted:
                    return renderer, renderer.media_type
            raise NotFound(_("No such format: %(format)s.") % {"format": wanted})
        negotiated: tuple[BaseRenderer, str] = super().perform_content_negotiation(request, force)
        return negotiated
