"""`GET /api/v1/`: where everything is, as absolute links keyed by name.

Like DRF's `DefaultRouter` root, but over the whole URL conf: every app mounts its routes
under `/api/v1/` on its own, so no single router knows them all. Links are reversed from URL
names and made absolute by `common.urls` (the caller's host, or PUBLIC_BASE_URL);
`tests/test_api_root.py` fails when a collection is missing here.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.urls import absolute_url

# Link name -> (URL name, what it is). The name is the collection's path segment.
API_ROOT_LINKS: dict[str, tuple[str, str]] = {
    "datasets": ("dataset-list", "Datasets: search, list and create."),
    "datasets-from-file": (
        "dataset-from-file",
        "Publishing in three calls, call 1: POST a data file; a draft, its version and its check.",
    ),
    "organizations": ("organization-list", "Member organisations."),
    "divisions": ("division-list", "The alliance's divisions."),
    "memberships": ("membership-list", "Who belongs to which organisation, in which role."),
    "sharing-requests": ("sharing-request-list", "Requests for a dataset's data."),
    "agreements": ("agreement-list", "Signed data-sharing agreements."),
    "grants": ("grant-list", "Grants of access to a version's data."),
    "downloads": ("download-list", "The download log."),
    "audit-events": ("audit-event-list", "The hash-chained audit."),
    "webhooks": ("webhook-list", "Your organisation's webhook endpoints."),
    "imports": ("import-list", "Catalog import jobs (DCAT, CKAN, CSV)."),
    "catalog": ("catalog", "The published catalog as DCAT 3 (JSON-LD or Turtle)."),
    "stats": ("stats-summary", "The alliance's figures and yours."),
    "stats-divisions": ("stats-divisions", "Figures by division."),
    "stats-organization-kinds": ("stats-organization-kinds", "Figures by organisation kind."),
    "stats-organizations": ("stats-organizations", "Figures by organisation."),
    "stats-monthly": ("stats-monthly", "Figures by month."),
    "vocabularies": ("vocabulary-list", "Every code of the API with its labels."),
    "me": ("me", "The caller: user, memberships and roles."),
    "auth-token": ("token-obtain", "Sign in: email and password for a bearer token (POST)."),
    "auth-tokens": ("api-token-list", "Your API tokens."),
    "schema": ("schema", "This API's OpenAPI document (YAML; JSON on request)."),
    "docs": ("swagger-ui", "This API's documentation (Swagger UI)."),
    "healthz": ("healthz", "The state of the database, cache and broker."),
}

API_ROOT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        name: {"type": "string", "format": "uri", "description": description}
        for name, (_url_name, description) in API_ROOT_LINKS.items()
    },
    "required": list(API_ROOT_LINKS),
}


@extend_schema(tags=["api"])
class ApiRootView(APIView):
    """Links to every collection of the API; anyone may read it."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="api_root",
        summary="Links to every collection of the API",
        description=(
            "An object of absolute URLs keyed by name: every collection and top-level "
            "resource of the API, the OpenAPI document, its documentation and `/healthz`. "
            "Links use the host the request came to, or PUBLIC_BASE_URL when the registry "
            "sets it. Anonymous callers may read it; following a link may need a token."
        ),
        responses={
            200: OpenApiResponse(
                API_ROOT_SCHEMA,
                examples=[
                    OpenApiExample(
                        "Links",
                        value={
                            "datasets": "https://registry.example.kr/api/v1/datasets/",
                            "catalog": "https://registry.example.kr/api/v1/catalog",
                        },
                    )
                ],
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                name: absolute_url(reverse(url_name), request)
                for name, (url_name, _description) in API_ROOT_LINKS.items()
            }
        )
