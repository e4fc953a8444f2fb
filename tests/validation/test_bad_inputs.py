"""Bad input never hangs, crashes or eats memory: each case ends in a clear report, quickly."""

from __future__ import annotations

import gzip
import io
import json
import random
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from datasets.validation import (
    Limits,
    ValidationReport,
    check_table_schema,
    load_schema_bytes,
    validate_file,
)

from .helpers import fields

Check = Callable[..., ValidationReport]
SCHEMA = fields(("id", "integer"), "name")


def timed(check: Check, *args: object, **kwargs: object) -> tuple[ValidationReport, float]:
    started = time.perf_counter()
    report = check(*args, **kwargs)
    return report, time.perf_counter() - started


def test_zero_bytes(check: Check) -> None:
    report = check(b"", SCHEMA)
    assert report.status == "error"
    assert report.errors_by_code == {"source-error": 1}
    assert "the source is empty" in report.message


@pytest.mark.parametrize("data_format", ["csv", "jsonl"])
def test_binary_junk_named_as_text(check: Check, data_format: str) -> None:
    junk = random.Random(1).randbytes(300_000)
    report = check(
        junk,
        SCHEMA if data_format == "csv" else None,
        f"junk.{data_format}",
        data_format=data_format,
    )
    assert report.status == "error"
    assert report.errors_by_code == {"format-error": 1}
    assert "binary data" in report.message


@pytest.mark.parametrize(
    ("content", "name", "what"),
    [
        (b"PAR1" + bytes(64) + b"PAR1", "x.csv", "parquet data"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "x.csv", "legacy Excel"),
        (b"%PDF-1.7\n", "x.csv", "pdf data"),
        (b'{"id": 1, "name": "a"}\n{"id": 2, "name": "b"}\n', "x.csv", "looks like JSON"),
        (b"id,name\n1,a\n", "x.parquet", "not a Parquet file"),
        (b"id,name\n1,a\n2,b\n", "x.jsonl", "of the first 3 lines are JSON"),
        (b'[\n  {"id": 1},\n  {"id": 2}\n]\n', "x.jsonl", "one value per line"),
    ],
)
def test_content_not_in_the_declared_format(
    check: Check, content: bytes, name: str, what: str
) -> None:
    data_format = name.rsplit(".", 1)[1]
    report = check(content, None, name, data_format=data_format)
    assert report.status == "error"
    assert report.errors_by_code == {"format-error": 1}
    assert what in report.message


def test_zip_archive(check: Check) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "id,name\n1,a\n")
    report = check(buffer.getvalue(), SCHEMA)
    assert report.status == "error"
    assert "zip data" in report.message


def test_invalid_utf8_in_the_header(check: Check) -> None:
    report = check(b"id,na\xffme\n1,a\n", SCHEMA)
    assert report.status == "error"
    assert report.errors_by_code == {"encoding-error": 1}


def test_header_of_100_000_columns(check: Check) -> None:
    header = ",".join(f"c{i}" for i in range(100_000))
    report, seconds = timed(check, header + "\n" + "1," * 99_999 + "1\n", SCHEMA)
    assert report.status == "error"
    assert "100,000 columns; the limit is 10,000" in report.message
    assert seconds < 5


def test_line_of_50_mb(check: Check) -> None:
    data = b"id,name\n1,a\n2," + b"x" * (50 * 1024 * 1024) + b"\n3,c\n"
    report, seconds = timed(check, data, SCHEMA)
    assert report.status == "error"
    assert report.errors_by_code == {"format-error": 1}
    assert "longer than 10,485,760 bytes" in report.message
    assert seconds < 20


def test_first_line_of_50_mb(check: Check) -> None:
    report, seconds = timed(check, b"x" * (50 * 1024 * 1024), SCHEMA)
    assert report.status == "error"
    assert "no line break in the first" in report.message
    assert seconds < 10


def test_long_lines_within_the_limit_are_fine(write: Callable[..., Path]) -> None:
    # Longer than a read block, shorter than max_line_bytes: read again with larger blocks.
    limits = Limits(csv_block_bytes=4096, max_line_bytes=1 << 20)
    data = "id,name\n1,a\n2," + "y" * 100_000 + "\n3,c\n"
    report = validate_file(write("long.csv", data), schema=SCHEMA, data_format="csv", limits=limits)
    assert report.status == "passed", report.message
    assert report.row_count == 3


def test_unclosed_quote(write: Callable[..., Path]) -> None:
    limits = Limits(csv_block_bytes=4096, max_line_bytes=65_536)
    data = 'id,name\n1,"a\n' + "2,b\n" * 50_000
    report = validate_file(
        write("quote.csv", data), schema=SCHEMA, data_format="csv", limits=limits
    )
    assert report.status == "error"
    assert "quote that is never closed" in report.message


def _gzip_bomb(path: Path, gigabytes: int = 1) -> None:
    """About 1 MB of gzip that inflates to `gigabytes` GiB of CSV rows: one compressed 1 MiB
    member written 1024 times (gzip readers chain members)."""
    member = gzip.compress(b"1,a\n" * (256 * 1024), compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(b"id,name\n"))
        for _ in range(1024 * gigabytes):
            out.write(member)


def test_gzip_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    _gzip_bomb(path)
    assert path.stat().st_size < 4 * 1024 * 1024
    started = time.perf_counter()
    report = validate_file(path, schema=SCHEMA, data_format="csv")
    assert time.perf_counter() - started < 20
    assert report.status == "error"
    assert report.errors_by_code.get("source-error") == 1
    assert "decompression bomb" in report.message


def test_honest_gzip_is_read(write: Callable[..., Path]) -> None:
    data = gzip.compress("id,name\n1,서울\n2,x\nz,y\n".encode())
    report = validate_file(write("ok.csv.gz", data), schema=SCHEMA, data_format="csv")
    assert report.status == "failed"
    assert report.errors_by_code == {"type-error": 1}


def test_truncated_gzip(write: Callable[..., Path]) -> None:
    data = gzip.compress(b"id,name\n" + b"1,a\n" * 100_000)[:-2000]
    report = validate_file(write("cut.csv.gz", data), schema=SCHEMA, data_format="csv")
    assert report.status == "error"
    assert report.errors_by_code == {"source-error": 1}


def test_size_limit(write: Callable[..., Path]) -> None:
    data = "id,name\n" + "1,a\n" * 10_000
    report = validate_file(
        write("big.csv", data), schema=SCHEMA, data_format="csv", limits=Limits(max_bytes=20_000)
    )
    assert report.status == "error"
    assert "larger than the limit of 20,000 bytes" in report.message


def test_deeply_nested_schema_json() -> None:
    started = time.perf_counter()
    schema, problems = load_schema_bytes(b"[" * 200_000 + b"]" * 200_000, Limits())
    assert time.perf_counter() - started < 5
    assert schema is None
    assert [p.code for p in problems] == ["schema-too-deep"]


def test_nesting_inside_strings_does_not_count() -> None:
    schema, problems = load_schema_bytes(json.dumps({"x": "[[[[[[" * 100}).encode(), Limits())
    assert problems == []
    assert schema == {"x": "[[[[[[" * 100}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"x" * (3 * 1024 * 1024), "schema-too-large"),
        (b"", "invalid-json"),
        (b"{", "invalid-json"),
        (b'{"fields": NaN}', "invalid-json"),
        (b"1" * 10_000, "invalid-json"),  # beyond Python's integer digit limit
        (b'{"a": "\xff"}', "invalid-json"),
    ],
)
def test_unusable_schema_documents(data: bytes, code: str) -> None:
    schema, problems = load_schema_bytes(data, Limits())
    assert schema is None
    assert [p.code for p in problems] == [code]


def test_schema_with_too_many_fields() -> None:
    schema = {"fields": [{"name": f"f{i}"} for i in range(20_000)]}
    problems = check_table_schema(schema, Limits())
    assert [(p.pointer, p.code) for p in problems] == [("/fields", "schema-too-large")]


def test_redos_pattern_runs_in_linear_time(check: Check) -> None:
    schema = fields({"name": "v", "type": "string", "constraints": {"pattern": "(a+)+$"}})
    report, seconds = timed(check, "v\n" + "a" * 50_000 + "!\n", schema)
    assert report.errors_by_code == {"constraint-error": 1}
    assert seconds < 5


def test_compressed_data_has_no_zlib_header_surprises(write: Callable[..., Path]) -> None:
    # Raw zlib data named .csv is binary junk to us, not a format we guess.
    report = validate_file(
        write("z.csv", zlib.compress(b"id,name\n1,a\n" * 1000)), schema=SCHEMA, data_format="csv"
    )
    assert report.status == "error"


def test_missing_file(tmp_path: Path) -> None:
    report = validate_file(tmp_path / "nope.csv", schema=SCHEMA, data_format="csv")
    assert report.status == "error"
    assert "no such file" in report.message


def test_unknown_format(check: Check) -> None:
    report = check("a\n1\n", None, data_format="ods")
    assert report.status == "error"
    assert "unknown data format" in report.message
