"""Catalog paging for harvesters: Hydra links, a keyset cursor, page sizes and modified_since."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.urls import reverse
from rdflib import Literal, URIRef

from datasets.models import Dataset
from interop import dcat as v
from interop.dcat import DCAT3
from tests.catalog.helpers import CATALOG_URL, KST, PROBLEM, local_path, parse, public_url
from tests.datasets.helpers import assert_problem, make_public_datasets

pytestmark = pytest.mark.django_db

CATALOG = URIRef(public_url(CATALOG_URL))
START = dt.datetime(2025, 1, 1, tzinfo=KST)  # make_public_datasets: a minute per row from here


def page_of(graph) -> list[str]:
    return [str(o) for o in graph.objects(CATALOG, DCAT3.dataset)]


def view_of(graph) -> URIRef:
    [view] = graph.objects(CATALOG, v.HYDRA.view)
    return view


def next_of(graph) -> str | None:
    links = list(graph.objects(view_of(graph), v.HYDRA.next))
    assert len(links) <= 1
    return str(links[0]) if links else None


def walk(client, params: dict, accept: str = "application/ld+json") -> list[list[str]]:
    """Every page from the first, following hydra:next."""
    response = client.get(CATALOG_URL, params, HTTP_ACCEPT=accept)
    pages = []
    while True:
        assert response.status_code == 200, response.content
        graph = parse(response)
        pages.append(page_of(graph))
        link = next_of(graph)
        if link is None:
            return pages
        response = client.get(local_path(link), HTTP_ACCEPT=accept)


def uri_of(dataset) -> str:
    return public_url(reverse("dataset-detail", kwargs={"dataset": dataset.pk}))


def expected_order(datasets) -> list[str]:
    rows = Dataset.objects.filter(pk__in=[d.pk for d in datasets]).order_by("modified_at", "id")
    return [uri_of(d) for d in rows]


@pytest.mark.parametrize("accept", ["application/ld+json", "text/turtle"])
def test_walking_every_page_sees_each_dataset_once_in_order(world, client_for, accept):
    # Seven rows share each modified_at: the cursor must break ties by id.
    datasets = make_public_datasets(world, 60, same_time_groups=7)

    pages = walk(client_for("anonymous"), {"page_size": 25}, accept)

    assert [len(page) for page in pages] == [25, 25, 10]
    seen = [uri for page in pages for uri in page]
    assert len(seen) == len(set(seen)) == 60
    # Within a page the graph is a set: compare the pages' contents with the keyset order.
    order = expected_order(datasets)
    assert [set(page) for page in pages] == [
        set(order[:25]),
        set(order[25:50]),
        set(order[50:]),
    ]


def test_each_page_describes_its_place(world, client_for):
    make_public_datasets(world, 30)
    client = client_for("anonymous")

    first = parse(client.get(CATALOG_URL, {"page_size": 10}))
    view = view_of(first)
    assert (view, v.RDF.type, v.HYDRA.PartialCollectionView) in first
    assert view != CATALOG
    first_link = URIRef(public_url(f"{CATALOG_URL}?page_size=10"))
    assert list(first.objects(view, v.HYDRA.first)) == [first_link]
    assert list(first.objects(view, v.HYDRA.itemsPerPage)) == [Literal(10)]
    assert list(first.objects(CATALOG, v.HYDRA.totalItems)) == [Literal(30)]
    assert list(first.objects(view, v.HYDRA.previous)) == []
    # The older terms ckanext-dcat reads.
    assert (view, v.RDF.type, v.HYDRA.PagedCollection) in first
    following = next_of(first)
    assert following is not None
    assert list(first.objects(view, v.HYDRA.nextPage)) == [URIRef(following)]

    second = parse(client.get(local_path(following)))
    assert view_of(second) == URIRef(following)
    assert list(second.objects(view_of(second), v.HYDRA.first)) == [first_link]
    previous = list(second.objects(view_of(second), v.HYDRA.previous))
    assert len(previous) == 1
    back = parse(client.get(local_path(str(previous[0]))))
    assert set(page_of(back)) == set(page_of(first))


def test_the_page_size_defaults_to_50_and_stops_at_100(world, client_for, read_catalog):
    make_public_datasets(world, 105)
    client = client_for("anonymous")

    default = read_catalog(client)
    capped = read_catalog(client, {"page_size": 1000})
    unusable = read_catalog(client, {"page_size": "many"})

    assert len(page_of(default)) == 50
    assert len(page_of(capped)) == 100
    assert list(capped.objects(view_of(capped), v.HYDRA.itemsPerPage)) == [Literal(100)]
    assert len(page_of(unusable)) == 50


def test_the_total_is_bounded_like_the_list_apis_count(world, client_for, read_catalog, settings):
    from registry.api.catalog import CatalogPagination

    make_public_datasets(world, 12)
    original = CatalogPagination.count_cap
    CatalogPagination.count_cap = 10
    try:
        graph = read_catalog(client_for("anonymous"), {"page_size": 5})
    finally:
        CatalogPagination.count_cap = original

    assert list(graph.objects(CATALOG, v.HYDRA.totalItems)) == [Literal(10)]
    assert list(graph.objects(CATALOG, v.MAX.totalItemsIsCapped)) == [Literal(True)]


def _token(payload: object) -> str:
    raw = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        _token(b"\xff\xfe"),
        _token({"r": 0}),
        _token({"r": 0, "p": ["2025-01-01T00:00:00+09:00"]}),  # one key of two
        _token({"r": 0, "p": ["yesterday", "0191a5b0-0000-7000-8000-000000000000"]}),
        _token({"r": 0, "p": ["2025-01-01T00:00:00+09:00", "not-a-uuid"]}),
        _token({"r": 0, "p": ["2025-01-01T00:00:00+09:00\x00", "x"]}),
        _token({"r": 2, "p": [1, 2]}),
        _token({"r": 0, "p": [{"a": 1}, [2]]}),
        _token({"r": 0, "p": ["99999-01-01T00:00:00", "0191a5b0-0000-7000-8000-000000000000"]}),
    ],
)
@pytest.mark.parametrize("accept", ["application/ld+json", "text/turtle"])
def test_a_forged_cursor_is_a_404_problem(world, client_for, cursor, accept):
    make_public_datasets(world, 3)

    response = client_for("anonymous").get(CATALOG_URL, {"cursor": cursor}, HTTP_ACCEPT=accept)

    assert_problem(response, 404, "not_found")


# --- modified_since ---------------------------------------------------------------------------


@pytest.fixture
def timeline(world):
    """40 public datasets, modified a minute apart from 2025-01-01 00:00 KST."""
    return make_public_datasets(world, 40)


def _minutes(graph, timeline) -> list[int]:
    index = {uri_of(d): n for n, d in enumerate(timeline)}
    return sorted(index[uri] for uri in page_of(graph))


def test_modified_since_is_inclusive(timeline, client_for, read_catalog):
    exact = Dataset.objects.get(pk=timeline[10].pk).modified_at

    graph = read_catalog(
        client_for("anonymous"), {"modified_since": exact.isoformat(), "page_size": 100}
    )

    assert _minutes(graph, timeline) == list(range(10, 40))


@pytest.mark.parametrize(
    ("value", "first"),
    [
        ("2025-01-01", 0),  # a date: from its start, in the registry's time zone
        ("2025-01-01T00:30:00", 30),  # no offset: Asia/Seoul
        ("2025-01-01T00:30:00+09:00", 30),
        ("2024-12-31T15:30:00Z", 30),
        ("2024-12-31T15:30:30.5+00:00", 31),
        ("2025-01-02", None),
        ("2024-06-01", 0),
        ("", 0),  # empty is left out, as DRF reads any empty query parameter
    ],
)
def test_modified_since_takes_dates_and_datetimes(timeline, client_for, read_catalog, value, first):
    graph = read_catalog(client_for("anonymous"), {"modified_since": value, "page_size": 100})

    expected = [] if first is None else list(range(first, 40))
    assert _minutes(graph, timeline) == expected


def test_a_plus_sign_sent_unencoded_still_means_an_offset(timeline, client_for):
    # `+` in a query string decodes to a space; curl users often forget to encode it.
    response = client_for("anonymous").get(
        f"{CATALOG_URL}?modified_since=2025-01-01T00:30:00+09:00"
    )

    assert response.status_code == 200, response.content
    assert _minutes(parse(response), timeline) == list(range(30, 40))


def test_modified_since_is_kept_while_paging(timeline, client_for):
    pages = walk(
        client_for("anonymous"), {"modified_since": "2025-01-01T00:15:00", "page_size": 10}
    )

    assert [len(page) for page in pages] == [10, 10, 5]
    index = {uri_of(d): n for n, d in enumerate(timeline)}
    assert sorted(index[uri] for page in pages for uri in page) == list(range(15, 40))


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2025-13-01",
        "2025-02-30",
        "2025-01-01T25:00:00",
        "01/02/2025",
        "2025-01-01T00:00:00+09:00\x00",
        "1" * 300,
    ],
)
@pytest.mark.parametrize("accept", ["application/ld+json", "text/turtle"])
def test_a_malformed_modified_since_is_a_400_problem(world, client_for, value, accept):
    response = client_for("anonymous").get(
        CATALOG_URL, {"modified_since": value}, HTTP_ACCEPT=accept
    )

    body = assert_problem(response, 400, "validation_error")
    assert response["Content-Type"] == PROBLEM
    assert [error["field"] for error in body["errors"]] == ["modified_since"]


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01", "9999-12-31"],
)
def test_extreme_but_valid_instants_are_no_error(timeline, client_for, value):
    response = client_for("anonymous").get(CATALOG_URL, {"modified_since": value})

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("value", ["11111111", "1" * 300, "2025-01-01T00:00:00.1234567"])
def test_only_the_extended_iso_forms_are_read(world, client_for, value):
    response = client_for("anonymous").get(CATALOG_URL, {"modified_since": value})

    assert_problem(response, 400, "validation_error")
