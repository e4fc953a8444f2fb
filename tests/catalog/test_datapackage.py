"""A dataset version as a Frictionless Data Package: GET .../versions/{id}/datapackage.json,
or the version detail with `Accept: application/vnd.datapackage+json`."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from frictionless import Package

from datasets.models import DatasetStatus, VersionStatus
from tests.catalog.helpers import TABLE_SCHEMA, local_path, public_url
from tests.datasets.helpers import assert_problem, version_url
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory

pytestmark = pytest.mark.django_db

DATA_PACKAGE = "application/vnd.datapackage+json"


def package_url(dataset_key: object, version_id: object) -> str:
    return reverse("version-datapackage", kwargs={"dataset": dataset_key, "pk": version_id})


def descriptor_of(client, dataset_key, version_id) -> dict:
    response = client.get(package_url(dataset_key, version_id))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def assert_valid(descriptor: dict) -> Package:
    report = Package.validate_descriptor(descriptor)
    assert report.valid, report.flatten(["type", "note"])
    return Package.from_descriptor(descriptor)


def test_the_descriptor_is_a_valid_data_package(rich, client_for):
    descriptor = descriptor_of(client_for("anonymous"), rich.dataset.pk, rich.v1.pk)

    package = assert_valid(descriptor)
    assert package.name == "press-vibration-1.0.0"
    assert [resource.name for resource in package.resources] == ["vibration-2024"]


def test_the_package_describes_the_version(rich, client_for):
    descriptor = descriptor_of(client_for("anonymous"), rich.dataset.slug, rich.v1.pk)
    dataset_api = public_url(reverse("dataset-detail", kwargs={"dataset": rich.dataset.pk}))

    assert descriptor["name"] == "press-vibration-1.0.0"
    assert descriptor["id"] == f"urn:uuid:{rich.v1.pk}"
    assert descriptor["title"] == "프레스 진동 데이터"
    assert (
        descriptor["description"] == "프레스 라인의 진동 신호\n\nVibration signals of a press line."
    )
    assert descriptor["version"] == "1.0.0"
    assert dt.datetime.fromisoformat(descriptor["created"]) == rich.v1.published_at
    assert descriptor["keywords"] == ["진동", "CNC", "press line"]
    assert descriptor["licenses"] == [
        {"name": "CC-BY-4.0", "path": "http://spdx.org/licenses/CC-BY-4.0", "title": "CC BY 4.0"}
    ]
    assert descriptor["contributors"] == [
        {
            "title": "에이씨엠이정밀",
            "organization": "Acme Precision",
            "role": "publisher",
            "email": "data@acme.example.kr",
            "path": public_url(reverse("organization-detail", kwargs={"slug": "acme"})),
        }
    ]
    assert descriptor["homepage"] == dataset_api
    assert [source["path"] for source in descriptor["sources"]] == [dataset_api]


def test_a_stored_tabular_file_is_a_resource_with_the_table_schema(rich, client_for):
    [resource] = descriptor_of(client_for("anonymous"), rich.dataset.pk, rich.v1.pk)["resources"]

    download = public_url(
        reverse(
            "distribution-download",
            kwargs={"dataset": rich.dataset.pk, "version": rich.v1.pk, "pk": rich.stored.pk},
        )
    )
    assert resource == {
        "name": "vibration-2024",
        "title": "vibration 2024",
        "path": download,
        "format": "csv",
        "mediatype": "text/csv",
        "bytes": rich.stored.byte_size,
        "hash": f"sha256:{rich.stored.sha256}",
        "encoding": "utf-8",
        "schema": TABLE_SCHEMA,
    }
    response = client_for("anonymous").get(local_path(download))
    assert response.status_code == 200
    package = Package.from_descriptor(
        descriptor_of(client_for("anonymous"), rich.dataset.pk, rich.v1.pk)
    )
    assert package.resources[0].schema.field_names == ["ts", "spindle_rpm"]
    assert package.resources[0].schema.primary_key == ["ts"]


def test_external_and_untabular_resources_samples_left_out(rich, client_for):
    descriptor = descriptor_of(client_for("anonymous"), rich.dataset.pk, rich.v2.pk)

    assert_valid(descriptor)
    by_format = {resource["format"]: resource for resource in descriptor["resources"]}
    assert set(by_format) == {"parquet", "pdf"}  # the CSV sample is not part of the data
    parquet = by_format["parquet"]
    assert parquet["path"] == "https://data.acme.example.kr/press/vibration.parquet"
    assert parquet["name"] == "vibration"
    assert parquet["mediatype"] == "application/vnd.apache.parquet"
    assert parquet["bytes"] == 123456
    assert parquet["hash"] == f"sha256:{'ab' * 32}"
    assert "encoding" not in parquet
    assert "schema" not in parquet  # v2 has no schema
    assert "schema" not in by_format["pdf"]


def test_names_follow_the_data_package_rules(world, client_for):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity="public", slug="Press_Line")
    version = DatasetVersionFactory.create(dataset=dataset, version="2025-10+RC1")
    for title in ("진동 데이터", "진동 데이터"):  # Korean titles slugify to nothing
        DistributionFactory.create(
            version=version, title=title, access_url="https://data.example.kr/x/Vibration.CSV"
        )
    DistributionFactory.create(version=version, title="", access_url="https://data.example.kr/")

    descriptor = descriptor_of(client_for("anonymous"), dataset.pk, version.pk)

    assert_valid(descriptor)
    assert descriptor["name"] == "press_line-2025-10-rc1"
    assert [r["name"] for r in descriptor["resources"]] == ["vibration", "vibration-2", "csv"]


def test_a_tsv_resource_says_its_delimiter(world, client_for):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity="public")
    version = DatasetVersionFactory.create(
        dataset=dataset, schema=TABLE_SCHEMA, schema_kind="table_schema"
    )
    DistributionFactory.create(
        version=version,
        format="tsv",
        media_type="text/tab-separated-values",
        access_url="https://data.example.kr/a.tsv",
        encoding="cp949",
    )

    descriptor = descriptor_of(client_for("anonymous"), dataset.pk, version.pk)

    assert_valid(descriptor)
    [resource] = descriptor["resources"]
    assert resource["dialect"] == {"delimiter": "\t"}
    assert resource["encoding"] == "cp949"
    assert resource["schema"] == TABLE_SCHEMA


def test_a_json_schema_is_not_a_table_schema(world, client_for):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity="public")
    version = DatasetVersionFactory.create(
        dataset=dataset, schema={"type": "object"}, schema_kind="json_schema"
    )
    DistributionFactory.create(
        version=version,
        format="jsonl",
        media_type="application/jsonl",
        access_url="https://data.example.kr/a.jsonl",
    )

    descriptor = descriptor_of(client_for("anonymous"), dataset.pk, version.pk)

    assert_valid(descriptor)
    assert "schema" not in descriptor["resources"][0]


def test_the_descriptor_costs_a_fixed_number_of_queries(rich, client_for):
    client = client_for("anonymous")
    with CaptureQueriesContext(connection) as few:
        descriptor_of(client, rich.dataset.pk, rich.v2.pk)
    for n in range(20):
        DistributionFactory.create(version=rich.v2, access_url=f"https://data.example.kr/{n}.csv")
    with CaptureQueriesContext(connection) as many:
        descriptor = descriptor_of(client, rich.dataset.pk, rich.v2.pk)

    assert len(descriptor["resources"]) == 22
    assert len(few) == len(many) <= 3


# --- who may read it --------------------------------------------------------------------------


@pytest.fixture
def hidden(world):
    members = DatasetFactory.create(publisher=world.acme, sensitivity="members")
    draft_dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    return {
        "members_version": DatasetVersionFactory.create(dataset=members),
        "draft_version": DatasetVersionFactory.create(
            dataset=members, version="9.9.9", status=VersionStatus.DRAFT
        ),
        "version_of_draft": DatasetVersionFactory.create(dataset=draft_dataset),
    }


@pytest.mark.parametrize(
    ("persona", "name", "status"),
    [
        ("anonymous", "members_version", 404),
        ("outsider_member", "members_version", 200),
        ("outsider_member", "draft_version", 404),
        ("outsider_member", "version_of_draft", 404),
        ("anonymous", "draft_version", 404),
        ("member", "draft_version", 200),  # the publisher sees its drafts, as in the detail
        ("steward", "version_of_draft", 200),
        ("secretariat", "draft_version", 200),
        ("division_lead", "draft_version", 404),
    ],
)
def test_the_version_details_visibility_rules(world, client_for, hidden, persona, name, status):
    version = hidden[name]
    client = client_for(persona)

    package = client.get(package_url(version.dataset_id, version.pk))
    detail = client.get(version_url(version.dataset_id, version.pk))

    assert detail.status_code == status
    if status == 404:
        assert_problem(package, 404, "not_found")
    else:
        assert package.status_code == 200
        assert_valid(package.json())


def test_unknown_or_mismatched_versions_are_404(rich, world, client_for):
    other = DatasetFactory.create(publisher=world.acme, sensitivity="public")
    client = client_for("anonymous")

    assert_problem(
        client.get(package_url(rich.dataset.pk, "0191a5b0-0000-7000-8000-000000000000")),
        404,
        "not_found",
    )
    assert_problem(client.get(package_url(other.pk, rich.v1.pk)), 404, "not_found")
    assert_problem(client.get(package_url("no-such-dataset", rich.v1.pk)), 404, "not_found")


# --- the version detail, negotiated -----------------------------------------------------------


def test_the_version_detail_answers_with_the_package_on_request(rich, client_for):
    client = client_for("anonymous")

    negotiated = client.get(version_url(rich.dataset.pk, rich.v1.pk), HTTP_ACCEPT=DATA_PACKAGE)

    assert negotiated.status_code == 200
    assert negotiated["Content-Type"] == DATA_PACKAGE
    assert negotiated.json() == descriptor_of(client, rich.dataset.pk, rich.v1.pk)
    assert_valid(negotiated.json())


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_the_version_detail_is_unchanged_otherwise(rich, client_for, accept):
    extra = {"HTTP_ACCEPT": accept} if accept else {}

    response = client_for("anonymous").get(version_url(rich.dataset.pk, rich.v1.pk), **extra)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["id"] == str(rich.v1.pk)
    assert body["has_schema"] is True
    assert "resources" not in body


def test_an_invisible_version_is_a_404_problem_whatever_the_accept(world, client_for, hidden):
    version = hidden["draft_version"]

    response = client_for("outsider_member").get(
        version_url(version.dataset_id, version.pk), HTTP_ACCEPT=DATA_PACKAGE
    )

    assert_problem(response, 404, "not_found")


def test_other_version_endpoints_do_not_offer_a_package(rich, client_for):
    response = client_for("anonymous").get(
        reverse("version-list", kwargs={"dataset": rich.dataset.pk}), HTTP_ACCEPT=DATA_PACKAGE
    )

    assert_problem(response, 406, "not_acceptable")


def test_the_descriptor_url_also_answers_in_the_data_package_media_type(rich, client_for):
    url = package_url(rich.dataset.pk, rich.v1.pk)
    client = client_for("anonymous")

    negotiated = client.get(url, HTTP_ACCEPT=DATA_PACKAGE)
    refused = client.get(url, HTTP_ACCEPT="text/turtle")

    assert negotiated.status_code == 200
    assert negotiated["Content-Type"] == DATA_PACKAGE
    assert negotiated.json() == client.get(url).json()
    assert_problem(refused, 406, "not_acceptable")
