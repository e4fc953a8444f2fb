"""The Frictionless Table Schema (v1, with the v2 additions Frictionless 5 reads) as a JSON Schema.

It checks the shape of a schema: which properties exist and what type each has. Rules a JSON
Schema cannot express (a constraint the field type does not support, a primary key naming an
unknown field, a pattern our regex engine cannot compile...) are checked in schema.py.
"""

from __future__ import annotations

from typing import Any

FIELD_TYPES: tuple[str, ...] = (
    "string",
    "number",
    "integer",
    "boolean",
    "object",
    "array",
    "list",
    "date",
    "time",
    "datetime",
    "year",
    "yearmonth",
    "duration",
    "geopoint",
    "geojson",
    "any",
)

_STRING_OR_STRINGS: dict[str, Any] = {
    "oneOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}, "minItems": 1},
    ]
}

_MISSING_VALUES: dict[str, Any] = {
    "type": "array",
    "items": {
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "required": ["value"],
                "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
            },
        ]
    },
}

_CONSTRAINTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "required": {"type": "boolean"},
        "unique": {"type": "boolean"},
        "pattern": {"type": "string"},
        "enum": {"type": "array", "minItems": 1},
        "minLength": {"type": "integer", "minimum": 0},
        "maxLength": {"type": "integer", "minimum": 0},
        # Bounds are typed like the field (a date bound is a string), checked in schema.py.
        "minimum": {"type": ["string", "number"]},
        "maximum": {"type": ["string", "number"]},
        "exclusiveMinimum": {"type": ["string", "number"]},
        "exclusiveMaximum": {"type": ["string", "number"]},
    },
}

_FIELD: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "type": {"type": "string", "enum": list(FIELD_TYPES)},
        "format": {"type": "string"},
        "example": {},
        "rdfType": {"type": "string"},
        "constraints": _CONSTRAINTS,
        "missingValues": _MISSING_VALUES,
        "trueValues": {"type": "array", "items": {"type": "string"}},
        "falseValues": {"type": "array", "items": {"type": "string"}},
        "bareNumber": {"type": "boolean"},
        "floatNumber": {"type": "boolean"},
        "groupChar": {"type": "string", "minLength": 1, "maxLength": 1},
        "decimalChar": {"type": "string", "minLength": 1, "maxLength": 1},
        "delimiter": {"type": "string", "minLength": 1},
        "itemType": {"type": "string"},
        "arrayItem": {"type": "object"},
    },
}

TABLE_SCHEMA_META: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://max-registry.example/schemas/table-schema.json",
    "title": "Frictionless Table Schema",
    "type": "object",
    "required": ["fields"],
    "properties": {
        "$schema": {"type": "string"},
        "name": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "fields": {"type": "array", "items": _FIELD},
        "primaryKey": _STRING_OR_STRINGS,
        "uniqueKeys": {"type": "array", "items": _STRING_OR_STRINGS},
        "foreignKeys": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["fields", "reference"],
                "properties": {
                    "fields": _STRING_OR_STRINGS,
                    "reference": {
                        "type": "object",
                        "required": ["fields"],
                        "properties": {
                            "resource": {"type": "string"},
                            "fields": _STRING_OR_STRINGS,
                        },
                    },
                },
            },
        },
        "missingValues": _MISSING_VALUES,
        "fieldsMatch": {
            "type": "string",
            "enum": ["exact", "equal", "subset", "superset", "partial"],
        },
    },
}

# Constraints each field type accepts (Frictionless v5's `supported_constraints`, plus unique).
SUPPORTED_CONSTRAINTS: dict[str, frozenset[str]] = {
    "string": frozenset({"required", "minLength", "maxLength", "pattern", "enum"}),
    "number": frozenset(
        {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
    ),
    "integer": frozenset(
        {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
    ),
    "boolean": frozenset({"required", "enum"}),
    "object": frozenset({"required", "minLength", "maxLength", "enum"}),
    "array": frozenset({"required", "minLength", "maxLength", "enum"}),
    "list": frozenset({"required", "minLength", "maxLength"}),
    "date": frozenset(
        {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
    ),
    "time": frozenset(
        {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
    ),
    "datetime": frozenset(
        {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
    ),
    "year": frozenset(
        {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
    ),
    "yearmonth": frozenset(
        {"required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"}
    ),
    "duration": frozenset({"required", "enum"}),
    "geopoint": frozenset({"required", "enum"}),
    "geojson": frozenset({"required", "enum"}),
    "any": frozenset({"required", "enum"}),
}

FORMATS: dict[str, frozenset[str] | None] = {
    # None: any strptime-style pattern is allowed besides "default" and "any".
    "string": frozenset({"default", "email", "uri", "uuid", "binary", "wkt"}),
    "date": None,
    "time": None,
    "datetime": None,
    "geopoint": frozenset({"default", "array", "object"}),
    "geojson": frozenset({"default", "topojson"}),
}
