"""Samples and distributions without a declared format, Excel samples through the API, and
reports that say a schema is still needed."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from datasets.models import (
    DatasetVersion,
    Distribution,
    Sensitivity,
    ValidationStatus,
    VersionStatus,
)
from tests.common.problems import assert_field_error
from tests.datasets.helpers import distributions_url
from tests.datasets.test_validation_api import GOOD_CSV, SCHEMA, latest, url
from tests.factories import DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def draft(world: Any) -> DatasetVersion:
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.MEMBERS)
    return DatasetVersionFactory.create(
        dataset=dataset, version="2.0.0", status=VersionStatus.DRAFT
    )


@pytest.fixture
def checked(
    client_for: Callable[[str], APIClient], django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    def send(persona: str, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client_for(persona), method)(path, data, **kwargs)

    return send


def xlsx(tmp_path: Path, sheets: dict[str, list[list[Any]]]) -> bytes:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
    book.close()
    return path.read_bytes()


def parquet() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"machine_id": ["CNC-01"], "rpm": [1200], "state": ["run"]}), buffer)
    return buffer.getvalue()


def send_sample(
    checked: Callable[..., Any], version: DatasetVersion, name: str, content: bytes, **extra: Any
) -> Any:
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return checked(
        "steward", "post", url(version, "samples/"), {"file": upload, **extra}, format="multipart"
    )


MACHINES = [["machine_id", "rpm", "state"], ["CNC-01", 1200, "run"], ["CNC-02", 0, "stop"]]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("readings.csv", GOOD_CSV.encode(), "csv"),
        ("readings", GOOD_CSV.replace(",", "\t").encode(), "tsv"),
        ("readings.bin", parquet(), "parquet"),
        ("readings.jsonl", b'{"machine_id": "CNC-01", "rpm": 1, "state": "run"}\n', "jsonl"),
    ],
)
def test_sample_format_is_detected_when_left_out(checked, draft, name, content, expected):
    response = send_sample(checked, draft, name, content)
    assert response.status_code == 201, response.json()
    assert response.json()["format"] == expected
    assert latest(draft).status == ValidationStatus.PASSED, latest(draft).message


def test_an_excel_sample_is_detected_checked_and_inferred(checked, draft, tmp_path):
    content = xlsx(tmp_path, {"Notes": [["note"], ["hello"]], "Machines": MACHINES})
    response = send_sample(checked, draft, "plant export.xlsx", content, sheet="Machines")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["format"] == "xlsx"
    assert body["media_type"] == XLSX_MEDIA_TYPE
    assert body["sheet"] == "Machines"

    report = latest(draft)
    assert report.status == ValidationStatus.PASSED, report.message
    assert report.sheet == "Machines"
    assert report.row_count == 2
    assert [field["name"] for field in report.inferred_schema["fields"]] == [
        "machine_id",
        "rpm",
        "state",
    ]
    # Accepting the inferred schema checks the same sheet against it.
    accepted = checked("steward", "post", url(draft, "schema/accept-inferred/"), {})
    assert accepted.status_code == 200, accepted.json()
    assert latest(draft).status == ValidationStatus.PASSED
    assert latest(draft).schema_needed is False


def test_an_excel_sample_against_a_schema_gives_the_csv_codes(checked, draft, tmp_path):
    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})
    rows = [MACHINES[0], ["CNC-01", "fast", "run"], ["CNC-01", -5, "jump"]]
    send_sample(checked, draft, "bad.xlsx", xlsx(tmp_path, {"S": rows}))
    report = latest(draft)
    assert report.status == ValidationStatus.FAILED
    assert report.errors_by_code == {
        "constraint-error": 2,
        "primary-key": 1,
        "type-error": 1,
    }


def test_a_missing_sheet_is_a_clear_error_report(checked, draft, tmp_path):
    send_sample(checked, draft, "m.xlsx", xlsx(tmp_path, {"Machines": MACHINES}), sheet="Lines")
    report = latest(draft)
    assert report.status == ValidationStatus.ERROR
    assert report.errors_by_code == {"source-error": 1}
    assert report.errors[0]["reason"] == "sheet-not-found"
    assert '"Machines"' in report.message


def test_undetectable_format_is_400(checked, draft):
    response = send_sample(checked, draft, "mystery", bytes(range(256)) * 8)
    assert_field_error(response, "format", "format_undetected")
    assert not Distribution.objects.filter(version=draft).exists()


def test_a_format_the_content_contradicts_is_400(checked, draft):
    response = send_sample(checked, draft, "data.csv", parquet(), format="csv")
    body = assert_field_error(response, "format", "format_mismatch")
    assert "Parquet" in body["errors"][0]["detail"]
    assert not Distribution.objects.filter(version=draft).exists()


def test_a_format_that_is_no_sample_is_400(checked, draft):
    response = send_sample(checked, draft, "report.pdf", b"%PDF-1.7\n" + bytes(100))
    assert_field_error(response, "format", "format_unsupported")


def test_a_declared_format_that_fits_is_kept(checked, draft):
    # Tab-separated content declared as CSV: the same reader, the delimiter is sniffed.
    response = send_sample(
        checked, draft, "readings.txt", GOOD_CSV.replace(",", "\t").encode(), format="csv"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["format"] == "csv"


# --- distributions ---------------------------------------------------------------------------


def test_distribution_format_and_media_type_from_the_file(client_for, draft, tmp_path):
    upload = SimpleUploadedFile("book.xlsx", xlsx(tmp_path, {"S": MACHINES}))
    response = client_for("steward").post(
        distributions_url(draft.dataset_id, draft.pk),
        {"file": upload, "sheet": "S"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["format"] == "xlsx"
    assert response.json()["media_type"] == XLSX_MEDIA_TYPE
    assert response.json()["sheet"] == "S"


def test_distribution_format_from_the_access_url(client_for, draft):
    response = client_for("steward").post(
        distributions_url(draft.dataset_id, draft.pk),
        {"access_url": "https://data.acme.example.kr/press/2025.parquet"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["format"] == "parquet"
    assert response.json()["media_type"] == "application/vnd.apache.parquet"


def test_distribution_with_an_undetectable_format_is_400(client_for, draft):
    response = client_for("steward").post(
        distributions_url(draft.dataset_id, draft.pk),
        {"access_url": "https://data.acme.example.kr/press/latest"},
    )
    assert_field_error(response, "format", "format_undetected")


def test_distribution_with_a_contradicted_format_is_400(client_for, draft):
    upload = SimpleUploadedFile("data.csv", parquet())
    response = client_for("steward").post(
        distributions_url(draft.dataset_id, draft.pk),
        {"file": upload, "format": "csv", "media_type": "text/csv"},
        format="multipart",
    )
    assert_field_error(response, "format", "format_mismatch")


# --- a report with no schema -----------------------------------------------------------------


def test_a_sample_without_a_schema_says_a_schema_is_needed(checked, draft, client_for):
    send_sample(checked, draft, "readings.csv", GOOD_CSV.encode())
    body = client_for("steward").get(url(draft)).json()["latest_report"]
    assert body["status"] == "passed"  # unchanged for clients
    assert body["schema_needed"] is True
    assert "no schema" in body["message"]
    assert "accept-inferred" in body["message"]
    steps = {step["code"]: step for step in body["next_steps"]}
    assert set(steps) == {"accept_inferred_schema", "upload_schema"}
    assert steps["accept_inferred_schema"]["method"] == "POST"
    assert steps["accept_inferred_schema"]["href"] == url(draft, "schema/accept-inferred/")
    assert steps["upload_schema"]["method"] == "PUT"
    assert steps["upload_schema"]["href"] == url(draft, "schema/")

    # The Korean reader gets the message in Korean once the catalog has it; the codes stay.
    reports = client_for("steward").get(url(draft, "reports/")).json()["results"]
    assert reports[0]["schema_needed"] is True

    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})
    body = client_for("steward").get(url(draft)).json()["latest_report"]
    assert body["status"] == "passed"
    assert body["schema_needed"] is False
    assert body["next_steps"] == []


def test_no_sample_and_no_schema_needs_a_schema_too(checked, draft, client_for):
    checked("steward", "post", url(draft, "validate/"), {})
    body = client_for("steward").get(url(draft)).json()["latest_report"]
    assert body["schema_needed"] is True
    assert [step["code"] for step in body["next_steps"]] == ["upload_schema"]
