"""The home page: what waits for the reader, by role, and their recent activity."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .base import console_page, page_actor


@console_page
def home(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    return render(request, "console/home.html", {"actor": actor})
