"""JSON Lines: one JSON value per line, checked against a JSON Schema or a Table Schema.

Lines are read with a bounded length (a longer line is reported and skipped, never buffered
whole), decoded strictly, parsed with `json`, and validated with a compiled jsonschema
validator whose "pattern" and "patternProperties" run on RE2 (see regex.py). Each jsonschema
error becomes a Frictionless-style error: "type" → type-error, any other keyword →
constraint-error, with the JSON pointer of the offending value as the field. Rows are line
numbers (the first line is row 1): JSON Lines has no header row.

Against a Table Schema, objects are rows keyed by field name (arrays are rows by position),
checked in batches by the same table checks as CSV.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
from jsonschema import validators as jsonschema_validators

from . import regex
from . import report as messages
from .encoding import UTF8, UTF8_BOM
from .limits import Limits
from .preview import PreviewCollector
from .profile import ColumnProfile
from .report import ErrorSink, FileProblem, clip, json_pointer
from .schema import json_schema_validator_class
from .source import Source, SourceFailure, inspect_head
from .table import SchemaPlan, TableChecker

BATCH_ROWS = 4096
READ_BYTES = 1 << 20
PROBE_LINES = 20
_REQUIRED = re.compile(r"^'(.*)' is a required property$")


@dataclass
class JsonlOutcome:
    encoding: str
    row_count: int = 0
    bytes_read: int = 0
    profile: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _re2_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not regex.search_one(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _re2_pattern_properties(
    validator: Any, pattern_properties: dict[str, Any], instance: Any, schema: Any
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        for key, value in instance.items():
            if regex.search_one(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def compile_json_schema(schema: Any) -> Any:
    """A validator for a schema that passed check_json_schema, with RE2 patterns."""
    base = json_schema_validator_class(schema)
    cls = jsonschema_validators.extend(
        base, {"pattern": _re2_pattern, "patternProperties": _re2_pattern_properties}
    )
    return cls(schema)


def iter_lines(source: Source, limits: Limits) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line break), or None for a line over the limit."""
    number = 0
    pending = b""
    skipping = False
    while True:
        chunk = source.read(READ_BYTES)
        if not chunk:
            break
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                if not skipping:
                    pending += chunk[start:]
                    if len(pending) > limits.max_line_bytes:
                        number += 1
                        yield number, None
                        pending, skipping = b"", True
                break
            if skipping:
                skipping = False
            else:
                number += 1
                line = pending + chunk[start:end]
                yield number, line if len(line) <= limits.max_line_bytes else None
            pending = b""
            start = end + 1
    if pending and not skipping:
        yield number + 1, pending


class JsonlValidator:
    def __init__(
        self,
        path: str | Path,
        *,
        schema: Any,
        schema_kind: str,
        encoding: str | None,
        limits: Limits,
        sink: ErrorSink,
        max_rows: int | None = None,
        preview: PreviewCollector | None = None,
    ) -> None:
        self.path = path
        self.preview = preview
        self.schema = schema
        self.kind = schema_kind
        self.explicit_encoding = encoding
        self.limits = limits
        self.sink = sink
        self.max_rows = max_rows
        self.timings: dict[str, float] = {}
        self.row_count = 0
        self.profiles: dict[str, dict[str, ColumnProfile]] = {}
        self.type_counts: dict[str, dict[str, int]] = {}
        self.keys_dropped = False
        self.table: TableChecker | None = None
        self._buffer: dict[tuple[str, str], list[Any]] = {}
        self._buffered = 0

    def run(self) -> JsonlOutcome:
        started = time.perf_counter()
        head = inspect_head(
            self.path, data_format="jsonl", encoding=self.explicit_encoding, limits=self.limits
        )
        self._probe(head.text, head.complete)
        self.timings["prepare"] = time.perf_counter() - started
        validator = (
            compile_json_schema(self.schema)
            if self.kind == "json_schema" and (self.schema is not None)
            else None
        )
        plan = SchemaPlan.from_schema(self.schema) if self.kind == "table_schema" else None
        if plan is not None:
            for number, spec in enumerate(plan.fields, start=1):
                assert spec.number == number
            self.table = TableChecker(
                plan.fields, primary_key=plan.primary_key, sink=self.sink, limits=self.limits
            )
        transcode = None if head.encoding in (UTF8, UTF8_BOM) else head.encoding
        outcome = JsonlOutcome(encoding=head.encoding)
        started = time.perf_counter()
        pending: list[tuple[int, Any]] = []
        source = Source(self.path, limits=self.limits, transcode_from=transcode)
        try:
            for number, raw in iter_lines(source, self.limits):
                if self.max_rows is not None and self.row_count >= self.max_rows:
                    break
                value = self._parse(number, raw)
                if value is _SKIP:
                    continue
                self.row_count += 1
                if self.preview is not None and not self.preview.full:
                    self.preview.add_records([value])
                if validator is not None:
                    self._validate(validator, number, value)
                if plan is not None:
                    pending.append((number, value))
                    if len(pending) >= BATCH_ROWS:
                        self._table_batch(plan, pending)
                        pending = []
                self._profile(value)
            if plan is not None and pending:
                self._table_batch(plan, pending)
        except OSError:
            failure = source.failure or SourceFailure("source-error", "cannot read the file")
            wrap = (
                messages.encoding_error_message
                if failure.code == "encoding-error"
                else messages.source_error_message
            )
            raise FileProblem(failure.code, wrap(failure.message)) from None
        finally:
            source.close()
            outcome.bytes_read = source.bytes_out
        self.timings["read_check"] = time.perf_counter() - started
        if self.table is not None:
            started = time.perf_counter()
            self.table.finish()
            self.timings["keys"] = time.perf_counter() - started
        outcome.row_count = self.row_count
        outcome.profile = self._profile_dicts()
        if self.keys_dropped:
            outcome.warnings.append(
                f"objects have more than {self.limits.max_columns:,} distinct top-level keys; "
                "the profile covers the first ones"
            )
        return outcome

    def _probe(self, text: str, complete: bool) -> None:
        """Refuse content that is not JSON Lines at all (CSV, a pretty-printed JSON document)."""
        lines = [line for line in text.splitlines() if line.strip()]
        if not complete and lines:
            lines = lines[:-1]  # possibly cut off
        probe = lines[:PROBE_LINES]
        if not probe:
            if not complete:
                raise FileProblem(
                    "format-error",
                    messages.format_error_message(
                        f"no line break in the first {self.limits.max_line_bytes:,} bytes"
                    ),
                )
            return
        parsed = 0
        for line in probe:
            try:
                json.loads(line)
                parsed += 1
            except (ValueError, RecursionError):
                pass
        # Most lines of a real JSON Lines file parse; a pretty-printed document or CSV does not.
        if parsed * 2 < len(probe):
            stripped = text.lstrip()
            hint = (
                " (a JSON document over several lines? JSON Lines needs one value per line)"
                if stripped[:1] in ("[", "{")
                else ""
            )
            raise FileProblem(
                "format-error",
                messages.format_error_message(
                    f"only {parsed} of the first {len(probe)} lines are JSON{hint}"
                ),
            )

    def _parse(self, number: int, raw: bytes | None) -> Any:
        sink = self.sink
        if raw is None:
            sink.add(
                "format-error",
                messages.format_error_message(
                    f"line {number} is longer than {self.limits.max_line_bytes:,} bytes; skipped"
                ),
                row=number,
            )
            return _SKIP
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            sink.add(
                "encoding-error",
                messages.encoding_error_message(
                    f"line {number}: byte 0x{raw[exc.start : exc.start + 1].hex()} at position "
                    f"{exc.start} is not valid UTF-8"
                ),
                row=number,
            )
            return _SKIP
        if not text.strip():
            sink.add("blank-row", messages.blank_row_message(number), row=number)
            return _SKIP
        try:
            return json.loads(text)
        except RecursionError:
            note = "nested too deeply"
        except ValueError as exc:
            note = str(exc)
        sink.add(
            "format-error",
            messages.format_error_message(f"line {number} is not valid JSON: {clip(note, 200)}"),
            row=number,
        )
        return _SKIP

    def _validate(self, validator: Any, number: int, value: Any) -> None:
        sink = self.sink
        try:
            errors = list(validator.iter_errors(value))
        except RecursionError:
            sink.add(
                "format-error",
                messages.format_error_message(f"line {number} is nested too deeply to check"),
                row=number,
            )
            return
        for error in errors:
            pointer = json_pointer(error.absolute_path)
            keyword = error.validator
            if keyword == "required":
                match = _REQUIRED.match(error.message)
                if match:
                    pointer = json_pointer([*error.absolute_path, match.group(1)])
            code = "type-error" if keyword == "type" else "constraint-error"
            message = clip(error.message, 300)
            if code == "type-error":
                text = f'Type error in the value at "{pointer or "/"}" in row "{number}": {message}'
            else:
                text = (
                    f'The value at "{pointer or "/"}" in row at position "{number}" does not '
                    f'conform to a constraint: "{keyword}": {message}'
                )
            sink.add(code, text, row=number, field=pointer or "/")

    def _table_batch(self, plan: SchemaPlan, pending: list[tuple[int, Any]]) -> None:
        assert self.table is not None
        names = [spec.name for spec in plan.fields]
        known = set(names)
        width = len(names)
        columns: list[list[Any]] = [[] for _ in names]
        numbers: list[int] = []
        for number, value in pending:
            if isinstance(value, dict):
                cells = [value.get(name) for name in names]
                for key in value:
                    if key not in known:
                        self.sink.add(
                            "extra-cell",
                            f'Row at position "{number}" has an extra value in field "{key}"',
                            row=number,
                            field=key,
                        )
                absent = [i for i, name in enumerate(names) if name not in value]
            elif isinstance(value, list):
                cells = [value[i] if i < len(value) else None for i in range(width)]
                for position in range(width + 1, len(value) + 1):
                    self.sink.add(
                        "extra-cell",
                        messages.extra_cell_message(number, position),
                        row=number,
                        field="",
                        field_number=position,
                    )
                absent = list(range(len(value), width))
            else:
                self.sink.add(
                    "format-error",
                    messages.format_error_message(
                        f"line {number} is a JSON {type(value).__name__}, not an object or array"
                    ),
                    row=number,
                )
                continue
            for i in absent:
                self.sink.add(
                    "missing-cell",
                    messages.missing_cell_message(number, names[i], i + 1),
                    row=number,
                    field=names[i],
                    field_number=i + 1,
                )
            for column, cell in zip(columns, cells, strict=True):
                column.append(cell)
            numbers.append(number)
        if numbers:
            self.table.check_python_rows(columns, pa.array(numbers, pa.int64()))

    def _profile(self, value: Any) -> None:
        """Profile the top-level properties of objects, by JSON type."""
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            kinds = self.type_counts.get(key)
            if kinds is None:
                if len(self.type_counts) >= self.limits.max_columns:
                    self.keys_dropped = True
                    continue
                kinds = self.type_counts[key] = {}
            kind = _json_kind(item)
            kinds[kind] = kinds.get(kind, 0) + 1
            self._buffer.setdefault((key, kind), []).append(item)
        self._buffered += 1
        if self._buffered >= BATCH_ROWS:
            self._flush_profile()

    def _flush_profile(self) -> None:
        for (key, kind), items in self._buffer.items():
            if kind == "null":
                continue
            profiles = self.profiles.setdefault(key, {})
            profile = profiles.get(kind)
            if profile is None:
                profile = profiles[kind] = ColumnProfile(
                    key,
                    kind,
                    exact_limit=self.limits.profile_exact_distinct,
                    top=self.limits.profile_top_values,
                )
            array = _kind_array(kind, items)
            profile.update(array, pa.array([False] * len(array), pa.bool_()))
        self._buffer = {}
        self._buffered = 0

    def _profile_dicts(self) -> list[dict[str, Any]]:
        self._flush_profile()
        result = []
        for key, kinds in self.type_counts.items():
            total = sum(kinds.values())
            nulls = kinds.get("null", 0) + (self.row_count - total)
            main = max(
                (kind for kind in kinds if kind != "null"), key=lambda k: kinds[k], default=None
            )
            if main is None:
                data: dict[str, Any] = {"name": key, "type": "null", "rows": self.row_count}
            else:
                data = self.profiles[key][main].to_dict()
                data["rows"] = self.row_count
            data["nulls"] = nulls
            data["json_types"] = dict(sorted(kinds.items()))
            result.append(data)
        return result


_SKIP = object()


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _kind_array(kind: str, items: list[Any]) -> pa.Array:
    if kind == "integer":
        if all(-(2**63) <= item < 2**63 for item in items):
            return pa.array(items, pa.int64())
        return pa.array([float(item) for item in items], pa.float64())
    if kind == "number":
        return pa.array(items, pa.float64())
    if kind == "boolean":
        return pa.array(items, pa.bool_())
    if kind == "string":
        return pa.array(items, pa.string())
    return pa.array([json.dumps(item, ensure_ascii=False) for item in items], pa.string())
