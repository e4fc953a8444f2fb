"""Cursor pagination of GET /api/v1/datasets/: page sizes, walking pages, counts, bad cursors."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from common.pagination import CursorPagination
from datasets.models import Dataset, DatasetStatus, Sensitivity
from datasets.services.catalog import dataset_index
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


def _forged_cursor(*position, reverse: int = 0) -> str:
    raw = json.dumps({"r": reverse, "p": list(position)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


SOME_UUID = "0193a000-0000-7000-8000-000000000000"


def test_cursor_with_a_position_that_is_not_a_date_is_an_invalid_cursor(client_for, world):
    make_public_datasets(world, 3)

    response = client_for("anonymous").get(
        LIST_URL, {"cursor": _forged_cursor("not-a-date", SOME_UUID)}
    )

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("position", "params"),
    [
        (["a\x00b", SOME_UUID], {"ordering": "title_en"}),
        (["not-a-number", "2025-01-01T00:00:00+00:00", SOME_UUID], {"q": "dataset"}),
        ([7, "2025-01-01T00:00:00+00:00", SOME_UUID], {"q": "dataset"}),
        (["2025-01-01T00:00:00+00:00", "not-a-uuid"], {}),
        (["2025-01-01T00:00:00+00:00"], {}),
        (["2025-01-01T00:00:00+00:00", SOME_UUID, "extra"], {}),
        ([None, SOME_UUID], {}),
        ([["nested"], SOME_UUID], {}),
        ([True, SOME_UUID], {"ordering": "title_en"}),
    ],
    ids=[
        "nul-in-title-position",
        "text-in-relevance-position",
        "no-such-relevance-tier",
        "not-a-uuid",
        "too-few-values",
        "too-many-values",
        "null-value",
        "list-value",
        "boolean-value",
    ],
)
def test_forged_cursor_position_is_a_problem_not_a_500(client_for, world, position, params):
    make_public_datasets(world, 3)

    response = client_for("anonymous").get(
        LIST_URL, {"cursor": _forged_cursor(*position), **params}
    )

    assert_problem(response, 404, "not_found")  # like any invalid cursor


@pytest.mark.parametrize(
    "payload", [b"[]", b'{"r": 2, "p": []}', b'{"r": 0, "p": "x"}', b'{"p": []}', b"\xff"]
)
def test_malformed_cursor_payload_is_a_404_problem(client_for, world, payload):
    make_public_datasets(world, 3)
    cursor = base64.urlsafe_b64encode(payload).decode()

    response = client_for("anonymous").get(LIST_URL, {"cursor": cursor})

    assert_problem(response, 404, "not_found")


def test_a_cursor_from_another_ordering_is_a_404_problem(client_for, world):
    make_public_datasets(world, 10)
    client = client_for("anonymous")
    by_title = client.get(LIST_URL, {"ordering": "title_en", "page_size": 3}).json()
    cursor = parse_qs(urlsplit(by_title["next"]).query)["cursor"][0]

    response = client.get(LIST_URL, {"cursor": cursor, "q": "dataset"})

    assert_problem(response, 404, "not_found")


def _tiered_catalog(world) -> tuple[set[str], set[str]]:
    """20 title matches and 20 description-only matches for "sensor", in tied time groups."""
    datasets = make_public_datasets(world, 40, same_time_groups=6)
    in_title, in_body = set(), set()
    for n, dataset in enumerate(datasets):
        if n % 2:
            dataset.title_en = f"Sensor readings {n:03d}"
            in_title.add(str(dataset.pk))
        else:
            dataset.description_en = "Readings of every sensor on the line."
            in_body.add(str(dataset.pk))
        dataset_index(dataset)
        Dataset.objects.filter(pk=dataset.pk).update(
            title_en=dataset.title_en,
            description_en=dataset.description_en,
            search_title=dataset.search_title,
            search_body=dataset.search_body,
        )
    return in_title, in_body


@pytest.mark.parametrize("page_size", [1, 7, 20, 25])
def test_walking_search_results_crosses_from_title_to_description_matches(
    client_for, world, page_size
):
    in_title, in_body = _tiered_catalog(world)

    items = walk(client_for("anonymous"), {"q": "sensor", "page_size": page_size})

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 40
    assert set(ids[:20]) == in_title
    assert set(ids[20:]) == in_body
    for tier in (items[:20], items[20:]):
        stamps = [item["modified_at"] for item in tier]
        assert stamps == sorted(stamps, reverse=True)


def test_previous_walks_back_across_the_relevance_tiers(client_for, world):
    _tiered_catalog(world)
    client = client_for("anonymous")
    forward = [client.get(LIST_URL, {"q": "sensor", "page_size": 6}).json()]
    while forward[-1]["next"]:
        forward.append(client.get(forward[-1]["next"]).json())

    backward = [forward[-1]]
    while backward[-1]["previous"]:
        backward.append(client.get(backward[-1]["previous"]).json())

    assert [[i["id"] for i in page["results"]] for page in reversed(backward)] == [
        [i["id"] for i in page["results"]] for page in forward
    ]
    assert len(forward) == 7  # 40 rows in pages of 6


def test_a_search_page_over_few_matches_is_one_query_across_both_tiers(
    client_for, world, django_assert_num_queries
):
    _tiered_catalog(world)
    client = client_for("anonymous")
    first = client.get(LIST_URL, {"q": "sensor", "page_size": 15}).json()

    with django_assert_num_queries(2):  # the bounded count, then the page
        second = client.get(first["next"]).json()

    assert len(second["results"]) == 15
    assert [item["title_en"].startswith("Sensor") for item in second["results"]] == [True] * 5 + [
        False
    ] * 10


@pytest.fixture
def count_cap_of_10(monkeypatch):
    monkeypatch.setattr(CursorPagination, "count_cap", 10)


@pytest.mark.parametrize("page_size", [1, 7, 20, 25])
def test_walking_many_search_results_reads_tier_by_tier(
    client_for, world, count_cap_of_10, page_size
):
    in_title, in_body = _tiered_catalog(world)

    items = walk(client_for("anonymous"), {"q": "sensor", "page_size": page_size})

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 40
    assert set(ids[:20]) == in_title
    assert set(ids[20:]) == in_body


def test_over_many_matches_the_description_tier_is_read_only_when_titles_run_out(
    client_for, world, count_cap_of_10, django_assert_num_queries
):
    _tiered_catalog(world)
    client = client_for("anonymous")

    with django_assert_num_queries(2):  # the count, then titles fill the page
        first = client.get(LIST_URL, {"q": "sensor", "page_size": 15}).json()
    with django_assert_num_queries(3):  # the count, the last titles, then descriptions
        second = client.get(first["next"]).json()

    assert [item["title_en"].startswith("Sensor") for item in second["results"]] == [True] * 5 + [
        False
    ] * 10
    assert second["count_is_capped"] is True


def test_previous_walks_back_across_the_tiers_over_many_matches(client_for, world, count_cap_of_10):
    _tiered_catalog(world)
    client = client_for("anonymous")
    forward = [client.get(LIST_URL, {"q": "sensor", "page_size": 6}).json()]
    while forward[-1]["next"]:
        forward.append(client.get(forward[-1]["next"]).json())

    backward = [forward[-1]]
    while backward[-1]["previous"]:
        backward.append(client.get(backward[-1]["previous"]).json())

    assert [[i["id"] for i in page["results"]] for page in reversed(backward)] == [
        [i["id"] for i in page["results"]] for page in forward
    ]


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
