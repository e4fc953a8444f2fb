"""Filters of the sharing workflow: relations by key and by slug."""

from __future__ import annotations

import uuid

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
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
    organization_id = filters.NumberFilter(
        method="filter_organization_id",
        label=_("Concerns this organisation (ID)"),
        min_value=1,
        max_value=2**63 - 1,
    )
    organization = filters.CharFilter(
        method="filter_organization", label=_("Concerns this organisation (slug)")
    )
    dataset_id = filters.UUIDFilter(
        method="filter_dataset_id", label=_("Concerns this dataset or its versions")
    )
    sharing_request_id = filters.UUIDFilter(
        method="filter_sharing_request_id", label=_("Concerns this sharing request")
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    @staticmethod
    def concerning(queryset: QuerySet[AuditEvent], organization_id: int) -> QuerySet[AuditEvent]:
        # Either list: members read the first, the publisher's stewards the second.
        return queryset.filter(
            Q(organization_ids__contains=[organization_id])
            | Q(steward_organization_ids__contains=[organization_id])
        )

    def filter_organization_id(
        self, queryset: QuerySet[AuditEvent], name: str, value: int
    ) -> QuerySet[AuditEvent]:
        return self.concerning(queryset, int(value))

    def filter_organization(
        self, queryset: QuerySet[AuditEvent], name: str, value: str
    ) -> QuerySet[AuditEvent]:
        organization_id = (
            Organization.objects.filter(slug=value.strip()).values_list("pk", flat=True).first()
        )
        if organization_id is None:
            return queryset.none()
        return self.concerning(queryset, organization_id)

    def filter_dataset_id(
        self, queryset: QuerySet[AuditEvent], name: str, value: uuid.UUID
    ) -> QuerySet[AuditEvent]:
        # A version's events name their dataset in `data`.
        return queryset.filter(
            Q(object_type="dataset", object_id=str(value)) | Q(data__dataset=str(value))
        )

    def filter_sharing_request_id(
        self, queryset: QuerySet[AuditEvent], name: str, value: uuid.UUID
    ) -> QuerySet[AuditEvent]:
        return queryset.filter(object_type="sharing_request", object_id=str(value))
