"""Parquet: typed columns against the schema, footer guards, inference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from datasets.validation import infer_table_schema, validate_file

from .helpers import fields, findings


def table() -> pa.Table:
    return pa.table(
        {
            "id": pa.array([1, 2, 2, 4], pa.int64()),
            "name": pa.array(["a", "b", None, "d"]),
            "v": pa.array([1.5, 2.5, float("nan"), -1.0]),
            "day": pa.array([dt.date(2024, 1, 1), None, dt.date(2024, 1, 3), dt.date(2024, 1, 4)]),
            "ts": pa.array([dt.datetime(2024, 1, 1, 10)] * 4, pa.timestamp("ms", tz="Asia/Seoul")),
            "code": pa.array(["A1", "B2", "C3", "xx"]).dictionary_encode(),
        }
    )


def test_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table(), path, row_group_size=2)
    schema = {
        **fields(
            {"name": "id", "type": "integer", "constraints": {"unique": True}},
            {"name": "name", "type": "string", "constraints": {"required": True}},
            {"name": "v", "type": "number", "constraints": {"minimum": 0}},
            ("day", "date"),
            ("ts", "datetime"),
            {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z][0-9]"}},
        ),
    }
    report = validate_file(path, schema=schema, data_format="parquet")
    assert report.status == "failed"
    assert findings(report) == {
        (4, 1, "unique-error"),
        (4, 2, "constraint-error"),
        (4, 3, "constraint-error"),  # NaN
        (5, 3, "constraint-error"),
        (5, 6, "constraint-error"),
    }
    assert report.row_count == 4
    profile = {column["name"]: column for column in report.profile}
    assert profile["day"]["nulls"] == 1
    assert profile["v"]["min"] == -1.0


def test_declared_type_differs_from_the_stored_type(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"n": [1.0, 2.5], "s": [1, 2], "t": ["1", "x"]}), path)
    schema = fields(("n", "integer"), ("s", "string"), ("t", "integer"))
    report = validate_file(path, schema=schema, data_format="parquet")
    assert findings(report) == {
        (3, 1, "type-error"),
        (2, 2, "type-error"),
        (3, 2, "type-error"),
        (3, 3, "type-error"),
    }


def test_header_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": [1], "c": [2]}), path)
    schema = fields(("a", "integer"), ("b", "integer"), ("x", "integer"))
    report = validate_file(path, schema=schema, data_format="parquet")
    assert findings(report) == {(None, 2, "incorrect-label"), (None, 3, "missing-label")}


def test_not_parquet_and_truncated(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table(), path)
    data = path.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    report = validate_file(cut, schema=None, data_format="parquet")
    assert report.status == "error"
    assert "truncated Parquet file" in report.message
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"PAR1" + b"\x00" * 100 + b"\xff\xff\xff\x7fPAR1")
    report = validate_file(fake, schema=None, data_format="parquet")
    assert report.status == "error"
    assert "footer declares" in report.message


def test_parquet_decompression_bomb(tmp_path: Path) -> None:
    # One long value repeated: a few kB on disk thanks to dictionary encoding, 200 MB decoded.
    path = tmp_path / "bomb.parquet"
    big = pa.table({"v": pa.array(["x" * 1000]).take(pa.array([0] * 200_000))})
    pq.write_table(big, path, compression="zstd")
    assert path.stat().st_size < 100_000
    report = validate_file(path, schema=None, data_format="parquet")
    assert report.status == "error"
    assert "decompression bomb" in report.message


def test_profile_and_inference(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(table(), path)
    report = validate_file(path, schema=None, data_format="parquet")
    assert report.status == "passed"
    assert [c["type"] for c in report.profile] == [
        "integer",
        "string",
        "number",
        "date",
        "datetime",
        "string",
    ]
    draft = infer_table_schema(path, data_format="parquet")
    assert [(f["name"], f["type"]) for f in draft["fields"]] == [
        ("id", "integer"),
        ("name", "string"),
        ("v", "number"),
        ("day", "date"),
        ("ts", "datetime"),
        ("code", "string"),
    ]
    assert draft["fields"][0]["constraints"] == {"required": True}
    assert "constraints" not in draft["fields"][1]
