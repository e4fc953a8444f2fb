"""Each Frictionless error code on a tiny CSV, with Frictionless's row numbers (header = 1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datasets.validation import Limits, ValidationReport, validate_file

from .helpers import fields, findings

Check = Callable[..., ValidationReport]


def test_clean_file_passes(check: Check) -> None:
    report = check("id,name\n1,a\n2,b\n", fields(("id", "integer"), "name"))
    assert report.status == "passed"
    assert report.row_count == 2
    assert report.error_count == 0
    assert report.errors == []
    assert report.encoding == "utf-8"
    assert report.delimiter == ","


@pytest.mark.parametrize(
    ("type_", "good", "bad"),
    [
        ("integer", ["1", "-2", "007", " 8 ", "+7", "1_000"], ["x", "1.5", "0x1F", "1e3"]),
        ("number", ["1", "2.5", "-3e2", ".5", "NaN", " 2 "], ["abc", '"1,5"', "0x10"]),
        ("boolean", ["true", "False", "TRUE", "1", "0"], ["yes", " true", "t"]),
        (
            "date",
            ["2024-01-31", "2024-2-5", "2024-02-29"],
            ["2024-02-30", "2024-13-01", "0000-01-01", "20240101"],
        ),
        (
            "datetime",
            [
                "2024-01-01T10:00:00",
                "2024-01-01 10:00:00",
                "2024-01-01T10:00:00.5Z",
                "2024-01-01T10:00:00+09:00",
                "2024-01-01T24:00:00",
            ],
            ["2024-01-01", "2024-01-01T10:00", "2024-01-01T25:00:00", "x"],
        ),
        ("time", ["10:00:00", "23:59:59.5", "10:00:00Z"], ["10:00", "25:00:00", "x"]),
        ("year", ["2024", "0999"], ["12345", "-123", "20x4"]),
        ("yearmonth", ["2024-01", "2024-12"], ["2024-13", "x"]),
        ("object", ['"{""a"": 1}"'], ['"[1, 2]"', "x"]),
        ("array", ['"[1, 2]"'], ['"{""a"": 1}"']),
        ("duration", ["P1Y2M", "PT1H30M"], ["1 hour", "P"]),
        ("geopoint", ['"126.97,37.56"'], ['"200,10"', "x"]),
    ],
)
def test_type_errors(check: Check, type_: str, good: list[str], bad: list[str]) -> None:
    data = "v\n" + "\n".join(good + bad) + "\n"
    report = check(data, fields(("v", type_)))
    bad_rows = set(range(len(good) + 2, len(good) + len(bad) + 2))
    assert findings(report) == {(row, 1, "type-error") for row in bad_rows}
    first = report.errors[0]
    assert first["field"] == "v"
    assert f'type is "{type_}/default"' in first["message"]


@pytest.mark.parametrize(
    ("field", "cells", "failing", "constraint"),
    [
        ({"type": "integer", "constraints": {"minimum": 0}}, ["0", "-1", "5"], [3], "minimum"),
        ({"type": "integer", "constraints": {"maximum": 5}}, ["5", "6"], [3], "maximum"),
        (
            {"type": "number", "constraints": {"exclusiveMinimum": 1}},
            ["1", "1.5"],
            [2],
            "exclusiveMinimum",
        ),
        (
            {"type": "number", "constraints": {"maximum": 10}},
            ["inf", "NaN", "9"],
            [2, 3],
            "maximum",
        ),
        ({"type": "string", "constraints": {"minLength": 2}}, ["a", "ab"], [2], "minLength"),
        ({"type": "string", "constraints": {"maxLength": 2}}, ["한국", "한국어"], [3], "maxLength"),
        (
            {"type": "string", "constraints": {"pattern": "L[0-9]{2}"}},
            ["L01", "L1", "xL01"],
            [3, 4],
            "pattern",
        ),
        ({"type": "string", "constraints": {"enum": ["a", "b"]}}, ["a", "c"], [3], "enum"),
        ({"type": "integer", "constraints": {"enum": [1, 2]}}, ["01", "3"], [3], "enum"),
        (
            {"type": "date", "constraints": {"minimum": "2024-01-01"}},
            ["2023-12-31", "2024-1-1"],
            [2],
            "minimum",
        ),
    ],
)
def test_constraint_errors(
    check: Check, field: dict[str, Any], cells: list[str], failing: list[int], constraint: str
) -> None:
    report = check("v\n" + "\n".join(cells) + "\n", {"fields": [{"name": "v", **field}]})
    assert findings(report) == {(row, 1, "constraint-error") for row in failing}
    assert all(f'constraint "{constraint}"' in e["message"] for e in report.errors)


def test_nan_breaks_both_bounds(check: Check) -> None:
    schema = {
        "fields": [{"name": "v", "type": "number", "constraints": {"minimum": 0, "maximum": 9}}]
    }
    report = check("v\nNaN\n", schema)
    assert report.errors_by_code == {"constraint-error": 2}


def test_missing_values_and_required(check: Check) -> None:
    schema = {
        "fields": [
            {"name": "k", "type": "string"},
            {"name": "v", "type": "integer", "constraints": {"required": True}},
        ],
        "missingValues": ["", "NA", "-"],
    }
    report = check("k,v\na,1\nb,NA\nc,-\nd,\n-,NA\n", schema)
    assert findings(report) == {
        (3, 2, "constraint-error"),
        (4, 2, "constraint-error"),
        (5, 2, "constraint-error"),
        (6, None, "blank-row"),  # every cell missing: a blank row, not a required error
    }
    assert 'constraint "required" is "True"' in report.errors[0]["message"]


def test_missing_and_extra_cells(check: Check) -> None:
    report = check(
        "a,b,c\n1,2,3\n1,2\n1,2,3,4,5\n",
        fields("a", "b", {"name": "c", "type": "string", "constraints": {"required": True}}),
    )
    assert findings(report) == {
        (3, 3, "missing-cell"),
        (3, 3, "constraint-error"),  # Frictionless reports both for a required cell
        (4, 4, "extra-cell"),
        (4, 5, "extra-cell"),
    }


def test_cells_of_short_and_long_rows_are_checked_too(check: Check) -> None:
    report = check("a,b\nx,1,extra\ny\n", fields("a", ("b", "integer")))
    assert findings(report) == {
        (2, 3, "extra-cell"),
        (3, 2, "missing-cell"),
    }
    report = check("a,b\n1,x,extra\n", fields(("a", "integer"), ("b", "integer")))
    assert findings(report) == {(2, 3, "extra-cell"), (2, 2, "type-error")}


def test_blank_rows(check: Check) -> None:
    report = check("a,b\n1,2\n\n,\n3,4\n", fields("a", "b"))
    assert findings(report) == {(3, None, "blank-row"), (4, None, "blank-row")}
    assert report.row_count == 4


def test_quoted_newlines_count_as_one_row(check: Check) -> None:
    report = check('a,b\n"x\ny",1\n2,z\n', fields("a", ("b", "integer")))
    assert findings(report) == {(3, 2, "type-error")}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a,,c", {(None, 2, "blank-label")}),
        ("a,a,c", {(None, 2, "duplicate-label")}),
        ("a,b", {(None, 3, "missing-label")}),
        ("a,b,c,d", {(None, 4, "extra-label")}),
        ("a,x,c", {(None, 2, "incorrect-label")}),
    ],
)
def test_label_errors(check: Check, header: str, expected: set[Any]) -> None:
    width = len(header.split(","))
    row = ",".join(["1"] * width)
    report = check(f"{header}\n{row}\n", fields("a", "b", "c"))
    assert findings(report) == expected
    assert report.status == "failed"


def test_fields_match_by_name(check: Check) -> None:
    schema = {**fields("a", "b", ("c", "integer")), "fieldsMatch": "equal"}
    report = check("c,a,b\nx,1,2\n", schema)
    assert findings(report) == {(2, 1, "type-error")}


def test_unique_errors_name_the_previous_row(check: Check) -> None:
    schema = fields({"name": "id", "type": "integer", "constraints": {"unique": True}})
    report = check("id\n1\n2\n01\n2\n\n1\n", schema)
    assert findings(report) == {
        (4, 1, "unique-error"),
        (5, 1, "unique-error"),
        (6, None, "blank-row"),
        (7, 1, "unique-error"),
    }
    messages = {e["row"]: e["message"] for e in report.errors}
    assert messages[7].endswith("the same as in the row at position 4")


def test_primary_key(check: Check) -> None:
    schema = {**fields(("a", "integer"), "b"), "primaryKey": ["a", "b"]}
    report = check("a,b\n1,x\n1,y\n1,x\n,\nz,\n", schema)
    assert findings(report) == {
        (4, None, "primary-key"),  # repeats row 2
        (5, None, "blank-row"),
        (5, None, "primary-key"),  # every key cell empty
        (6, 1, "type-error"),
        (6, None, "primary-key"),  # a type error leaves no value either
    }


def test_aware_and_naive_times_never_repeat_each_other(check: Check) -> None:
    schema = fields({"name": "t", "type": "datetime", "constraints": {"unique": True}})
    report = check(
        "t\n2024-01-01T10:00:00Z\n2024-01-01T10:00:00\n2024-01-01T19:00:00+09:00\n", schema
    )
    assert findings(report) == {(4, 1, "unique-error")}


def test_big_integers_keep_their_keys(check: Check) -> None:
    schema = {**fields(("id", "integer")), "primaryKey": ["id"]}
    report = check("id\n99999999999999999999\n99999999999999999998\n99999999999999999999\n", schema)
    assert findings(report) == {(4, None, "primary-key")}


def test_error_list_is_capped_and_ordered(check: Check) -> None:
    data = "v\n" + "x\n" * 500
    report = check(data, fields(("v", "integer")), limits=Limits(max_errors_reported=10))
    assert report.error_count == 500
    assert [e["row"] for e in report.errors] == list(range(2, 12))
    assert report.to_dict()["errors_truncated"] is True


def test_custom_date_format(check: Check) -> None:
    schema = fields({"name": "d", "type": "date", "format": "%d/%m/%Y"})
    report = check("d\n31/01/2024\n1/2/2024\n31/02/2024\n2024-01-01\n", schema)
    assert findings(report) == {(4, 1, "type-error"), (5, 1, "type-error")}


def test_group_and_decimal_characters(check: Check) -> None:
    schema = fields({"name": "n", "type": "number", "groupChar": ".", "decimalChar": ","})
    report = check('n\n"1.234,5"\n12\n"1,5"\nx\n', schema)
    assert findings(report) == {(5, 1, "type-error")}


def test_report_is_json_serialisable(check: Check) -> None:
    import json

    report = check("id,d\n1,2024-01-01\nx,2024-02-30\n", fields(("id", "integer"), ("d", "date")))
    data = json.loads(json.dumps(report.to_dict()))
    assert data["status"] == "failed"
    assert data["errors_by_code"] == {"type-error": 2}
    assert {"row", "field", "field_number", "code", "message"} == set(data["errors"][0])
    assert set(data["timings"]) >= {"total", "read_check"}


def test_row_numbers_across_blocks_and_skipped_rows(write: Callable[..., Path]) -> None:
    # Small blocks, many rows Arrow skips (wrong cell count) and quoted newlines: every
    # finding must still carry its physical row number.
    lines = ["a,b"]
    expected: set[tuple[int | None, int | None, str]] = set()
    for row in range(2, 3000):
        if row % 7 == 0:
            lines.append("1,2,3")
            expected.add((row, 3, "extra-cell"))
        elif row % 11 == 0:
            lines.append('x,"multi\nline"')
            expected.add((row, 1, "type-error"))
        elif row % 13 == 0:
            lines.append("5")
            expected.add((row, 2, "missing-cell"))
        else:
            lines.append(f"{row},ok")
    limits = Limits(csv_block_bytes=2048, max_errors_reported=10_000)
    path = write("rows.csv", "\n".join(lines) + "\n")
    report = validate_file(
        path, schema=fields(("a", "integer"), "b"), data_format="csv", limits=limits
    )
    assert findings(report) == expected
    assert report.row_count == 2998
