"""Schema compatibility between versions, in Confluent's modes."""

from __future__ import annotations

from typing import Any

import pytest

from datasets.validation import compare_schemas

BASE: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "temp", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "status", "type": "string", "constraints": {"enum": ["RUN", "STOP"]}},
        {"name": "note", "type": "string"},
    ],
    "primaryKey": ["id"],
}


def changed(**edits: Any) -> dict[str, Any]:
    """BASE with fields replaced or removed (None) by name, and extra fields appended."""
    fields = []
    for field in BASE["fields"]:
        edit = edits.pop(field["name"], field)
        if edit is not None:
            fields.append(edit)
    fields.extend(edits.pop("added", []))
    return {**BASE, "fields": fields, **edits}


def codes(changes: list[dict[str, Any]]) -> set[tuple[str, str, bool]]:
    return {(change["code"], change["field"], change["breaking"]) for change in changes}


@pytest.mark.parametrize(
    ("new", "code", "field", "breaks"),
    [
        (changed(note=None), "field-removed", "note", set()),
        (changed(id=None, primaryKey=[]), "field-removed", "id", {"forward"}),
        (changed(added=[{"name": "x"}]), "field-added", "x", set()),
        (
            changed(added=[{"name": "x", "constraints": {"required": True}}]),
            "required-added",
            "x",
            {"backward"},
        ),
        (
            changed(note={"name": "note", "type": "string", "constraints": {"required": True}}),
            "required-added",
            "note",
            {"backward"},
        ),
        (changed(temp={"name": "temp", "type": "integer"}), "type-narrowed", "temp", {"backward"}),
        (
            changed(id={"name": "id", "type": "number", "constraints": {"required": True}}),
            "type-widened",
            "id",
            {"forward"},
        ),
        (changed(note={"name": "note", "type": "date"}), "type-narrowed", "note", {"backward"}),
        (
            changed(temp={"name": "temp", "type": "date"}),
            "type-changed",
            "temp",
            {"backward", "forward"},
        ),
        (
            changed(
                temp={
                    "name": "temp",
                    "type": "number",
                    "constraints": {"minimum": 10, "maximum": 100},
                }
            ),
            "constraint-tightened",
            "temp",
            {"backward"},
        ),
        (
            changed(temp={"name": "temp", "type": "number", "constraints": {"minimum": 0}}),
            "constraint-loosened",
            "temp",
            {"forward"},
        ),
        (
            changed(status={"name": "status", "type": "string", "constraints": {"enum": ["RUN"]}}),
            "constraint-tightened",
            "status",
            {"backward"},
        ),
        (
            changed(note={"name": "note", "type": "string", "constraints": {"pattern": "[a-z]+"}}),
            "constraint-tightened",
            "note",
            {"backward"},
        ),
        (
            changed(note={"name": "note", "type": "string", "format": "email"}),
            "type-narrowed",
            "note",
            {"backward"},
        ),
        (changed(primaryKey=["id", "note"]), "constraint-loosened", "id,note", {"forward"}),
        (changed(missingValues=["", "NA"]), "missing-values-changed", "", {"forward"}),
    ],
)
@pytest.mark.parametrize("mode", ["backward", "forward", "full", "none"])
def test_table_schema_changes(
    new: dict[str, Any], code: str, field: str, breaks: set[str], mode: str
) -> None:
    changes = compare_schemas(BASE, new, kind="table_schema", mode=mode)
    match = [change for change in changes if change["code"] == code and change["field"] == field]
    assert match, changes
    change = match[0]
    assert set(change["breaks"]) == breaks
    expected = {"none": False, "full": bool(breaks)}.get(mode, mode in breaks)
    assert change["breaking"] is expected
    assert change["message"]


def test_identical_schemas_have_no_changes() -> None:
    assert compare_schemas(BASE, BASE, kind="table_schema", mode="full") == []


def test_several_changes_are_all_listed() -> None:
    new = changed(
        note=None,
        temp={"name": "temp", "type": "integer"},
        added=[{"name": "line", "constraints": {"required": True}}],
    )
    assert codes(compare_schemas(BASE, new, kind="table_schema", mode="backward")) == {
        ("field-removed", "note", False),
        ("type-narrowed", "temp", True),
        ("required-added", "line", True),
    }


JSON_BASE: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "integer"},
        "temp": {"type": "number", "maximum": 100},
        "tags": {"type": "array", "items": {"type": "string"}},
        "where": {"type": "object", "properties": {"line": {"type": "string"}}},
    },
}


def json_changed(**properties: Any) -> dict[str, Any]:
    props = dict(JSON_BASE["properties"])
    required = list(JSON_BASE["required"])
    for name, value in properties.items():
        if name == "required":
            required = value
        elif value is None:
            props.pop(name)
        else:
            props[name] = value
    return {**JSON_BASE, "properties": props, "required": required}


@pytest.mark.parametrize(
    ("new", "code", "field", "breaks"),
    [
        (json_changed(temp=None), "field-removed", "/temp", set()),
        (json_changed(id=None, required=[]), "field-removed", "/id", {"forward"}),
        (json_changed(required=["id", "temp"]), "required-added", "/temp", {"backward"}),
        (json_changed(id={"type": "number"}), "type-widened", "/id", {"forward"}),
        (
            json_changed(temp={"type": "integer", "maximum": 100}),
            "type-narrowed",
            "/temp",
            {"backward"},
        ),
        (
            json_changed(temp={"type": "number", "maximum": 50}),
            "constraint-tightened",
            "/temp",
            {"backward"},
        ),
        (
            json_changed(tags={"type": "array", "items": {"type": "integer"}}),
            "type-changed",
            "/tags/*",
            {"backward", "forward"},
        ),
        (
            json_changed(
                where={"type": "object", "properties": {"line": {"type": "string", "enum": ["L1"]}}}
            ),
            "constraint-tightened",
            "/where/line",
            {"backward"},
        ),
        (
            json_changed(temp={"type": "number", "maximum": 100, "oneOf": [{}]}),
            "schema-changed",
            "/temp",
            {"backward", "forward"},
        ),
    ],
)
def test_json_schema_changes(new: dict[str, Any], code: str, field: str, breaks: set[str]) -> None:
    changes = compare_schemas(JSON_BASE, new, kind="json_schema", mode="full")
    match = [change for change in changes if change["code"] == code and change["field"] == field]
    assert match, changes
    assert set(match[0]["breaks"]) == breaks
    assert match[0]["breaking"] is bool(breaks)


def test_closing_additional_properties_is_backward_incompatible() -> None:
    new = {**JSON_BASE, "additionalProperties": False}
    assert codes(compare_schemas(JSON_BASE, new, kind="json_schema", mode="backward")) == {
        ("constraint-tightened", "/", True)
    }


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown compatibility mode"):
        compare_schemas(BASE, BASE, mode="sideways")


def test_confluent_mode_spellings() -> None:
    new = changed(note={"name": "note", "type": "date"})
    for mode in ("BACKWARD", "backward_transitive", "FULL_TRANSITIVE"):
        assert compare_schemas(BASE, new, mode=mode)[0]["breaking"] is True
    assert compare_schemas(BASE, new, mode="FORWARD")[0]["breaking"] is False
