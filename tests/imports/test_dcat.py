"""DCAT imports: JSON-LD and Turtle, the registry's own export read back field for field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from datasets.models import (
    DATASET_METADATA_FIELDS,
    Dataset,
    DatasetRevision,
    DatasetStatus,
    ImportStatus,
)
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory
from tests.imports.helpers import counts, entry_for, outcomes, reason_codes

pytestmark = pytest.mark.django_db

D1 = "0195f3a1-0000-7000-8000-000000000001"
D2 = "0195f3a1-0000-7000-8000-000000000002"


def test_json_ld_in_the_exports_shape_imports_field_for_field(run_import, world):
    job = run_import("catalog.jsonld")

    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert job.format == "dcat"
    # The version node (dcat:isVersionOf) is a release of D1, not a dataset of its own.
    assert outcomes(job) == {D1: "created", D2: "created"}
    assert job.records_total == 2
    dataset = Dataset.objects.get(source_identifier=D1)
    assert dataset.publisher == world.acme
    assert dataset.status == DatasetStatus.DRAFT
    assert dataset.title_ko == "프레스 금형 진동 데이터"
    assert dataset.title_en == "Press die vibration data"
    assert dataset.description_ko == "프레스 금형에서 수집한 진동 신호"
    assert dataset.description_en == "Vibration signals collected from press dies."
    assert set(dataset.keywords) == {"진동", "press"}
    assert dataset.theme == "sensor_time_series"  # ours, not the EU TECH theme next to it
    assert dataset.formats == ["csv"]  # from the distribution
    assert dataset.license == "CC-BY-4.0"
    assert dataset.sensitivity == "restricted"  # max:sensitivity, finer than accessRights
    assert dataset.update_frequency == "monthly"
    assert dataset.temporal_start == dt.date(2024, 1, 1)
    assert dataset.temporal_end == dt.date(2024, 12, 31)
    assert dataset.spatial == "창원 제2공장"
    assert dataset.contact_name == "김데이터"
    assert dataset.contact_email == "data@acme.example.kr"
    assert dataset.division == world.humanoids  # max:division
    assert dataset.search_title  # indexed through dataset_create


def test_a_contact_named_like_the_publisher_leaves_contact_name_alone(run_import):
    run_import("catalog.jsonld")

    # vcard:fn is the publisher's name when the export had no contact person.
    dataset = Dataset.objects.get(source_identifier=D2)
    assert dataset.contact_name == ""
    assert dataset.contact_email == "robots@acme.example.kr"
    assert dataset.division.code == "ai-factory"  # acme's only division
    assert dataset.update_frequency == "irregular"  # the model's default


def test_turtle_imports_with_foreign_vocabularies_and_a_bad_licence(run_import):
    job = run_import("catalog.ttl")

    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert outcomes(job) == {
        "amr-logs": "created",
        "bad-licence": "rejected",
        "welding-2024": "created",
    }
    welding = Dataset.objects.get(source_identifier="welding-2024")
    assert welding.license == "CC-BY-SA-4.0"  # a Creative Commons deed URL
    assert welding.sensitivity == "public"  # EU access right PUBLIC
    assert welding.update_frequency == "weekly"
    assert welding.formats == ["png"]
    assert welding.temporal_start == dt.date(2024, 3, 1)
    assert welding.temporal_end is None
    assert welding.contact_name == "Park Vision"
    amr = Dataset.objects.get(source_identifier="amr-logs")
    assert amr.theme == "other"  # an EU data theme has no exact equivalent
    assert {w["code"] for w in entry_for(job, "amr-logs")["warnings"]} == {
        "foreign_theme",
        "no_theme",
    }
    bad = entry_for(job, "bad-licence")
    assert bad["reasons"][0]["message"] == "unknown licence 'https://example.org/licenses/foo'"
    assert reason_codes(bad) == ["unknown_license"]


def test_a_turtle_syntax_error_fails_the_job_with_the_reason(run_import, late_checks):
    job = run_import("broken.ttl")

    assert job.status == ImportStatus.FAILED
    assert job.error["code"] == "invalid_rdf"
    assert "Turtle" in job.error["detail"]
    assert not Dataset.objects.exists()


def test_a_remote_json_ld_context_is_refused_not_fetched(run_import, late_checks):
    job = run_import("remote_context.jsonld")

    assert job.status == ImportStatus.FAILED
    assert job.error["code"] == "remote_context"
    assert "https://www.w3.org/ns/dcat.jsonld" in job.error["detail"]


def test_turtle_without_datasets_or_catalog_is_not_dcat(run_import, late_checks):
    job = run_import(
        "notes.ttl", b"@prefix ex: <https://ex.example/> .\nex:a ex:b ex:c .\n", data_format="dcat"
    )

    assert job.status == ImportStatus.FAILED
    assert job.error["code"] == "no_datasets"


def test_an_empty_catalog_succeeds_with_nothing_to_do(run_import):
    body = (
        b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        b"<https://ex.example/catalog> a dcat:Catalog .\n"
    )
    job = run_import("empty.ttl", body)

    assert job.status == ImportStatus.SUCCEEDED
    assert job.records_total == 0
    assert job.totals == {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}


# --- the registry's own export, through GET /catalog ------------------------------------------


@pytest.fixture
def exported(world):
    """Two published acme datasets with everything the export writes, and a draft."""
    rich = DatasetFactory.create(
        publisher=world.acme,
        title_ko="CNC 가공 진동",
        title_en="CNC machining vibration",
        description_ko="스핀들 진동 1kHz",
        description_en="Spindle vibration at 1 kHz.",
        keywords=["진동", "CNC", "spindle"],
        theme="sensor_time_series",
        formats=["csv", "parquet"],
        temporal_start=dt.date(2024, 1, 1),
        temporal_end=dt.date(2024, 12, 31),
        spatial="창원 제1공장",
        update_frequency="monthly",
        license="KOGL-Type-2",
        sensitivity="public",
        contact_name="김데이터",
        contact_email="data@acme.example.kr",
    )
    version = DatasetVersionFactory.create(dataset=rich, version="1.0.0")
    DistributionFactory.create(version=version, format="csv", media_type="text/csv")
    plain = DatasetFactory.create(
        publisher=world.acme,
        title_ko="",
        title_en="Assembly line images",
        description_ko="",
        description_en="",
        keywords=[],
        theme="machine_vision_images",
        formats=[],
        license="CC0-1.0",
        sensitivity="public",
        contact_name="",
        contact_email="images@acme.example.kr",
    )
    return [rich, plain]


@pytest.mark.parametrize(
    ("accept", "name"), [("application/ld+json", "catalog.jsonld"), ("text/turtle", "catalog.ttl")]
)
def test_our_own_export_reads_back_unchanged(exported, run_import, accept, name):
    response = APIClient().get(reverse("catalog"), HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    before = {d.pk: d.modified_at for d in Dataset.objects.all()}
    revisions = DatasetRevision.objects.count()

    job = run_import(name, response.content)

    assert job.status == ImportStatus.SUCCEEDED, job.error
    # dct:identifier is the dataset's id: the export matches the datasets it came from.
    assert outcomes(job) == {str(d.pk): "unchanged" for d in exported}, job.report
    assert {d.pk: d.modified_at for d in Dataset.objects.all()} == before
    assert DatasetRevision.objects.count() == revisions


# The metadata the export carries one for one (keywords and formats are compared as sets
# below; the slug, the compatibility mode and the source identifier are the registry's own).
FIELDS = tuple(
    f"{name}_id" if name == "division" else name
    for name in DATASET_METADATA_FIELDS
    if name not in ("slug", "keywords", "formats", "compatibility_mode", "source_identifier")
)


@pytest.mark.parametrize("accept", ["application/ld+json", "text/turtle"])
def test_our_own_export_imports_into_another_organisation_field_for_field(
    exported, run_import, world, accept
):
    world.other.divisions.set([world.ai_factory])
    response = APIClient().get(reverse("catalog"), HTTP_ACCEPT=accept)
    name = "catalog.ttl" if accept == "text/turtle" else "catalog.jsonld"

    job = run_import(name, response.content, persona="outsider_steward", organization=world.other)

    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert set(outcomes(job).values()) == {"created"}, job.report
    for original in exported:
        copy = Dataset.objects.get(publisher=world.other, source_identifier=str(original.pk))
        for name in FIELDS:
            assert getattr(copy, name) == getattr(original, name), name
        assert set(copy.keywords) == set(original.keywords)
        # Formats come from the current version's distributions (DCAT-AP has no dataset
        # format): what the export can say.
        assert set(copy.formats) <= set(original.formats)
    before = counts()
    again = run_import(name, response.content, persona="outsider_steward", organization=world.other)
    assert set(outcomes(again).values()) == {"unchanged"}
    assert counts() == before
