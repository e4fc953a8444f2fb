"""Parquet: footer guards, then the table checks on typed record batches.

A Parquet file is small on disk and can be huge in memory (dictionary and run-length encoding
plus compression): its footer declares the uncompressed size of every row group, which is
checked against `max_bytes` and `max_decompressed_ratio` before any data is read, and batches
are sized from it so one batch stays around BATCH_BYTES. The footer length itself is checked
first, since Arrow would allocate it whole. Column names are the header (row 1), so the first
data row is row 2, as for CSV.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from . import report as messages
from .encoding import sniff_magic
from .fields import FieldSpec
from .limits import Limits
from .preview import PreviewCollector
from .report import ErrorSink, FileProblem
from .table import SchemaPlan, TableChecker, match_header

BATCH_BYTES = 16 * 1024 * 1024
MAX_BATCH_ROWS = 65_536


@dataclass
class ParquetOutcome:
    row_count: int = 0
    bytes_read: int = 0
    profile: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def field_type_for(type_: pa.DataType) -> str:
    """Table Schema type of an Arrow type (profiles without a schema, inference)."""
    if pa.types.is_dictionary(type_):
        type_ = type_.value_type
    if pa.types.is_boolean(type_):
        return "boolean"
    if pa.types.is_integer(type_):
        return "integer"
    if pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return "number"
    if pa.types.is_date(type_):
        return "date"
    if pa.types.is_timestamp(type_):
        return "datetime"
    if pa.types.is_time(type_):
        return "time"
    if pa.types.is_duration(type_):
        return "duration"
    if pa.types.is_struct(type_) or pa.types.is_map(type_):
        return "object"
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return "array"
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return "string"
    return "any"


def _profile_type(type_: pa.DataType) -> str:
    kind = field_type_for(type_)
    return "any" if kind in ("object", "array", "duration") else kind


def _check_footer(path: str | Path, limits: Limits) -> None:
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
        if size < 12 or not head.startswith(b"PAR1"):
            what = sniff_magic(head)
            seen = f"{what} data" if what else "no Parquet signature"
            raise FileProblem(
                "format-error",
                messages.format_error_message(f"not a Parquet file ({seen} at the start)"),
            )
        handle.seek(size - 8)
        tail = handle.read(8)
    if tail[4:] != b"PAR1":
        raise FileProblem(
            "format-error",
            messages.format_error_message("truncated Parquet file (no footer signature)"),
        )
    (footer,) = struct.unpack("<I", tail[:4])
    if footer > min(limits.max_parquet_metadata_bytes, size - 12):
        raise FileProblem(
            "source-error",
            messages.source_error_message(
                f"the Parquet footer declares {footer:,} bytes of metadata (file of {size:,} "
                f"bytes, limit {limits.max_parquet_metadata_bytes:,})"
            ),
        )


class ParquetValidator:
    def __init__(
        self,
        path: str | Path,
        *,
        plan: SchemaPlan | None,
        limits: Limits,
        sink: ErrorSink,
        max_rows: int | None = None,
        preview: PreviewCollector | None = None,
    ) -> None:
        self.path = path
        self.preview = preview
        self.plan = plan
        self.limits = limits
        self.sink = sink
        self.max_rows = max_rows
        self.timings: dict[str, float] = {}
        self.labels: list[str] = []
        self.arrow_types: list[pa.DataType] = []

    def run(self) -> ParquetOutcome:
        limits = self.limits
        started = time.perf_counter()
        _check_footer(self.path, limits)
        try:
            parquet = pq.ParquetFile(self.path, memory_map=False)
        except (pa.ArrowException, OSError) as exc:
            raise FileProblem(
                "format-error", messages.format_error_message(f"unreadable Parquet file: {exc}")
            ) from None
        metadata = parquet.metadata
        size = max(1, os.path.getsize(self.path))
        if metadata.num_columns > limits.max_columns:
            raise FileProblem(
                "source-error",
                messages.source_error_message(
                    f"the file has {metadata.num_columns:,} columns; the limit is "
                    f"{limits.max_columns:,}"
                ),
            )
        uncompressed = sum(
            metadata.row_group(index).total_byte_size for index in range(metadata.num_row_groups)
        )
        if uncompressed > limits.max_bytes:
            raise FileProblem(
                "source-error",
                messages.source_error_message(
                    f"the data is {uncompressed:,} bytes uncompressed; the limit is "
                    f"{limits.max_bytes:,}"
                ),
            )
        if (
            uncompressed > limits.min_ratio_check_bytes
            and uncompressed / size > limits.max_decompressed_ratio
        ):
            raise FileProblem(
                "source-error",
                messages.source_error_message(
                    f"the Parquet data expands {uncompressed / size:,.0f} times "
                    f"({size:,} bytes on disk, {uncompressed:,} in memory): refused as a "
                    "likely decompression bomb"
                ),
            )
        schema = parquet.schema_arrow
        self.labels = list(schema.names)
        self.arrow_types = list(schema.types)
        checker = self._checker()
        if self.preview is not None:
            self.preview.start(self.labels, names=[field.name for field in checker.fields])
        self.timings["prepare"] = time.perf_counter() - started
        started = time.perf_counter()
        rows_per_batch = MAX_BATCH_ROWS
        if metadata.num_rows:
            per_row = max(1, uncompressed // metadata.num_rows)
            rows_per_batch = max(1, min(MAX_BATCH_ROWS, BATCH_BYTES // per_row))
        next_row = 2
        seen_bytes = 0
        outcome = ParquetOutcome(bytes_read=size)
        try:
            for batch in parquet.iter_batches(batch_size=rows_per_batch, use_threads=False):
                seen_bytes += batch.nbytes
                if seen_bytes > limits.max_bytes:
                    raise FileProblem(
                        "source-error",
                        messages.source_error_message(
                            f"the data exceeds {limits.max_bytes:,} bytes once decoded"
                        ),
                    )
                # Encodings can hide sizes from the footer (a dictionary value repeated a
                # billion times): the decoded size is checked against the file size as well.
                if (
                    seen_bytes > limits.min_ratio_check_bytes
                    and seen_bytes / size > limits.max_decompressed_ratio
                ):
                    raise FileProblem(
                        "source-error",
                        messages.source_error_message(
                            f"the Parquet data expands more than {limits.max_decompressed_ratio:g}"
                            f" times ({size:,} bytes on disk gave {seen_bytes:,} after row "
                            f"{next_row - 1}): refused as a likely decompression bomb"
                        ),
                    )
                rows = pa.array(range(next_row, next_row + batch.num_rows), pa.int64())
                next_row += batch.num_rows
                checker.check_batch(batch.columns, rows)
                if self.preview is not None:
                    self.preview.add_batch(batch.columns)
                if self.max_rows is not None and checker.row_count >= self.max_rows:
                    break
        except (pa.ArrowException, OSError) as exc:
            raise FileProblem(
                "format-error",
                messages.format_error_message(f"after row {next_row - 1}: {exc}"),
                row=next_row,
            ) from None
        self.timings["read_check"] = time.perf_counter() - started
        started = time.perf_counter()
        checker.finish()
        self.timings["keys"] = time.perf_counter() - started
        outcome.row_count = checker.row_count
        outcome.profile = checker.profile()
        return outcome

    def _checker(self) -> TableChecker:
        plan = self.plan
        if plan is None:
            # Nested and duration columns are profiled as they come, not read as JSON text.
            fields = [
                FieldSpec(name=name, type=_profile_type(type_), number=number)
                for number, (name, type_) in enumerate(
                    zip(self.labels, self.arrow_types, strict=True), start=1
                )
            ]
            return TableChecker(fields, primary_key=[], sink=self.sink, limits=self.limits)
        match = match_header(
            self.labels,
            plan.fields,
            fields_match=plan.fields_match,
            missing_values=plan.missing_values,
        )
        for error in match.errors:
            self.sink.add(**error)
        return TableChecker(
            match.fields, primary_key=plan.primary_key, sink=self.sink, limits=self.limits
        )
