"""A Table Schema draft from a sample file: names, types, required, enums.

The draft is a proposal for the publisher to review, read from the first `sample_rows` rows:
a column is `required` when no sampled cell is empty, and a text column with few distinct
values that repeat gets an `enum`. Types are the narrowest that every sampled value fits
(integer before number before boolean, as Frictionless infers them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .csvfile import CsvValidator
from .jsonl import JsonlValidator
from .limits import Limits
from .parquetfile import ParquetValidator, field_type_for
from .profile import ColumnProfile
from .report import ErrorSink, FileProblem

DEFAULT_SAMPLE_ROWS = 100_000


class InferenceError(ValueError):
    """The sample cannot be read; the message says why (as a validation report would)."""


def _enum(profile: ColumnProfile, enum_max: int) -> list[Any] | None:
    counts = profile.exact_counts()
    if not counts or not 2 <= len(counts) <= enum_max:
        return None
    # Values must repeat: 3 distinct values in 3 rows say nothing about the allowed set.
    if profile.sampled_valid < 4 * len(counts):
        return None
    return sorted(counts, key=str)


def _names(labels: list[str]) -> list[str]:
    names, used = [], set()
    for number, label in enumerate(labels, start=1):
        base = label.strip() or f"field{number}"
        name, suffix = base, 2
        while name in used:
            name, suffix = f"{base}_{suffix}", suffix + 1
        used.add(name)
        names.append(name)
    return names


def _field(name: str, type_: str, *, required: bool, enum: list[Any] | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": name, "type": type_}
    constraints: dict[str, Any] = {}
    if required:
        constraints["required"] = True
    if enum:
        constraints["enum"] = enum
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def infer_table_schema(
    path: str | Path,
    *,
    data_format: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    enum_max: int = 10,
) -> dict[str, Any]:
    """Table Schema draft for a CSV, TSV, JSON Lines or Parquet sample; InferenceError if the
    file cannot be read."""
    limits = limits or Limits()
    sink = ErrorSink(0)
    try:
        if data_format in ("csv", "tsv"):
            return _infer_csv(
                path, data_format, encoding, delimiter, limits, sink, sample_rows, enum_max
            )
        if data_format == "jsonl":
            return _infer_jsonl(path, encoding, limits, sink, sample_rows, enum_max)
        if data_format == "parquet":
            return _infer_parquet(path, limits, sink, sample_rows, enum_max)
    except FileProblem as problem:
        raise InferenceError(problem.message) from None
    raise InferenceError(f'unknown data format "{data_format}"')


def _infer_csv(
    path: str | Path,
    data_format: str,
    encoding: str | None,
    delimiter: str | None,
    limits: Limits,
    sink: ErrorSink,
    sample_rows: int,
    enum_max: int,
) -> dict[str, Any]:
    validator = CsvValidator(
        path,
        plan=None,
        data_format=data_format,
        encoding=encoding,
        delimiter=delimiter,
        limits=limits,
        sink=sink,
        guess_types=True,
        max_rows=sample_rows,
    )
    try:
        validator.run()
    finally:
        if validator.checker is not None:
            validator.checker.close()
    labels = [guesser.name for guesser in validator.guessers]
    fields = []
    for name, guesser in zip(_names(labels), validator.guessers, strict=True):
        profile = guesser.profile()
        text = guesser.text_profile()
        type_ = guesser.type
        required = profile.rows > 0 and profile.nulls == 0
        enum = _enum(text, enum_max) if type_ == "string" else None
        fields.append(_field(name, type_, required=required, enum=enum))
    return {"fields": fields, "missingValues": [""]}


def _infer_jsonl(
    path: str | Path,
    encoding: str | None,
    limits: Limits,
    sink: ErrorSink,
    sample_rows: int,
    enum_max: int,
) -> dict[str, Any]:
    validator = JsonlValidator(
        path,
        schema=None,
        schema_kind="json_schema",
        encoding=encoding,
        limits=limits,
        sink=sink,
        max_rows=sample_rows,
    )
    validator.run()
    fields = []
    rows = validator.row_count
    for name, kinds in validator.type_counts.items():
        present = {kind for kind in kinds if kind != "null"}
        if present <= {"integer"} and present:
            type_ = "integer"
        elif present <= {"integer", "number"} and present:
            type_ = "number"
        elif len(present) == 1:
            type_ = next(iter(present))
        else:
            type_ = "any"
        required = rows > 0 and sum(kinds.values()) == rows and "null" not in kinds
        enum = None
        if type_ == "string":
            enum = _enum(validator.profiles[name]["string"], enum_max)
        fields.append(_field(name, type_, required=required, enum=enum))
    return {"fields": fields, "missingValues": [""]}


def _infer_parquet(
    path: str | Path, limits: Limits, sink: ErrorSink, sample_rows: int, enum_max: int
) -> dict[str, Any]:
    validator = ParquetValidator(path, plan=None, limits=limits, sink=sink, max_rows=sample_rows)
    outcome = validator.run()
    fields = []
    for name, type_, profile in zip(
        _names(validator.labels),
        validator.arrow_types,
        outcome.profile,
        strict=True,
    ):
        kind = field_type_for(type_)
        required = profile["rows"] > 0 and profile["nulls"] == 0
        enum = None
        if kind == "string" and not profile["distinct_estimated"]:
            values = [item["value"] for item in profile.get("top_values", [])]
            if 2 <= profile["distinct"] <= enum_max and len(values) == profile["distinct"]:
                enum = sorted(values, key=str) if profile["rows"] >= 4 * len(values) else None
        fields.append(_field(name, kind, required=required, enum=enum))
    return {"fields": fields, "missingValues": [""]}
