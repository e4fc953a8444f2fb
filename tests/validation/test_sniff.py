"""format_detect: the format from a file's name and first bytes; format_conflict."""

from __future__ import annotations

import bz2
import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from datasets.validation.sniff import format_conflict, format_detect


def xlsx_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "w.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("S").write_row(0, 0, ["a", "b"])
    book.close()
    return path.read_bytes()


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2]}), buffer)
    return buffer.getvalue()


JSONL = b"".join(json.dumps({"id": i, "v": "x"}).encode() + b"\n" for i in range(5))


def test_xlsx_by_content_whatever_the_name(tmp_path: Path) -> None:
    data = xlsx_bytes(tmp_path)
    assert format_detect("plant.xlsx", data) == "xlsx"
    assert format_detect("export", data[:4096]) == "xlsx"
    assert format_detect("export.csv", data) == "xlsx"


def test_parquet_by_magic() -> None:
    assert format_detect("data.parquet", parquet_bytes()) == "parquet"
    assert format_detect("data.csv", parquet_bytes()[:1024]) == "parquet"


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("readings.csv", b"id,name\n1,a\n", "csv"),
        ("readings", b"id,name\n1,a\n", "csv"),
        ("readings.txt", "기계,온도\nCNC,20\n".encode("cp949"), "csv"),
        ("readings.csv", b"id;name\n1;a\n", "csv"),
        ("readings", b"id\tname\n1\ta\n", "tsv"),
        ("readings.tsv", b"id\tname\n1\ta\n", "tsv"),
        ("readings.tsv", b"id,name\n1,a\n", "tsv"),  # the name refines text that splits
        ("events", JSONL, "jsonl"),
        ("events.json", JSONL, "jsonl"),
        ("events.jsonl", JSONL, "jsonl"),
        ("doc.json", b'[\n  {"id": 1},\n  {"id": 2}\n]\n', "json"),
        ("feed.xml", b'<?xml version="1.0"?><a/>', "xml"),
        ("readings.csv.gz", gzip.compress(b"id,name\n1,a\n", mtime=0), "csv"),
        ("readings.gz", gzip.compress(b"id\tname\n1\ta\n", mtime=0), "tsv"),
        ("events.jsonl.bz2", bz2.compress(JSONL), "jsonl"),
        ("report.pdf", b"%PDF-1.7\n", "pdf"),
        ("photo", b"\x89PNG\r\n\x1a\n", "png"),
        ("archive.zip", b"PK\x03\x04" + bytes(100), "zip"),
        ("[id].csv", b"[id],name\n1,a\n", "csv"),
    ],
)
def test_detects_each_format(name: str, head: bytes, expected: str) -> None:
    assert format_detect(name, head) == expected


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("mystery", bytes(range(256)) * 4),  # binary, no known signature
        ("mystery.bin", b"\x7fELF" + bytes(100)),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)),
        ("report.docx", b"PK\x03\x04" + b"word/document.xml" + bytes(100)),
        ("empty", b""),
    ],
)
def test_unknown_is_none(name: str, head: bytes) -> None:
    assert format_detect(name, head) is None


def test_the_name_decides_when_content_cannot() -> None:
    assert format_detect("empty.csv", b"") == "csv"
    # Text in an encoding the detector does not read: the check will say which byte.
    assert format_detect("odd.csv", b"id,name\n1,\xff\xfe\xfa\n") == "csv"
    # An encrypted workbook is an OLE container: named .xlsx, the check says it is encrypted.
    assert format_detect("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)) == "xlsx"


@pytest.mark.parametrize(
    ("declared", "detected", "conflict"),
    [
        ("csv", "parquet", True),
        ("csv", "xlsx", True),
        ("parquet", "csv", True),
        ("jsonl", "csv", True),
        ("csv", "tsv", False),  # the same reader: the delimiter is sniffed
        ("tsv", "csv", False),
        ("jsonl", "json", False),
        ("csv", "csv", False),
        ("csv", None, False),  # unknown content contradicts nothing
        ("stl", "csv", False),  # an ASCII STL reads as text: detection does not know it
        ("step", "csv", False),
        ("xml", "csv", False),
        ("pdf", "csv", True),  # a PDF starts with %PDF
        ("hdf5", "csv", True),
        ("stl", "pdf", True),
        ("zip", "xlsx", False),  # a workbook is a zip archive
    ],
)
def test_format_conflict(declared: str, detected: str | None, conflict: bool) -> None:
    assert format_conflict(declared, detected) is conflict
