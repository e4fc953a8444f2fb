"""Domain errors raised by services and turned into problem details by the API layer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


class Conflict(APIException):
    """The request is valid but conflicts with the resource's current state (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the resource.")
    default_code = "conflict"

    def __init__(self, detail: Any = None, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail, code)
        self.extra = extra


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"

    def __init__(self, detail: Any = None, *, limit_bytes: int | None = None) -> None:
        super().__init__(detail)
        self.extra = {"limit_bytes": limit_bytes} if limit_bytes is not None else {}


class ServiceUnavailable(APIException):
    """A dependency cannot serve the request now; the client may try again (503 with
    Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The service is busy; try again shortly.")
    default_code = "service_unavailable"

    def __init__(
        self, detail: Any = None, code: str | None = None, *, retry_after: int = 5
    ) -> None:
        super().__init__(detail, code)
        self.wait = retry_after
        self.extra = {"retry_after_seconds": retry_after}
