"""Resource limits for checking untrusted uploads.

Every input to the validator comes from a publisher we do not control: a file may be a
decompression bomb, have a header of a million columns, a single 1 GB line, or a schema nested
ten thousand levels deep. Each limit below turns one of those into a clear report instead of a
worker that hangs, swaps or dies. The defaults suit a Celery worker with about 1 GB of memory.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    # Bytes of data read, counted after decompression and transcoding.
    max_bytes: int = 4 * GiB
    # Columns in a header, fields in a Table Schema, columns in a Parquet file.
    max_columns: int = 10_000
    # Longest CSV row or JSON line. CSV is read in blocks of `csv_block_bytes` and re-read with
    # blocks of this size only when a longer row shows up, so it costs nothing on normal files.
    max_line_bytes: int = 10 * MiB
    max_schema_bytes: int = 2 * MiB
    max_schema_depth: int = 64
    max_errors_reported: int = 100
    # Decompressed size over compressed size; checked once `min_ratio_check_bytes` came out,
    # so a small, very repetitive but honest file is not refused.
    max_decompressed_ratio: float = 200.0
    min_ratio_check_bytes: int = 4 * MiB
    # Memory for unique and primary-key tracking (all keys together) before it spills to
    # temporary files: 16 bytes a row and key.
    max_key_memory_bytes: int = 24 * MiB
    max_parquet_metadata_bytes: int = 64 * MiB
    # Rows whose cell count differs from the header are re-parsed in Python to check their
    # cells too; beyond this many, only their extra/missing cells are counted.
    max_malformed_rows_checked: int = 100_000
    # CSV reader block size and how many blocks may be read ahead of the checks: together they
    # bound the reader's memory (Arrow alone would read 32 blocks ahead).
    csv_block_bytes: int = 4 * MiB
    readahead_blocks: int = 3
    # Profile: distinct values and top values are counted exactly up to this many distinct
    # values per column (in the rows profiled: all of the first 100,000, then one in eight),
    # estimated beyond.
    profile_exact_distinct: int = 10_000
    profile_top_values: int = 10
    # Cell text quoted in error messages is cut to this many characters.
    max_cell_chars: int = 200
    # Excel workbooks (xlsx.py): the zip is inspected before anything is inflated, and the
    # sheet is measured before calamine reads it whole into memory (its dense grid and its
    # strings, estimated from the sheet's XML).
    xlsx_max_entries: int = 10_000
    xlsx_max_uncompressed_bytes: int = 2 * GiB
    xlsx_max_memory_bytes: int = 256 * MiB
