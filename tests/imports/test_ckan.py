"""CKAN imports: package_search and package_show answers, a dump, and CKAN's error answers."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from datasets.models import Dataset, ImportStatus
from tests.imports.helpers import entry_for, fixture_bytes, outcomes, reason_codes

pytestmark = pytest.mark.django_db

CNC = "5b1c8d2e-1111-4aaa-9bbb-000000000001"
WORK_ORDERS = "5b1c8d2e-1111-4aaa-9bbb-000000000002"
ODBL = "5b1c8d2e-1111-4aaa-9bbb-000000000003"


def test_package_search_maps_fields_tags_resources_and_extras(run_import, world):
    job = run_import("package_search.json")

    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert job.format == "ckan"
    assert outcomes(job) == {CNC: "created", WORK_ORDERS: "created", ODBL: "rejected"}
    cnc = Dataset.objects.get(source_identifier=CNC)
    assert cnc.slug == "cnc-spindle-vibration"  # CKAN's name
    assert cnc.title_ko == "CNC 스핀들 진동 데이터"  # Hangul: Korean
    assert cnc.title_en == ""
    assert cnc.description_ko == "스핀들 베어링 진동을 1kHz로 수집"
    assert cnc.keywords == ["진동", "cnc"]
    assert cnc.formats == ["csv", "parquet"]
    assert cnc.license == "CC-BY-4.0"  # CKAN's version-less cc-by
    assert cnc.theme == "sensor_time_series"
    assert cnc.update_frequency == "daily"
    assert cnc.temporal_start == dt.date(2023, 1, 1)
    assert cnc.temporal_end == dt.date(2023, 6, 30)
    assert cnc.spatial == "평택"
    assert cnc.contact_name == "이정비"
    assert cnc.contact_email == "maint@acme.example.kr"
    assert cnc.division == world.ai_factory


def test_translated_titles_groups_and_extras(run_import):
    job = run_import("package_search.json")

    orders = Dataset.objects.get(source_identifier=WORK_ORDERS)
    assert orders.title_ko == "설비 보전 작업 지시서"
    assert orders.title_en == "Maintenance work orders"
    assert orders.description_en == "Work orders from the CMMS, 2019-2024."
    assert orders.theme == "maintenance_logs"  # a group named like our theme
    assert orders.license == "proprietary"  # other-closed
    assert orders.sensitivity == "confidential"
    assert orders.contact_name == "Plant IT"  # the author, with no maintainer
    assert orders.formats == ["xlsx"]  # Excel workbooks are a data format of ours
    assert not entry_for(job, WORK_ORDERS).get("warnings")


def test_an_unknown_licence_rejects_the_record_with_its_id(run_import):
    job = run_import("package_search.json")

    entry = entry_for(job, ODBL)
    assert reason_codes(entry) == ["unknown_license"]
    assert entry["reasons"][0]["message"] == "unknown licence 'odc-odbl'"
    assert not Dataset.objects.filter(source_identifier=ODBL).exists()


def test_package_show_and_a_json_list_theme(run_import):
    job = run_import("package_show.json")

    assert outcomes(job) == {"9e0f0000-2222-4ccc-8ddd-000000000009": "created"}
    dataset = Dataset.objects.get()
    assert dataset.theme == "energy"  # ckanext-dcat's JSON list of theme URIs
    assert dataset.license == "CC0-1.0"
    assert dataset.formats == ["csv"]  # the resource's mimetype
    assert dataset.title_ko == "도장 공정 에너지 사용량"
    assert dataset.description_en == "Hourly energy use of the paint shop."


def test_a_bare_list_of_packages_is_a_dump(run_import):
    packages = json.loads(fixture_bytes("package_search.json"))["result"]["results"]

    job = run_import("dump.json", json.dumps(packages).encode(), data_format="ckan")

    assert set(outcomes(job)) == {CNC, WORK_ORDERS, ODBL}


def test_a_package_without_id_falls_back_to_its_name(run_import):
    package = {"name": "no-id", "title": "No id", "license_id": "cc-by", "extras": []}

    job = run_import("one.json", json.dumps(package).encode(), data_format="ckan")

    assert outcomes(job) == {"no-id": "created"}


def test_deleted_packages_and_missing_titles_are_rejected(run_import):
    packages = [
        {"id": "gone", "name": "gone", "title": "Gone", "license_id": "cc-by", "state": "deleted"},
        {"id": "untitled", "name": "untitled", "license_id": "cc-by"},
        {"title": "no identifier", "license_id": "cc-by"},
        "not a package",
    ]

    job = run_import("dump.json", json.dumps(packages).encode(), data_format="ckan")

    assert job.totals["rejected"] == 4
    codes = [reason_codes(entry) for entry in job.report]
    assert codes == [["deleted"], ["no_title"], ["no_identifier"], ["not_a_package"]]


def test_a_ckan_error_answer_is_refused_at_upload(run_import):
    from datasets.imports import SourceError

    body = json.dumps({"success": False, "error": {"message": "Access denied"}}).encode()

    with pytest.raises(SourceError, match="Access denied"):
        run_import("error.json", body)


def test_an_unknown_theme_in_extras_rejects(run_import):
    package = {
        "id": "x",
        "title": "X",
        "license_id": "cc-by",
        "extras": [{"key": "theme", "value": "weather"}],
    }

    job = run_import("one.json", json.dumps(package).encode(), data_format="ckan")

    assert reason_codes(job.report[0]) == ["unknown_theme"]
