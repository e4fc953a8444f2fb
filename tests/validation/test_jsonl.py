"""JSON Lines against a JSON Schema (errors with JSON pointers) or a Table Schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasets.validation import Limits, ValidationReport, validate_file

from .helpers import fields

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "temp"],
    "properties": {
        "id": {"type": "integer"},
        "temp": {"type": "number", "maximum": 25},
        "tag": {"type": "string", "pattern": "^[ab]$"},
        "where": {
            "type": "object",
            "properties": {"line": {"type": "string", "enum": ["L1", "L2"]}},
        },
    },
    "additionalProperties": False,
}


def run(
    write: Callable[..., Path], lines: list[str], schema: Any = SCHEMA, **options: Any
) -> ValidationReport:
    path = write("data.jsonl", "\n".join(lines) + "\n")
    options.setdefault("schema_kind", "json_schema")
    return validate_file(path, schema=schema, data_format="jsonl", **options)


def found(report: ValidationReport) -> set[tuple[int | None, str | None, str]]:
    return {(e["row"], e["field"], e["code"]) for e in report.errors}


def test_clean_records_pass(write: Callable[..., Path]) -> None:
    lines = [json.dumps({"id": i, "temp": 20.0 + i / 10, "tag": "a"}) for i in range(20)]
    report = run(write, lines)
    assert report.status == "passed"
    assert report.row_count == 20
    by_name = {column["name"]: column for column in report.profile}
    assert by_name["id"]["type"] == "integer"
    assert (by_name["id"]["min"], by_name["id"]["max"]) == (0, 19)
    assert by_name["tag"]["top_values"] == [{"value": "a", "count": 20}]


def test_errors_carry_json_pointers(write: Callable[..., Path]) -> None:
    lines = [
        json.dumps({"id": 1, "temp": 20}),
        json.dumps({"id": "x", "temp": 30}),
        json.dumps({"temp": 1, "tag": "c"}),
        json.dumps({"id": 2, "temp": 1, "where": {"line": "L9"}}),
        json.dumps({"id": 3, "temp": 1, "extra": True}),
    ]
    report = run(write, lines)
    assert report.status == "failed"
    assert found(report) == {
        (2, "/id", "type-error"),
        (2, "/temp", "constraint-error"),
        (3, "/id", "constraint-error"),  # required
        (3, "/tag", "constraint-error"),  # pattern (on RE2)
        (4, "/where/line", "constraint-error"),
        (5, "/", "constraint-error"),  # additionalProperties
    }
    messages = {(e["row"], e["field"]): e["message"] for e in report.errors}
    assert "'id' is a required property" in messages[(3, "/id")]
    assert '"maximum"' in messages[(2, "/temp")]


def test_broken_lines_are_reported_and_skipped(write: Callable[..., Path]) -> None:
    lines = [
        json.dumps({"id": 1, "temp": 1}),
        "{not json",
        "",
        '{"id": 2, "temp": 2}',
        "[[[" * 5000 + "]]]" * 5000,
    ]
    report = run(write, lines, schema={"type": ["object", "array"]})
    assert found(report) == {
        (2, None, "format-error"),
        (3, None, "blank-row"),
        (5, None, "format-error"),  # nested too deeply for the JSON parser
    }
    assert "nested too deeply" in report.errors[-1]["message"]
    assert report.row_count == 2


def test_line_longer_than_the_limit(write: Callable[..., Path]) -> None:
    long = json.dumps({"id": 2, "temp": 1, "tag": "a" * 5000})
    lines = [json.dumps({"id": 1, "temp": 1}), long, json.dumps({"id": 3, "temp": 1})]
    report = run(write, lines, limits=Limits(max_line_bytes=1000))
    assert found(report) == {(2, None, "format-error")}
    assert report.row_count == 2


def test_invalid_utf8(write: Callable[..., Path]) -> None:
    good = b'{"id": 1, "temp": 1}\n'
    bad = b'{"id": "\xff", "temp": 1}\n'
    # In the head, where the encoding is decided: neither UTF-8 nor CP949, refused.
    path = write("bad.jsonl", good + bad)
    report = validate_file(path, schema=SCHEMA, schema_kind="json_schema", data_format="jsonl")
    assert report.status == "error"
    assert report.errors_by_code == {"encoding-error": 1}
    # Further on: that line is an encoding error, the others are checked.
    path = write("late.jsonl", good * 100 + bad + good)
    report = validate_file(
        path,
        schema=SCHEMA,
        schema_kind="json_schema",
        data_format="jsonl",
        limits=Limits(max_line_bytes=1000),
    )
    assert {(e["row"], e["code"]) for e in report.errors} == {(101, "encoding-error")}
    assert report.row_count == 101


def test_cp949_json_lines(write: Callable[..., Path]) -> None:
    text = "\n".join(
        json.dumps({"id": i, "temp": 1, "tag": "서울"}, ensure_ascii=False) for i in range(3)
    )
    path = write("k.jsonl", (text + "\n").encode("cp949"))
    report = validate_file(path, schema=None, schema_kind="json_schema", data_format="jsonl")
    assert report.encoding == "cp949"
    assert report.status == "passed"


def test_json_lines_against_a_table_schema(write: Callable[..., Path]) -> None:
    schema = {
        **fields(
            {"name": "id", "type": "integer", "constraints": {"unique": True}},
            ("temp", "number"),
            {"name": "day", "type": "date", "constraints": {"required": True}},
        ),
        "primaryKey": ["id"],
    }
    lines = [
        json.dumps({"id": 1, "temp": 1.5, "day": "2024-01-01"}),
        json.dumps({"id": 1, "temp": "x", "day": "2024-02-30"}),
        json.dumps({"id": 2.0, "temp": 2, "day": None, "more": 1}),
        json.dumps([3, 4, "2024-01-02", "extra"]),
        json.dumps({"id": True, "temp": 1, "day": "2024-01-03"}),
    ]
    report = run(write, lines, schema=schema, schema_kind="table_schema")
    assert {(e["row"], e["field_number"], e["code"]) for e in report.errors} == {
        (2, 1, "unique-error"),
        (2, None, "primary-key"),
        (2, 2, "type-error"),
        (2, 3, "type-error"),
        (3, 3, "constraint-error"),
        (3, None, "extra-cell"),
        (4, 4, "extra-cell"),
        (5, 1, "type-error"),  # a boolean is not an integer
        (5, None, "primary-key"),
    }
