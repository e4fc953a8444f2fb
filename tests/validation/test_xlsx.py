"""Excel workbooks: the same checks and codes as CSV, and every hostile workbook refused in
bounded time and memory. Workbooks are written here with xlsxwriter (a zip bomb with zipfile)."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from datasets.validation import Limits, ValidationReport, infer_table_schema, validate_file
from datasets.validation.xlsx import cell_text

from .helpers import fields, findings

Write = Callable[[str, str | bytes], Path]
SCHEMA = fields(
    {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
    "name",
    {"name": "rpm", "type": "integer", "constraints": {"minimum": 0}},
)
ROWS: list[list[Any]] = [
    ["id", "name", "rpm"],
    [1, "CNC-01", 1200],
    [2, "CNC-02", "fast"],  # type-error
    [2, "CNC-03", -5],  # unique-error, constraint-error
    ["", "", ""],  # blank-row
    [4, "CNC-04", 0],
]


def workbook(
    path: Path, sheets: dict[str, list[list[Any]]], *, setup: Callable[..., None] | None = None
) -> Path:
    """Write `sheets` (rows of cells; "" leaves a cell empty) as an .xlsx at `path`."""
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value == "":
                    continue
                if isinstance(value, (dt.date, dt.datetime, dt.time)):
                    fmt = "yyyy-mm-dd" if type(value) is dt.date else "yyyy-mm-dd hh:mm:ss"
                    if isinstance(value, dt.time):
                        fmt = "hh:mm:ss"
                    sheet.write_datetime(r, c, value, book.add_format({"num_format": fmt}))
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write(r, c, value)
        if setup is not None:
            setup(book, sheet, name)
    book.close()
    return path


def as_csv(rows: list[list[Any]]) -> str:
    return "".join(",".join(str(cell) for cell in row) + "\n" for row in rows)


def check_xlsx(path: Path, schema: dict[str, Any] | None, **options: Any) -> ValidationReport:
    options.setdefault("limits", Limits(max_errors_reported=1000))
    return validate_file(path, schema=schema, data_format="xlsx", **options)


def test_same_findings_as_the_same_data_in_csv(tmp_path: Path, write: Write) -> None:
    xlsx = check_xlsx(workbook(tmp_path / "m.xlsx", {"Data": ROWS}), SCHEMA)
    csv = validate_file(write("m.csv", as_csv(ROWS)), schema=SCHEMA, data_format="csv")
    assert xlsx.status == csv.status == "failed"
    assert (
        xlsx.errors_by_code
        == csv.errors_by_code
        == {
            "blank-row": 1,
            "constraint-error": 1,
            "type-error": 1,
            "unique-error": 1,
        }
    )
    assert findings(xlsx) == findings(csv)
    assert xlsx.row_count == csv.row_count == 5
    assert xlsx.sheet == "Data"
    type_error = next(e for e in xlsx.errors if e["code"] == "type-error")
    assert type_error["row"] == 3
    assert '"fast"' in type_error["message"]


def test_a_clean_workbook_passes_and_is_profiled(tmp_path: Path) -> None:
    rows = [ROWS[0], [1, "a", 10], [2, "b", 20.0]]
    report = check_xlsx(workbook(tmp_path / "ok.xlsx", {"S": rows}), SCHEMA)
    assert report.status == "passed", report.errors
    by_name = {column["name"]: column for column in report.profile}
    assert by_name["rpm"]["min"] == 10
    assert by_name["rpm"]["max"] == 20  # 20.0 in Excel is the integer 20


def test_first_sheet_by_default_and_a_named_sheet(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "two.xlsx",
        {"Readings": ROWS[:2], "Machines": [["machine", "line"], ["CNC-01", "A"], ["X", "B"]]},
    )
    first = check_xlsx(path, None)
    assert first.sheet == "Readings"
    assert [column["name"] for column in first.profile] == ["id", "name", "rpm"]
    assert any("Machines" in warning for warning in first.warnings)  # says there are others
    named = check_xlsx(path, None, sheet="Machines")
    assert named.sheet == "Machines"
    assert named.row_count == 2
    assert [column["name"] for column in named.profile] == ["machine", "line"]
    draft = infer_table_schema(path, data_format="xlsx", sheet="Machines")
    assert [field["name"] for field in draft["fields"]] == ["machine", "line"]


def test_a_sheet_that_does_not_exist(tmp_path: Path) -> None:
    path = workbook(tmp_path / "s.xlsx", {"Readings": ROWS[:2]})
    report = check_xlsx(path, SCHEMA, sheet="Nope")
    assert report.status == "error"
    assert report.errors_by_code == {"source-error": 1}
    assert report.errors[0]["reason"] == "sheet-not-found"
    assert 'no sheet named "Nope"' in report.message
    assert '"Readings"' in report.message


def test_dates_times_and_serials(tmp_path: Path) -> None:
    rows = [
        ["day", "at", "clock", "serial_day", "day_in_datetime"],
        [dt.date(2024, 1, 5), dt.datetime(2024, 1, 5, 10, 30), dt.time(7, 15), 45296, ""],
        [dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 23, 59, 59), dt.time(0, 0, 1), 45351.0, ""],
    ]
    rows[1][4] = dt.date(2024, 3, 1)
    rows[2][4] = dt.date(2024, 3, 2)
    path = workbook(tmp_path / "d.xlsx", {"S": rows})
    schema = fields(
        ("day", "date"),
        ("at", "datetime"),
        ("clock", "time"),
        ("serial_day", "date"),  # a date column without a date format: serials
        ("day_in_datetime", "datetime"),  # a date cell is midnight
    )
    report = check_xlsx(path, schema)
    assert report.status == "passed", report.errors
    profile = {column["name"]: column for column in report.profile}
    assert profile["serial_day"]["min"] == "2024-01-05"
    assert profile["day"]["max"] == "2024-02-29"
    draft = infer_table_schema(path, data_format="xlsx")
    types = {field["name"]: field["type"] for field in draft["fields"]}
    assert types["day"] == "date"
    assert types["at"] == "datetime"
    assert types["clock"] == "time"
    assert types["serial_day"] == "integer"  # nothing says a plain number is a date


def test_cell_text_reads_cells_as_a_csv_export_would() -> None:
    assert cell_text(1.0) == "1"
    assert cell_text(0.1) == "0.1"
    assert cell_text(True) == "true"
    assert cell_text("007") == "007"
    assert cell_text(dt.datetime(2024, 1, 5, 0, 0), "date") == "2024-01-05"
    assert cell_text(45296.5, "datetime") == "2024-01-05T12:00:00"
    assert cell_text(dt.timedelta(hours=36)) == "P1DT43200S"


def test_numbers_stored_as_text_merged_headers_and_empty_edges(tmp_path: Path) -> None:
    def merge(book: Any, sheet: Any, name: str) -> None:
        sheet.merge_range("B2:C2", "Temperature", book.add_format({"bold": True}))
        sheet.write_blank("H40", None, book.add_format({"bg_color": "yellow"}))  # styled, empty

    rows = [
        [],  # leading blank row: the header is the first row with something in it
        ["code", "", "", "note"],  # B2:C2 merged: "Temperature" over two columns
        ["007", 20.5, 21, "ok"],
        ["012", 19, 18.25, ""],
        [],  # trailing blank rows are not rows
        [],
    ]
    path = workbook(tmp_path / "m.xlsx", {"S": rows}, setup=merge)
    report = check_xlsx(path, None)
    assert report.status == "passed", report.errors
    assert [column["name"] for column in report.profile] == [
        "code",
        "Temperature",
        "Temperature_2",
        "note",
    ]
    assert report.row_count == 2
    draft = infer_table_schema(path, data_format="xlsx")
    by_name = {field["name"]: field for field in draft["fields"]}
    assert by_name["code"]["type"] == "string"  # "007" keeps its zeros
    assert by_name["Temperature"]["type"] == "number"
    assert by_name["Temperature_2"]["type"] == "number"
    assert "constraints" not in by_name["note"]  # a blank was seen
    # The draft checks the workbook it came from, rows numbered as in Excel.
    assert check_xlsx(path, draft).status == "passed"


def test_row_numbers_are_excel_rows(tmp_path: Path) -> None:
    rows = [[], [], ["id", "name", "rpm"], [1, "a", 1], [2, "b", "x"]]
    report = check_xlsx(workbook(tmp_path / "r.xlsx", {"S": rows}), SCHEMA)
    assert findings(report) == {(5, 3, "type-error")}


def test_a_value_beyond_the_header_is_an_extra_cell(tmp_path: Path) -> None:
    rows = [["id", "name", "rpm"], [1, "a", 1, "stray"]]
    report = check_xlsx(workbook(tmp_path / "x.xlsx", {"S": rows}), SCHEMA)
    assert findings(report) == {(2, 4, "extra-cell")}


# --- hostile and broken workbooks --------------------------------------------------------------


def timed_check(path: Path, **options: Any) -> ValidationReport:
    started = time.perf_counter()
    report = check_xlsx(path, SCHEMA, **options)
    assert time.perf_counter() - started < 10
    return report


def sheet_xml(cells: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{cells}</sheetData></worksheet>"
    )


def crafted(path: Path, sheet: str, *, extra: dict[str, bytes] | None = None) -> Path:
    """A minimal workbook around a hand-written sheet."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_crafted_workbook_reads(tmp_path: Path) -> None:
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>rpm</t></is></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>a</t></is></c>'
        '<c r="C2"><v>5</v></c></row>'
    )
    report = timed_check(crafted(tmp_path / "c.xlsx", sheet_xml(cells, "A1:C2")))
    assert report.status == "passed", report.message


def test_zip_bomb(tmp_path: Path) -> None:
    # 60 MB of one repeated string inflate from about 60 kB: refused from the zip's directory,
    # before anything is inflated.
    path = tmp_path / "bomb.xlsx"
    crafted(path, sheet_xml(""))
    block = b"<si><t>" + b"A" * 1_000_000 + b"</t></si>"
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(60):
            member.write(block)
    assert path.stat().st_size < 5_000_000
    report = timed_check(path)
    assert report.status == "error"
    assert report.errors_by_code == {"source-error": 1}
    assert report.errors[0]["reason"] == "zip-bomb"
    assert "decompression bomb" in report.message


def test_uncompressed_size_limit(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {"S": ROWS})
    report = timed_check(path, limits=Limits(xlsx_max_uncompressed_bytes=1000))
    assert report.status == "error"
    assert report.errors[0]["reason"] == "zip-bomb"


def test_a_million_columns(tmp_path: Path) -> None:
    # Excel stops at column XFD (16,384): a sheet that claims more is refused unread.
    cells = '<row r="1"><c r="A1"><v>1</v></c></row>'
    path = crafted(tmp_path / "wide.xlsx", sheet_xml(cells, "A1:BDWGN1"))  # column 1,000,000
    report = timed_check(path)
    assert report.status == "error"
    assert report.errors_by_code == {"source-error": 1}
    assert report.errors[0]["reason"] == "too-many-columns"
    assert "1,000,000 columns" in report.message


def test_more_columns_than_the_limit(tmp_path: Path) -> None:
    header = [f"c{i}" for i in range(300)]
    path = workbook(tmp_path / "wide.xlsx", {"S": [header, list(range(300))]})
    report = timed_check(path, limits=Limits(max_columns=200))
    assert report.status == "error"
    assert report.errors[0]["reason"] == "too-many-columns"
    assert "300 columns; the limit is 200" in report.message


def test_two_far_apart_cells_would_make_a_huge_grid(tmp_path: Path) -> None:
    # Two cells, A1 and XFD1048576: calamine's dense grid would be 17 billion cells.
    cells = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
    )
    report = timed_check(crafted(tmp_path / "far.xlsx", sheet_xml(cells)))
    assert report.status == "error"
    assert report.errors[0]["reason"] in ("sheet-too-large", "too-many-columns")


def test_memory_estimate_limit(tmp_path: Path) -> None:
    path = workbook(tmp_path / "w.xlsx", {"S": [[f"c{i}" for i in range(20)]] * 200})
    report = timed_check(path, limits=Limits(xlsx_max_memory_bytes=10_000))
    assert report.status == "error"
    assert report.errors[0]["reason"] == "sheet-too-large"
    assert "export it as CSV" in report.message


def test_styled_empty_cells_far_away_do_not_count(tmp_path: Path) -> None:
    def far(book: Any, sheet: Any, name: str) -> None:
        sheet.write_blank("XFD1", None, book.add_format({"bold": True}))

    path = workbook(tmp_path / "styled.xlsx", {"S": ROWS[:2]}, setup=far)
    report = timed_check(path, limits=Limits(max_columns=100))
    assert report.status == "passed", report.message


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.mark.parametrize(
    ("content", "reason", "code"),
    [
        (b"PK\x03\x04" + b"\x00" * 200, "corrupt-workbook", "format-error"),
        (b"id,name\n1,a\n", "not-a-workbook", "format-error"),
        (b"", "not-a-workbook", "source-error"),
        (OLE + bytes(600), "not-a-workbook", "format-error"),
        (
            OLE + bytes(600) + "EncryptedPackage".encode("utf-16-le"),
            "encrypted-workbook",
            "source-error",
        ),
    ],
)
def test_broken_and_encrypted_files(write: Write, content: bytes, reason: str, code: str) -> None:
    report = timed_check(write("broken.xlsx", content))
    assert report.status == "error"
    assert report.errors_by_code == {code: 1}
    assert report.errors[0]["reason"] == reason


def test_a_truncated_workbook(tmp_path: Path, write: Write) -> None:
    good = workbook(tmp_path / "good.xlsx", {"S": ROWS}).read_bytes()
    report = timed_check(write("cut.xlsx", good[: len(good) // 2]))
    assert report.status == "error"
    assert report.errors[0]["reason"] == "corrupt-workbook"


def test_a_damaged_sheet(tmp_path: Path) -> None:
    report = timed_check(crafted(tmp_path / "bad.xlsx", "<worksheet><sheetData><row><c>"))
    assert report.status == "error"
    assert report.errors_by_code.keys() <= {"format-error", "source-error"}


def test_a_dtd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xlsx"
    crafted(path, sheet_xml(""))
    data = io.BytesIO(path.read_bytes())
    rebuilt = tmp_path / "dtd2.xlsx"
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(rebuilt, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/workbook.xml":
                body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + body[21:]
            target.writestr(info, body)
    report = timed_check(rebuilt)
    assert report.status == "error"
    assert report.errors[0]["reason"] == "corrupt-workbook"


def test_an_empty_sheet(tmp_path: Path) -> None:
    report = timed_check(workbook(tmp_path / "e.xlsx", {"S": []}))
    assert report.status == "error"
    assert report.errors[0]["reason"] == "sheet-empty"


def test_an_entry_that_lies_about_its_size_is_corrupt(tmp_path: Path, write: Write) -> None:
    # The sheet declares 100 bytes uncompressed and inflates to more: zipfile stops at the
    # declared size, the CRC does not match, and the workbook is refused before calamine.
    data = bytearray(workbook(tmp_path / "w.xlsx", {"S": ROWS * 50}).read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    # (signature, offset of the name's length, of the name, of the uncompressed size): the
    # central directory's entry and the local header.
    headers = ((b"PK\x01\x02", 28, 46, 24), (b"PK\x03\x04", 26, 30, 22))
    for signature, length_at, name_at, size_at in headers:
        position = 0
        while (position := data.find(signature, position)) >= 0:
            length = int.from_bytes(data[position + length_at : position + length_at + 2], "little")
            if data[position + name_at : position + name_at + length] == name:
                data[position + size_at : position + size_at + 4] = (100).to_bytes(4, "little")
            position += 4
    report = timed_check(write("lying.xlsx", bytes(data)))
    assert report.status == "error"
    assert report.errors[0]["reason"] == "corrupt-workbook"
    assert "CRC" in report.message
