"""The catalog's representations: JSON-LD by default, Turtle on request, 406 otherwise."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rdflib import Graph
from rdflib.compare import isomorphic

from tests.catalog.helpers import CATALOG_URL, JSON_LD, TURTLE, parse
from tests.datasets.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_json_ld_is_the_default(rich, client_for):
    for accept in (None, "*/*", "application/*", "text/html,application/xhtml+xml,*/*;q=0.8"):
        extra = {"HTTP_ACCEPT": accept} if accept else {}
        response = client_for("anonymous").get(CATALOG_URL, **extra)

        assert response.status_code == 200, (accept, response.content)
        assert response["Content-Type"] == JSON_LD, accept
        assert "Accept" in response["Vary"]


def test_the_json_ld_carries_its_context_inline(rich, client_for):
    document = json.loads(client_for("anonymous").get(CATALOG_URL).content)

    # A harvester expands it offline: no remote context to fetch.
    assert isinstance(document["@context"], dict)
    assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert document["@graph"]


def test_turtle_on_request(rich, client_for):
    response = client_for("anonymous").get(CATALOG_URL, HTTP_ACCEPT=TURTLE)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/turtle; charset=utf-8"
    assert len(parse(response)) > 100


@pytest.mark.parametrize("persona", ["anonymous", "member"])
def test_turtle_and_json_ld_are_the_same_graph(rich, client_for, persona):
    client = client_for(persona)

    turtle = parse(client.get(CATALOG_URL, HTTP_ACCEPT=TURTLE), "turtle")
    json_ld = parse(client.get(CATALOG_URL, HTTP_ACCEPT=JSON_LD), "json-ld")

    assert len(turtle) == len(json_ld) > 100
    assert isomorphic(turtle, json_ld)


def test_plain_json_gets_the_json_ld(rich, client_for):
    response = client_for("anonymous").get(CATALOG_URL, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    plain = Graph().parse(data=response.content.decode(), format="json-ld")
    assert isomorphic(plain, parse(client_for("anonymous").get(CATALOG_URL)))


def test_the_trailing_slash_is_the_same_catalog(rich, client_for):
    client = client_for("anonymous")

    with_slash = client.get(reverse("catalog-slash"), HTTP_ACCEPT=TURTLE)

    assert with_slash.status_code == 200
    assert isomorphic(parse(with_slash), parse(client.get(CATALOG_URL, HTTP_ACCEPT=TURTLE)))


@pytest.mark.parametrize(
    "accept", ["application/xml", "text/html", "application/rdf+xml", "image/png"]
)
@pytest.mark.parametrize("path", [CATALOG_URL, reverse("catalog-slash")])
def test_an_unsupported_accept_is_a_406_problem(rich, client_for, accept, path):
    response = client_for("anonymous").get(path, HTTP_ACCEPT=accept)

    body = assert_problem(response, 406, "not_acceptable")
    assert body["instance"] == path


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_catalog_is_read_only(client_for, world, method):
    response = getattr(client_for("member"), method)(CATALOG_URL, {}, format="json")

    assert_problem(response, 405, "method_not_allowed")
