"""An organisation's webhooks: add one (its secret shown once), ping it through the outbox
(the API's `webhook_ping`), and read its delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import PermissionDenied

from accounts.models import Organization
from registry import selectors
from registry.api.serializers import (
    WebhookDeliveryOutputSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointOutputSerializer,
)
from registry.models import WebhookEndpoint
from registry.permissions import can_manage_webhooks
from registry.services import webhooks

from ..base import console_page, form_service_call, page_actor
from .common import cursor_page, managed_organization
from .forms import WebhookEndpointCreateForm
from .members import render_detail

DELIVERIES_PAGE_SIZE = 25


def _require_admin(request: HttpRequest, organization: Organization) -> None:
    # The API's words and rule (WebhookEndpointViewSet._require_admin).
    if not can_manage_webhooks(page_actor(request), organization.pk):
        raise PermissionDenied(_("Only the organisation's admins manage its webhooks."))


def _endpoint(request: HttpRequest, organization: Organization, pk: str) -> WebhookEndpoint:
    found = (
        selectors.webhook_endpoint_list(actor=page_actor(request))
        .filter(organization=organization, pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


@console_page
@require_POST
def webhook_add(request: HttpRequest, slug: str) -> HttpResponse:
    organization = managed_organization(request, slug)
    _require_admin(request, organization)
    form = WebhookEndpointCreateForm(request.POST, auto_id="id_webhook_%s")
    if form.is_valid():
        endpoint = form_service_call(
            form, lambda: webhooks.webhook_create(organization=organization, **form.as_input())
        )
        if endpoint is not None:
            # Rendered, not redirected: the secret is in this answer only.
            return render_detail(
                request,
                organization,
                status=201,
                created_webhook=WebhookEndpointCreatedSerializer(endpoint).data,
            )
    return render_detail(request, organization, status=400, webhook_form=form)


def _log_context(request: HttpRequest, organization: Organization, endpoint: WebhookEndpoint):  # type: ignore[no-untyped-def]
    deliveries = cursor_page(
        request,
        selectors.webhook_delivery_list(endpoint=endpoint),
        ordering="-created_at",
        page_size=DELIVERIES_PAGE_SIZE,
    )
    return {
        "organization": organization,
        "endpoint": WebhookEndpointOutputSerializer(endpoint).data,
        "deliveries": WebhookDeliveryOutputSerializer(deliveries.rows, many=True).data,
        "deliveries_page": deliveries,
        "can_manage_webhooks": can_manage_webhooks(page_actor(request), organization.pk),
    }


@console_page
@require_GET
def webhook_detail(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    organization = managed_organization(request, slug)
    endpoint = _endpoint(request, organization, pk)
    context = _log_context(request, organization, endpoint)
    if getattr(request, "htmx", False):
        return render(request, "console/organization/_deliveries.html", context)
    return render(request, "console/organization/webhook.html", context)


@console_page
@require_POST
def webhook_ping(request: HttpRequest, slug: str, pk: str) -> HttpResponse:
    organization = managed_organization(request, slug)
    endpoint = _endpoint(request, organization, pk)
    _require_admin(request, organization)
    webhooks.webhook_ping(endpoint=endpoint)
    if getattr(request, "htmx", False):
        context = _log_context(request, organization, endpoint)
        context["pinged"] = True
        return render(request, "console/organization/_deliveries.html", context)
    messages.success(request, _("A test ping was queued."))
    return redirect("console:organization-webhook", slug=organization.slug, pk=endpoint.pk)
