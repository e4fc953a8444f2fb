"""The audit chain in the admin: the secretariat reads and searches it; nobody edits it."""

from __future__ import annotations

from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "action", "object_type", "object_id", "actor_email"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_email", "action"]
    date_hierarchy = "occurred_at"
