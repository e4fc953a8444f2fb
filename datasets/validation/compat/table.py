"""Compatibility of Table Schemas: fields matched by name, types, constraints, keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..arrays import to_arrow_value
from ..cells import value_reader
from ..fields import FieldSpec, fields_from_schema
from .changes import (
    BACKWARD,
    BOTH,
    FORWARD,
    NEITHER,
    Changes,
    compare_bound,
    compare_enum,
    compare_pattern,
    compare_sets,
)

# Which types accept every value another type accepts (in text data): a ⊆ b.
_SUBTYPES: dict[str, set[str]] = {
    "integer": {"number", "string", "any"},
    "year": {"integer", "number", "string", "any"},
    "number": {"string", "any"},
    "boolean": {"string", "any"},
    "date": {"string", "any"},
    "datetime": {"string", "any"},
    "time": {"string", "any"},
    "yearmonth": {"string", "any"},
    "duration": {"string", "any"},
    "geopoint": {"string", "any"},
    "geojson": {"object", "string", "any"},
    "object": {"string", "any"},
    "array": {"string", "any"},
    "list": {"string", "any"},
    "string": {"any"},
    "any": {"string"},  # in text data a string field accepts any cell
}


def compare_table(old: dict[str, Any], new: dict[str, Any], changes: Changes) -> None:
    old_fields = {spec.name: spec for spec in fields_from_schema(old)}
    new_fields = {spec.name: spec for spec in fields_from_schema(new)}
    for name, spec in old_fields.items():
        if name not in new_fields:
            if spec.required:
                changes.add(
                    "field-removed",
                    name,
                    f'required field "{name}" was removed',
                    FORWARD,
                )
            else:
                changes.add(
                    "field-removed",
                    name,
                    f'optional field "{name}" was removed (readers see it empty)',
                    NEITHER,
                )
    for name, spec in new_fields.items():
        if name not in old_fields:
            if spec.required:
                changes.add("required-added", name, f'new field "{name}" is required', BACKWARD)
            else:
                changes.add("field-added", name, f'optional field "{name}" was added', NEITHER)
    for name in old_fields.keys() & new_fields.keys():
        _compare_field(old_fields[name], new_fields[name], changes)
    common = [name for name in old_fields if name in new_fields]
    new_order = [name for name in new_fields if name in old_fields]
    if common != new_order:
        changes.add(
            "field-moved",
            "",
            "the common fields are in a different order (readers matching columns by name are "
            "not affected)",
            NEITHER,
        )
    _compare_keys(old, new, changes)
    old_missing = set(_missing(old.get("missingValues", [""])))
    new_missing = set(_missing(new.get("missingValues", [""])))
    compare_sets(
        "missing-values-changed",
        "",
        "missingValues",
        old_missing,
        new_missing,
        changes,
        # A value no longer read as missing is now a value, possibly a type error: backward.
        narrower=BACKWARD,
        wider=FORWARD,
    )


def _missing(entries: Any) -> list[str]:
    return [str(e["value"] if isinstance(e, dict) else e) for e in entries or []]


def _compare_keys(old: dict[str, Any], new: dict[str, Any], changes: Changes) -> None:
    def key(schema: dict[str, Any]) -> list[str]:
        value = schema.get("primaryKey") or []
        return [value] if isinstance(value, str) else list(value)

    old_key, new_key = key(old), key(new)
    if old_key == new_key:
        return
    if not old_key:
        changes.add(
            "constraint-tightened", ",".join(new_key), f"primary key {new_key} was added", BACKWARD
        )
    elif not new_key:
        changes.add(
            "constraint-loosened", ",".join(old_key), f"primary key {old_key} was removed", FORWARD
        )
    elif set(new_key) < set(old_key):
        changes.add(
            "constraint-tightened",
            ",".join(new_key),
            f"primary key narrowed from {old_key} to {new_key}",
            BACKWARD,
        )
    elif set(new_key) > set(old_key):
        changes.add(
            "constraint-loosened",
            ",".join(new_key),
            f"primary key widened from {old_key} to {new_key}",
            FORWARD,
        )
    else:
        changes.add(
            "primary-key-changed",
            ",".join(new_key),
            f"primary key changed from {old_key} to {new_key}",
            BOTH,
        )


def _type_change(old: str, new: str) -> tuple[str, frozenset[str]]:
    if new in _SUBTYPES.get(old, set()) and old not in _SUBTYPES.get(new, set()):
        return "type-widened", FORWARD
    if old in _SUBTYPES.get(new, set()) and new not in _SUBTYPES.get(old, set()):
        return "type-narrowed", BACKWARD
    return "type-changed", BOTH


def _compare_field(old: FieldSpec, new: FieldSpec, changes: Changes) -> None:
    name = old.name
    if old.type != new.type:
        code, breaks = _type_change(old.type, new.type)
        changes.add(code, name, f'type changed from "{old.type}" to "{new.type}"', breaks)
        return  # constraints of different types do not compare
    if old.format != new.format:
        if old.type == "string" and old.format == "default":
            changes.add("type-narrowed", name, f'format "{new.format}" was added', BACKWARD)
        elif old.type == "string" and new.format == "default":
            changes.add("type-widened", name, f'format "{old.format}" was removed', FORWARD)
        else:
            changes.add(
                "format-changed",
                name,
                f'format changed from "{old.format}" to "{new.format}"',
                BOTH,
            )
    for attribute, label in (
        ("bare_number", "bareNumber"),
        ("group_char", "groupChar"),
        ("decimal_char", "decimalChar"),
        ("float_number", "floatNumber"),
    ):
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before != after:
            changes.add(
                "format-changed", name, f"{label} changed from {before!r} to {after!r}", BOTH
            )
    if old.type == "boolean":
        compare_sets(
            "constraint-changed",
            name,
            "trueValues",
            set(old.true_values),
            set(new.true_values),
            changes,
            narrower=BACKWARD,
            wider=FORWARD,
        )
        compare_sets(
            "constraint-changed",
            name,
            "falseValues",
            set(old.false_values),
            set(new.false_values),
            changes,
            narrower=BACKWARD,
            wider=FORWARD,
        )
    compare_sets(
        "missing-values-changed",
        name,
        "missingValues",
        set(old.missing_values),
        set(new.missing_values),
        changes,
        narrower=BACKWARD,
        wider=FORWARD,
    )
    _compare_constraints(old, new, changes)


def _compare_constraints(old: FieldSpec, new: FieldSpec, changes: Changes) -> None:
    name = old.name
    before, after = old.constraints, new.constraints
    for flag in ("required", "unique"):
        was, now = bool(before.get(flag)), bool(after.get(flag))
        if now and not was:
            code = "required-added" if flag == "required" else "constraint-tightened"
            changes.add(code, name, f'"{flag}" was added', BACKWARD)
        elif was and not now:
            changes.add("constraint-loosened", name, f'"{flag}" was removed', FORWARD)
    read = _ordered_reader(new)
    for bound in ("minimum", "exclusiveMinimum", "minLength"):
        compare_bound(
            name, bound, before.get(bound), after.get(bound), read, lower=True, changes=changes
        )
    for bound in ("maximum", "exclusiveMaximum", "maxLength"):
        compare_bound(
            name, bound, before.get(bound), after.get(bound), read, lower=False, changes=changes
        )
    compare_pattern(name, before.get("pattern"), after.get("pattern"), changes)
    compare_enum(name, before.get("enum"), after.get("enum"), _canonical(new), changes)


def _ordered_reader(spec: FieldSpec) -> Callable[[Any], Any]:
    reader = value_reader(spec)

    def read(value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return to_arrow_value(spec.type, reader(value))

    return read


def _canonical(spec: FieldSpec) -> Callable[[Any], Any]:
    reader = value_reader(spec)

    def canonical(value: Any) -> Any:
        read = reader(value) if value is not None else None
        return json.dumps(value, sort_keys=True) if read is None else repr(read)

    return canonical
