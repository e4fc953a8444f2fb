"""GET /api/v1/: an absolute link to every collection of the API, for anyone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from config.api_root import API_ROOT_LINKS

pytestmark = pytest.mark.django_db

ROOT = reverse("api-root")
# Routes under /api/v1/ without parameters that the root leaves out, and why.
NOT_LISTED = {
    "api-root": "the root itself",
    "catalog-slash": "an alias of `catalog`",
}


def named_routes(patterns: list[Any], prefix: str = "") -> dict[str, str]:
    """URL name -> route, for every named pattern below `patterns`."""
    routes: dict[str, str] = {}
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes |= named_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            routes[pattern.name] = route
    return routes


def api_v1_collections() -> set[str]:
    """Names of the routes under /api/v1/ that take no parameter: the collections and the
    top-level resources (a route with a parameter, like a version list, hangs off another)."""
    [api_v1] = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/"]
    assert isinstance(api_v1, URLResolver)
    names = set()
    for name in named_routes(api_v1.url_patterns):
        try:
            reverse(name)
        except NoReverseMatch:
            continue  # takes parameters
        names.add(name)
    return names


def test_every_collection_of_the_url_conf_is_listed():
    listed = {url_name for url_name, _description in API_ROOT_LINKS.values()}

    missing = api_v1_collections() - listed - set(NOT_LISTED)

    assert not missing, f"add these to config.api_root.API_ROOT_LINKS: {sorted(missing)}"
    assert "dataset-list" in listed
    assert "import-list" in listed


@pytest.mark.parametrize("persona", ["anonymous", "member", "secretariat"])
def test_anyone_reads_absolute_links_keyed_by_name(world, client_for, persona):
    response = client_for(persona).get(ROOT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == list(API_ROOT_LINKS)
    for name, (url_name, _description) in API_ROOT_LINKS.items():
        assert body[name] == f"http://testserver{reverse(url_name)}", name
    assert body["datasets"] == "http://testserver/api/v1/datasets/"
    assert body["healthz"] == "http://testserver/healthz"


def test_every_link_leads_somewhere(world, client_for):
    client = client_for("secretariat")
    links = client.get(ROOT).json()

    for name, url in links.items():
        path = urlsplit(url).path
        response = client.get(path)
        # Sign-in and the upload take a POST; everything else answers a GET.
        expected = {405} if name in ("auth-token", "datasets-from-file") else {200}
        assert response.status_code in expected, (name, url, response.status_code)


def test_the_root_is_documented(world):
    schema = APIClient().get(reverse("schema-json")).json()

    operation = schema["paths"]["/api/v1/"]["get"]
    assert {} in operation["security"]  # anonymous callers too
    documented = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(documented["properties"]) == set(API_ROOT_LINKS)
    assert documented["properties"]["datasets"]["format"] == "uri"
