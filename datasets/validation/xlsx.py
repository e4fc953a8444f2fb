"""Excel workbooks (.xlsx): guards on the zip and the sheet, then calamine, then the table checks.

One sheet is a table: the first visible worksheet, or the one named by `sheet`. Its first
non-blank row is the header; Excel's own row numbers are the report's rows (a header in row 1
makes them Frictionless's, as for CSV). Every cell is turned into the text a CSV export of it
would hold (see `cell_text`) and goes through the same checks as CSV, so the same data gives
the same error codes whatever the format.

Memory. calamine (a Rust reader) reads a whole sheet into a dense grid before the first row
comes out: one 32-byte slot per cell of the used area, plus the text of every string cell, plus
the sheet's shared strings. Row batches after that are small, but the grid is not, so before
calamine opens anything the file is inspected with bounded reads:

- it must be a zip (an encrypted workbook is an OLE container and is named as such), with at
  most `xlsx_max_entries` entries, `xlsx_max_uncompressed_bytes` in all, and an overall ratio
  of at most `max_decompressed_ratio` (a zip bomb is refused before anything is inflated);
- the workbook part is read (small, capped) to find the sheet; one that does not exist is
  named with the sheets there are;
- the sheet's declared `<dimension>` must lie within Excel's grid (16,384 columns, 1,048,576
  rows), and its XML is then streamed once (inflated through zipfile, which stops at the
  declared size and checks the CRC) to find the cells that hold values, their extent and how
  many bytes of shared strings they point at. More than `max_columns` columns, or an estimated
  grid over `xlsx_max_memory_bytes` (256 MiB by default: about 2 million cells of numbers,
  fewer with long text), is refused with a source-error that says so.

calamine also reads the styles (for date formats) and the shared strings; styles are capped
at `MAX_STYLES_BYTES`, and shared strings count in the estimate above. A zip entry's declared
size is not trusted blindly: zipfile stops at it and checks the CRC, so a lying entry is a
corrupt workbook.

Cells, as a steward sees them: the header is the first row with something in it (one row;
a two-row header reads its second row as data); empty trailing columns and rows are not part
of the table; a merged area's value fills each of its cells, and a merged header label gets
"_2", "_3"... on the columns after its first ("Temperature", "Temperature_2"); a value to the
right of the header's last label is an extra-cell, as in CSV. A formula's cached value is
read; an error value (#DIV/0!) reads as an empty cell (calamine gives no text for it).

Every refusal is a report with status "error" and a Frictionless code (source-error or
format-error) like the CSV cases, with a `reason` in the error for clients to tell them apart:
`not-a-workbook`, `corrupt-workbook`, `encrypted-workbook`, `zip-bomb`, `too-many-entries`,
`sheet-not-found`, `too-many-columns`, `sheet-too-large`.
"""

from __future__ import annotations

import array
import datetime as dt
import math
import posixpath
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.compute as pc

from . import report as messages
from .guess import TypeGuesser
from .limits import Limits
from .preview import PreviewCollector
from .report import ErrorSink, FileProblem
from .table import SchemaPlan, TableChecker, header_fields

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_ROWS = 1_048_576
BATCH_ROWS = 4096
SCAN_CHUNK = 4 * 1024 * 1024
MAX_PART_BYTES = 16 * 1024 * 1024  # workbook.xml and its relationships: small by nature
MAX_STYLES_BYTES = 64 * 1024 * 1024
# calamine's dense grid: one Data value (32 bytes) for every cell of the used area, and while
# it is built, a sparse list of the cells that hold values (about 48 bytes each).
GRID_CELL_BYTES = 32
VALUE_CELL_BYTES = 48

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Za-z]+)?(\d+)?(?::([A-Za-z]+)(\d+))?"')
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b")
# A cell reference (only cells carry an `r` of letters and digits): literal-led, so fast.
_CELL_REF = re.compile(rb' r="([A-Z]{1,7})([0-9]{1,9})"')
_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,7})[0-9]')
_SHARED_ITEM = re.compile(rb"<(?:\w+:)?si\b.*?</(?:\w+:)?si>", re.DOTALL)


def column_number(letters: str | bytes) -> int:
    """1 for A, 27 for AA."""
    text = letters.decode("ascii") if isinstance(letters, bytes) else letters
    number = 0
    for char in text.upper():
        number = number * 26 + (ord(char) - 64)
    return number


def _problem(code: str, note: str, reason: str) -> FileProblem:
    wrap = (
        messages.format_error_message if code == "format-error" else messages.source_error_message
    )
    return FileProblem(code, wrap(note), reason=reason)


@dataclass
class SheetPlan:
    """What the inspection found: the sheet to read and what reading it will cost."""

    name: str
    part: str  # its path in the zip
    names: list[str]  # every worksheet, in workbook order
    date1904: bool
    columns: int = 0
    rows: int = 0
    value_cells: int = 0
    string_bytes: int = 0
    estimated_bytes: int = 0
    unreferenced: int = 0  # cells without a reference, found by the fast pass


def _read_part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise _problem(
            "source-error",
            f"the workbook part {name} is {info.file_size:,} bytes",
            "corrupt-workbook",
        )
    data = archive.read(info)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # OOXML has no DTDs; one here can only be an entity-expansion attack.
        raise _problem(
            "format-error", f"the workbook part {name} declares a DTD", "corrupt-workbook"
        )
    return data


def _xml(data: bytes, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)  # noqa: S314 - no DTD (checked), size capped
    except ElementTree.ParseError as exc:
        raise _problem(
            "format-error", f"the workbook part {name} is not valid XML: {exc}", "corrupt-workbook"
        ) from None


def _encrypted(path: Path) -> bool:
    """An OLE container holding an encrypted OOXML package (a password-protected workbook)."""
    with open(path, "rb") as handle:
        data = handle.read(4 * 1024 * 1024)
    return "EncryptedPackage".encode("utf-16-le") in data


def _open_archive(path: Path, limits: Limits) -> zipfile.ZipFile:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise _problem("source-error", "the source is empty", "not-a-workbook")
    if head.startswith(OLE_MAGIC):
        if _encrypted(path):
            raise _problem(
                "source-error",
                "the workbook is encrypted (password-protected): save it without a password",
                "encrypted-workbook",
            )
        raise _problem(
            "format-error",
            "this is a legacy Excel (.xls) or other OLE file, not an .xlsx workbook: save it as "
            ".xlsx or CSV",
            "not-a-workbook",
        )
    if not head.startswith(ZIP_MAGIC):
        raise _problem(
            "format-error",
            "not an Excel workbook (an .xlsx file is a zip archive)",
            "not-a-workbook",
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _problem(
            "format-error",
            f"the workbook is corrupt (not a readable zip: {exc})",
            "corrupt-workbook",
        ) from None
    try:
        _check_entries(archive, path, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_entries(archive: zipfile.ZipFile, path: Path, limits: Limits) -> None:
    entries = archive.infolist()
    if len(entries) > limits.xlsx_max_entries:
        raise _problem(
            "source-error",
            f"the workbook has {len(entries):,} zip entries; the limit is "
            f"{limits.xlsx_max_entries:,}",
            "too-many-entries",
        )
    if any(info.flag_bits & 0x1 for info in entries):
        raise _problem(
            "source-error",
            "the workbook's zip entries are encrypted: save it without a password",
            "encrypted-workbook",
        )
    total = sum(info.file_size for info in entries)
    size = max(1, path.stat().st_size)
    if total > limits.xlsx_max_uncompressed_bytes:
        raise _problem(
            "source-error",
            f"the workbook is {total:,} bytes uncompressed; the limit is "
            f"{limits.xlsx_max_uncompressed_bytes:,}",
            "zip-bomb",
        )
    if total > limits.min_ratio_check_bytes and total / size > limits.max_decompressed_ratio:
        raise _problem(
            "source-error",
            f"the workbook expands {total / size:,.0f} times ({size:,} bytes on disk, {total:,} "
            "uncompressed): refused as a likely decompression bomb",
            "zip-bomb",
        )


def _workbook_part(archive: zipfile.ZipFile) -> str:
    rels = _read_part(archive, "_rels/.rels")
    if rels is not None:
        for rel in _xml(rels, "_rels/.rels").iter(f"{{{_NS_PKG}}}Relationship"):
            if rel.get("Type", "").endswith("/officeDocument"):
                return rel.get("Target", "xl/workbook.xml").lstrip("/")
    return "xl/workbook.xml"


def _sheets(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str, bool]], bool]:
    """[(name, part, visible)] of the worksheets in workbook order, and the 1904 date flag."""
    part = _workbook_part(archive)
    data = _read_part(archive, part)
    if data is None:
        raise _problem(
            "format-error", f"the workbook has no {part}: not an Excel workbook", "not-a-workbook"
        )
    root = _xml(data, part)
    props = root.find(f"{{{_NS_MAIN}}}workbookPr")
    date1904 = props is not None and props.get("date1904", "") in ("1", "true")
    rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    targets: dict[str, tuple[str, str]] = {}
    rels = _read_part(archive, rels_name)
    if rels is not None:
        for rel in _xml(rels, rels_name).iter(f"{{{_NS_PKG}}}Relationship"):
            target = rel.get("Target", "")
            resolved = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
            )
            targets[rel.get("Id", "")] = (resolved, rel.get("Type", ""))
    sheets = []
    for sheet in root.iter(f"{{{_NS_MAIN}}}sheet"):
        target, kind = targets.get(sheet.get(f"{{{_NS_REL}}}id", ""), ("", ""))
        if not kind.endswith("/worksheet"):
            continue  # chart sheets, dialog sheets: no table
        visible = sheet.get("state", "visible") == "visible"
        sheets.append((sheet.get("name", ""), target, visible))
    return sheets, date1904


def _shared_string_lengths(archive: zipfile.ZipFile, limits: Limits) -> array.array[int]:
    """Bytes of every shared string (XML included, so an upper bound), in index order."""
    lengths: array.array[int] = array.array("I")
    names = {info.filename for info in archive.infolist()}
    name = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in names), None)
    if name is None:
        return lengths
    pending = b""
    with archive.open(name) as stream:
        while chunk := stream.read(SCAN_CHUNK):
            pending += chunk
            end = 0
            for match in _SHARED_ITEM.finditer(pending):
                lengths.append(min(match.end() - match.start(), 2**32 - 1))
                end = match.end()
            pending = pending[end:]
            if len(pending) > limits.max_line_bytes:
                raise _problem(
                    "source-error",
                    f"a shared string is longer than {limits.max_line_bytes:,} bytes",
                    "sheet-too-large",
                )
    return lengths


def _dimension(head: bytes) -> tuple[int, int] | None:
    """(columns, rows) of the declared dimension's far corner, when declared."""
    match = _DIMENSION.search(head)
    if match is None:
        return None
    col = match.group(3) or match.group(1)
    row = match.group(4) or match.group(2)
    return (column_number(col) if col else 1, int(row) if row else 1)


def inspect_workbook(path: str | Path, *, sheet: str | None, limits: Limits) -> SheetPlan:
    """Check the zip, find the sheet and measure it, reading nothing unbounded; FileProblem
    when the workbook cannot or should not be read."""
    path = Path(path)
    archive = _open_archive(path, limits)
    with archive:
        try:
            return _inspect(archive, sheet, limits)
        except zipfile.BadZipFile as exc:
            raise _problem(
                "format-error", f"the workbook is corrupt: {exc}", "corrupt-workbook"
            ) from None
        except (OSError, EOFError, ValueError, RuntimeError) as exc:  # zlib errors, bad headers
            raise _problem(
                "format-error", f"the workbook is corrupt: {exc}", "corrupt-workbook"
            ) from None


def _inspect(archive: zipfile.ZipFile, wanted: str | None, limits: Limits) -> SheetPlan:
    sheets, date1904 = _sheets(archive)
    names = [name for name, _, _ in sheets]
    if not sheets:
        raise _problem("source-error", "the workbook has no worksheet", "sheet-not-found")
    chosen: tuple[str, str, bool] | None
    if wanted is None:
        chosen = next((s for s in sheets if s[2]), sheets[0])
    else:
        chosen = next((s for s in sheets if s[0] == wanted), None) or next(
            (s for s in sheets if s[0].casefold() == wanted.strip().casefold()), None
        )
        if chosen is None:
            listed = ", ".join(f'"{name}"' for name in names[:20])
            raise _problem(
                "source-error",
                f'the workbook has no sheet named "{wanted}"; its sheets are {listed}',
                "sheet-not-found",
            )
    name, part, _ = chosen
    plan = SheetPlan(name=name, part=part, names=names, date1904=date1904)
    try:
        info = archive.getinfo(part)
    except KeyError:
        raise _problem(
            "format-error", f'the sheet "{name}" is missing from the workbook', "corrupt-workbook"
        ) from None
    for info_ in archive.infolist():
        if info_.filename.lower() == "xl/styles.xml" and info_.file_size > MAX_STYLES_BYTES:
            raise _problem(
                "source-error",
                f"the workbook's styles are {info_.file_size:,} bytes uncompressed; the limit is "
                f"{MAX_STYLES_BYTES:,}",
                "sheet-too-large",
            )
    lengths = _shared_string_lengths(archive, limits)
    _scan_sheet(archive, info, plan, lengths, limits)
    _estimate(plan, lengths)
    if plan.columns > limits.max_columns:
        raise _problem(
            "source-error",
            f'the sheet "{name}" has {plan.columns:,} columns; the limit is {limits.max_columns:,}',
            "too-many-columns",
        )
    if plan.estimated_bytes > limits.xlsx_max_memory_bytes:
        raise _problem(
            "source-error",
            f'the sheet "{name}" spans {plan.rows:,} rows by {plan.columns:,} columns and would '
            f"need about {plan.estimated_bytes / 2**20:,.0f} MiB of memory to read; the limit is "
            f"{limits.xlsx_max_memory_bytes / 2**20:,.0f} MiB: export it as CSV instead",
            "sheet-too-large",
        )
    return plan


class _Patterns:
    """The sheet's regular expressions for its namespace prefix (most writers use none)."""

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.cell_open = b"<" + prefix + b"c "
        self.cell_bare = b"<" + prefix + b"c>"
        self.shared = re.compile(rb't="s"[^>]*><' + p + rb"v>([0-9]+)<")
        # A cell that holds something: not self-closing.
        self.value_cell = re.compile(
            rb"<" + p + rb'c\b[^>]*?\br="([A-Z]{1,7})([0-9]{1,9})"[^>]*?(?<!/)>'
        )


def _scan_sheet(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    plan: SheetPlan,
    lengths: array.array[int],
    limits: Limits,
) -> None:
    """Extent of the sheet's cells and the shared-string bytes they point at.

    The fast pass counts every cell, styled empty ones too (calamine skips those), so it can
    only overestimate; when that estimate is over a limit, a slower pass counts only the cells
    that hold values before anything is refused."""
    _scan(archive, info, plan, lengths, limits, exact=False)
    if plan.columns > limits.max_columns or _estimate(plan, lengths) > (
        limits.xlsx_max_memory_bytes
    ):
        _scan(archive, info, plan, lengths, limits, exact=True)


def _estimate(plan: SheetPlan, lengths: array.array[int]) -> int:
    plan.estimated_bytes = (
        plan.rows * plan.columns * GRID_CELL_BYTES
        + plan.value_cells * VALUE_CELL_BYTES
        + plan.string_bytes
        + sum(lengths)
    )
    return plan.estimated_bytes


def _scan(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    plan: SheetPlan,
    lengths: array.array[int],
    limits: Limits,
    *,
    exact: bool,
) -> None:
    min_row = 1 << 62
    max_row = 0
    cells_total = referenced = 0
    string_bytes = 0
    letters: set[bytes] = set()
    pending = b""
    patterns: _Patterns | None = None
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(SCAN_CHUNK)
            data = pending + chunk
            if chunk:
                cut = data.rfind(b"<")
                data, pending = (data[:cut], data[cut:]) if cut > 0 else (b"", data)
                if len(pending) > limits.max_line_bytes:
                    raise _problem("format-error", "a cell's XML is too long", "corrupt-workbook")
            else:
                pending = b""
            if patterns is None and data:
                found = _SHEET_DATA.search(data)
                patterns = _Patterns(found.group(1) or b"" if found else b"")
                _check_dimension(data[:65536], plan)
            if patterns is not None and data:
                if exact:
                    refs = patterns.value_cell.findall(data)
                    referenced += len(refs)
                    letters.update(col for col, _ in refs)
                    rows = [int(row) for _, row in refs[:1] + refs[-1:]]
                else:
                    found_cols = _CELL_COLUMN.findall(data)
                    referenced += len(found_cols)
                    letters.update(found_cols)
                    rows = _first_last_rows(data) if found_cols else []
                if rows:
                    min_row, max_row = min(min_row, *rows), max(max_row, *rows)
                if not exact:
                    cells_total += data.count(patterns.cell_open) + data.count(patterns.cell_bare)
                for ref in patterns.shared.findall(data):
                    index = int(ref)
                    string_bytes += lengths[index] if index < len(lengths) else 0
            if not chunk:
                break
    columns = [column_number(col) for col in letters]
    min_col, max_col = (min(columns), max(columns)) if columns else (1, 0)
    if max_col > EXCEL_MAX_COLUMNS or max_row > EXCEL_MAX_ROWS:
        raise _problem(
            "source-error",
            f'the sheet "{plan.name}" has cells beyond Excel\'s own grid (column {max_col:,}, '
            f"row {max_row:,})",
            "too-many-columns",
        )
    plan.string_bytes = string_bytes
    plan.value_cells = referenced
    plan.columns = max_col - min_col + 1 if referenced else 0
    plan.rows = max_row - min_row + 1 if referenced else 0
    # Cells without a reference (allowed, rare) sit after the cell before them: their count
    # bounds the columns they can reach. The exact pass keeps what the fast one found.
    unreferenced = max(0, cells_total - referenced)
    if unreferenced:
        plan.value_cells += unreferenced
        plan.columns = max(plan.columns, min(unreferenced, EXCEL_MAX_COLUMNS))
        plan.rows = max(plan.rows, 1)
        plan.unreferenced = unreferenced
    elif exact and plan.unreferenced:
        plan.value_cells += plan.unreferenced
        plan.columns = max(plan.columns, min(plan.unreferenced, EXCEL_MAX_COLUMNS))
        plan.rows = max(plan.rows, 1)


def _first_last_rows(data: bytes) -> list[int]:
    """Rows of the first and last cell references in `data` (rows come in order)."""
    first = _CELL_REF.search(data)
    if first is None:
        return []
    end = len(data)
    while (position := data.rfind(b' r="', 0, end)) >= 0:
        last = _CELL_REF.match(data, position)
        if last is not None:
            return [int(first.group(2)), int(last.group(2))]
        end = position
    return [int(first.group(2))]


def _check_dimension(head: bytes, plan: SheetPlan) -> None:
    declared = _dimension(head)
    if declared is not None and (declared[0] > EXCEL_MAX_COLUMNS or declared[1] > EXCEL_MAX_ROWS):
        raise _problem(
            "source-error",
            f'the sheet "{plan.name}" declares {declared[0]:,} columns and {declared[1]:,} rows, '
            "beyond Excel's own grid (16,384 by 1,048,576)",
            "too-many-columns",
        )


# --- cells as text ---------------------------------------------------------------------------

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)


def _from_serial(value: float, date1904: bool) -> dt.datetime | None:
    """An Excel date serial as a datetime (to the millisecond), None when out of range."""
    if not math.isfinite(value) or value < 0 or value > 2_958_466:  # up to 9999-12-31
        return None
    epoch = _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH
    return epoch + dt.timedelta(milliseconds=round(value * 86_400_000))


def _datetime_text(value: dt.datetime) -> str:
    if value.microsecond:
        return value.isoformat(timespec="milliseconds")
    return value.isoformat(timespec="seconds")


def _duration_text(value: dt.timedelta) -> str:
    seconds = value.total_seconds()
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86_400)
    whole = int(rest) if rest == int(rest) else round(rest, 3)
    return f"{sign}P{int(days)}DT{whole}S" if days else f"{sign}PT{whole}S"


def cell_text(value: Any, type_: str = "string", date1904: bool = False) -> str:
    """A cell as the text a CSV export would hold, read for a field of type `type_`.

    Numbers lose Excel's float form when whole (1.0 is "1"); dates, times and date-times are
    ISO 8601; booleans "true"/"false"; text stays as typed, so a number stored as text ("007")
    keeps its zeros. For a date, datetime or time field a plain number is read as an Excel date
    serial (a date column without a date format), a date cell in a datetime field is midnight,
    and a date-time at midnight in a date field is its date.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if type_ == "date" and value.time() == dt.time(0):
            return value.date().isoformat()
        if type_ == "time":
            return value.time().isoformat(timespec="seconds")
        return _datetime_text(value)
    if isinstance(value, dt.date):
        if type_ == "datetime":
            return dt.datetime.combine(value, dt.time(0)).isoformat(timespec="seconds")
        return value.isoformat()
    if isinstance(value, dt.time):
        if value.microsecond:
            return value.isoformat(timespec="milliseconds")
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if type_ in ("date", "datetime", "time"):
            moment = _from_serial(value, date1904)
            if moment is not None:
                return cell_text(moment, type_)
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    return str(value)


_TWO_53 = float(2**53)


def column_text(values: list[Any], type_: str, date1904: bool) -> pa.Array:
    """A column of cells as text (see cell_text), on Arrow when it is all text or numbers."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return pa.array(values, pa.string())
    if kinds <= {str, float} and type_ not in ("date", "datetime", "time"):
        try:
            numbers = pa.array([None if value == "" else value for value in values], pa.float64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            numbers = None  # text beside the numbers
        if numbers is not None:
            # Whole numbers as integers ("1", not "1.0" or "1e+15"), like cell_text.
            whole = pc.and_(pc.equal(numbers, pc.trunc(numbers)), pc.less(pc.abs(numbers), _TWO_53))
            as_int = pc.cast(pc.if_else(whole, numbers, 0.0), pa.int64(), safe=False)
            text = pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(numbers, pa.string()))
            return pc.fill_null(text, "")
    return pa.array([cell_text(value, type_, date1904) for value in values], pa.string())


# --- the check -------------------------------------------------------------------------------


@dataclass
class XlsxOutcome:
    sheet: str
    row_count: int = 0
    bytes_read: int = 0
    profile: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


class _Merges:
    """Merged areas: the top-left value fills every cell of the area, as the steward sees it."""

    def __init__(self, ranges: list[tuple[tuple[int, int], tuple[int, int]]] | None) -> None:
        self.by_start: dict[int, list[tuple[int, int, int, int]]] = {}
        for (r0, c0), (r1, c1) in ranges or []:
            if (r1, c1) != (r0, c0):
                self.by_start.setdefault(r0, []).append((r0, c0, r1, c1))
        self.active: list[tuple[int, int, int, Any]] = []  # (last row, c0, c1, value)

    def __bool__(self) -> bool:
        return bool(self.by_start)

    def fill(self, index: int, row: list[Any], col0: int, header: bool) -> None:
        for _, c0, r1, c1 in self.by_start.pop(index, []):
            position = c0 - col0
            value = row[position] if 0 <= position < len(row) else None
            self.active.append((r1, c0, c1, value))
        if not self.active:
            return
        for _, c0, c1, value in self.active:
            for offset, column in enumerate(range(c0, c1 + 1)):
                position = column - col0
                if 0 <= position < len(row) and (offset or row[position] in ("", None)):
                    if header and offset and isinstance(value, str) and value:
                        row[position] = f"{value}_{offset + 1}"
                    else:
                        row[position] = value
        self.active = [item for item in self.active if item[0] > index]


class XlsxValidator:
    def __init__(
        self,
        path: str | Path,
        *,
        plan: SchemaPlan | None,
        sheet: str | None,
        limits: Limits,
        sink: ErrorSink,
        guess_types: bool = False,
        max_rows: int | None = None,
        preview: PreviewCollector | None = None,
    ) -> None:
        self.path = Path(path)
        self.plan = plan
        self.sheet = sheet
        self.preview = preview
        self.limits = limits
        self.sink = sink
        self.guess_types = guess_types
        self.max_rows = max_rows
        self.timings: dict[str, float] = {}
        self.checker: TableChecker | None = None
        self.guessers: list[TypeGuesser] = []
        self.types: list[str] = []

    def run(self) -> XlsxOutcome:
        import python_calamine

        started = time.perf_counter()
        sheet_plan = inspect_workbook(self.path, sheet=self.sheet, limits=self.limits)
        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(self.path))
            try:
                sheet = workbook.get_sheet_by_name(sheet_plan.name)
                merges = _Merges(sheet.merged_cell_ranges)
                col0 = sheet.start[1] if sheet.start is not None else 0
                self.timings["prepare"] = time.perf_counter() - started
                started = time.perf_counter()
                outcome = self._read(sheet.iter_rows(), merges, col0, sheet_plan)
            finally:
                workbook.close()
        except python_calamine.PasswordError:
            raise _problem(
                "source-error",
                "the workbook is encrypted (password-protected): save it without a password",
                "encrypted-workbook",
            ) from None
        except python_calamine.CalamineError as exc:
            raise _problem(
                "format-error", f"the workbook is corrupt: {exc}", "corrupt-workbook"
            ) from None
        self.timings["read_check"] = time.perf_counter() - started
        started = time.perf_counter()
        assert self.checker is not None
        self.checker.finish()
        self.timings["keys"] = time.perf_counter() - started
        outcome.row_count = self.checker.row_count
        if self.guessers:
            outcome.profile = [guesser.profile_dict() for guesser in self.guessers]
        else:
            outcome.profile = self.checker.profile()
        outcome.bytes_read = self.path.stat().st_size
        if len(sheet_plan.names) > 1:
            others = ", ".join(f'"{name}"' for name in sheet_plan.names[:20])
            outcome.warnings.append(
                f'read the sheet "{sheet_plan.name}" of {len(sheet_plan.names)} ({others}); '
                "name another with `sheet`"
            )
        return outcome

    def _read(self, rows: Any, merges: _Merges, col0: int, plan: SheetPlan) -> XlsxOutcome:
        outcome = XlsxOutcome(sheet=plan.name)
        width = 0
        batch: list[list[Any]] = []
        numbers: list[int] = []
        blanks: list[int] = []  # blank rows not yet known to be followed by data
        header_seen = False
        # Rows come from the sheet's first row (calamine yields the leading blank ones too), so
        # a row's number is Excel's. calamine gives "" for an empty cell.
        for index, row in enumerate(rows):
            if merges:
                merges.fill(index, row, col0, header=not header_seen)
            number = index + 1
            if row.count("") == len(row):
                if header_seen:
                    blanks.append(number)
                continue
            if not header_seen:
                labels = [cell_text(cell).strip() for cell in row]
                while labels and not labels[-1]:
                    labels.pop()  # empty trailing columns
                width = len(labels)
                outcome.labels = labels
                self._start(labels)
                header_seen = True
                continue
            if self.max_rows is not None and self._rows(batch) + len(blanks) >= self.max_rows:
                break
            for blank in blanks:  # blank rows inside the data (trailing ones are dropped)
                batch.append([""] * width)
                numbers.append(blank)
            blanks = []
            if len(row) > width:
                extra = row[width:]
                if extra.count("") != len(extra):
                    for position, cell in enumerate(extra, start=width + 1):
                        if cell != "":
                            self.sink.add(
                                "extra-cell",
                                messages.extra_cell_message(number, position),
                                row=number,
                                field="",
                                field_number=position,
                            )
                row = row[:width]
            elif len(row) < width:
                row = row + [""] * (width - len(row))
            batch.append(row)
            numbers.append(number)
            if len(batch) >= BATCH_ROWS:
                self._check(batch, numbers, width, plan.date1904)
                batch, numbers = [], []
        if not header_seen:
            raise FileProblem(
                "source-error",
                messages.source_error_message(f'the sheet "{plan.name}" is empty'),
                reason="sheet-empty",
            )
        if batch:
            self._check(batch, numbers, width, plan.date1904)
        return outcome

    def _rows(self, batch: list[list[Any]]) -> int:
        return (self.checker.row_count if self.checker else 0) + len(batch)

    def _start(self, labels: list[str]) -> None:
        fields, primary = header_fields(labels, self.plan, self.sink)
        self.types = [field.type for field in fields]
        if self.preview is not None:
            self.preview.start(labels, names=[field.name for field in fields])
        self.checker = TableChecker(
            fields,
            primary_key=primary,
            sink=self.sink,
            limits=self.limits,
            profile=not self.guess_types,
        )
        if self.guess_types:
            self.guessers = [TypeGuesser(field.name, self.limits) for field in fields]

    def _check(
        self, batch: list[list[Any]], numbers: list[int], width: int, date1904: bool
    ) -> None:
        assert self.checker is not None
        if self.max_rows is not None:
            room = max(0, self.max_rows - self.checker.row_count)
            batch, numbers = batch[:room], numbers[:room]
            if not batch:
                return
        columns = [
            column_text(list(values), self.types[i], date1904)
            for i, values in enumerate(zip(*batch, strict=True))
        ]
        if self.preview is not None:
            self.preview.add_batch(columns)
        self.checker.check_batch(columns, pa.array(numbers, pa.int64()))
        for guesser, column in zip(self.guessers, columns, strict=False):
            guesser.update(column)
