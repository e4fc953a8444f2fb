"""Pages of the console's figures section."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path

from .base import console_page


@console_page
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "console/home.html", {})


urlpatterns: list[URLPattern | URLResolver] = [
    path("figures/", index, name="figures"),
]
