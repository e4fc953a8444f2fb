"""The organisation page: its members and their roles, its webhooks; and the picker that
leads there (the secretariat chooses any organisation, an admin goes to their own)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import PermissionDenied

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.api.serializers import MembershipOutputSerializer
from accounts.filters import OrganizationFilter
from accounts.models import Membership, Organization
from accounts.permissions import MembershipPermission
from registry import selectors as registry_selectors
from registry.api.serializers import WebhookEndpointOutputSerializer
from registry.permissions import can_manage_webhooks

from ..base import console_page, form_service_call, page_actor
from .common import cursor_page, managed_organization
from .forms import (
    MembershipCreateForm,
    MembershipUpdateForm,
    OrganizationSearchForm,
    WebhookEndpointCreateForm,
)
from .invitations import invitations_context

PICKER_SIZE = 50


@console_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """An admin of one organisation goes straight to it; the secretariat (and admins of
    several) pick one."""
    actor = page_actor(request)
    if not actor.is_secretariat:
        if not actor.admin_organization_ids:
            raise PermissionDenied(MembershipPermission.message)
        if len(actor.admin_organization_ids) == 1:
            only = Organization.objects.get(pk=next(iter(actor.admin_organization_ids)))
            return redirect("console:organization-detail", slug=only.slug)
    form = OrganizationSearchForm(request.GET or None)
    listed = account_selectors.organization_list()
    if not actor.is_secretariat:
        listed = listed.filter(pk__in=actor.admin_organization_ids)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    organizations = OrganizationFilter({"q": query}, queryset=listed).qs.order_by("slug")
    shown = list(organizations[: PICKER_SIZE + 1])
    return render(
        request,
        "console/organization/index.html",
        {
            "form": form,
            "organizations": shown[:PICKER_SIZE],
            "more": len(shown) > PICKER_SIZE,
        },
    )


def detail_context(
    request: HttpRequest, organization: Organization, **forms_and_more: Any
) -> dict[str, Any]:
    """Everything the organisation page shows, read through the API's selectors and output
    serializers; `forms_and_more` replaces a form (bound, with its errors) or adds a secret."""
    actor = page_actor(request)
    members = cursor_page(
        request,
        account_selectors.membership_list(actor=actor).filter(organization=organization),
        ordering="created_at",
        page_size=100,
    )
    endpoints = list(
        registry_selectors.webhook_endpoint_list(actor=actor)
        .filter(organization=organization)
        .order_by("-created_at")[:100]
    )
    memberships = MembershipOutputSerializer(members.rows, many=True).data
    for row in memberships:
        row["form"] = MembershipUpdateForm(
            initial={"role": row["role"]}, auto_id=f"id_member_{row['id']}_%s"
        )
    context: dict[str, Any] = {
        "organization": organization,
        "memberships": memberships,
        "members_page": members,
        "member_form": MembershipCreateForm(auto_id="id_member_%s"),
        "webhooks": WebhookEndpointOutputSerializer(endpoints, many=True).data,
        "can_manage_webhooks": can_manage_webhooks(actor, organization.pk),
        "webhook_form": WebhookEndpointCreateForm(auto_id="id_webhook_%s"),
    }
    context.update(invitations_context(request, organization))
    context.update(forms_and_more)
    return context


def render_detail(
    request: HttpRequest, organization: Organization, *, status: int = 200, **extra: Any
) -> HttpResponse:
    response = render(
        request,
        "console/organization/detail.html",
        detail_context(request, organization, **extra),
        status=status,
    )
    response["Cache-Control"] = "no-store"  # it may hold a secret shown once
    return response


def _status(form: forms.Form) -> int:
    return 409 if form.non_field_errors() else 400


@console_page
@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    return render_detail(request, managed_organization(request, slug))


@console_page
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    organization = managed_organization(request, slug)
    form = MembershipCreateForm(request.POST, auto_id="id_member_%s")
    if form.is_valid():
        membership = form_service_call(
            form,
            lambda: account_services.membership_create(
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            ),
        )
        if membership is not None:
            messages.success(request, _("%(email)s was added.") % {"email": membership.user.email})
            return redirect("console:organization-detail", slug=organization.slug)
    return render_detail(request, organization, status=_status(form), member_form=form)


def _membership(request: HttpRequest, organization: Organization, pk: int) -> Membership:
    found = (
        account_selectors.membership_list(actor=page_actor(request))
        .filter(organization=organization, pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


@console_page
@require_POST
def member_update(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = managed_organization(request, slug)
    membership = _membership(request, organization, pk)
    form = MembershipUpdateForm(request.POST)
    if form.is_valid():
        changed = form_service_call(
            form,
            lambda: account_services.membership_update(
                membership=membership, role=form.cleaned_data["role"]
            ),
        )
        if changed is not None:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": membership.user.email, "role": changed.get_role_display()},
            )
            return redirect("console:organization-detail", slug=organization.slug)
    return _refused(request, organization, form)


@console_page
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    organization = managed_organization(request, slug)
    membership = _membership(request, organization, pk)
    form = forms.Form(request.POST)
    form.is_valid()
    form_service_call(form, lambda: account_services.membership_delete(membership=membership))
    if not form.errors:
        messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
        return redirect("console:organization-detail", slug=organization.slug)
    return _refused(request, organization, form)


def _refused(request: HttpRequest, organization: Organization, form: forms.Form) -> HttpResponse:
    """A change to one member refused (the last admin...): the page, saying why in the
    service's words."""
    return render_detail(
        request,
        organization,
        status=_status(form),
        member_errors=[str(error) for errors in form.errors.values() for error in errors],
    )
