"""/api/v1/stats/: the alliance's figures."""

from __future__ import annotations

from django.urls import URLPattern, path

from .views import (
    DivisionStatsView,
    MonthlyStatsView,
    OrganizationKindStatsView,
    OrganizationMonthlyStatsView,
    OrganizationStatsView,
    StatsSummaryView,
)

urlpatterns: list[URLPattern] = [
    path("stats/", StatsSummaryView.as_view(), name="stats-summary"),
    path("stats/divisions/", DivisionStatsView.as_view(), name="stats-divisions"),
    path(
        "stats/organization-kinds/",
        OrganizationKindStatsView.as_view(),
        name="stats-organization-kinds",
    ),
    path("stats/organizations/", OrganizationStatsView.as_view(), name="stats-organizations"),
    path(
        "stats/organizations/<slug:slug>/monthly/",
        OrganizationMonthlyStatsView.as_view(),
        name="stats-organization-monthly",
    ),
    path("stats/monthly/", MonthlyStatsView.as_view(), name="stats-monthly"),
]
