"""One error shape for the whole API: RFC 9457 problem details.

Every error body looks like::

    {"type": "urn:max-registry:problem:validation_error", "title": "Invalid input.",
     "status": 400, "detail": "...", "instance": "/api/v1/datasets/", "code": "validation_error",
     "errors": [{"field": "title_ko", "code": "required", "detail": "This field is required."}]}
"""

from __future__ import annotations

import logging
import sys
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError, connection
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:max-registry:problem:"

# Problem titles in the caller's language (Accept-Language); HTTPStatus phrases otherwise.
TITLES: dict[int, Any] = {
    400: _("Bad Request"),
    401: _("Unauthorized"),
    403: _("Forbidden"),
    404: _("Not Found"),
    405: _("Method Not Allowed"),
    406: _("Not Acceptable"),
    409: _("Conflict"),
    413: _("Content Too Large"),
    415: _("Unsupported Media Type"),
    429: _("Too Many Requests"),
    500: _("Internal Server Error"),
    503: _("Service Unavailable"),
}


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error dict/list into a flat list of {field, code, detail}."""
    items: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if not prefix else f"{prefix}.{key}"
            if key in ("non_field_errors", "__all__"):
                name = prefix
            items.extend(_flatten(value, name))
    elif isinstance(detail, list):
        if all(isinstance(v, exceptions.ErrorDetail) for v in detail):
            for value in detail:
                items.append(
                    {"field": prefix, "code": value.code or "invalid", "detail": str(value)}
                )
        else:
            for index, value in enumerate(detail):
                items.extend(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        code = getattr(detail, "code", None) or "invalid"
        items.append({"field": prefix, "code": code, "detail": str(detail)})
    return items


def problem(
    status_code: int,
    *,
    code: str,
    detail: str,
    instance: str | None = None,
    title: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": str(title or TITLES.get(status_code) or HTTPStatus(status_code).phrase),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


# Seconds a client is asked to wait when no database connection could be had.
DATABASE_RETRY_AFTER = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` says no database connection could be had: the pool had none free in time
    (psycopg_pool's PoolTimeout) or connecting failed (the server is down, or "too many clients
    already"). A query that fails on an open connection is not this (it stays a 500)."""
    if not isinstance(exc, OperationalError):
        return False
    cause: BaseException | None = exc
    while cause is not None:
        if type(cause).__name__ == "PoolTimeout" and type(cause).__module__.startswith(
            "psycopg_pool"
        ):
            return True
        cause = cause.__cause__
    return connection.connection is None


def _database_unavailable_exception() -> exceptions.APIException:
    from common.errors import ServiceUnavailable

    return ServiceUnavailable(
        _("The database is busy or unreachable; try again shortly."),
        code="database_unavailable",
        retry_after=DATABASE_RETRY_AFTER,
    )


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if database_unavailable(exc):
        return _database_unavailable_exception()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        from django.conf import settings

        from common.errors import PayloadTooLarge

        return PayloadTooLarge(limit_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError(_("Too many fields in the request."))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, ProtectedError):
        from common.errors import Conflict

        return Conflict(_("Other records still refer to this one."), code="protected")
    if isinstance(exc, IntegrityError):
        from common.errors import Conflict

        return Conflict(_("The change conflicts with existing data."), code="integrity_error")
    return None


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        return None  # a real bug: let Django log it and answer 500

    request = context.get("request")
    instance = request.path if request is not None else None
    headers: dict[str, str] = {}
    if (auth_header := getattr(api_exc, "auth_header", None)) is not None:
        headers["WWW-Authenticate"] = auth_header
    if (wait := getattr(api_exc, "wait", None)) is not None:
        headers["Retry-After"] = str(int(wait))

    extra: dict[str, Any] = dict(getattr(api_exc, "extra", {}) or {})
    if isinstance(api_exc, exceptions.ValidationError):
        code = "validation_error"
        detail = str(_("The request has invalid fields; see `errors`."))
        extra["errors"] = _flatten(api_exc.detail)
        title = _("Invalid input.")
    else:
        codes = api_exc.get_codes()
        code = codes if isinstance(codes, str) else api_exc.default_code
        detail = str(api_exc.detail)
        title = None
    if isinstance(api_exc, exceptions.Throttled):
        wait_seconds = getattr(api_exc, "wait", None)
        extra["retry_after_seconds"] = int(wait_seconds) if wait_seconds is not None else None
    if isinstance(api_exc, exceptions.MethodNotAllowed) and request is not None:
        extra["method"] = request.method

    body = problem(
        api_exc.status_code, code=code, detail=detail, instance=instance, title=title, **extra
    )
    set_rollback()
    # A problem is JSON whatever representation was negotiated (Turtle, CSV, a Data Package)
    # or when none was (406); only the browsable API renders it as its HTML page.
    renderer = getattr(request, "accepted_renderer", None)
    is_json = True
    if isinstance(renderer, BrowsableAPIRenderer):
        is_json = False
    elif request is not None and not (
        isinstance(renderer, JSONRenderer) and renderer.media_type == JSONRenderer.media_type
    ):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return Response(
        body,
        status=api_exc.status_code,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE if is_json else None,
    )


def _json_problem(
    request: HttpRequest, status_code: int, code: str, detail: Any, **extra: Any
) -> JsonResponse:
    return JsonResponse(
        problem(status_code, code=code, detail=str(detail), instance=request.path, **extra),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django-level 404 (no URL matched): the same problem shape as the API."""
    return _json_problem(request, status.HTTP_404_NOT_FOUND, "not_found", _("Not found."))


def server_error_view(request: HttpRequest) -> JsonResponse:
    # Django calls this while handling the exception: one raised outside DRF's views (in a
    # middleware, the admin) that says the database is out of reach is a 503 too.
    if database_unavailable(sys.exc_info()[1]):
        api_exc = _database_unavailable_exception()
        response = _json_problem(
            request,
            api_exc.status_code,
            "database_unavailable",
            api_exc.detail,
            retry_after_seconds=DATABASE_RETRY_AFTER,
        )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    return _json_problem(
        request, status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error", _("Internal server error.")
    )


def bad_request_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return _json_problem(request, 413, "payload_too_large", _("The request body is too large."))
    return _json_problem(request, status.HTTP_400_BAD_REQUEST, "bad_request", _("Bad request."))


def permission_denied_view(
    request: HttpRequest, exception: Exception | None = None
) -> JsonResponse:
    return _json_problem(
        request, status.HTTP_403_FORBIDDEN, "permission_denied", _("You may not do this.")
    )
