"""GET /api/v1/datasets/{id or slug}/: lookup keys (who sees what: test_dataset_visibility.py)."""

from __future__ import annotations

import pytest

from datasets.models import Sensitivity
from tests.datasets.helpers import assert_problem, detail_url, versions_url
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(world):
    return DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)


def test_detail_by_uuid_and_by_slug_is_the_same_document(client_for, dataset):
    client = client_for("anonymous")

    by_id = client.get(detail_url(dataset.pk))
    by_slug = client.get(detail_url(dataset.slug))

    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json() == by_slug.json()
    body = by_id.json()
    assert body["id"] == str(dataset.pk)
    assert body["publisher"] == {
        "id": dataset.publisher_id,
        "slug": "acme",
        "name_ko": "에이씨엠이정밀",
        "name_en": "Acme Precision",
        "kind": "manufacturer",
    }
    assert body["division"]["code"] == "ai-factory"
    assert "search_title" not in body
    assert "search_vector" not in body


def test_upper_case_uuid_finds_the_dataset(client_for, dataset):
    response = client_for("anonymous").get(detail_url(str(dataset.pk).upper()))

    assert response.status_code == 200
    assert response.json()["id"] == str(dataset.pk)


@pytest.mark.parametrize(
    "key",
    [
        "01890000-0000-7000-8000-000000000000",
        "no-such-slug",
        "01a20da9",
        "한글-슬러그",
        "%20",
        "..",
        "x" * 500,
    ],
)
def test_unknown_key_is_a_404_problem(client_for, dataset, key):
    response = client_for("secretariat").get(detail_url(key))

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("url", [detail_url("%00"), versions_url("a%00b")])
def test_key_with_a_nul_character_is_a_404_problem(client_for, dataset, url):
    response = client_for("anonymous").get(url)

    assert_problem(response, 404, "not_found")
