"""Checks of a table, whatever its file format: header labels, then batches of rows.

The header is matched with the schema like Frictionless v5 does (`fieldsMatch`, "exact" by
default: by position), which decides the field each column is checked against: a column with
no field gets an `any` field named after its label, a field with no column is dropped after a
missing-label error. Batches then go through the column checks, blank rows, required cells,
unique fields, the primary key and the profile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import report as messages
from .arrays import arange
from .columns import ColumnChecker, ColumnResult
from .fields import FieldSpec, any_field, fields_from_schema
from .keys import KeyTracker, combine, key_array
from .limits import Limits
from .profile import ColumnProfile, sample_indices
from .report import ErrorSink


@dataclass(frozen=True)
class HeaderMatch:
    fields: list[FieldSpec]  # one per column of the data, in the data's order
    errors: list[dict[str, Any]]  # keyword arguments for ErrorSink.add


def _dedupe(names: list[str]) -> list[str]:
    used: set[str] = set()
    result = []
    for name in names:
        new, suffix = name, 2
        while new in used:
            new, suffix = f"{name}{suffix}", suffix + 1
        used.add(new)
        result.append(new)
    return result


def header_fields(
    labels: list[str], plan: SchemaPlan | None, sink: Any
) -> tuple[list[FieldSpec], list[str]]:
    """A text table's fields and primary key from its header row: every column a string when
    there is no schema, else the schema's fields matched to the labels (mismatches to `sink`)."""
    if plan is None:
        fields = [
            FieldSpec(name=label, type="string", number=number)
            for number, label in enumerate(labels, start=1)
        ]
        return fields, []
    match = match_header(
        labels, plan.fields, fields_match=plan.fields_match, missing_values=plan.missing_values
    )
    for error in match.errors:
        sink.add(**error)
    return match.fields, plan.primary_key


def match_header(
    labels: list[str],
    fields: list[FieldSpec],
    *,
    fields_match: str = "exact",
    missing_values: tuple[str, ...] = ("",),
) -> HeaderMatch:
    errors: list[dict[str, Any]] = []
    by_name = fields_match != "exact"
    by_key = {field.name: field for field in fields}

    def matching(position: int, label: str) -> FieldSpec | None:
        if not by_name:
            return fields[position] if position < len(fields) else None
        return by_key.get(label)

    # Extra labels
    if fields_match not in ("subset", "partial"):
        for number, label in enumerate(labels, start=1):
            if matching(number - 1, label) is None:
                errors.append(
                    {
                        "code": "extra-label",
                        "message": f'There is an extra label "{label}" in header at position '
                        f'"{number}"',
                        "field": "",
                        "field_number": number,
                    }
                )
    # Missing labels
    if by_name:
        present = set(labels)
        unmatched = [field for field in fields if field.name not in present]
    else:
        unmatched = fields[len(labels) :]
    if fields_match in ("superset", "partial"):
        unmatched = [field for field in unmatched if field.required]
    if (
        fields_match == "partial"
        and fields
        and not any(matching(i, label) for i, label in enumerate(labels))
    ):
        errors.append(
            {
                "code": "incorrect-label",
                "message": "None of the labels in the header match a field of the schema",
                "field": None,
                "field_number": None,
            }
        )
    for offset, field in enumerate(unmatched):
        number = len(labels) + offset + 1
        errors.append(
            {
                "code": "missing-label",
                "message": f'There is a missing label in the header\'s field "{field.name}" at '
                f'position "{number}"',
                "field": field.name,
                "field_number": number,
            }
        )
    if not by_name:
        for number, (field, label) in enumerate(zip(fields, labels, strict=False), start=1):
            if not label:
                errors.append(
                    {
                        "code": "blank-label",
                        "message": f'Label in the header in field at position "{number}" is blank',
                        "field": field.name,
                        "field_number": number,
                    }
                )
                continue
            earlier = [
                str(i) for i, seen in enumerate(labels[: number - 1], start=1) if seen == label
            ]
            if earlier:
                errors.append(
                    {
                        "code": "duplicate-label",
                        "message": f'Label "{label}" in the header at position "{number}" is '
                        f'duplicated to a label: at position "{", ".join(earlier)}"',
                        "field": field.name,
                        "field_number": number,
                    }
                )
                continue
            if label != field.name:
                errors.append(
                    {
                        "code": "incorrect-label",
                        "message": f'Label "{label}" in field {field.name} at position '
                        f'"{number}" does not match the field name in the schema',
                        "field": field.name,
                        "field_number": number,
                    }
                )
    matched = [matching(i, label) for i, label in enumerate(labels)]
    names = _dedupe(
        [field.name if field else label for field, label in zip(matched, labels, strict=True)]
    )
    expected = [
        _renumber(field, number) if field else any_field(name, number, missing_values)
        for number, (field, name) in enumerate(zip(matched, names, strict=True), start=1)
    ]
    return HeaderMatch(fields=expected, errors=errors)


def _renumber(field: FieldSpec, number: int) -> FieldSpec:
    return field if field.number == number else replace(field, number=number)


@dataclass
class SchemaPlan:
    """What a Table Schema asks of a table, ready for TableChecker."""

    fields: list[FieldSpec]
    primary_key: list[str]
    fields_match: str
    missing_values: tuple[str, ...]

    @classmethod
    def from_schema(cls, schema: dict[str, Any] | None) -> SchemaPlan | None:
        if schema is None:
            return None
        primary = schema.get("primaryKey") or []
        missing = tuple(
            str(entry["value"] if isinstance(entry, dict) else entry)
            for entry in schema.get("missingValues", [""])
        )
        return cls(
            fields=fields_from_schema(schema),
            primary_key=[primary] if isinstance(primary, str) else list(primary),
            fields_match=schema.get("fieldsMatch", "exact"),
            missing_values=missing,
        )


class TableChecker:
    """Checks batches of a table whose columns are `fields` (after header matching)."""

    def __init__(
        self,
        fields: list[FieldSpec],
        *,
        primary_key: list[str],
        sink: ErrorSink,
        limits: Limits,
        profile: bool = True,
        profile_types: list[str] | None = None,
    ) -> None:
        self.fields = fields
        self.sink = sink
        self.limits = limits
        self.checkers = [ColumnChecker(field) for field in fields]
        self.row_count = 0
        positions = {field.name: index for index, field in enumerate(fields)}
        # Frictionless skips the primary key check when a key field has no column.
        self.primary_key = (
            [positions[name] for name in primary_key]
            if primary_key and all(name in positions for name in primary_key)
            else []
        )
        unique = [index for index, field in enumerate(fields) if field.unique]
        # A one-field primary key that is also unique has the same repeats: track them once.
        self.pk_is_unique = len(self.primary_key) == 1 and self.primary_key[0] in unique
        trackers = len(unique) + (1 if self.primary_key and not self.pk_is_unique else 0)
        budget = limits.max_key_memory_bytes // max(1, trackers)
        self.pk_tracker = KeyTracker(budget) if self.primary_key and not self.pk_is_unique else None
        self.unique = {index: KeyTracker(budget) for index in unique}
        types = profile_types or [field.type for field in fields]
        self.profiles = (
            [
                ColumnProfile(
                    field.name,
                    type_,
                    exact_limit=limits.profile_exact_distinct,
                    top=limits.profile_top_values,
                )
                for field, type_ in zip(fields, types, strict=True)
            ]
            if profile
            else []
        )

    def check_batch(self, columns: list[pa.Array], rows: pa.Array) -> pa.Array:
        """Check one batch; `rows` holds each row's number. Returns the blank-row mask."""
        results = [
            checker.check(column) for checker, column in zip(self.checkers, columns, strict=True)
        ]
        return self._process(results, columns, rows)

    def check_python_rows(self, columns: list[list[Any]], rows: pa.Array) -> pa.Array:
        """Like check_batch for Python values (JSON), one list per column; None is missing."""
        results = [
            checker.check_python(column)
            for checker, column in zip(self.checkers, columns, strict=True)
        ]
        texts = [pa.array([_cell_text(cell) for cell in column], pa.string()) for column in columns]
        return self._process(results, texts, rows)

    def _process(
        self, results: list[ColumnResult], columns: list[pa.Array], rows: pa.Array
    ) -> pa.Array:
        n = len(rows)
        sample = sample_indices(self.row_count, n) if self.profiles else None
        self.row_count += n
        blank = _blank_rows([result.missing for result in results], n)
        sink = self.sink
        if blank is not None:
            sink.add_cells(
                "blank-row",
                pc.indices_nonzero(blank),
                rows,
                None,
                lambda row, _: messages.blank_row_message(row),
                field=None,
                field_number=None,
            )
        for index, (field, result) in enumerate(zip(self.fields, results, strict=True)):
            self._report_cells(field, columns[index], result, rows)
            if field.required:
                absent = result.missing
                if blank is not None:
                    absent = pc.and_(absent, pc.invert(blank))
                self._report_required(field, absent, rows)
            if index in self.unique:
                self.unique[index].add(_keys(result), rows)
            if self.profiles:
                self.profiles[index].update(result.values, result.missing, sample)
        if self.primary_key:
            self._primary_key(results, rows)
        return blank if blank is not None else pa.array([False] * n, pa.bool_())

    def _report_cells(
        self, field: FieldSpec, column: pa.Array, result: ColumnResult, rows: pa.Array
    ) -> None:
        name, number = field.name, field.number
        for code, constraint, indices in result.errors:
            message: Callable[[int, str], str]
            if code == "type-error":
                message = partial(_type_message, name=name, number=number, label=field.type_label)
            else:
                message = partial(
                    _constraint_message,
                    name=name,
                    number=number,
                    constraint=constraint or "",
                    value=field.constraints.get(constraint or ""),
                )
            self.sink.add_cells(
                code, indices, rows, _text(column), message, field=name, field_number=number
            )

    def _report_required(self, field: FieldSpec, absent: pa.Array, rows: pa.Array) -> None:
        if not pc.any(absent).as_py():
            return
        name, number = field.name, field.number
        self.sink.add_cells(
            "constraint-error",
            pc.indices_nonzero(absent),
            rows,
            None,
            lambda row, _: messages.constraint_error_message(
                "None", row, name, number, "required", "True"
            ),
            field=name,
            field_number=number,
        )

    def _primary_key(self, results: list[ColumnResult], rows: pa.Array) -> None:
        picked = [results[index] for index in self.primary_key]
        parts = [_keys(result) for result in picked]
        # A cell is present when it has a value or a key (integers beyond int64 have no Arrow
        # value); a present cell without a key is NaN, which equals nothing in Python.
        present = [
            pc.or_(pc.is_valid(result.values), pc.is_valid(part))
            for result, part in zip(picked, parts, strict=True)
        ]
        all_null = pc.invert(present[0])
        for mask in present[1:]:
            all_null = pc.and_(all_null, pc.invert(mask))
        if pc.any(all_null).as_py():
            self.sink.add_cells(
                "primary-key",
                pc.indices_nonzero(all_null),
                rows,
                None,
                lambda row, _: messages.primary_key_message(row, None),
                field=None,
                field_number=None,
            )
        if len(parts) == 1:
            keys = parts[0]
        else:
            unkeyable = all_null
            for mask, part in zip(present, parts, strict=True):
                unkeyable = pc.or_(unkeyable, pc.and_(mask, pc.is_null(part)))
            keys = pc.if_else(unkeyable, pa.scalar(None, pa.int64()), combine(parts))
        if self.pk_tracker is not None:
            self.pk_tracker.add(keys, rows)

    def finish(self) -> None:
        """Report repeated keys, found only now that every row has been seen."""
        for index, tracker in self.unique.items():
            field = self.fields[index]
            also_pk = self.pk_is_unique and self.primary_key[0] == index
            for dup_rows, previous in tracker.duplicates():
                self._report_repeats(dup_rows, previous, field)
                if also_pk:
                    self._report_repeats(dup_rows, previous, None)
        if self.pk_tracker is not None:
            for dup_rows, previous in self.pk_tracker.duplicates():
                self._report_repeats(dup_rows, previous, None)

    def _report_repeats(self, rows: pa.Array, previous: pa.Array, field: FieldSpec | None) -> None:
        """unique-error (field given) or primary-key errors; `rows` ascend."""
        indices = arange(len(rows))
        if field is None:
            self.sink.add_cells(
                "primary-key",
                indices,
                rows,
                previous,
                lambda row, prev: messages.primary_key_message(row, int(prev)),
                field=None,
                field_number=None,
            )
            return
        name, number = field.name, field.number
        self.sink.add_cells(
            "unique-error",
            indices,
            rows,
            previous,
            lambda row, prev: messages.unique_error_message(row, name, number, int(prev)),
            field=name,
            field_number=number,
        )

    def close(self) -> None:
        for tracker in self.unique.values():
            tracker.close()
        if self.pk_tracker is not None:
            self.pk_tracker.close()

    def profile(self) -> list[dict[str, Any]]:
        return [profile.to_dict() for profile in self.profiles]


def _type_message(row: int, cell: str, *, name: str, number: int, label: str) -> str:
    return messages.type_error_message(cell, row, name, number, label)


def _constraint_message(
    row: int, cell: str, *, name: str, number: int, constraint: str, value: Any
) -> str:
    return messages.constraint_error_message(cell, row, name, number, constraint, value)


def _keys(result: ColumnResult) -> pa.Array:
    return result.keys if result.keys is not None else key_array(result.values)


def _blank_rows(missing: list[pa.Array], n: int) -> pa.Array | None:
    """Rows where every cell is missing, or None when there are none (the common case)."""
    if not missing:
        return None
    blank = missing[0]
    if not pc.any(blank).as_py():
        return None
    for mask in missing[1:]:
        blank = pc.and_(blank, mask)
        if not pc.any(blank).as_py():
            return None
    return blank


def _cell_text(cell: Any) -> str | None:
    if cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, (dict, list)):
        return json.dumps(cell, ensure_ascii=False)
    return str(cell)


def _text(column: pa.Array) -> pa.Array:
    """The column as it reads in messages."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([str(value) for value in column.to_pylist()], pa.string())
