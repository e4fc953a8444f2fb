"""The sharing registry in the Django admin, for the secretariat: read, search and filter.

Every change to policies, requests, agreements and grants goes through the services (state
machine, audit chain, notifications), so the admin shows them read-only; agreements and audit
events are immutable in the database anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    AccessPolicy,
    Agreement,
    AuditEvent,
    Download,
    EmailNotification,
    Grant,
    SharingRequest,
    SharingRequestEvent,
    WebhookDelivery,
    WebhookEndpoint,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Viewable and searchable; never added, changed or deleted from here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessPolicy)
class AccessPolicyAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "revision", "is_current", "approval_route", "max_period_days"]
    list_filter = ["is_current", "approval_route"]
    search_fields = ["dataset__title_ko", "dataset__title_en", "dataset__slug"]
    list_select_related = ["dataset"]
    date_hierarchy = "created_at"


class SharingRequestEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SharingRequestEvent
    extra = 0
    fields = ["created_at", "from_state", "to_state", "actor", "comment"]
    readonly_fields = ["created_at", "from_state", "to_state", "actor", "comment"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SharingRequest)
class SharingRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "dataset", "requester", "purpose", "state", "created_at", "decided_at"]
    list_filter = ["state", "purpose", "approval_route", "dataset__division"]
    search_fields = [
        "id",
        "dataset__title_ko",
        "dataset__title_en",
        "dataset__slug",
        "requester__name_ko",
        "requester__name_en",
        "requester__slug",
        "requested_by__email",
    ]
    list_select_related = ["dataset", "requester"]
    date_hierarchy = "created_at"
    inlines = [SharingRequestEventInline]


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["id", "sharing_request", "digest", "created_at"]
    search_fields = ["id", "digest", "sharing_request__id"]
    date_hierarchy = "created_at"


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["id", "organization", "version", "valid_from", "valid_until", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "valid_until"]
    search_fields = ["id", "organization__name_ko", "organization__slug"]
    list_select_related = ["organization", "version"]


@admin.register(Download)
class DownloadAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "grant", "distribution", "user", "byte_size", "client_ip"]
    search_fields = ["user__email", "grant__id"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "action", "object_type", "object_id", "actor_email"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_email", "action"]
    date_hierarchy = "occurred_at"


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "event", "status", "attempts", "sent_at"]
    list_filter = ["status", "event"]
    search_fields = ["recipient", "subject", "object_id"]
    date_hierarchy = "created_at"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "organization", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "organization__name_ko", "organization__slug"]
    exclude = ["secret"]  # an HMAC key: never shown again after creation


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "endpoint", "event", "status", "attempts", "last_status_code"]
    list_filter = ["status", "event"]
    search_fields = ["endpoint__url", "event"]
    date_hierarchy = "created_at"
