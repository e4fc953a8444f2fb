"""The sharing registry in the Django admin, for the secretariat: read, search and filter.

Every change to policies, requests, agreements and grants goes through the services (state
machine, audit chain, notifications), so the admin shows them read-only; agreements and audit
events are immutable in the database anyway.

Lists of codes (purposes, obligations...) are shown by their labels, and the registry's own
messages, stored in English (system comments, policy reasons), in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganizationKind
from common.admin import ReadOnlyAdmin
from common.i18n import stored_text

from .models import (
    AccessPolicy,
    Agreement,
    Download,
    EmailNotification,
    Grant,
    Obligation,
    Prohibition,
    Purpose,
    SharingRequest,
    SharingRequestEvent,
    WebhookDelivery,
    WebhookEndpoint,
)


def _labels(choices: Iterable[tuple[str, Any]], codes: Iterable[str] | None) -> str | None:
    """Codes by their labels, in the reader's language: "AI 모델 학습, 연구" (None: shown as
    empty)."""
    names = dict(choices)
    return ", ".join(str(names.get(code, code)) for code in codes or ()) or None


@admin.register(AccessPolicy)
class AccessPolicyAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "revision", "is_current", "approval_route", "max_period_days"]
    list_filter = ["is_current", "approval_route"]
    search_fields = ["dataset__title_ko", "dataset__title_en", "dataset__slug"]
    list_select_related = ["dataset"]
    date_hierarchy = "created_at"
    shown_as: ClassVar[dict[str, str]] = {
        "allowed_organization_kinds": "organization_kind_labels",
        "permitted_purposes": "purpose_labels",
        "prohibitions": "prohibition_labels",
        "obligations": "obligation_labels",
    }

    @admin.display(description=_("allowed organisation kinds"))
    def organization_kind_labels(self, obj: AccessPolicy) -> str | None:
        return _labels(OrganizationKind.choices, obj.allowed_organization_kinds)

    @admin.display(description=_("permitted purposes"))
    def purpose_labels(self, obj: AccessPolicy) -> str | None:
        return _labels(Purpose.choices, obj.permitted_purposes)

    @admin.display(description=_("prohibitions"))
    def prohibition_labels(self, obj: AccessPolicy) -> str | None:
        return _labels(Prohibition.choices, obj.prohibitions)

    @admin.display(description=_("obligations"))
    def obligation_labels(self, obj: AccessPolicy) -> str | None:
        return _labels(Obligation.choices, obj.obligations)


class SharingRequestEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SharingRequestEvent
    extra = 0
    fields = ["created_at", "from_state", "to_state", "actor", "shown_comment"]
    readonly_fields = ["created_at", "from_state", "to_state", "actor", "shown_comment"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("comment"))
    def shown_comment(self, obj: SharingRequestEvent) -> str:
        return stored_text(obj.comment)


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
    shown_as: ClassVar[dict[str, str]] = {
        "accepted_obligations": "obligation_labels",
        "decision_reasons": "reasons",
    }

    @admin.display(description=_("accepted obligations"))
    def obligation_labels(self, obj: SharingRequest) -> str | None:
        return _labels(Obligation.choices, obj.accepted_obligations)

    @admin.display(description=_("decision reasons"))
    def reasons(self, obj: SharingRequest) -> str | None:
        messages = [str(reason.get("message", "")) for reason in obj.decision_reasons or []]
        return " ".join(stored_text(message) for message in messages) or None


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
