"""Versions of a dataset: /api/v1/datasets/{id or slug}/versions/.

Draft versions: the publisher's members (and the secretariat) only. Published versions are
immutable, and publishing one is a change to the dataset.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from datasets.models import (
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    Sensitivity,
    VersionStatus,
)
from tests.datasets.helpers import (
    assert_problem,
    detail_url,
    distributions_url,
    error_fields,
    make_publishable,
    version_url,
    versions_url,
)
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory

pytestmark = pytest.mark.django_db


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@pytest.fixture
def public(world) -> Dataset:
    """acme's public, published dataset with a published 1.0.0 and a draft 1.1.0."""
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    DatasetVersionFactory.create(
        dataset=dataset,
        version="1.0.0",
        status=VersionStatus.PUBLISHED,
        published_at=timezone.now() - timedelta(days=30),
    )
    DatasetVersionFactory.create(dataset=dataset, version="1.1.0", status=VersionStatus.DRAFT)
    return dataset


def _version(dataset: Dataset, version: str) -> DatasetVersion:
    return DatasetVersion.objects.get(dataset=dataset, version=version)


# --- reading ----------------------------------------------------------------------------------

SEES_DRAFT_VERSIONS = {
    "anonymous": False,
    "member": True,
    "steward": True,
    "org_admin": True,
    "outsider_member": False,
    "outsider_steward": False,
    "division_lead": False,
    "secretariat": True,
}


@pytest.mark.parametrize(("persona", "sees_drafts"), SEES_DRAFT_VERSIONS.items())
def test_list_hides_draft_versions_from_other_organisations(
    client_for, public, persona, sees_drafts
):
    response = client_for(persona).get(versions_url(public.pk))

    assert response.status_code == 200
    versions = [v["version"] for v in response.json()["results"]]
    assert versions == (["1.1.0", "1.0.0"] if sees_drafts else ["1.0.0"])
    assert response.json()["count"] == len(versions)
    if not sees_drafts:
        assert str(_version(public, "1.1.0").pk) not in response.content.decode()


@pytest.mark.parametrize(("persona", "sees_drafts"), SEES_DRAFT_VERSIONS.items())
def test_detail_of_a_draft_version_is_404_for_other_organisations(
    client_for, public, persona, sees_drafts
):
    draft = _version(public, "1.1.0")
    published = _version(public, "1.0.0")
    client = client_for(persona)

    response = client.get(version_url(public.pk, draft.pk))
    if sees_drafts:
        assert response.status_code == 200
        assert response.json()["status"] == VersionStatus.DRAFT
    else:
        assert_problem(response, 404, "not_found")
    assert client.get(version_url(public.slug, published.pk)).json()["version"] == "1.0.0"


INVISIBLE_DATASET = [
    ("anonymous", "members"),
    ("anonymous", "draft"),
    ("outsider_member", "draft"),
    ("outsider_steward", "draft"),
    ("division_lead", "draft"),
    ("outsider_member", "withdrawn"),
]


@pytest.mark.parametrize(("persona", "kind"), INVISIBLE_DATASET)
def test_versions_of_an_invisible_dataset_are_404(client_for, world, persona, kind):
    dataset = {
        "members": lambda: DatasetFactory.create(publisher=world.acme),
        "draft": lambda: DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT),
        "withdrawn": lambda: DatasetFactory.create(
            publisher=world.acme, status=DatasetStatus.WITHDRAWN
        ),
    }[kind]()
    version = DatasetVersionFactory.create(dataset=dataset, status=VersionStatus.PUBLISHED)
    client = client_for(persona)

    for url in (
        versions_url(dataset.pk),
        versions_url(dataset.slug),
        version_url(dataset.pk, version.pk),
        reverse("version-publish", kwargs={"dataset": dataset.pk, "pk": version.pk}),
    ):
        response = client.get(url) if not url.endswith("publish/") else client.post(url)
        assert_problem(response, 404, "not_found")
        assert dataset.title_ko not in response.content.decode()
    response = client.post(versions_url(dataset.pk), {"version": "9.9.9"})
    assert_problem(response, 404, "not_found")


def test_version_of_another_dataset_is_404(client_for, public, world):
    elsewhere = DatasetVersionFactory.create(
        dataset=DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    )

    response = client_for("steward").get(version_url(public.pk, elsewhere.pk))

    assert_problem(response, 404, "not_found")


# --- creating ---------------------------------------------------------------------------------

CREATE_BY_PERSONA = {
    "anonymous": 401,
    "member": 403,
    "steward": 201,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "status"), CREATE_BY_PERSONA.items())
def test_create_by_persona(client_for, public, persona, status):
    response = client_for(persona).post(
        versions_url(public.pk), {"version": "2.0.0", "release_notes": "New sensors."}
    )

    if status == 201:
        assert response.status_code == 201
        body = response.json()
        assert body["version"] == "2.0.0"
        assert body["status"] == VersionStatus.DRAFT
        assert body["dataset"] == str(public.pk)
        assert body["published_at"] is None
    else:
        assert_problem(response, status, CODES[status])
        assert not DatasetVersion.objects.filter(version="2.0.0").exists()


def test_steward_adds_a_version_to_a_draft_dataset(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    response = client_for("steward").post(
        versions_url(dataset.slug),
        {"version": "2025-10", "record_count": 1200, "byte_size": 4096},
    )

    assert response.status_code == 201
    assert (response.json()["record_count"], response.json()["byte_size"]) == (1200, 4096)


def test_duplicate_version_string_is_409(client_for, public):
    response = client_for("steward").post(versions_url(public.pk), {"version": "1.0.0"})

    assert_problem(response, 409, "version_exists")
    assert public.versions.filter(version="1.0.0").count() == 1


def test_the_same_version_string_in_another_dataset_is_fine(client_for, public, world):
    other = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    response = client_for("steward").post(versions_url(other.pk), {"version": "1.0.0"})

    assert response.status_code == 201


@pytest.mark.parametrize("version", ["", "1.0 beta", "-1", ".1", "1/2", "v1:2", "버전1", "1" * 41])
def test_invalid_version_string_is_400(client_for, public, version):
    response = client_for("steward").post(versions_url(public.pk), {"version": version})

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"version"}


@pytest.mark.parametrize("version", ["1.0.0", "2025-10", "1.0.0+build.7", "v2_rc1", "A"])
def test_valid_version_strings(client_for, world, version):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    response = client_for("steward").post(versions_url(dataset.pk), {"version": version})

    assert response.status_code == 201
    assert response.json()["version"] == version


@pytest.mark.parametrize(("field", "value"), [("record_count", -1), ("byte_size", -5)])
def test_negative_sizes_are_400(client_for, public, field, value):
    response = client_for("steward").post(
        versions_url(public.pk), {"version": "2.0.0", field: value}
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {field}


def test_no_version_on_a_withdrawn_dataset(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.WITHDRAWN)

    response = client_for("steward").post(versions_url(dataset.pk), {"version": "2.0.0"})

    body = assert_problem(response, 409, "dataset_withdrawn")
    assert body["current_status"] == DatasetStatus.WITHDRAWN
    assert not dataset.versions.exists()


# --- changing drafts --------------------------------------------------------------------------

WRITE_BY_PERSONA = {
    "anonymous": 404,  # the draft version is invisible to anonymous callers
    "member": 403,
    "steward": 200,
    "org_admin": 403,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "status"), WRITE_BY_PERSONA.items())
def test_patch_draft_version_by_persona(client_for, public, persona, status):
    draft = _version(public, "1.1.0")

    response = client_for(persona).patch(
        version_url(public.pk, draft.pk), {"release_notes": "Fixed units."}
    )

    draft.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert response.json()["release_notes"] == "Fixed units."
    else:
        assert_problem(response, status, CODES[status])
    assert draft.release_notes == ("Fixed units." if status == 200 else "")


@pytest.mark.parametrize(("persona", "status"), WRITE_BY_PERSONA.items())
def test_delete_draft_version_by_persona(client_for, public, persona, status):
    draft = _version(public, "1.1.0")

    response = client_for(persona).delete(version_url(public.pk, draft.pk))

    if status == 200:
        assert response.status_code == 204
        assert not DatasetVersion.objects.filter(pk=draft.pk).exists()
    else:
        assert_problem(response, status, CODES[status])
        assert DatasetVersion.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize(("persona", "status"), WRITE_BY_PERSONA.items())
def test_publish_version_by_persona(client_for, public, persona, status):
    draft = _version(public, "1.1.0")
    make_publishable(draft)

    response = client_for(persona).post(
        reverse("version-publish", kwargs={"dataset": public.pk, "pk": draft.pk})
    )

    draft.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert draft.status == VersionStatus.PUBLISHED
    else:
        assert_problem(response, status, CODES[status])
        assert draft.status == VersionStatus.DRAFT


@pytest.mark.parametrize("persona", ["anonymous", "outsider_member", "division_lead"])
def test_non_stewards_cannot_write_published_versions_they_can_see(client_for, public, persona):
    published = _version(public, "1.0.0")
    client = client_for(persona)
    expected = 401 if persona == "anonymous" else 403

    for response in (
        client.patch(version_url(public.pk, published.pk), {"release_notes": "x"}),
        client.delete(version_url(public.pk, published.pk)),
        client.post(reverse("version-publish", kwargs={"dataset": public.pk, "pk": published.pk})),
    ):
        assert_problem(response, expected, CODES[expected])
    published.refresh_from_db()
    assert published.release_notes == ""


def test_draft_version_string_can_change(client_for, public):
    draft = _version(public, "1.1.0")

    response = client_for("steward").patch(version_url(public.pk, draft.pk), {"version": "1.2.0"})

    assert response.status_code == 200
    assert response.json()["version"] == "1.2.0"


def test_draft_version_cannot_take_an_existing_version_string(client_for, public):
    draft = _version(public, "1.1.0")

    response = client_for("steward").patch(version_url(public.pk, draft.pk), {"version": "1.0.0"})

    # Either a field error from full_clean() or a 409 like version_create: any problem, no 500.
    assert response.status_code in (400, 409)
    assert response["Content-Type"] == "application/problem+json"
    draft.refresh_from_db()
    assert draft.version == "1.1.0"


def test_deleting_a_draft_version_deletes_its_distributions(client_for, public):
    draft = _version(public, "1.1.0")
    distribution = DistributionFactory.create(version=draft)

    response = client_for("steward").delete(version_url(public.pk, draft.pk))

    assert response.status_code == 204
    assert not Distribution.objects.filter(pk=distribution.pk).exists()


def test_deleting_a_draft_version_deletes_its_uploaded_files(
    client_for, public, django_capture_on_commit_callbacks
):
    draft = _version(public, "1.1.0")
    client = client_for("steward")
    created = client.post(
        distributions_url(public.pk, draft.pk),
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
        response = client.delete(version_url(public.pk, draft.pk))

    assert response.status_code == 204
    assert not default_storage.exists(name)
    assert not Distribution.objects.filter(version_id=draft.pk).exists()


def test_draft_version_of_a_withdrawn_dataset_cannot_be_changed(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.WITHDRAWN)
    draft = DatasetVersionFactory.create(dataset=dataset, status=VersionStatus.DRAFT)

    response = client_for("steward").patch(
        version_url(dataset.pk, draft.pk), {"release_notes": "after withdrawal"}
    )

    assert_problem(response, 409, "dataset_withdrawn")


def test_draft_version_of_a_withdrawn_dataset_cannot_be_published(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.WITHDRAWN)
    draft = DatasetVersionFactory.create(dataset=dataset, status=VersionStatus.DRAFT)

    response = client_for("steward").post(
        reverse("version-publish", kwargs={"dataset": dataset.pk, "pk": draft.pk})
    )

    assert_problem(response, 409, "dataset_withdrawn")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


# --- publishing -------------------------------------------------------------------------------


def test_publishing_makes_the_version_visible_to_other_organisations(client_for, public):
    draft = _version(public, "1.1.0")
    make_publishable(draft)
    outsider = client_for("outsider_member")
    assert_problem(outsider.get(version_url(public.pk, draft.pk)), 404, "not_found")

    response = client_for("steward").post(
        reverse("version-publish", kwargs={"dataset": public.pk, "pk": draft.pk})
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == VersionStatus.PUBLISHED
    assert body["published_at"] is not None
    assert outsider.get(version_url(public.pk, draft.pk)).json()["status"] == "published"
    listed = client_for("anonymous").get(versions_url(public.pk)).json()["results"]
    assert [v["version"] for v in listed] == ["1.1.0", "1.0.0"]


def test_published_version_is_immutable(client_for, public):
    published = _version(public, "1.0.0")
    client = client_for("steward")

    body = assert_problem(
        client.patch(version_url(public.pk, published.pk), {"release_notes": "rewrite"}),
        409,
        "version_immutable",
    )
    assert body["current_status"] == VersionStatus.PUBLISHED
    body = assert_problem(
        client.delete(version_url(public.pk, published.pk)), 409, "version_immutable"
    )
    assert body["current_status"] == VersionStatus.PUBLISHED
    published.refresh_from_db()
    assert published.release_notes == ""


def test_publishing_twice_is_409(client_for, public):
    draft = _version(public, "1.1.0")
    make_publishable(draft)
    client = client_for("steward")
    url = reverse("version-publish", kwargs={"dataset": public.pk, "pk": draft.pk})
    first = client.post(url)
    assert first.status_code == 200

    body = assert_problem(client.post(url), 409, "invalid_transition")

    assert body["current_status"] == VersionStatus.PUBLISHED
    assert (
        client.get(version_url(public.pk, draft.pk)).json()["published_at"]
        == (first.json()["published_at"])
    )


def test_publishing_a_version_bumps_the_dataset_and_its_latest_version(client_for, public):
    client = client_for("steward")
    before = client.get(detail_url(public.pk)).json()
    assert before["latest_version"] == "1.0.0"
    draft = _version(public, "1.1.0")
    make_publishable(draft)

    published = client.post(
        reverse("version-publish", kwargs={"dataset": public.pk, "pk": draft.pk})
    ).json()

    after = client_for("anonymous").get(detail_url(public.pk)).json()
    assert after["latest_version"] == "1.1.0"
    assert after["modified_at"] == published["published_at"]
    assert _at(after["modified_at"]) > _at(before["modified_at"])
    listed = client_for("anonymous").get(reverse("dataset-list")).json()["results"]
    assert [(d["id"], d["latest_version"]) for d in listed] == [(str(public.pk), "1.1.0")]


def test_a_new_draft_does_not_change_latest_version(client_for, public):
    client = client_for("steward")

    assert client.post(versions_url(public.pk), {"version": "3.0.0"}).status_code == 201

    assert client.get(detail_url(public.pk)).json()["latest_version"] == "1.0.0"


def test_dataset_without_published_versions_has_no_latest_version(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    DatasetVersionFactory.create(dataset=dataset, status=VersionStatus.DRAFT)

    assert client_for("anonymous").get(detail_url(dataset.pk)).json()["latest_version"] is None
    assert client_for("steward").get(detail_url(dataset.pk)).json()["latest_version"] is None


def test_publishing_a_version_shows_up_for_modified_after_harvesters(client_for, public):
    client = client_for("anonymous")
    since = timezone.now().isoformat()
    assert client.get(reverse("dataset-list"), {"modified_after": since}).json()["count"] == 0
    draft = _version(public, "1.1.0")
    make_publishable(draft)

    client_for("steward").post(
        reverse("version-publish", kwargs={"dataset": public.pk, "pk": draft.pk})
    )

    fresh = client.get(reverse("dataset-list"), {"modified_after": since}).json()
    assert [d["id"] for d in fresh["results"]] == [str(public.pk)]
