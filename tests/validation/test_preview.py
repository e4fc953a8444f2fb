"""The preview collector: the first rows from the batches the check reads, for every format,
without the excluded columns; and preview_file, which reads only those rows."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.validation import Limits, PreviewCollector, preview_file, validate_file
from datasets.validation.source import Source

CSV = "id,name,secret\n" + "".join(f"{n},이름{n},s{n}\n" for n in range(50))


def test_csv_first_rows_without_excluded_columns(write):
    collector = PreviewCollector(3, exclude=["secret"])

    report = validate_file(write("a.csv", CSV), schema=None, data_format="csv", preview=collector)

    assert report.row_count == 50  # the whole file was still checked
    assert collector.to_dict() == {
        "columns": ["id", "name"],
        "excluded_columns": ["secret"],
        "rows": [["0", "이름0"], ["1", "이름1"], ["2", "이름2"]],
    }


def test_cp949_csv_is_previewed_as_decoded(write):
    collector = PreviewCollector(2)

    validate_file(
        write("k.csv", "센서,값\n진동,1\n".encode("cp949")),
        schema=None,
        data_format="csv",
        preview=collector,
    )

    assert collector.to_dict() == {
        "columns": ["센서", "값"],
        "excluded_columns": [],
        "rows": [["진동", "1"]],
    }


def test_a_schema_field_name_excludes_its_column_even_when_the_label_differs(write):
    schema = {"fields": [{"name": "ident", "type": "integer"}, {"name": "name"}, {"name": "s"}]}
    collector = PreviewCollector(1, exclude=["ident"])

    validate_file(write("a.csv", CSV), schema=schema, data_format="csv", preview=collector)

    preview = collector.to_dict()
    assert preview is not None
    assert preview["columns"] == ["name", "secret"]
    assert preview["excluded_columns"] == ["id"]


def test_parquet_cells_become_json_values(write, tmp_path):
    path = tmp_path / "a.parquet"
    pq.write_table(
        pa.table(
            {
                "at": [dt.datetime(2025, 1, 1, 9, 30)] * 30,
                "value": [1.5] * 29 + [float("nan")],
                "raw": [b"\x00\x01"] * 30,
            }
        ),
        path,
    )
    collector = PreviewCollector(2, exclude=["raw"])

    validate_file(path, schema=None, data_format="parquet", preview=collector)

    assert collector.to_dict() == {
        "columns": ["at", "value"],
        "excluded_columns": ["raw"],
        "rows": [["2025-01-01T09:30:00", 1.5], ["2025-01-01T09:30:00", 1.5]],
    }
    json.dumps(collector.to_dict(), allow_nan=False)


def test_jsonl_records_by_key_in_order_of_appearance(write):
    lines = [{"id": 1, "x": {"a": 1}}, {"id": 2, "late": True, "pw": "p"}, {"id": 3}]
    path = write("a.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    collector = PreviewCollector(2, exclude=["pw"])

    validate_file(path, schema=None, data_format="jsonl", preview=collector)

    assert collector.to_dict() == {
        "columns": ["id", "x", "late"],
        "excluded_columns": ["pw"],
        "rows": [[1, {"a": 1}, None], [2, None, True]],
    }


def test_long_cells_are_cut(write):
    collector = PreviewCollector(1, max_cell_chars=10)

    validate_file(
        write("a.csv", "a\n" + "x" * 50 + "\n"), schema=None, data_format="csv", preview=collector
    )

    assert collector.to_dict() == {
        "columns": ["a"],
        "excluded_columns": [],
        "rows": [["x" * 10 + "…"]],
    }


def test_a_file_that_cannot_be_read_has_no_preview(write):
    collector = PreviewCollector(5)

    report = validate_file(
        write("a.parquet", b"not parquet"), schema=None, data_format="parquet", preview=collector
    )

    assert report.status == "error"
    assert collector.to_dict() is None


@pytest.mark.parametrize("data_format", ["csv", "jsonl"])
def test_preview_file_reads_only_the_first_rows(write, data_format):
    rows = 600_000
    if data_format == "csv":
        path = write("big.csv", "n\n" + "".join(f"{n}\n" for n in range(rows)))
    else:
        path = write("big.jsonl", "".join(f'{{"n": {n}}}\n' for n in range(rows)))
    size = path.stat().st_size
    read: list[int] = []
    original = Source.read

    def counting(self, *args, **kwargs):
        data = original(self, *args, **kwargs)
        read.append(len(data))
        return data

    with mock.patch.object(Source, "read", counting):
        result = preview_file(
            path,
            data_format=data_format,
            max_rows=3,
            limits=Limits(csv_block_bytes=64 * 1024, readahead_blocks=1),
        )

    assert result is not None
    expected: list[object] = ["0", "1", "2"] if data_format == "csv" else [0, 1, 2]
    assert [row[0] for row in result["rows"]] == expected
    assert sum(read) < size / 2


def test_preview_file_of_zero_rows_is_none(write):
    assert preview_file(write("a.csv", CSV), data_format="csv", max_rows=0) is None
