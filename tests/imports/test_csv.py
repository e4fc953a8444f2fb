"""CSV imports with the documented column set: mapping, encodings, per-row reasons, headers."""

from __future__ import annotations

import datetime as dt

import pytest

from datasets.imports import SourceError
from datasets.models import Dataset, ImportStatus
from tests.imports.helpers import entry_for, outcomes, reason_codes

pytestmark = pytest.mark.django_db

HEADER = "identifier,title_ko,theme,license"


def test_the_column_set_maps_to_dataset_fields(run_import, world):
    job = run_import("datasets.csv")

    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert job.format == "csv"
    assert job.records_total == 5  # the blank line is not a record
    assert outcomes(job) == {
        "line-1": "created",
        "line-2": "created",
        "line-3": "rejected",
        "line-4": "rejected",
        "line-5": "rejected",
    }
    one = Dataset.objects.get(source_identifier="line-1")
    assert (one.title_ko, one.title_en) == (
        "사출 성형 공정 데이터",
        "Injection moulding process data",
    )
    assert one.description_ko == "사출기 공정 파라미터"
    assert one.keywords == ["사출", "성형", "공정"]  # ";" separates list items
    assert one.theme == "process_quality_records"
    assert one.formats == ["csv", "parquet"]
    assert (one.temporal_start, one.temporal_end) == (dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    assert one.spatial == "구미"
    assert one.update_frequency == "monthly"
    assert one.license == "CC-BY-4.0"
    assert one.sensitivity == "members"
    assert (one.contact_name, one.contact_email) == ("홍길동", "hong@acme.example.kr")
    assert one.division == world.ai_factory
    two = Dataset.objects.get(source_identifier="line-2")
    assert two.license == "CC-BY-NC-4.0"  # a CKAN licence id in a CSV cell
    assert two.title_en == "Gripper camera images"


def test_rejected_rows_say_why_and_where(run_import):
    job = run_import("datasets.csv")

    assert entry_for(job, "line-3")["reasons"][0]["message"] == "unknown theme 'not-a-theme'"
    assert entry_for(job, "line-3")["line"] == 4
    assert reason_codes(entry_for(job, "line-4")) == ["no_title"]
    assert reason_codes(entry_for(job, "line-5")) == ["temporal_order"]
    assert entry_for(job, "line-5")["line"] == 7  # after the blank line


def test_cp949_files_are_read(run_import):
    job = run_import("cp949.csv")

    assert outcomes(job) == {"cp-1": "created"}
    assert Dataset.objects.get().title_ko == "도장 라인 온도 기록"


def test_tab_separated_and_a_bom(run_import):
    body = "\ufeffidentifier\ttitle_en\ttheme\tlicense\nt-1\tTabbed\tdocuments\tCC0-1.0\n"

    job = run_import("tabs.tsv", body.encode("utf-8"))

    assert outcomes(job) == {"t-1": "created"}


def test_a_header_without_required_columns_is_refused_at_upload(run_import):
    with pytest.raises(SourceError) as caught:
        run_import("short.csv", b"identifier,title_ko\nx,y\n")

    assert caught.value.code == "missing_columns"
    assert caught.value.extra["missing_columns"] == ["theme", "license"]


def test_a_large_file_is_checked_for_its_header_at_upload_too(run_import, late_checks):
    with pytest.raises(SourceError) as caught:
        run_import("short.csv", b"identifier,title_ko\nx,y\n")

    assert caught.value.code == "missing_columns"


def test_unknown_columns_are_a_warning(run_import):
    job = run_import("extra.csv", f"{HEADER},colour\nx,제목,documents,CC0-1.0,red\n".encode())

    assert job.status == ImportStatus.SUCCEEDED
    assert [w["message"] for w in job.warnings] == ["Columns not used: colour."]


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("x,제목,documents,foo", "unknown_license"),
        ("x,제목,documents,", "no_license"),
        ("x,제목,,CC0-1.0", "no_theme"),
        (",제목,documents,CC0-1.0", "no_identifier"),
        ("x,제목,documents,CC0-1.0,extra", "extra_cells"),
    ],
)
def test_row_problems(run_import, row, code):
    job = run_import("one.csv", f"{HEADER}\n{row}\n".encode())

    assert code in reason_codes(job.report[0])


@pytest.mark.parametrize(
    ("extra_header", "cell", "code"),
    [
        ("temporal_start", "2024-13-01", "invalid_date"),
        ("contact_email", "not-an-email", "invalid_email"),
        ("sensitivity", "secret", "unknown_sensitivity"),
        ("update_frequency", "fortnightly", "unknown_update_frequency"),
        ("division", "nowhere", "unknown_division"),
    ],
)
def test_optional_column_problems(run_import, extra_header, cell, code):
    job = run_import(
        "one.csv", f"{HEADER},{extra_header}\nx,제목,documents,CC0-1.0,{cell}\n".encode()
    )

    assert reason_codes(job.report[0]) == [code]


def test_an_overlong_title_is_rejected_not_cut(run_import):
    job = run_import("one.csv", f"{HEADER}\nx,{'가' * 301},documents,CC0-1.0\n".encode())

    assert reason_codes(job.report[0]) == ["too_long"]


def test_long_and_many_keywords_are_trimmed_with_warnings(run_import):
    keywords = ";".join([f"k{n}" for n in range(55)] + ["x" * 61])

    job = run_import("kw.csv", f"{HEADER},keywords\nx,제목,documents,CC0-1.0,{keywords}\n".encode())

    assert job.report[0]["outcome"] == "created"
    assert {w["code"] for w in job.report[0]["warnings"]} == {
        "keyword_too_long",
        "too_many_keywords",
    }
    assert len(Dataset.objects.get().keywords) == 50


def test_a_file_neither_utf8_nor_cp949_is_refused(run_import):
    with pytest.raises(SourceError) as caught:
        run_import(
            "bad.csv", HEADER.encode() + b"\nx,\xff\xfe\xfa,documents,CC0-1.0\n", data_format="csv"
        )

    assert caught.value.code == "encoding_error"
