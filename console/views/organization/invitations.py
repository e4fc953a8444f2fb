"""Invitations by email: an organisation's admins (and the secretariat) invite and revoke on
the organisation page; the invitee's link opens the public accept page, where they choose a
password and arrive signed in. The same selectors and services as `/api/v1/.../invitations/`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import Throttled
from rest_framework.throttling import ScopedRateThrottle

from accounts import selectors, services
from accounts.api.serializers import InvitationOutputSerializer, InvitationPublicSerializer
from accounts.models import InvitationStatus, MembershipRole, Organization, User

from ..base import api_request, console_page, form_service_call, public_page
from .common import Page, cursor_page, managed_organization


class InvitationCreateForm(forms.Form):
    """As `InvitationCreateSerializer`: the email of someone without an account, a role."""

    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER
    )


class InvitationAcceptForm(forms.Form):
    """As `InvitationAcceptSerializer`, with the password typed twice."""

    full_name = forms.CharField(label=gettext_lazy("Your name"), max_length=150, required=False)
    password = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=gettext_lazy("Password again"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") != data["password"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data


def invitations_context(request: HttpRequest, organization: Organization) -> dict[str, Any]:
    """The organisation page's invitations: every status, newest first, as the API lists them."""
    page: Page = cursor_page(
        request,
        selectors.invitation_list(organization=organization),
        ordering="-created_at",
        page_size=50,
    )
    rows = InvitationOutputSerializer(page.rows, many=True).data
    for row in rows:
        row["role_label"] = MembershipRole(row["role"]).label
        row["status_label"] = InvitationStatus(row["status"]).label
    return {
        "invitations": rows,
        "invitations_page": page,
        "invitation_form": InvitationCreateForm(auto_id="id_invitation_%s"),
    }


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@console_page
@require_POST
def invitation_add(request: HttpRequest, slug: str) -> HttpResponse:
    from .members import render_detail

    organization = managed_organization(request, slug)
    form = InvitationCreateForm(request.POST, auto_id="id_invitation_%s")
    if form.is_valid():
        created = form_service_call(
            form,
            lambda: services.invitation_create(
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=_user(request),
            ),
        )
        if created is not None:
            messages.success(
                request, _("An invitation was sent to %(email)s.") % {"email": created[0].email}
            )
            return redirect("console:organization-detail", slug=organization.slug)
    status = 409 if form.non_field_errors() else 400
    return render_detail(request, organization, status=status, invitation_form=form)


@console_page
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = managed_organization(request, slug)
    invitation = selectors.invitation_list(organization=organization).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    services.invitation_revoke(invitation=invitation, revoked_by=_user(request))
    messages.success(
        request, _("The invitation of %(email)s was revoked.") % {"email": invitation.email}
    )
    return redirect("console:organization-detail", slug=organization.slug)


def _throttle(request: HttpRequest) -> None:
    """The API's limit on invitation links (the `login` scope), per client address."""
    throttle = ScopedRateThrottle()
    view: Any = SimpleNamespace(throttle_scope="login")
    if not throttle.allow_request(api_request(request), view):
        raise Throttled(wait=throttle.wait())


@public_page
@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's link: who invites, which email, which role; a password, then the new
    account is signed in and lands on the home page."""
    _throttle(request)
    invitation = selectors.invitation_get_live(token=token)
    if invitation is None:
        raise Http404
    form = InvitationAcceptForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            user = form_service_call(
                form,
                lambda: services.invitation_accept(
                    token=token,
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                ),
            )
            if user is not None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome: your account is ready."))
                return redirect("console:home")
            status = 409 if form.non_field_errors() else 400
    return render(
        request,
        "console/organization/invitation_accept.html",
        {
            "invitation": InvitationPublicSerializer(invitation).data,
            "role_label": MembershipRole(invitation.role).label,
            "form": form,
        },
        status=status,
    )
