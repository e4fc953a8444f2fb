"""The reader's own API tokens, as `/api/v1/auth/tokens/`: list, create (the secret shown
once, in the answer to the form), revoke. Everyone signed in has them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.api.serializers import ApiTokenOutputSerializer
from accounts.models import User

from ..base import console_page, form_service_call
from .common import cursor_page
from .forms import ApiTokenCreateForm


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _page(
    request: HttpRequest, form: ApiTokenCreateForm, status: int = 200, **extra: Any
) -> HttpResponse:
    tokens = cursor_page(
        request, selectors.api_token_list(user=_user(request)), ordering="-created_at"
    )
    response = render(
        request,
        "console/organization/tokens.html",
        {
            "form": form,
            "tokens": ApiTokenOutputSerializer(tokens.rows, many=True).data,
            "tokens_page": tokens,
            **extra,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the answer to a creation holds the secret
    return response


@console_page
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, ApiTokenCreateForm())
    form = ApiTokenCreateForm(request.POST)
    if form.is_valid():
        created = form_service_call(
            form,
            lambda: services.api_token_create(
                user=_user(request),
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data["expires_at"],
            ),
        )
        if created is not None:
            token, secret = created
            # Rendered, not redirected: the secret exists in this answer only.
            return _page(
                request,
                ApiTokenCreateForm(),
                status=201,
                created={"token": secret, **ApiTokenOutputSerializer(token).data},
            )
    return _page(request, form, status=409 if form.non_field_errors() else 400)


@console_page
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.api_token_list(user=_user(request)).filter(pk=pk).first()
    if token is None:
        raise Http404
    services.api_token_revoke(token=token)
    messages.success(request, _("The token %(name)s was revoked.") % {"name": token.name})
    return redirect("console:api-tokens")
