"""The catalog's reads cost a fixed number of SQL queries, however many rows they return."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from datasets.models import Dataset, DatasetStatus, DatasetVersion, VersionStatus
from tests.datasets.helpers import LIST_URL, detail_url, make_public_datasets
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

# Queries per request, after the first request of a token (which also stamps last_used_at):
# authentication (bearer only), the caller's roles (signed-in only), then the work itself.
LIST_BUDGET = {"anonymous": 2, "session": 3, "bearer": 4}
DETAIL_BUDGET = {"anonymous": 1, "session": 2, "bearer": 3}


@pytest.fixture
def client_as(world, client_for) -> Callable[[str], APIClient]:
    def make(mode: str) -> APIClient:
        if mode == "anonymous":
            return client_for("anonymous")
        if mode == "session":  # a signed-in member (force_authenticate)
            return client_for("member")
        _token, secret = api_token_create(user=world.users["member"], name="query count")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


def queries(client: APIClient, url: str, params: dict | None = None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(context), response.json()


@pytest.fixture
def catalog_of(world):
    """catalog_of(n): exactly n public datasets, each with a published and a draft version."""
    DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    def build(count: int) -> None:
        Dataset.objects.filter(slug__startswith="dataset-").delete()
        DatasetVersion.objects.bulk_create(
            DatasetVersion(
                dataset=dataset,
                version=version,
                status=status,
                published_at=timezone.now() if status == VersionStatus.PUBLISHED else None,
            )
            for dataset in make_public_datasets(world, count)
            for version, status in (
                ("1.0.0", VersionStatus.PUBLISHED),
                ("2.0.0", VersionStatus.DRAFT),
            )
        )

    return build


@pytest.mark.parametrize("mode", ["anonymous", "session", "bearer"])
@pytest.mark.parametrize("params", [{}, {"q": "dataset"}, {"theme": "sensor_time_series"}])
def test_list_costs_the_same_for_5_and_60_datasets(client_as, catalog_of, mode, params):
    client = client_as(mode)
    catalog_of(5)
    queries(client, LIST_URL, {"page_size": 100})  # warm up: the token's last_used_at

    small, small_body = queries(client, LIST_URL, {**params, "page_size": 100})
    catalog_of(60)
    large, large_body = queries(client, LIST_URL, {**params, "page_size": 100})

    assert len(large_body["results"]) > len(small_body["results"]) >= 5
    assert {d["latest_version"] for d in large_body["results"] if d["status"] == "published"} == {
        "1.0.0"
    }
    assert small == large
    assert large <= LIST_BUDGET[mode]


@pytest.mark.parametrize("mode", ["anonymous", "session", "bearer"])
def test_detail_costs_the_same_with_1_and_60_versions(client_as, world, mode):
    client = client_as(mode)
    make_public_datasets(world, 1)
    dataset = Dataset.objects.get(slug="dataset-000")

    def publish(version: str) -> None:
        DatasetVersion.objects.create(
            dataset=dataset,
            version=version,
            status=VersionStatus.PUBLISHED,
            published_at=timezone.now(),
        )

    publish("1.0.0")
    queries(client, detail_url(dataset.pk))  # warm up

    few, body = queries(client, detail_url(dataset.slug))
    assert body["latest_version"] == "1.0.0"
    for n in range(1, 60):
        publish(f"1.{n}.0")
    many, body = queries(client, detail_url(dataset.slug))

    assert body["latest_version"] == "1.59.0"
    assert few == many
    assert many <= DETAIL_BUDGET[mode]


def test_bearer_token_list_stays_within_five_queries_on_first_use(
    client_as, catalog_of, django_assert_max_num_queries
):
    catalog_of(60)
    client = client_as("bearer")

    with django_assert_max_num_queries(5):
        response = client.get(LIST_URL, {"page_size": 100})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 61  # 60 public datasets and acme's own draft


def test_bearer_token_detail_stays_within_five_queries_on_first_use(
    client_as, world, django_assert_max_num_queries
):
    make_public_datasets(world, 1)
    client = client_as("bearer")

    with django_assert_max_num_queries(5):
        response = client.get(detail_url("dataset-000"))

    assert response.status_code == 200


def test_each_page_of_a_walk_costs_the_same(client_as, catalog_of):
    catalog_of(60)
    client = client_as("bearer")
    queries(client, LIST_URL)  # warm up

    counts = []
    count, body = queries(client, LIST_URL, {"page_size": 20})
    counts.append(count)
    while body["next"]:
        count, body = queries(client, body["next"])
        counts.append(count)

    assert len(counts) == 4
    assert len(set(counts)) == 1
