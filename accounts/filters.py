"""Filters for organisations and memberships."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet

from common.filters import ChoicesFilter, MultiValueCharFilter, MultiValueNumberFilter

from .models import Membership, MembershipRole, Organization, OrganizationKind, OrganizationSize


class OrganizationFilter(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label="Name (Korean or English) contains")
    kind = ChoicesFilter(choices=OrganizationKind.choices)
    size = ChoicesFilter(choices=OrganizationSize.choices)
    division_id = MultiValueNumberFilter(field_name="divisions__id", distinct=True)
    division = MultiValueCharFilter(field_name="divisions__code", distinct=True)

    class Meta:
        model = Organization
        fields: list[str] = []

    def filter_q(
        self, queryset: QuerySet[Organization], name: str, value: str
    ) -> QuerySet[Organization]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name_ko__icontains=value) | Q(name_en__icontains=value))


class MembershipFilter(filters.FilterSet):
    organization_id = MultiValueNumberFilter(field_name="organization_id")
    organization = MultiValueCharFilter(field_name="organization__slug")
    user_id = MultiValueNumberFilter(field_name="user_id")
    role = ChoicesFilter(choices=MembershipRole.choices)

    class Meta:
        model = Membership
        fields: list[str] = []
