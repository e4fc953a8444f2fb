"""Django's last-resort error views: JSON problem details under /api/ (and for clients that ask
for JSON), the console's error page everywhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from common import exceptions as api_errors

from .views.base import error_page


def _wants_json(request: HttpRequest) -> bool:
    path = request.path
    # Browsers ask for text/html; scripts and API clients get the problem document.
    return path.startswith(("/api/", "/api-auth/", "/healthz")) or "text/html" not in (
        request.headers.get("Accept", "")
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return api_errors.not_found_view(request, exception)
    return error_page(request, 404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return api_errors.permission_denied_view(request, exception)
    return error_page(request, 403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return api_errors.bad_request_view(request, exception)
    return error_page(request, 400)


def server_error(request: HttpRequest) -> HttpResponse:
    # The API's handler knows a lost database (503 with Retry-After); pages keep its status.
    response = api_errors.server_error_view(request)
    if _wants_json(request):
        return response
    page = error_page(request, response.status_code)
    if "Retry-After" in response:
        page["Retry-After"] = response["Retry-After"]
    return page
