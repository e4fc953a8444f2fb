"""The console's publish section: the wizard from a data file to a published dataset, editing
a dataset, a new version from a file and a waiver (pages.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from .pages import draft, edit, index, status_panel, version_new, waiver

urlpatterns: list[URLPattern | URLResolver] = [
    path("publish/", index, name="publish"),
    path("publish/<str:dataset>/", draft, name="publish-draft"),
    path("publish/<str:dataset>/status/", status_panel, name="publish-status"),
    path("publish/<str:dataset>/edit/", edit, name="publish-edit"),
    path("publish/<str:dataset>/versions/new/", version_new, name="publish-version-new"),
    path(
        "publish/<str:dataset>/versions/<str:version>/waiver/",
        waiver,
        name="publish-waiver",
    ),
]

__all__ = ["urlpatterns"]
