"""Request guards that answer before any view: NUL characters in the URL and the headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from .exceptions import PROBLEM_CONTENT_TYPE, problem
from .parsers import NUL


def _nul_fields(request: HttpRequest) -> list[str]:
    """The query parameters and headers that hold a NUL character."""
    fields = []
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in value for value in values):
            fields.append(key.replace(NUL, "\\x00"))
    # HTTP allows no NUL in a field value (RFC 9110); a proxy may still pass one on.
    for name, value in request.headers.items():
        if isinstance(value, str) and NUL in value:
            fields.append(name)
    return fields


def _problem_response(request: HttpRequest, status: int, **body: Any) -> JsonResponse:
    return JsonResponse(
        problem(status, instance=request.path.replace(NUL, "%00"), **body),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


class RejectNulMiddleware:
    """NUL characters (`%00`) in the URL or the headers are answered before a view can pass
    them to PostgreSQL, which refuses NUL in text (a DataError, hence a 500):

    - in the path, 404 `not_found`: no resource is named with one (what the dataset views
      already answered for their keys, now for every path);
    - in a query parameter or a header, 400 `validation_error` naming each (the header by its
      name) with Django's `null_characters_not_allowed` code.

    Bodies are checked by `common.parsers`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or NUL in request.path_info:
            return _problem_response(
                request,
                404,
                code="not_found",
                detail=_("Not found: no path holds a NUL character."),
            )
        fields = _nul_fields(request)
        if not fields:
            return self.get_response(request)
        validator = ProhibitNullCharactersValidator()
        return _problem_response(
            request,
            400,
            code="validation_error",
            detail=_("The request has invalid fields; see `errors`."),
            title=_("Invalid input."),
            errors=[
                {"field": field, "code": validator.code, "detail": str(validator.message)}
                for field in fields
            ],
        )


class ContentSecurityPolicyMiddleware:
    """Sends `CONTENT_SECURITY_POLICY` on every response that has none: scripts, styles and
    everything else only from this site, no inline script, no framing (`frame-ancestors`, as
    X-Frame-Options says to older browsers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.conf import settings

        self.get_response = get_response
        self.policy = "; ".join(
            f"{name} {' '.join(sources)}".strip()
            for name, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
