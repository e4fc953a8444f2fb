"""The alliance's figures (GET /api/v1/stats/...), as JSON and as CSV for the secretariat."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
