"""What every page shares: the caller as an `Actor`, service errors turned into page answers,
and the DRF request that lets a page render with the API's own output serializers (so a page
shows exactly the fields the API shows the same person)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.serializers import as_serializer_error

from accounts.selectors import Actor, actor_for

T = TypeVar("T")
View = Callable[..., HttpResponse]

# Page answers for the errors services raise. The API turns the same exceptions into problem
# details; here they become the error page with the same status.
ERROR_TITLES = {
    400: _("The request was not valid"),
    401: _("Please sign in"),
    403: _("You may not do this"),
    404: _("Not found"),
    405: _("Not allowed"),
    409: _("This conflicts with the current state"),
    413: _("Too large"),
    429: _("Too many attempts"),
    503: _("The service is busy"),
}


def page_actor(request: HttpRequest) -> Actor:
    """The caller's roles, read once per request (as the API's ActorMixin does)."""
    cached = getattr(request, "_console_actor", None)
    if cached is None:
        cached = actor_for(request.user)
        request._console_actor = cached  # type: ignore[attr-defined]
    return cached


def api_request(request: HttpRequest) -> Request:
    """The page's request as DRF sees it, for output serializers that build links."""
    return Request(request, parsers=[FormParser()])


def error_page(request: HttpRequest, status: int, detail: Any = "", code: str = "") -> HttpResponse:
    title = ERROR_TITLES.get(status, _("Something went wrong"))
    # A 5xx page may be answering a lost database: its template reads no session or user.
    return render(
        request,
        "console/error_plain.html" if status >= 500 else "console/error.html",
        {"status": status, "title": title, "detail": detail, "code": code},
        status=status,
    )


def exception_page(request: HttpRequest, exc: exceptions.APIException) -> HttpResponse:
    codes = exc.get_codes()
    return error_page(
        request, exc.status_code, _flatten(exc.detail), code=codes if isinstance(codes, str) else ""
    )


def console_page(view: View) -> View:
    """Signed-in pages: anonymous readers go to the sign-in page; a service's 404/403/409
    becomes the error page with that status, as the API answers it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return error_page(request, 404)
        except exceptions.NotAuthenticated:
            return error_page(request, 401)
        except exceptions.APIException as exc:
            return exception_page(request, exc)

    return login_required(wrapper)


def public_page(view: View) -> View:
    """Pages anonymous readers may see too (the catalog, a public dataset)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return error_page(request, 404)
        except exceptions.APIException as exc:
            return exception_page(request, exc)

    return wrapper


def form_service_call(form: forms.Form, call: Callable[[], T]) -> T | None:
    """Run a service for a valid form. Its validation errors land on the form's fields (by the
    API's field names) and any other refusal (403, 409...) on the form as a whole, with the
    service's own words, so the page says exactly what the API would."""
    try:
        return call()
    except exceptions.ValidationError as exc:
        _add_errors(form, exc.detail)
    except DjangoValidationError as exc:
        # A model's rules (full_clean in a service): the API answers them as a 400 too.
        _add_errors(form, as_serializer_error(exc))
    except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed) as exc:
        form.add_error(None, str(exc.detail))
    except exceptions.APIException as exc:
        form.add_error(None, _flatten(exc.detail))
    return None


def _flatten(detail: Any) -> str:
    if isinstance(detail, Mapping):
        return " ".join(_flatten(value) for value in detail.values())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def _add_errors(form: forms.Form, detail: Any) -> None:
    if isinstance(detail, Mapping):
        for name, value in detail.items():
            field = name if name in form.fields else None
            if name in ("non_field_errors", "detail"):
                name = ""
            text = _flatten(value)
            form.add_error(field, text if field else f"{name}: {text}" if name else text)
    else:
        form.add_error(None, _flatten(detail))


__all__ = [
    "api_request",
    "console_page",
    "error_page",
    "form_service_call",
    "login_required",
    "page_actor",
    "public_page",
]
