"""Pages of the console's requests section."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path

from registry import selectors
from registry.api.serializers import SharingRequestDetailSerializer

from .base import api_request, console_page, page_actor


@console_page
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "console/home.html", {})


@console_page
def detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """A placeholder of the request's page (emails link to it): its state and the reasons
    given, as the API shows them to the caller; 404 when the API hides the request."""
    sharing_request = selectors.sharing_request_get(actor=page_actor(request), pk=str(pk))
    if sharing_request is None:
        raise Http404
    data = SharingRequestDetailSerializer(
        sharing_request, context={"request": api_request(request)}
    ).data
    return render(
        request,
        "console/sharing_requests/detail.html",
        {"sharing_request": sharing_request, "detail": data},
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("sharing-requests/", index, name="sharing-requests"),
    path("sharing-requests/<uuid:pk>/", detail, name="sharing-request"),
]
