"""Meta-validation of schemas: every problem with a JSON pointer."""

from __future__ import annotations

from typing import Any

import pytest

from datasets.validation import Limits, check_json_schema, check_table_schema, load_schema_bytes

GOOD_TABLE: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
        {"name": "day", "type": "date", "format": "%d/%m/%Y"},
        {"name": "temp", "type": "number", "constraints": {"minimum": -50, "maximum": 150}},
        {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{3}", "maxLength": 3}},
        {"name": "ok", "type": "boolean", "trueValues": ["Y"], "falseValues": ["N"]},
        {"name": "since", "type": "date", "constraints": {"minimum": "2020-01-01"}},
    ],
    "primaryKey": ["id"],
    "foreignKeys": [{"fields": "code", "reference": {"resource": "codes", "fields": "id"}}],
    "missingValues": ["", "NA"],
}


def pointers(problems: list[Any]) -> set[tuple[str, str]]:
    return {(problem.pointer, problem.code) for problem in problems}


def test_good_table_schema() -> None:
    assert check_table_schema(GOOD_TABLE, Limits()) == []


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ([], {("", "schema-error")}),
        ({}, {("", "schema-error")}),
        ({"fields": [{"type": "integer"}]}, {("/fields/0", "schema-error")}),
        ({"fields": [{"name": "a", "type": "int"}]}, {("/fields/0/type", "schema-error")}),
        (
            {"fields": [{"name": "a", "constraints": {"minLength": "3"}}]},
            {("/fields/0/constraints/minLength", "schema-error")},
        ),
        (
            {"fields": [{"name": "a", "type": "integer", "constraints": {"pattern": "x"}}]},
            {("/fields/0/constraints/pattern", "field-error")},
        ),
        (
            {"fields": [{"name": "a", "type": "integer", "constraints": {"minimum": "low"}}]},
            {("/fields/0/constraints/minimum", "field-error")},
        ),
        (
            {"fields": [{"name": "a", "type": "integer", "constraints": {"enum": [1, "x"]}}]},
            {("/fields/0/constraints/enum/1", "field-error")},
        ),
        (
            {"fields": [{"name": "a", "constraints": {"pattern": "(?=a)b"}}]},
            {("/fields/0/constraints/pattern", "unsupported-pattern")},
        ),
        ({"fields": [{"name": "a"}, {"name": "a"}]}, {("/fields/1/name", "schema-error")}),
        (
            {"fields": [{"name": "a"}], "primaryKey": ["a", "b"]},
            {("/primaryKey/1", "schema-error")},
        ),
        ({"fields": [{"name": "a"}], "primaryKey": "b"}, {("/primaryKey", "schema-error")}),
        (
            {"fields": [{"name": "a", "type": "date", "format": "dd/mm/yyyy"}]},
            {("/fields/0/format", "field-error")},
        ),
        (
            {"fields": [{"name": "a", "type": "string", "format": "phone"}]},
            {("/fields/0/format", "field-error")},
        ),
        ({"fields": [{"name": "a", "required": True}]}, {("/fields/0/required", "field-error")}),
        (
            {"fields": [{"name": "a", "constraints": {"minLength": 5, "maxLength": 2}}]},
            {("/fields/0/constraints", "field-error")},
        ),
        (
            {
                "fields": [{"name": "a"}],
                "foreignKeys": [{"fields": ["a"], "reference": {"fields": ["x", "y"]}}],
            },
            {
                ("/foreignKeys/0/reference/fields", "schema-error"),
                ("/foreignKeys/0/reference/fields/0", "schema-error"),
                ("/foreignKeys/0/reference/fields/1", "schema-error"),
            },
        ),
        ({"fields": [{"name": "a"}], "fieldsMatch": "loose"}, {("/fieldsMatch", "schema-error")}),
        ({"fields": [{"name": "a"}], "missingValues": [1]}, {("/missingValues/0", "schema-error")}),
    ],
)
def test_table_schema_problems(schema: Any, expected: set[tuple[str, str]]) -> None:
    assert pointers(check_table_schema(schema, Limits())) == expected


def test_every_problem_is_reported() -> None:
    schema = {"fields": [{"name": 1}, {"name": "b", "type": "text"}, {"title": "c"}]}
    problems = check_table_schema(schema, Limits())
    assert {p.pointer for p in problems} == {"/fields/0/name", "/fields/1/type", "/fields/2"}
    assert all(p.message for p in problems)


def test_pointer_escaping() -> None:
    schema = {"fields": [{"name": "a/b", "type": "integer", "constraints": {"minimum": "x"}}]}
    assert pointers(check_table_schema(schema, Limits())) == {
        ("/fields/0/constraints/minimum", "field-error")
    }
    problems = check_json_schema({"properties": {"a/b~c": {"type": "strng"}}}, Limits())
    assert [p.pointer for p in problems] == ["/properties/a~1b~0c/type"]


def test_good_json_schema() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "integer"},
            "tag": {"type": "string", "pattern": "^[a-z]+$"},
            "nested": {"$ref": "#/$defs/nested"},
        },
        "$defs": {"nested": {"type": "object", "patternProperties": {"^x-": {"type": "string"}}}},
    }
    assert check_json_schema(schema, Limits()) == []
    assert check_json_schema(True, Limits()) == []


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ([], {("", "schema-error")}),
        ({"type": "strng"}, {("/type", "schema-error")}),
        ({"properties": {"a": {"minimum": "0"}}}, {("/properties/a/minimum", "schema-error")}),
        ({"required": "id"}, {("/required", "schema-error")}),
        (
            {"properties": {"a": {"pattern": "(a)\\1"}}},
            {("/properties/a/pattern", "unsupported-pattern")},
        ),
        (
            {"patternProperties": {"(?<=x)y": {}}},
            {("/patternProperties/(?<=x)y", "unsupported-pattern")},
        ),
        ({"$ref": "https://example.com/schema.json"}, {("/$ref", "unsupported-ref")}),
        ({"enum": [{"pattern": "(?=x)"}]}, set()),  # data inside enum is not a schema
    ],
)
def test_json_schema_problems(schema: Any, expected: set[tuple[str, str]]) -> None:
    assert pointers(check_json_schema(schema, Limits())) == expected


def test_json_schema_draft_from_dollar_schema() -> None:
    draft7 = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "exclusiveMinimum": True,
    }
    assert pointers(check_json_schema(draft7, Limits())) == {("/exclusiveMinimum", "schema-error")}


def test_load_schema_bytes() -> None:
    schema, problems = load_schema_bytes(b'\xef\xbb\xbf{"fields": []}', Limits())
    assert (schema, problems) == ({"fields": []}, [])
    schema, problems = load_schema_bytes(b'{"fields": [}', Limits())
    assert schema is None
    assert problems[0].code == "invalid-json"
    assert "line 1, column 13" in problems[0].message
