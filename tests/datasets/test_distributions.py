"""Distributions: .../versions/{version}/distributions/, uploads and downloads."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
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
    distribution_url,
    distributions_url,
    error_fields,
    make_publishable,
)
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory

pytestmark = pytest.mark.django_db

CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
CSV = "t,spindle_rpm,vibration_g\n0,12000,0.031\n1,12010,0.029\n한글,0,0\n".encode()
URL_PAYLOAD = {
    "title": "S3 bucket",
    "format": "parquet",
    "media_type": "application/vnd.apache.parquet",
    "access_url": "https://data.acme.example.kr/press/2025.parquet",
}


def _upload(name: str = "readings.csv", content: bytes = CSV) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _file_payload(**overrides):
    return {"format": "csv", "media_type": "text/csv", "file": _upload(), **overrides}


def _draft_version(dataset: Dataset) -> DatasetVersion:
    return DatasetVersionFactory.create(
        dataset=dataset, version="2.0.0", status=VersionStatus.DRAFT
    )


def _published_version(dataset: Dataset) -> DatasetVersion:
    return DatasetVersionFactory.create(
        dataset=dataset,
        version="1.0.0",
        status=VersionStatus.PUBLISHED,
        published_at=timezone.now() - timedelta(days=1),
    )


def _stored_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.fixture
def public(world) -> Dataset:
    return DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)


@pytest.fixture
def draft_version(public) -> DatasetVersion:
    return _draft_version(public)


def _publish_with_file(client_for, dataset: Dataset, content: bytes = CSV) -> Distribution:
    """Upload a file to a new draft version as the steward, then publish the version."""
    version = _draft_version(dataset)
    steward = client_for("steward")
    created = steward.post(
        distributions_url(dataset.pk, version.pk),
        _file_payload(file=_upload(content=content)),
        format="multipart",
    )
    assert created.status_code == 201, created.content
    make_publishable(version)
    assert (
        steward.post(
            reverse("version-publish", kwargs={"dataset": dataset.pk, "pk": version.pk})
        ).status_code
        == 200
    )
    return Distribution.objects.get(pk=created.json()["id"])


def _download(client, distribution: Distribution):
    version = distribution.version
    return client.get(
        reverse(
            "distribution-download",
            kwargs={"dataset": version.dataset_id, "version": version.pk, "pk": distribution.pk},
        )
    )


def _content(response) -> bytes:
    # Consuming the stream closes the file (the test client wraps it like a WSGI server would).
    return b"".join(response.streaming_content)


# --- creating ---------------------------------------------------------------------------------

CREATE_BY_PERSONA = {
    "anonymous": 404,  # draft versions are invisible outside the publisher
    "member": 403,
    "steward": 201,
    "org_admin": 403,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "status"), CREATE_BY_PERSONA.items())
def test_create_with_access_url_by_persona(client_for, public, draft_version, persona, status):
    response = client_for(persona).post(distributions_url(public.pk, draft_version.pk), URL_PAYLOAD)

    if status == 201:
        assert response.status_code == 201
        body = response.json()
        assert body["version"] == str(draft_version.pk)
        assert body["access_url"] == URL_PAYLOAD["access_url"]
        assert body["has_file"] is False
        assert body["sha256"] == ""
        assert body["byte_size"] is None
        assert "file" not in body
    else:
        assert_problem(response, status, CODES[status])
        assert not Distribution.objects.exists()


def test_create_with_neither_file_nor_access_url_is_400(client_for, public, draft_version):
    response = client_for("steward").post(
        distributions_url(public.pk, draft_version.pk),
        {"format": "csv", "media_type": "text/csv"},
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"access_url"}
    assert not Distribution.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"format": "docx"}, "format"),
        ({"access_url": "not a url"}, "access_url"),
        ({"sha256": "ABC"}, "sha256"),
        ({"byte_size": -1}, "byte_size"),
    ],
)
def test_invalid_fields_are_400(client_for, public, draft_version, overrides, field):
    payload = {k: v for k, v in {**URL_PAYLOAD, **overrides}.items() if v is not None}

    response = client_for("steward").post(distributions_url(public.pk, draft_version.pk), payload)

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {field}


def test_upload_computes_sha256_and_byte_size(client_for, public, draft_version):
    response = client_for("steward").post(
        distributions_url(public.pk, draft_version.pk), _file_payload(), format="multipart"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["sha256"] == hashlib.sha256(CSV).hexdigest()
    assert body["byte_size"] == len(CSV)
    assert body["has_file"] is True
    assert body["access_url"] == ""
    distribution = Distribution.objects.get(pk=body["id"])
    assert distribution.file.name.endswith("/readings.csv")
    with default_storage.open(distribution.file.name, "rb") as stored:
        assert stored.read() == CSV


def test_upload_ignores_a_declared_byte_size(client_for, public, draft_version):
    response = client_for("steward").post(
        distributions_url(public.pk, draft_version.pk),
        _file_payload(byte_size=999_999),
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["byte_size"] == len(CSV)


def test_upload_with_the_right_declared_sha256(client_for, public, draft_version):
    digest = hashlib.sha256(CSV).hexdigest()

    response = client_for("steward").post(
        distributions_url(public.pk, draft_version.pk),
        _file_payload(sha256=digest),
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["sha256"] == digest


def test_upload_with_a_wrong_declared_sha256_is_409(client_for, public, draft_version):
    declared = hashlib.sha256(b"something else").hexdigest()

    response = client_for("steward").post(
        distributions_url(public.pk, draft_version.pk),
        _file_payload(sha256=declared),
        format="multipart",
    )

    body = assert_problem(response, 409, "checksum_mismatch")
    assert body["declared_sha256"] == declared
    assert body["actual_sha256"] == hashlib.sha256(CSV).hexdigest()
    assert not Distribution.objects.exists()
    assert _stored_files() == []


def test_empty_upload_is_400(client_for, public, draft_version):
    response = client_for("steward").post(
        distributions_url(public.pk, draft_version.pk),
        _file_payload(file=_upload(content=b"")),
        format="multipart",
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"file"}


def test_adding_to_a_published_version_is_409(client_for, public):
    version = _published_version(public)
    client = client_for("steward")

    for response in (
        client.post(distributions_url(public.pk, version.pk), URL_PAYLOAD),
        client.post(distributions_url(public.pk, version.pk), _file_payload(), format="multipart"),
    ):
        body = assert_problem(response, 409, "version_immutable")
        assert body["current_status"] == VersionStatus.PUBLISHED
    assert not Distribution.objects.exists()
    assert _stored_files() == []


@pytest.mark.parametrize("persona", ["outsider_steward", "member", "secretariat"])
def test_non_stewards_cannot_add_to_a_published_version(client_for, public, persona):
    version = _published_version(public)

    response = client_for(persona).post(distributions_url(public.pk, version.pk), URL_PAYLOAD)

    assert_problem(response, 403, "permission_denied")


def test_no_distribution_on_a_withdrawn_dataset(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.WITHDRAWN)
    version = _draft_version(dataset)

    response = client_for("steward").post(distributions_url(dataset.pk, version.pk), URL_PAYLOAD)

    assert_problem(response, 409, "dataset_withdrawn")


# --- reading, changing, deleting --------------------------------------------------------------


def test_list_and_detail(client_for, public):
    distribution = _publish_with_file(client_for, public)
    version = distribution.version
    anonymous = client_for("anonymous")

    listed = anonymous.get(distributions_url(public.pk, version.pk))
    assert listed.status_code == 200
    results = listed.json()["results"]
    # The checked file is listed to the publisher's stewards only; others see its preview.
    assert [(d["id"], d["role"]) for d in results] == [(str(distribution.pk), "data")]
    stewards = client_for("steward").get(distributions_url(public.pk, version.pk)).json()
    assert {d["role"] for d in stewards["results"]} == {"data", "sample"}
    detail = anonymous.get(distribution_url(public.slug, version.pk, distribution.pk))
    assert detail.status_code == 200
    assert detail.json()["sha256"] == hashlib.sha256(CSV).hexdigest()
    assert detail.json()["file_name"] == distribution.file_name
    assert detail.json()["download_url"].endswith(
        reverse(
            "distribution-download",
            kwargs={"dataset": public.pk, "version": version.pk, "pk": distribution.pk},
        )
    )
    assert "file" not in detail.json()
    assert distribution.file.name not in detail.content.decode()


@pytest.mark.parametrize("persona", ["anonymous", "outsider_member", "division_lead"])
def test_distributions_of_a_draft_version_are_404_for_outsiders(
    client_for, public, draft_version, persona
):
    distribution = DistributionFactory.create(version=draft_version)
    client = client_for(persona)

    assert_problem(client.get(distributions_url(public.pk, draft_version.pk)), 404, "not_found")
    response = client.get(distribution_url(public.pk, draft_version.pk, distribution.pk))
    assert_problem(response, 404, "not_found")
    assert_problem(_download(client, distribution), 404, "not_found")


def test_change_and_delete_on_a_draft_version(
    client_for, public, draft_version, django_capture_on_commit_callbacks
):
    client = client_for("steward")
    created = client.post(
        distributions_url(public.pk, draft_version.pk), _file_payload(), format="multipart"
    ).json()
    url = distribution_url(public.pk, draft_version.pk, created["id"])
    name = Distribution.objects.get(pk=created["id"]).file.name

    changed = client.patch(url, {"title": "Raw readings"})
    assert changed.status_code == 200
    assert changed.json()["title"] == "Raw readings"
    assert changed.json()["sha256"] == created["sha256"]

    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.delete(url)
    assert deleted.status_code == 204
    assert not Distribution.objects.filter(pk=created["id"]).exists()
    assert not default_storage.exists(name)


def test_distributions_of_a_published_version_are_immutable(client_for, public):
    distribution = _publish_with_file(client_for, public)
    version = distribution.version
    url = distribution_url(public.pk, version.pk, distribution.pk)
    client = client_for("steward")

    assert_problem(client.patch(url, {"title": "x"}), 409, "version_immutable")
    assert_problem(client.delete(url), 409, "version_immutable")
    assert Distribution.objects.filter(pk=distribution.pk).exists()
    assert default_storage.exists(distribution.file.name)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("outsider_steward", 403), ("anonymous", 401), ("secretariat", 403)],
)
def test_non_stewards_cannot_change_or_delete(client_for, public, persona, status):
    version = _published_version(public)
    distribution = DistributionFactory.create(version=version)
    url = distribution_url(public.pk, version.pk, distribution.pk)
    client = client_for(persona)

    assert_problem(client.patch(url, {"title": "x"}), status, CODES[status])
    assert_problem(client.delete(url), status, CODES[status])
    assert Distribution.objects.filter(pk=distribution.pk).exists()


# --- downloading ------------------------------------------------------------------------------


def test_public_published_file_downloads_anonymously(client_for, public):
    distribution = _publish_with_file(client_for, public)

    response = _download(client_for("anonymous"), distribution)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="readings.csv"'
    assert _content(response) == CSV


# Members-only dataset, published version. Anonymous callers cannot see the dataset at all, so
# they get the catalog's 404 (the view's 401 branch only applies to datasets they can see).
MEMBERS_DOWNLOAD = {
    "anonymous": 404,
    "member": 200,
    "steward": 200,
    "org_admin": 200,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 200,
}


@pytest.mark.parametrize(("persona", "status"), MEMBERS_DOWNLOAD.items())
def test_members_only_file_download_by_persona(client_for, world, persona, status):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.MEMBERS)
    distribution = _publish_with_file(client_for, dataset)

    response = _download(client_for(persona), distribution)

    if status == 200:
        assert response.status_code == 200
        assert _content(response) == CSV
    else:
        body = assert_problem(response, status, CODES[status])
        assert CSV.decode() not in body["detail"]


@pytest.mark.parametrize("sensitivity", [Sensitivity.CONFIDENTIAL, Sensitivity.RESTRICTED])
def test_restricted_files_are_refused_to_other_organisations(client_for, world, sensitivity):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=sensitivity)
    distribution = _publish_with_file(client_for, dataset)

    assert_problem(_download(client_for("outsider_member"), distribution), 403, "permission_denied")
    assert _content(_download(client_for("member"), distribution)) == CSV


def test_file_of_a_draft_version_downloads_for_the_publisher_only(
    client_for, public, draft_version
):
    created = client_for("steward").post(
        distributions_url(public.pk, draft_version.pk), _file_payload(), format="multipart"
    )
    distribution = Distribution.objects.get(pk=created.json()["id"])

    assert _content(_download(client_for("member"), distribution)) == CSV
    assert _content(_download(client_for("secretariat"), distribution)) == CSV
    assert_problem(_download(client_for("anonymous"), distribution), 404, "not_found")
    assert_problem(_download(client_for("outsider_member"), distribution), 404, "not_found")


def test_binary_file_round_trips_exactly(client_for, public):
    content = bytes(range(256)) * 64
    distribution = _publish_with_file(client_for, public, content=content)

    response = _download(client_for("anonymous"), distribution)

    assert response.status_code == 200
    assert _content(response) == content
    assert hashlib.sha256(content).hexdigest() == distribution.sha256


def test_distribution_without_a_file_has_no_download(client_for, public):
    distribution = DistributionFactory.create(version=_published_version(public))

    response = _download(client_for("steward"), distribution)

    assert_problem(response, 404, "not_found")
    assert_problem(_download(client_for("anonymous"), distribution), 404, "not_found")


def test_unknown_distribution_is_404(client_for, public):
    version = _published_version(public)

    response = client_for("steward").get(
        reverse(
            "distribution-download",
            kwargs={
                "dataset": public.pk,
                "version": version.pk,
                "pk": "01890000-0000-7000-8000-000000000000",
            },
        )
    )

    assert_problem(response, 404, "not_found")
