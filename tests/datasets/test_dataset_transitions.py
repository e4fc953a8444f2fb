"""Dataset life cycle: publish, deprecate, withdraw and delete.

draft -> published <-> deprecated; published/deprecated -> withdrawn (final). Only drafts can be
deleted. Only the publisher's data stewards may move a dataset.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datasets.models import Dataset, DatasetStatus, Distribution, Sensitivity
from tests.datasets.helpers import (
    LIST_URL,
    assert_problem,
    dataset_payload,
    detail_url,
    distributions_url,
    versions_url,
)
from tests.factories import DatasetFactory, DatasetVersionFactory, release

pytestmark = pytest.mark.django_db


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


ACTIONS = ("publish", "deprecate", "withdraw")
STATUSES = (
    DatasetStatus.DRAFT,
    DatasetStatus.PUBLISHED,
    DatasetStatus.DEPRECATED,
    DatasetStatus.WITHDRAWN,
)
# (current status, action) -> the status it moves to, or None when the move is refused (409).
TRANSITIONS = {
    (DatasetStatus.DRAFT, "publish"): DatasetStatus.PUBLISHED,
    (DatasetStatus.DRAFT, "deprecate"): None,
    (DatasetStatus.DRAFT, "withdraw"): None,
    (DatasetStatus.PUBLISHED, "publish"): None,
    (DatasetStatus.PUBLISHED, "deprecate"): DatasetStatus.DEPRECATED,
    (DatasetStatus.PUBLISHED, "withdraw"): DatasetStatus.WITHDRAWN,
    (DatasetStatus.DEPRECATED, "publish"): DatasetStatus.PUBLISHED,
    (DatasetStatus.DEPRECATED, "deprecate"): None,
    (DatasetStatus.DEPRECATED, "withdraw"): DatasetStatus.WITHDRAWN,
    (DatasetStatus.WITHDRAWN, "publish"): None,
    (DatasetStatus.WITHDRAWN, "deprecate"): None,
    (DatasetStatus.WITHDRAWN, "withdraw"): None,
}
ALLOWED_FROM = {
    "publish": [DatasetStatus.DRAFT, DatasetStatus.DEPRECATED],
    "deprecate": [DatasetStatus.PUBLISHED],
    "withdraw": [DatasetStatus.PUBLISHED, DatasetStatus.DEPRECATED],
}


def action_url(dataset: Dataset, action: str) -> str:
    return reverse(f"dataset-{action}", kwargs={"dataset": dataset.pk})


def test_the_table_covers_every_status_and_action():
    assert set(TRANSITIONS) == {(status, action) for status in STATUSES for action in ACTIONS}


@pytest.mark.parametrize(("current", "action"), list(TRANSITIONS))
def test_transition_table(client_for, world, current, action):
    dataset = DatasetFactory.create(publisher=world.acme, status=current)
    release(dataset)
    target = TRANSITIONS[(current, action)]

    response = client_for("steward").post(action_url(dataset, action))

    dataset.refresh_from_db()
    if target is None:
        body = assert_problem(response, 409, "invalid_transition")
        assert body["current_status"] == current
        assert body["allowed_from"] == ALLOWED_FROM[action]
        assert dataset.status == current
    else:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target
        assert dataset.status == target


# persona -> expected status for publishing acme's draft and deprecating acme's public dataset.
TRANSITION_BY_PERSONA = {
    "anonymous": (404, 401),
    "member": (403, 403),
    "steward": (200, 200),
    "org_admin": (403, 403),
    "outsider_member": (404, 403),
    "outsider_steward": (404, 403),
    "division_lead": (404, 403),
    "secretariat": (403, 403),
}
CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@pytest.mark.parametrize(("persona", "expected"), TRANSITION_BY_PERSONA.items())
def test_only_the_steward_publishes_a_draft(client_for, world, persona, expected):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    release(dataset)

    response = client_for(persona).post(action_url(dataset, "publish"))

    dataset.refresh_from_db()
    if expected[0] == 200:
        assert response.status_code == 200
        assert dataset.status == DatasetStatus.PUBLISHED
    else:
        assert_problem(response, expected[0], CODES[expected[0]])
        assert dataset.status == DatasetStatus.DRAFT
        assert dataset.title_ko not in response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), TRANSITION_BY_PERSONA.items())
@pytest.mark.parametrize("action", ["deprecate", "withdraw"])
def test_only_the_steward_deprecates_or_withdraws(client_for, world, persona, expected, action):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)

    response = client_for(persona).post(action_url(dataset, action))

    dataset.refresh_from_db()
    if expected[1] == 200:
        assert response.status_code == 200
        assert dataset.status == TRANSITIONS[(DatasetStatus.PUBLISHED, action)]
    else:
        assert_problem(response, expected[1], CODES[expected[1]])
        assert dataset.status == DatasetStatus.PUBLISHED


def test_publish_names_every_missing_field_by_its_api_name(client_for):
    client = client_for("steward")
    created = client.post(
        LIST_URL,
        dataset_payload(description_ko=None, description_en=None, contact_email=None),
    ).json()
    dataset = Dataset.objects.get(pk=created["id"])

    body = assert_problem(client.post(action_url(dataset, "publish")), 409, "dataset_incomplete")
    assert [(m["field"], m["code"]) for m in body["missing"]] == [
        ("description_ko", "required"),
        ("contact_email", "required"),
        ("version", "no_published_version"),
    ]
    assert all(m["detail"] for m in body["missing"])

    client.patch(detail_url(dataset.pk), {"description_en": "Press die vibration."})
    client.patch(detail_url(dataset.pk), {"contact_email": "data@acme.example.kr"})
    body = assert_problem(client.post(action_url(dataset, "publish")), 409, "dataset_incomplete")
    assert [m["field"] for m in body["missing"]] == ["version"]

    release(dataset)
    response = client.post(action_url(dataset, "publish"))
    assert response.status_code == 200
    assert response.json()["status"] == DatasetStatus.PUBLISHED


def test_a_version_without_a_file_or_url_does_not_count(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    DatasetVersionFactory.create(dataset=dataset, version="1.0.0")  # published, but empty

    body = assert_problem(
        client_for("steward").post(action_url(dataset, "publish")), 409, "dataset_incomplete"
    )
    assert [m["code"] for m in body["missing"]] == ["no_published_version"]


def test_a_korean_description_is_enough_to_publish(client_for, world):
    dataset = DatasetFactory.create(
        publisher=world.acme, status=DatasetStatus.DRAFT, description_en="", contact_email=""
    )
    release(dataset)
    client = client_for("steward")

    body = assert_problem(client.post(action_url(dataset, "publish")), 409, "dataset_incomplete")
    assert [m["field"] for m in body["missing"]] == ["contact_email"]


def test_published_at_is_set_on_first_publish_and_kept_afterwards(client_for):
    client = client_for("steward")
    created = client.post(LIST_URL, dataset_payload()).json()
    assert created["published_at"] is None
    dataset = Dataset.objects.get(pk=created["id"])
    release(dataset)

    first = client.post(action_url(dataset, "publish")).json()
    assert first["published_at"] is not None
    assert first["modified_at"] == first["published_at"]
    assert _at(first["modified_at"]) > _at(created["modified_at"])

    deprecated = client.post(action_url(dataset, "deprecate")).json()
    assert deprecated["status"] == DatasetStatus.DEPRECATED
    assert deprecated["published_at"] == first["published_at"]
    assert _at(deprecated["modified_at"]) > _at(first["modified_at"])

    again = client.post(action_url(dataset, "publish")).json()
    assert again["status"] == DatasetStatus.PUBLISHED
    assert again["published_at"] == first["published_at"]
    assert _at(again["modified_at"]) > _at(deprecated["modified_at"])


def test_publishing_makes_the_dataset_visible_to_other_organisations(client_for):
    client = client_for("steward")
    created = client.post(LIST_URL, dataset_payload()).json()
    outsider = client_for("outsider_member")
    assert_problem(outsider.get(detail_url(created["id"])), 404, "not_found")
    assert outsider.get(LIST_URL).json()["count"] == 0
    release(Dataset.objects.get(pk=created["id"]))

    client.post(reverse("dataset-publish", kwargs={"dataset": created["id"]}))

    assert outsider.get(detail_url(created["id"])).status_code == 200
    assert [d["id"] for d in outsider.get(LIST_URL).json()["results"]] == [created["id"]]


def test_withdrawing_hides_the_dataset_from_other_organisations(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme)
    outsider = client_for("outsider_member")
    assert outsider.get(detail_url(dataset.pk)).status_code == 200

    assert client_for("steward").post(action_url(dataset, "withdraw")).status_code == 200

    assert_problem(outsider.get(detail_url(dataset.pk)), 404, "not_found")
    assert outsider.get(LIST_URL).json()["count"] == 0
    assert client_for("member").get(detail_url(dataset.pk)).json()["status"] == "withdrawn"


def test_transition_by_slug(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    release(dataset)

    response = client_for("steward").post(
        reverse("dataset-publish", kwargs={"dataset": dataset.slug})
    )

    assert response.status_code == 200
    assert response.json()["id"] == str(dataset.pk)


@pytest.mark.parametrize("action", ACTIONS)
def test_transitions_accept_only_post(client_for, world, action):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    response = client_for("steward").get(action_url(dataset, action))

    body = assert_problem(response, 405, "method_not_allowed")
    assert body["method"] == "GET"


# --- delete -----------------------------------------------------------------------------------


@pytest.mark.parametrize("current", STATUSES)
def test_only_drafts_can_be_deleted(client_for, world, current):
    dataset = DatasetFactory.create(publisher=world.acme, status=current)

    response = client_for("steward").delete(detail_url(dataset.pk))

    if current == DatasetStatus.DRAFT:
        assert response.status_code == 204
        assert response.content == b""
        assert not Dataset.objects.filter(pk=dataset.pk).exists()
    else:
        body = assert_problem(response, 409, "dataset_not_draft")
        assert body["current_status"] == current
        assert Dataset.objects.filter(pk=dataset.pk).exists()


DELETE_BY_PERSONA = {
    "anonymous": 404,
    "member": 403,
    "steward": 204,
    "org_admin": 403,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "status"), DELETE_BY_PERSONA.items())
def test_delete_draft_by_persona(client_for, world, persona, status):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    response = client_for(persona).delete(detail_url(dataset.pk))

    if status == 204:
        assert response.status_code == 204
        assert not Dataset.objects.filter(pk=dataset.pk).exists()
    else:
        assert_problem(response, status, CODES[status])
        assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_deleted_draft_is_gone(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    client = client_for("steward")

    assert client.delete(detail_url(dataset.slug)).status_code == 204

    assert_problem(client.get(detail_url(dataset.pk)), 404, "not_found")
    assert_problem(client.delete(detail_url(dataset.pk)), 404, "not_found")


def test_deleting_a_draft_removes_its_uploaded_files(
    client_for, world, django_capture_on_commit_callbacks
):
    client = client_for("steward")
    dataset_id = client.post(LIST_URL, dataset_payload()).json()["id"]
    version_id = client.post(versions_url(dataset_id), {"version": "1.0.0"}).json()["id"]
    created = client.post(
        distributions_url(dataset_id, version_id),
        {
            "format": "csv",
            "media_type": "text/csv",
            "file": SimpleUploadedFile("readings.csv", b"t,v\n0,1\n", content_type="text/csv"),
        },
        format="multipart",
    )
    assert created.status_code == 201
    name = Distribution.objects.get(pk=created.json()["id"]).file.name
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(detail_url(dataset_id))

    assert response.status_code == 204
    assert not default_storage.exists(name)
