"""Cursor pagination of GET /api/v1/datasets/: page sizes, walking pages, counts, bad cursors."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from common.pagination import CursorPagination
from datasets.models import DatasetStatus, Sensitivity
from tests.datasets.helpers import LIST_URL, assert_problem, make_public_datasets
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db


def walk(client, params) -> list[dict]:
    """Follow `next` from the first page to the last; return every item in order."""
    items: list[dict] = []
    response = client.get(LIST_URL, params)
    pages = 0
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= params.get("page_size", 25)
        items.extend(body["results"])
        pages += 1
        assert pages < 100, "the cursor does not advance"
        if body["next"] is None:
            return items
        response = client.get(body["next"])


def test_default_page_size_is_25(client_for, world):
    make_public_datasets(world, 60)

    response = client_for("anonymous").get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 25
    assert body["count"] == 60
    assert body["count_is_capped"] is False
    assert body["next"] is not None
    assert body["previous"] is None


def test_page_size_is_capped_at_100(client_for, world):
    make_public_datasets(world, 110)

    response = client_for("anonymous").get(LIST_URL, {"page_size": 1000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100
    assert response.json()["count"] == 110
    assert response.json()["next"] is not None


@pytest.mark.parametrize("page_size", ["0", "-5", "ten", ""])
def test_unusable_page_size_falls_back_to_the_default(client_for, world, page_size):
    make_public_datasets(world, 30)

    response = client_for("anonymous").get(LIST_URL, {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 25


def test_small_page_size(client_for, world):
    make_public_datasets(world, 5)

    response = client_for("anonymous").get(LIST_URL, {"page_size": 2})

    assert len(response.json()["results"]) == 2
    assert response.json()["count"] == 5


@pytest.mark.parametrize(("ordering", "page_size"), [("-modified_at", 7), (None, 25)])
def test_next_walks_every_page_without_duplicates_or_gaps_by_modified_at(
    client_for, world, ordering, page_size
):
    # 60 datasets in 4 groups of 15 that share a modified_at: page edges fall inside groups.
    datasets = make_public_datasets(world, 60, same_time_groups=4)

    params = {"ordering": ordering, "page_size": page_size} if ordering else {}
    items = walk(client_for("anonymous"), params)

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 60
    assert set(ids) == {str(d.pk) for d in datasets}
    stamps = [item["modified_at"] for item in items]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("ordering", ["title_en", "-title_en", "title_ko", "created_at"])
def test_next_walks_every_page_by_title_or_creation(client_for, world, ordering):
    datasets = make_public_datasets(world, 60, same_time_groups=4)

    items = walk(client_for("anonymous"), {"ordering": ordering, "page_size": 9})

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 60
    assert set(ids) == {str(d.pk) for d in datasets}
    field = ordering.lstrip("-")
    values = [item[field] for item in items]
    assert values == sorted(values, reverse=ordering.startswith("-"))


def test_next_walks_every_page_with_distinct_modified_at(client_for, world):
    datasets = make_public_datasets(world, 60)

    items = walk(client_for("anonymous"), {"page_size": 7})

    assert [item["id"] for item in items] == [str(d.pk) for d in reversed(datasets)]


@pytest.mark.parametrize("same_time_groups", [0, pytest.param(4, id="tied-modified_at")])
def test_walking_search_results_ordered_by_relevance(client_for, world, same_time_groups):
    # Every row matches "dataset" equally: relevance is one big tie, modified_at breaks it.
    make_public_datasets(world, 40, same_time_groups=same_time_groups)

    items = walk(client_for("anonymous"), {"q": "dataset", "page_size": 7})

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 40


def test_previous_returns_to_the_same_page(client_for, world):
    make_public_datasets(world, 30)
    client = client_for("anonymous")
    first = client.get(LIST_URL, {"page_size": 10}).json()
    second = client.get(first["next"]).json()
    assert second["previous"] is not None

    back = client.get(second["previous"]).json()

    assert [i["id"] for i in back["results"]] == [i["id"] for i in first["results"]]
    assert not {i["id"] for i in second["results"]} & {i["id"] for i in first["results"]}


def test_next_keeps_the_filters(client_for, world):
    make_public_datasets(world, 20)
    for _ in range(3):
        DatasetFactory.create(publisher=world.other, sensitivity=Sensitivity.PUBLIC)
    client = client_for("anonymous")

    items = walk(client, {"publisher": "other", "page_size": 2})

    assert len(items) == 3
    assert {item["publisher"]["slug"] for item in items} == {"other"}


def test_count_is_exact_below_the_cap(client_for, world):
    make_public_datasets(world, 60)

    body = client_for("anonymous").get(LIST_URL, {"page_size": 5}).json()

    assert body["count"] == 60
    assert body["count_is_capped"] is False


def test_count_stops_at_the_cap(client_for, world, monkeypatch):
    monkeypatch.setattr(CursorPagination, "count_cap", 50)
    make_public_datasets(world, 60)

    body = client_for("anonymous").get(LIST_URL, {"page_size": 5}).json()

    assert body["count"] == 50
    assert body["count_is_capped"] is True


def test_count_respects_visibility(client_for, world):
    make_public_datasets(world, 10)
    DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    assert client_for("anonymous").get(LIST_URL).json()["count"] == 10
    assert client_for("outsider_member").get(LIST_URL).json()["count"] == 10
    assert client_for("member").get(LIST_URL).json()["count"] == 11


@pytest.mark.parametrize(
    "cursor",
    ["garbage", *(base64.b64encode(raw).decode() for raw in (b"o=-1", b"o=abc", b"r=maybe"))],
)
def test_invalid_cursor_is_a_404_problem(client_for, world, cursor):
    make_public_datasets(world, 3)

    response = client_for("anonymous").get(LIST_URL, {"cursor": cursor})

    assert_problem(response, 404, "not_found")


def _forged_cursor(position: str) -> str:
    return base64.b64encode(urlencode({"o": 0, "r": 0, "p": position}).encode()).decode()


def test_cursor_with_a_position_that_is_not_a_date_is_an_invalid_cursor(client_for, world):
    make_public_datasets(world, 3)

    response = client_for("anonymous").get(LIST_URL, {"cursor": _forged_cursor("not-a-date")})

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("position", "params"),
    [("a\x00b", {"ordering": "title_en"}), ("not-a-number", {"q": "dataset"})],
    ids=["nul-in-title-position", "text-in-relevance-position"],
)
def test_forged_cursor_position_is_a_problem_not_a_500(client_for, world, position, params):
    make_public_datasets(world, 3)

    response = client_for("anonymous").get(LIST_URL, {"cursor": _forged_cursor(position), **params})

    assert_problem(response, 404, "not_found")  # like any invalid cursor


def test_next_link_is_an_absolute_url_carrying_the_cursor(client_for, world):
    make_public_datasets(world, 30)

    body = client_for("anonymous").get(LIST_URL, {"page_size": 10, "theme": "energy"}).json()
    assert body["next"] is None
    body = client_for("anonymous").get(LIST_URL, {"page_size": 10}).json()

    parts = urlsplit(body["next"])
    assert parts.path == LIST_URL
    assert set(parse_qs(parts.query)) == {"cursor", "page_size"}


@pytest.mark.parametrize(
    "ordering",
    ["bogus", "-bogus", "search_vector", "publisher__slug", "id", "-", ",", "title_en,,bogus"],
)
def test_ordering_on_an_unknown_field_is_ignored(client_for, world, ordering):
    make_public_datasets(world, 12, same_time_groups=12)
    client = client_for("anonymous")
    default = [i["id"] for i in client.get(LIST_URL).json()["results"]]

    response = client.get(LIST_URL, {"ordering": ordering})

    assert response.status_code == 200
    ids = [i["id"] for i in response.json()["results"]]
    if ordering == "title_en,,bogus":
        titles = [i["title_en"] for i in response.json()["results"]]
        assert titles == sorted(titles)
    else:
        assert ids == default
