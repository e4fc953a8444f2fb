"""A Table Schema draft from a sample file: names, types, required, enums, confidence.

The draft is a proposal for the publisher to review, read from the first `sample_rows` rows.
Types are the narrowest that every sampled value fits (integer before number before boolean,
as Frictionless infers them); text with leading zeros ("007") stays text, since a number
would lose them.

- `required` only when no sampled cell of the column is blank.
- `enum` only for a small closed set seen repeatedly: a text column (never numbers, dates or
  booleans) with at least `ENUM_MIN_VALUES` values, 2 to `enum_max` distinct ones, each seen
  at least `ENUM_MIN_REPEATS` times and none longer than `ENUM_MAX_CHARS` characters. Free
  text, identifiers and a handful of values in a small sample get none.
- `confidence` (0 to 1, two decimals), a custom property on each field (Table Schema allows
  extra properties; validators ignore it): evidence * agreement. Evidence grows with the
  non-blank values seen, log10(n + 1) / 3 capped at 1 (1 value 0.1, 9 values 0.33, 99
  values 0.67, 999 or more 1.0); a column with no value has 0. Agreement is the share of the
  values that fit the type: 1 for a type every value fits (all of them do, by construction),
  and for text that most values would have fit a narrower type ("mostly integers, one
  `n/a`"), 1 minus the share that did, so such a column stands out. Parquet types come
  from the file: agreement 1. JSON Lines: the share of values of the field's JSON type.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .csvfile import CsvValidator
from .jsonl import JsonlValidator
from .limits import Limits
from .parquetfile import ParquetValidator, field_type_for
from .profile import ColumnProfile
from .report import ErrorSink, FileProblem
from .xlsx import XlsxValidator

DEFAULT_SAMPLE_ROWS = 100_000
ENUM_MIN_VALUES = 50
ENUM_MIN_REPEATS = 5
ENUM_MAX_CHARS = 40


class InferenceError(ValueError):
    """The sample cannot be read; the message says why (as a validation report would)."""


def _enum(profile: ColumnProfile, enum_max: int) -> list[Any] | None:
    counts = profile.exact_counts()
    return _closed_set(counts or {}, profile.sampled_valid, enum_max)


def _closed_set(counts: dict[Any, int], values: int, enum_max: int) -> list[Any] | None:
    """The values as an enum when they form a small closed set seen repeatedly, else None."""
    if not 2 <= len(counts) <= enum_max or values < ENUM_MIN_VALUES:
        return None
    if min(counts.values()) < ENUM_MIN_REPEATS:
        return None
    if any(len(str(value)) > ENUM_MAX_CHARS for value in counts):
        return None
    return sorted(counts, key=str)


def confidence(values: int, agreement: float = 1.0) -> float:
    """evidence(values) * agreement, see the module's docstring."""
    if values <= 0:
        return 0.0
    evidence = min(1.0, math.log10(values + 1) / 3)
    return round(evidence * max(0.0, min(1.0, agreement)), 2)


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


def _field(
    name: str, type_: str, *, required: bool, enum: list[Any] | None, confidence: float
) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"name": name, "type": type_, "confidence": confidence}
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
    sheet: str | None = None,
) -> dict[str, Any]:
    """Table Schema draft for a CSV, TSV, JSON Lines, Parquet or Excel sample; InferenceError
    if the file cannot be read."""
    limits = limits or Limits()
    sink = ErrorSink(0)
    try:
        if data_format in ("csv", "tsv"):
            return _infer_csv(
                path, data_format, encoding, delimiter, limits, sink, sample_rows, enum_max
            )
        if data_format == "xlsx":
            validator = XlsxValidator(
                path,
                plan=None,
                sheet=sheet,
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
            return _from_guessers(validator.guessers, enum_max)
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
    return _from_guessers(validator.guessers, enum_max)


def _from_guessers(guessers: list[Any], enum_max: int) -> dict[str, Any]:
    labels = [guesser.name for guesser in guessers]
    fields = []
    for name, guesser in zip(_names(labels), guessers, strict=True):
        profile = guesser.profile()
        text = guesser.text_profile()
        type_ = guesser.type
        required = profile.rows > 0 and profile.nulls == 0
        enum = _enum(text, enum_max) if type_ == "string" else None
        sure = confidence(guesser.present, guesser.agreement)
        fields.append(_field(name, type_, required=required, enum=enum, confidence=sure))
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
        seen = sum(count for kind, count in kinds.items() if kind != "null")
        fitting = sum(
            count
            for kind, count in kinds.items()
            if kind == type_ or (type_ == "number" and kind == "integer") or type_ == "any"
        )
        sure = confidence(seen, fitting / seen if seen else 0.0)
        fields.append(_field(name, type_, required=required, enum=enum, confidence=sure))
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
            top = profile.get("top_values", [])
            if len(top) == profile["distinct"]:
                counts = {item["value"]: item["count"] for item in top}
                enum = _closed_set(counts, profile["rows"] - profile["nulls"], enum_max)
        present = profile["rows"] - profile["nulls"]
        fields.append(
            _field(name, kind, required=required, enum=enum, confidence=confidence(present))
        )
    return {"fields": fields, "missingValues": [""]}
