"""Encodings (UTF-8, UTF-8 with BOM, CP949/EUC-KR) and delimiters: detected, reported and
overridable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from datasets.validation import (
    EncodingProblem,
    Limits,
    ValidationReport,
    detect_encoding,
    sniff_delimiter,
    validate_file,
)

from .helpers import fields, findings

Check = Callable[..., ValidationReport]
KOREAN = "이름,나이,도시\n김민수,30,서울\n이서연,x,부산\n"
SCHEMA = fields("이름", ("나이", "integer"), "도시")


def test_detect_encoding() -> None:
    assert detect_encoding(b"a,b\n1,2\n") == "utf-8"
    assert detect_encoding("이름\n".encode()) == "utf-8"
    assert detect_encoding("\ufeff이름\n".encode()) == "utf-8-sig"
    assert detect_encoding("이름\n".encode("cp949")) == "cp949"
    assert detect_encoding("똠방각하\n".encode("cp949")) == "cp949"  # CP949-only syllables
    assert detect_encoding("이름".encode("utf-16")) == "utf-16"
    # A character cut at the end of the head is not an error.
    assert detect_encoding("이름".encode()[:-1]) == "utf-8"
    with pytest.raises(EncodingProblem, match="neither UTF-8 nor CP949"):
        detect_encoding(b"abc\xff\xff\xff")


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("utf-8", KOREAN.encode()),
        ("utf-8-sig", b"\xef\xbb\xbf" + KOREAN.encode()),
        ("cp949", KOREAN.encode("cp949")),
        ("cp949", KOREAN.encode("euc-kr")),
        ("utf-16", KOREAN.encode("utf-16")),
    ],
)
def test_korean_headers_and_values(check: Check, encoding: str, data: bytes) -> None:
    report = check(data, SCHEMA)
    assert report.encoding == encoding
    assert findings(report) == {(3, 2, "type-error")}
    assert 'Type error in the cell "x"' in report.errors[0]["message"]
    top = {v["value"] for v in report.profile[2]["top_values"]}
    assert top == {"서울", "부산"}


def test_explicit_encoding_wins(check: Check) -> None:
    data = KOREAN.encode("cp949")
    assert check(data, SCHEMA, encoding="euc-kr").encoding == "cp949"
    wrong = check(data, SCHEMA, encoding="utf-8")
    assert wrong.status == "error"
    assert wrong.errors_by_code == {"encoding-error": 1}
    assert "not valid utf-8" in wrong.message
    latin = check("name\ncafé\n".encode("latin-1"), fields("name"), encoding="latin-1")
    assert latin.status == "passed"
    assert latin.profile[0]["top_values"][0]["value"] == "café"


def test_unknown_encoding_is_an_error(check: Check) -> None:
    report = check("a\n1\n", fields("a"), encoding="klingon")
    assert report.status == "error"
    assert 'unknown encoding "klingon"' in report.message


def test_neither_utf8_nor_cp949_is_refused(check: Check) -> None:
    report = check(b"a,b\n1,\x80\xff\n", fields("a", "b"))
    assert report.status == "error"
    assert report.errors_by_code == {"encoding-error": 1}
    assert "neither UTF-8 nor CP949" in report.message


def test_cp949_after_an_ascii_head_is_read_as_cp949(write: Callable[..., Path]) -> None:
    # The head (first max_line_bytes) is plain ASCII, the Korean comes later.
    data = b"a,b\n" + b"1,x\n" * 400 + "2,서울\n".encode("cp949")
    limits = Limits(max_line_bytes=1024, csv_block_bytes=512)
    report = validate_file(
        write("late.csv", data), schema=fields("a", "b"), data_format="csv", limits=limits
    )
    assert report.status == "passed", report.message
    assert report.encoding == "cp949"
    assert any("CP949" in warning for warning in report.warnings)


def test_invalid_utf8_after_the_head_is_located(write: Callable[..., Path]) -> None:
    data = b"a,b\n" + b"1,x\n" * 400 + b"2,\xff\xfe\xfd\n"
    limits = Limits(max_line_bytes=1024, csv_block_bytes=512)
    report = validate_file(
        write("bad.csv", data), schema=fields("a", "b"), data_format="csv", limits=limits
    )
    assert report.status == "error"
    assert report.errors_by_code == {"encoding-error": 1}
    assert f"byte offset {len(data) - 4:,}" in report.message


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a;b;c\n1;2;3\n4;5;6\n", ";"),
        ("a|b\n1|2\n", "|"),
        ('a;b\n"1,5";2\n"2,5";3\n', ";"),
        ("single\n1\n2\n", ","),
    ],
)
def test_sniff_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_tsv_and_semicolon_files(check: Check) -> None:
    tsv = check(
        "a\tb\n1\tx\n", fields(("a", "integer"), ("b", "integer")), "d.tsv", data_format="tsv"
    )
    assert tsv.delimiter == "\t"
    assert findings(tsv) == {(2, 2, "type-error")}
    semicolon = check("a;b\n1;x\n2;3\n", fields(("a", "integer"), ("b", "integer")))
    assert semicolon.delimiter == ";"
    assert findings(semicolon) == {(2, 2, "type-error")}


def test_delimiter_override(check: Check) -> None:
    report = check("a;b\n1;2\n", fields("a;b"), delimiter=",")
    assert report.delimiter == ","
    assert report.status == "passed"
    unusable = check("a\n1\n", fields("a"), delimiter="ab")
    assert unusable.status == "error"
