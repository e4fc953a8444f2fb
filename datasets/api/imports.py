"""Catalog imports by stewards: DCAT, CKAN and CSV metadata into their organisation."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
