"""The schema step: a Table Schema as rows of a table a steward edits, and back.

Only what the table shows changes (type, required, unique, enum, description); every other
property of a field (its name, format, the inference's `confidence`...) is kept as it was, so
a schema nobody edited is the very schema the check inferred and vouched for (no second check).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from console.forms.publish import SCHEMA_TYPES

POINTER = re.compile(r"^/fields/(\d+)(?:/(.*))?$")


@dataclass
class SchemaRow:
    index: int
    name: str
    type: str
    required: bool
    unique: bool
    enum: str
    description: str
    confidence: float | None
    errors: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"field-{self.index}"

    @property
    def confidence_percent(self) -> int | None:
        return None if self.confidence is None else round(self.confidence * 100)

    @property
    def confidence_level(self) -> str:
        if self.confidence is None:
            return ""
        return "ok" if self.confidence >= 0.67 else "warn" if self.confidence >= 0.33 else "bad"


def _enum_text(values: Any) -> str:
    return ", ".join(str(value) for value in values) if isinstance(values, list) else ""


def schema_rows(schema: Any) -> list[SchemaRow]:
    fields = schema.get("fields") if isinstance(schema, dict) else None
    rows = []
    for index, descriptor in enumerate(fields if isinstance(fields, list) else []):
        if not isinstance(descriptor, dict):
            continue
        constraints = descriptor.get("constraints") or {}
        confidence = descriptor.get("confidence")
        rows.append(
            SchemaRow(
                index=index,
                name=str(descriptor.get("name", "")),
                type=str(descriptor.get("type") or "string"),
                required=bool(constraints.get("required")),
                unique=bool(constraints.get("unique")),
                enum=_enum_text(constraints.get("enum")),
                description=str(descriptor.get("description", "")),
                confidence=confidence if isinstance(confidence, int | float) else None,
            )
        )
    return rows


def schema_edited(schema: Any, data: QueryDict) -> Any:
    """`schema` with the table's edits from a POST (fields the POST leaves out unchanged)."""
    edited = copy.deepcopy(schema)
    for row in schema_rows(schema):
        if f"{row.prefix}-type" not in data:
            continue
        descriptor = edited["fields"][row.index]
        kind = data.get(f"{row.prefix}-type", row.type)
        descriptor["type"] = kind if kind in SCHEMA_TYPES else row.type
        constraints = dict(descriptor.get("constraints") or {})
        for name in ("required", "unique"):
            if data.get(f"{row.prefix}-{name}"):
                constraints[name] = True
            else:
                constraints.pop(name, None)
        enum = data.get(f"{row.prefix}-enum", "").strip()
        if enum != row.enum:
            values = [value.strip() for value in enum.split(",") if value.strip()]
            if values:
                constraints["enum"] = values
            else:
                constraints.pop("enum", None)
        if constraints:
            descriptor["constraints"] = constraints
        else:
            descriptor.pop("constraints", None)
        description = data.get(f"{row.prefix}-description", "").strip()
        if description:
            descriptor["description"] = description
        else:
            descriptor.pop("description", None)
    return edited


def rows_with_problems(
    schema: Any, problems: list[dict[str, str]]
) -> tuple[list[SchemaRow], list[str]]:
    """The rows, each with the problems pointing into its field, and the others."""
    rows = schema_rows(schema)
    by_index = {row.index: row for row in rows}
    others = []
    for problem in problems:
        match = POINTER.match(problem.get("pointer", ""))
        row = by_index.get(int(match.group(1))) if match else None
        if row is not None:
            row.errors.append(problem["message"])
        else:
            others.append(problem["message"])
    return rows, others
