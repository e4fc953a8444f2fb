"""Admin building blocks shared by the apps."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.http import HttpRequest

from .models import OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records that change only through the services (history, jobs, the sharing workflow):
    the secretariat views and searches them; nobody adds, changes or deletes them here.

    `shown_as` maps a field to the method that shows it instead (labels rather than codes), in
    its place on the page.
    """

    shown_as: ClassVar[dict[str, str]] = {}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        methods = set(self.shown_as.values())
        return [
            self.shown_as.get(name, name) if isinstance(name, str) else name
            for name in super().get_fields(request, obj)
            if name not in methods
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), *self.shown_as.values()]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Secretariat staff read everything without a model permission each.
        user = request.user
        secretariat = getattr(user, "is_secretariat", False)
        return bool(
            user.is_active
            and user.is_staff
            and (secretariat or super().has_view_permission(request, obj))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What the database promised the workers, and whether it reached the broker."""

    list_display = ("id", "task_name", "created_at", "sent_at", "attempts", "available_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task_name")
    search_fields = ("task_name", "last_error")
    ordering = ("-id",)
