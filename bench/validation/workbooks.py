"""Excel workbooks for the validation benchmark: the corpus CSV as an .xlsx, and hostile ones.

The CSV's cells go into the workbook as Excel would hold them after an import: plain numbers
as numbers (so the check reads them back from Excel's floats), everything else as text.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path
from typing import Any

from datasets.validation.xlsx import cell_text

_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?")
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def csv_to_xlsx(source: Path, target: Path) -> int:
    """Write the CSV's rows into the first sheet of a workbook; the rows written."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    sheet = book.add_worksheet("Data")
    rows = 0
    with source.open(newline="", encoding="utf-8") as handle:
        for r, row in enumerate(csv.reader(handle)):
            for c, cell in enumerate(row):
                if not cell:
                    continue
                # A number only where Excel's float reads back as the same text.
                if _NUMBER.fullmatch(cell) and cell_text(float(cell)) == cell:
                    sheet.write_number(r, c, float(cell))
                else:
                    sheet.write_string(r, c, cell)
            rows = r
    book.close()
    return rows


def minimal_workbook(path: Path, sheet_xml: str, extra: dict[str, Any] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def write_hostile(directory: Path) -> dict[str, Path]:
    """Workbooks that must each be refused quickly, with a reason."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    empty = f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'
    bomb = directory / "bomb.xlsx"
    minimal_workbook(bomb, empty)
    block = b"<si><t>" + b"A" * 1_000_000 + b"</t></si>"
    with (
        zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(1024):  # 1 GB of one string
            member.write(block)
    files["bomb.xlsx"] = bomb
    wide = f'<worksheet xmlns="{MAIN}"><dimension ref="A1:BDWGN1"/><sheetData><row r="1">'
    wide += '<c r="A1"><v>1</v></c></row></sheetData></worksheet>'
    files["million-columns.xlsx"] = minimal_workbook(directory / "million-columns.xlsx", wide)
    far = (
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>'
    )
    files["two-far-cells.xlsx"] = minimal_workbook(directory / "two-far-cells.xlsx", far)
    truncated = directory / "truncated.xlsx"
    truncated.write_bytes(files["million-columns.xlsx"].read_bytes()[:300])
    files["truncated.xlsx"] = truncated
    encrypted = directory / "encrypted.xlsx"
    encrypted.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000) + "EncryptedPackage".encode("utf-16-le")
    )
    files["encrypted.xlsx"] = encrypted
    return files
