"""PATCH and PUT /api/v1/datasets/{id or slug}/: the publisher's stewards edit metadata."""

from __future__ import annotations

from datetime import datetime

import pytest

from datasets.models import Dataset, DatasetStatus, Sensitivity
from tests.datasets.helpers import (
    LIST_URL,
    assert_problem,
    dataset_payload,
    detail_url,
    error_fields,
)
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

NEW_TITLE = "Hydraulic Press Telemetry"


@pytest.fixture
def datasets(world):
    return {
        "draft": DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT),
        "public": DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC),
        "members": DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.MEMBERS),
    }


# persona -> expected status for the draft, the public and the members-only dataset.
EDIT_BY_PERSONA = {
    "anonymous": {"draft": 404, "public": 401, "members": 404},
    "member": {"draft": 403, "public": 403, "members": 403},
    "steward": {"draft": 200, "public": 200, "members": 200},
    "org_admin": {"draft": 403, "public": 403, "members": 403},
    "outsider_member": {"draft": 404, "public": 403, "members": 403},
    "outsider_steward": {"draft": 404, "public": 403, "members": 403},
    "division_lead": {"draft": 404, "public": 403, "members": 403},
    "secretariat": {"draft": 403, "public": 403, "members": 403},
}
CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
ROWS = [
    (persona, kind, status)
    for persona, expected in EDIT_BY_PERSONA.items()
    for kind, status in expected.items()
]


def _put_payload(dataset: Dataset, **overrides):
    fields = {
        "title_ko": dataset.title_ko,
        "title_en": NEW_TITLE,
        "sensitivity": dataset.sensitivity,
        **overrides,
    }
    return dataset_payload(**fields)


@pytest.mark.parametrize(("persona", "kind", "status"), ROWS)
def test_patch_by_persona(client_for, datasets, persona, kind, status):
    dataset = datasets[kind]

    response = client_for(persona).patch(detail_url(dataset.pk), {"title_en": NEW_TITLE})

    dataset.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert response.json()["title_en"] == NEW_TITLE
        assert dataset.title_en == NEW_TITLE
    else:
        assert_problem(response, status, CODES[status])
        assert dataset.title_en != NEW_TITLE
        if status == 404:
            assert dataset.title_ko not in response.content.decode()


@pytest.mark.parametrize(("persona", "kind", "status"), ROWS)
def test_put_by_persona(client_for, datasets, persona, kind, status):
    dataset = datasets[kind]

    response = client_for(persona).put(detail_url(dataset.pk), _put_payload(dataset))

    dataset.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert response.json()["title_en"] == NEW_TITLE
        assert dataset.title_en == NEW_TITLE
    else:
        assert_problem(response, status, CODES[status])
        assert dataset.title_en != NEW_TITLE


def test_patch_changes_only_the_given_fields(client_for, datasets):
    dataset = datasets["members"]
    before = Dataset.objects.get(pk=dataset.pk)

    response = client_for("steward").patch(
        detail_url(dataset.slug), {"spatial": "창원 1공장", "keywords": ["유압", "유압", "프레스"]}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["spatial"] == "창원 1공장"
    assert body["keywords"] == ["유압", "프레스"]
    assert body["title_en"] == before.title_en
    assert body["description_ko"] == before.description_ko
    assert body["status"] == DatasetStatus.PUBLISHED
    assert datetime.fromisoformat(body["modified_at"]) > before.modified_at


def test_put_replaces_the_metadata(client_for, datasets):
    dataset = datasets["draft"]

    response = client_for("steward").put(
        detail_url(dataset.pk),
        _put_payload(dataset, theme="energy", license="CC0-1.0", formats=["parquet"]),
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["theme"], body["license"], body["formats"]) == ("energy", "CC0-1.0", ["parquet"])
    assert body["status"] == DatasetStatus.DRAFT


@pytest.mark.parametrize("missing", ["division", "theme", "license"])
def test_put_without_a_required_field_is_400(client_for, datasets, missing):
    dataset = datasets["draft"]

    response = client_for("steward").put(
        detail_url(dataset.pk), _put_payload(dataset, **{missing: None})
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {missing}


@pytest.mark.parametrize("method", ["patch", "put"])
def test_search_reflects_the_new_title(client_for, datasets, method):
    dataset = datasets["public"]
    client = client_for("steward")
    assert client.get(LIST_URL, {"q": "machining"}).json()["count"] == 3
    assert client.get(LIST_URL, {"q": "hydraulic"}).json()["count"] == 0

    if method == "patch":
        response = client.patch(
            detail_url(dataset.pk), {"title_en": NEW_TITLE, "title_ko": "유압 프레스 원격측정"}
        )
    else:
        response = client.put(
            detail_url(dataset.pk), _put_payload(dataset, title_ko="유압 프레스 원격측정")
        )
    assert response.status_code == 200

    anonymous = client_for("anonymous")
    for query in ("hydraulic", "Hydraulic press", "telem", "유압", "원격측정"):
        found = anonymous.get(LIST_URL, {"q": query}).json()["results"]
        assert [d["id"] for d in found] == [str(dataset.pk)], query
    machining = {d["id"] for d in client.get(LIST_URL, {"q": "machining"}).json()["results"]}
    assert machining == {str(datasets["draft"].pk), str(datasets["members"].pk)}


def test_search_reflects_new_keywords(client_for, datasets):
    dataset = datasets["public"]
    anonymous = client_for("anonymous")
    assert anonymous.get(LIST_URL, {"q": "윤활유"}).json()["count"] == 0

    response = client_for("steward").patch(detail_url(dataset.pk), {"keywords": ["윤활유"]})

    assert response.status_code == 200
    found = anonymous.get(LIST_URL, {"q": "윤활유"}).json()["results"]
    assert [d["id"] for d in found] == [str(dataset.pk)]


@pytest.mark.parametrize("method", ["patch", "put"])
def test_changing_the_publisher_is_forbidden(client_for, datasets, world, method):
    dataset = datasets["members"]
    client = client_for("steward")

    if method == "patch":
        response = client.patch(detail_url(dataset.pk), {"publisher": "other"})
    else:
        response = client.put(detail_url(dataset.pk), _put_payload(dataset, publisher="other"))

    assert_problem(response, 403, "permission_denied")
    dataset.refresh_from_db()
    assert dataset.publisher == world.acme
    assert dataset.title_en != NEW_TITLE


def test_naming_the_same_publisher_is_fine(client_for, datasets, world):
    dataset = datasets["members"]

    response = client_for("steward").patch(
        detail_url(dataset.pk), {"publisher": "acme", "title_en": NEW_TITLE}
    )

    assert response.status_code == 200
    assert response.json()["publisher"]["slug"] == "acme"


def test_status_cannot_be_changed_through_patch(client_for, datasets):
    dataset = datasets["draft"]

    response = client_for("steward").patch(
        detail_url(dataset.pk), {"status": "published", "published_at": "2020-01-01T00:00:00Z"}
    )

    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("status", "unknown_field"), ("published_at", "unknown_field")}
    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.DRAFT
    assert dataset.published_at is None


@pytest.mark.parametrize("method", ["patch", "put"])
def test_withdrawn_dataset_cannot_be_changed(client_for, world, method):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.WITHDRAWN)
    client = client_for("steward")

    if method == "patch":
        response = client.patch(detail_url(dataset.pk), {"title_en": NEW_TITLE})
    else:
        response = client.put(detail_url(dataset.pk), _put_payload(dataset))

    body = assert_problem(response, 409, "dataset_withdrawn")
    assert body["current_status"] == DatasetStatus.WITHDRAWN
    dataset.refresh_from_db()
    assert dataset.title_en != NEW_TITLE


def test_withdrawn_dataset_of_acme_is_404_for_outsiders(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.WITHDRAWN)

    response = client_for("outsider_steward").patch(detail_url(dataset.pk), {"title_en": "x"})

    assert_problem(response, 404, "not_found")


def test_removing_both_titles_is_400(client_for, datasets):
    response = client_for("steward").patch(
        detail_url(datasets["draft"].pk), {"title_ko": "", "title_en": ""}
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"title_ko"}


def test_removing_one_title_keeps_the_other(client_for, datasets):
    response = client_for("steward").patch(detail_url(datasets["draft"].pk), {"title_en": ""})

    assert response.status_code == 200
    assert response.json()["title_en"] == ""
    assert response.json()["title_ko"] == datasets["draft"].title_ko


def test_temporal_end_before_the_stored_start_is_400(client_for, world):
    dataset = DatasetFactory.create(
        publisher=world.acme,
        temporal_start="2025-06-01",
        temporal_end="2025-06-30",
    )

    response = client_for("steward").patch(detail_url(dataset.pk), {"temporal_end": "2025-05-31"})

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"temporal_end"}


def test_slug_taken_by_another_dataset_is_400(client_for, datasets, world):
    DatasetFactory.create(publisher=world.other, slug="taken-slug")

    response = client_for("steward").patch(detail_url(datasets["draft"].pk), {"slug": "taken-slug"})

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"slug"}


def test_new_slug_becomes_the_lookup_key(client_for, datasets):
    dataset = datasets["public"]

    response = client_for("steward").patch(detail_url(dataset.slug), {"slug": "renamed-slug"})

    assert response.status_code == 200
    anonymous = client_for("anonymous")
    assert anonymous.get(detail_url("renamed-slug")).json()["id"] == str(dataset.pk)
    assert_problem(anonymous.get(detail_url(dataset.slug)), 404, "not_found")


def test_unknown_dataset_is_404(client_for, world):
    response = client_for("steward").patch(
        detail_url("01890000-0000-7000-8000-000000000000"), {"title_en": "x"}
    )

    assert_problem(response, 404, "not_found")
