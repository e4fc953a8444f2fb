"""The published catalog as DCAT (GET /api/v1/catalog) and versions as Data Packages."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
