"""Compatibility of JSON Schemas: properties, required, types, bounds, enums, recursively."""

from __future__ import annotations

import json
from typing import Any

from .changes import (
    BACKWARD,
    BOTH,
    FORWARD,
    Changes,
    compare_bound,
    compare_enum,
    compare_pattern,
)

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


_HANDLED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "pattern",
        "format",
        "uniqueItems",
        *_LOWER_BOUNDS,
        *_UPPER_BOUNDS,
        # Annotations: no effect on validity.
        "title",
        "description",
        "examples",
        "default",
        "$comment",
        "$id",
        "$schema",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)


def _types(schema: dict[str, Any]) -> set[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    types = {declared} if isinstance(declared, str) else set(declared)
    if "number" in types:
        types.add("integer")  # every integer is a number
    return types


def compare_json(old: Any, new: Any, path: str, changes: Changes) -> None:
    where = path or "/"
    if old == new:
        return
    if isinstance(old, bool) or isinstance(new, bool):
        accepts_all = {True, None}
        before = old if isinstance(old, bool) else None
        after = new if isinstance(new, bool) else None
        if after is False or (before in accepts_all and after is not True):
            changes.add("constraint-tightened", where, "the schema accepts less", BACKWARD)
        else:
            changes.add("constraint-loosened", where, "the schema accepts more", FORWARD)
        return
    if not isinstance(old, dict) or not isinstance(new, dict):
        changes.add("schema-changed", where, "the schema changed", BOTH)
        return
    old_types, new_types = _types(old), _types(new)
    if old_types != new_types:
        if new_types is None or (old_types is not None and old_types < new_types):
            changes.add(
                "type-widened",
                where,
                f"type widened from {old.get('type')} to {new.get('type', 'any')}",
                FORWARD,
            )
        elif old_types is None or new_types < old_types:
            changes.add(
                "type-narrowed",
                where,
                f"type narrowed from {old.get('type', 'any')} to {new.get('type')}",
                BACKWARD,
            )
        else:
            changes.add(
                "type-changed",
                where,
                f"type changed from {old.get('type')} to {new.get('type')}",
                BOTH,
            )
    _compare_properties(old, new, path, changes)
    if "items" in old or "items" in new:
        compare_json(old.get("items", True), new.get("items", True), f"{path}/*", changes)
    for bound in _LOWER_BOUNDS:
        compare_bound(
            where, bound, old.get(bound), new.get(bound), lambda v: v, lower=True, changes=changes
        )
    for bound in _UPPER_BOUNDS:
        compare_bound(
            where, bound, old.get(bound), new.get(bound), lambda v: v, lower=False, changes=changes
        )
    compare_pattern(where, old.get("pattern"), new.get("pattern"), changes)
    if old.get("format") != new.get("format"):
        changes.add(
            "format-changed",
            where,
            f"format changed from {old.get('format')!r} to {new.get('format')!r}",
            BOTH,
        )
    old_enum = old.get("enum", [old["const"]] if "const" in old else None)
    new_enum = new.get("enum", [new["const"]] if "const" in new else None)
    compare_enum(where, old_enum, new_enum, lambda v: json.dumps(v, sort_keys=True), changes)
    if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        if new.get("uniqueItems"):
            changes.add("constraint-tightened", where, '"uniqueItems" was added', BACKWARD)
        else:
            changes.add("constraint-loosened", where, '"uniqueItems" was removed', FORWARD)
    for keyword in sorted((old.keys() | new.keys()) - _HANDLED):
        if old.get(keyword) != new.get(keyword):
            changes.add(
                "schema-changed",
                where,
                f'"{keyword}" changed; its effect is not analysed, so it counts as breaking',
                BOTH,
            )


def _compare_properties(
    old: dict[str, Any], new: dict[str, Any], path: str, changes: Changes
) -> None:
    old_props = old.get("properties") or {}
    new_props = new.get("properties") or {}
    old_required = set(old.get("required") or [])
    new_required = set(new.get("required") or [])
    old_closed = old.get("additionalProperties") is False
    new_closed = new.get("additionalProperties") is False
    for name in sorted(old_props.keys() | new_props.keys() | old_required | new_required):
        where = f"{path}/{name}"
        in_old, in_new = name in old_props, name in new_props
        if in_old and not in_new and name not in new_required:
            breaks = set()
            if name in old_required:
                breaks.add("forward")
            if new_closed:
                breaks.add("backward")  # old data carrying it is now refused
            changes.add("field-removed", where, f'property "{name}" was removed', frozenset(breaks))
            continue
        if in_new and not in_old and name not in old_required:
            breaks = set()
            if name in new_required:
                breaks.add("backward")
            if old_closed:
                breaks.add("forward")  # the previous schema refuses it
            code = "required-added" if name in new_required else "field-added"
            changes.add(code, where, f'property "{name}" was added', frozenset(breaks))
            continue
        if name in new_required and name not in old_required:
            changes.add("required-added", where, f'"{name}" became required', BACKWARD)
        elif name in old_required and name not in new_required:
            changes.add("constraint-loosened", where, f'"{name}" is no longer required', FORWARD)
        if in_old and in_new:
            compare_json(old_props[name], new_props[name], where, changes)
    if old_closed != new_closed:
        if new_closed:
            changes.add(
                "constraint-tightened",
                path or "/",
                "additional properties are now refused",
                BACKWARD,
            )
        else:
            changes.add(
                "constraint-loosened",
                path or "/",
                "additional properties are now allowed",
                FORWARD,
            )
    old_additional, new_additional = (
        old.get("additionalProperties"),
        new.get("additionalProperties"),
    )
    if isinstance(old_additional, dict) or isinstance(new_additional, dict):
        compare_json(
            old_additional if old_additional is not None else True,
            new_additional if new_additional is not None else True,
            f"{path}/*",
            changes,
        )
