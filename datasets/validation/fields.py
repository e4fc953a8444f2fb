"""Table Schema fields, normalised from their descriptors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_TRUE_VALUES = ("true", "True", "TRUE", "1")
DEFAULT_FALSE_VALUES = ("false", "False", "FALSE", "0")
DEFAULT_MISSING_VALUES = ("",)
BOUND_CONSTRAINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
# Frictionless checks constraints in this order and reports one error per failed constraint.
CONSTRAINT_ORDER = (
    "required",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
)


@dataclass(frozen=True)
class FieldSpec:
    """One Table Schema field, normalised; `number` is its 1-based position in the schema."""

    name: str
    type: str = "string"
    format: str = "default"
    constraints: dict[str, Any] = field(default_factory=dict)
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    true_values: tuple[str, ...] = DEFAULT_TRUE_VALUES
    false_values: tuple[str, ...] = DEFAULT_FALSE_VALUES
    bare_number: bool = True
    float_number: bool = False
    group_char: str = ""
    decimal_char: str = "."
    list_delimiter: str = ","
    item_type: str = "string"
    number: int = 0

    @property
    def type_label(self) -> str:
        return f"{self.type}/{self.format}"

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    @property
    def unique(self) -> bool:
        return bool(self.constraints.get("unique"))

    @property
    def number_options(self) -> bool:
        """True when numbers need preprocessing (group/decimal characters, non-bare)."""
        return not self.bare_number or self.group_char != "" or self.decimal_char != "."


def _missing_values(entries: Any) -> tuple[str, ...]:
    values = [entry["value"] if isinstance(entry, dict) else entry for entry in entries]
    return tuple(str(value) for value in values)


def field_from_descriptor(
    descriptor: dict[str, Any], number: int, schema_missing: tuple[str, ...]
) -> FieldSpec:
    """FieldSpec from a field descriptor that passed check_table_schema."""
    missing = descriptor.get("missingValues")
    return FieldSpec(
        name=str(descriptor["name"]),
        type=descriptor.get("type", "string"),
        format=descriptor.get("format", "default") or "default",
        constraints=dict(descriptor.get("constraints") or {}),
        missing_values=_missing_values(missing) if missing is not None else schema_missing,
        true_values=tuple(descriptor.get("trueValues", DEFAULT_TRUE_VALUES)),
        false_values=tuple(descriptor.get("falseValues", DEFAULT_FALSE_VALUES)),
        bare_number=bool(descriptor.get("bareNumber", True)),
        float_number=bool(descriptor.get("floatNumber", False)),
        group_char=descriptor.get("groupChar", ""),
        decimal_char=descriptor.get("decimalChar", "."),
        list_delimiter=descriptor.get("delimiter", ","),
        item_type=descriptor.get("itemType", "string"),
        number=number,
    )


def fields_from_schema(schema: dict[str, Any]) -> list[FieldSpec]:
    missing = _missing_values(schema.get("missingValues", list(DEFAULT_MISSING_VALUES)))
    return [
        field_from_descriptor(descriptor, number, missing)
        for number, descriptor in enumerate(schema.get("fields", []), start=1)
    ]


def any_field(name: str, number: int, missing: tuple[str, ...]) -> FieldSpec:
    """The field Frictionless makes up for a label the schema does not declare."""
    return FieldSpec(name=name, type="any", number=number, missing_values=missing)
