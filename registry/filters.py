"""Filters of the sharing workflow: relations by key and by slug."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from common.filters import (
    BoundedDateTimeFilter,
    ChoicesFilter,
    MultiValueCharFilter,
    MultiValueNumberFilter,
    MultiValueUUIDFilter,
)

from .models import Grant, Purpose, SharingRequest, SharingRequestState


class SharingRequestFilter(filters.FilterSet):
    state = ChoicesFilter(choices=SharingRequestState.choices)
    purpose = ChoicesFilter(choices=Purpose.choices)
    dataset_id = MultiValueUUIDFilter(field_name="dataset_id")
    dataset = MultiValueCharFilter(field_name="dataset__slug", label=_("Dataset slug"))
    requester_id = MultiValueNumberFilter(field_name="requester_id")
    requester = MultiValueCharFilter(field_name="requester__slug", label=_("Requester slug"))
    publisher_id = MultiValueNumberFilter(field_name="dataset__publisher_id")
    publisher = MultiValueCharFilter(
        field_name="dataset__publisher__slug", label=_("Publisher slug")
    )
    created_after = BoundedDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = SharingRequest
        fields: list[str] = []


class GrantFilter(filters.FilterSet):
    organization_id = MultiValueNumberFilter(field_name="organization_id")
    organization = MultiValueCharFilter(field_name="organization__slug")
    dataset_id = MultiValueUUIDFilter(field_name="version__dataset_id")
    valid_at = BoundedDateTimeFilter(method="filter_valid_at", label=_("Valid at this time"))

    class Meta:
        model = Grant
        fields: list[str] = []

    def filter_valid_at(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(
            valid_from__lte=value, valid_until__gt=value, revoked_at__isnull=True
        )


class AuditEventFilter(filters.FilterSet):
    action = MultiValueCharFilter(field_name="action")
    object_type = MultiValueCharFilter(field_name="object_type")
    object_id = MultiValueCharFilter(field_name="object_id")
    occurred_after = BoundedDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = BoundedDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields: list[str] = []
