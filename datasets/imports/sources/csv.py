"""CSV with the registry's column set to import records, read as a stream.

The columns (header names, any case and order; docs/imports.md has the full reference):

    identifier*   the record's id in your own records (kept, to update it next time)
    title_ko, title_en          at least one of the two columns, and a value in each row
    description_ko, description_en
    keywords      separated by ";"
    theme*        a theme code (sensor_time_series, ...)
    formats       format codes (csv, parquet, ...) or media types, separated by ";"
    temporal_start, temporal_end   YYYY-MM-DD
    spatial       plant, site or region
    update_frequency   continuous, daily, weekly, monthly, quarterly, annual, irregular, never
    license*      CC-BY-4.0, CC-BY-SA-4.0, CC-BY-NC-4.0, CC0-1.0, KOGL-Type-1..4, MAX-DSA-1.0,
                  proprietary (or a Creative Commons URL / CKAN licence id)
    sensitivity   public, members, confidential, restricted
    contact_name, contact_email
    division      a division code (ai-factory, ...) or its Korean or English name

(* required columns.) A column left out leaves that field as it is on existing datasets; an
empty cell in a column that is there clears it. Commas or tabs separate cells. The file is
UTF-8 (with or without BOM) or CP949/EUC-KR, decided strictly as the validator does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop as _

from interop.dcat import FREQUENCIES

from ...models import DATASET_METADATA_FIELDS
from ...validation.encoding import CP949, UTF8, UTF8_BOM, EncodingProblem, detect_encoding
from ..limits import ImportLimits
from ..records import ParsedSource, Record, SourceError, stored_message
from .detect import HEAD_BYTES, read_head
from .values import (
    SENSITIVITIES,
    THEMES,
    check_temporal,
    set_code,
    set_date,
    set_email,
    set_formats,
    set_keywords,
    set_license,
    set_text,
    text,
)

LIST_SEPARATOR = ";"
# Every metadata field but the slug (made from the title) and the compatibility mode (the
# API's), under the CSV's names: the source identifier is the record's `identifier`.
COLUMNS = tuple(
    {"source_identifier": "identifier"}.get(name, name)
    for name in DATASET_METADATA_FIELDS
    if name not in ("slug", "compatibility_mode")
)
REQUIRED_COLUMNS = ("identifier", "theme", "license")
ALIASES = {"licence": "license", "keyword": "keywords", "format": "formats", "tags": "keywords"}
MAX_FIELD_CHARS = 1024 * 1024
NOT_UTF8_OR_CP949 = _(
    "The file is neither UTF-8 nor CP949 (EUC-KR): invalid byte at offset %(offset)d. "
    "Save it as UTF-8."
)


def _header_names(row: list[str]) -> list[str]:
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in row]
    return [ALIASES.get(name, name) for name in names]


def header_of(first_line: str) -> list[str]:
    """The column names of a header line."""
    row = next(csv.reader([first_line], delimiter=_delimiter(first_line)), [])
    return _header_names(row)


def check_header(names: list[str]) -> list[dict[str, Any]]:
    """Problems that make the file unusable, and the warnings (unknown columns)."""
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    if duplicates:
        raise SourceError(
            _("The header repeats columns: %(columns)s."),
            params={"columns": ", ".join(duplicates)},
            code="duplicate_columns",
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if "title_ko" not in names and "title_en" not in names:
        missing.append("title_ko or title_en")
    if missing:
        raise SourceError(
            _(
                "The CSV header lacks required columns: %(missing)s. Required: identifier, "
                "title_ko or title_en, theme, license; see docs/imports.md for the others."
            ),
            params={"missing": ", ".join(missing)},
            code="missing_columns",
            missing_columns=missing,
        )
    unknown = [name for name in names if name and name not in COLUMNS]
    if not unknown:
        return []
    columns = ", ".join(unknown)
    return [stored_message("unused_columns", _("Columns not used: %(columns)s."), columns=columns)]


def _delimiter(first_line: str) -> str:
    return "\t" if "\t" in first_line and "," not in first_line else ","


def _reader(stream: io.TextIOBase, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(stream, delimiter=delimiter)


def _open(path: Path, encoding: str) -> io.TextIOWrapper:
    return open(path, encoding=encoding, errors="strict", newline="")


def _scan(path: Path, encoding: str) -> tuple[str, int]:
    """Decode the whole file once, strictly (a CP949 byte may come late in a file whose start
    is ASCII), and count its records: (delimiter, records)."""
    with _open(path, encoding) as stream:
        first = stream.readline()
        delimiter = _delimiter(first)
        stream.seek(0)
        rows = 0
        for index, row in enumerate(_reader(stream, delimiter)):
            if index and any(cell.strip() for cell in row):
                rows += 1
    return delimiter, rows


def _encoding_and_layout(path: Path) -> tuple[str, str, int]:
    head = read_head(path, HEAD_BYTES)
    try:
        encoding = detect_encoding(head)
    except EncodingProblem as exc:  # the validator words it in English only: ours instead
        raise SourceError(
            NOT_UTF8_OR_CP949, params={"offset": exc.offset or 0}, code="encoding_error"
        ) from exc
    candidates = [encoding] + ([CP949] if encoding in (UTF8, UTF8_BOM) else [])
    for candidate in candidates:
        try:
            delimiter, rows = _scan(path, UTF8_BOM if candidate == UTF8 else candidate)
        except UnicodeDecodeError as exc:
            failure = exc
            continue
        except csv.Error as exc:
            raise SourceError(
                _("The CSV cannot be read: %(error)s"),
                params={"error": str(exc)},
                code="invalid_csv",
            ) from exc
        return (UTF8_BOM if candidate == UTF8 else candidate), delimiter, rows
    raise SourceError(NOT_UTF8_OR_CP949, params={"offset": failure.start}, code="encoding_error")


def read(path: Path, limits: ImportLimits) -> ParsedSource:
    csv.field_size_limit(MAX_FIELD_CHARS)
    encoding, delimiter, rows = _encoding_and_layout(path)
    with _open(path, encoding) as stream:
        header = next(_reader(stream, delimiter), None)
    if header is None:
        raise SourceError(_("The CSV has no header."), code="missing_columns")
    names = _header_names(header)
    warnings = check_header(names)
    return ParsedSource(
        records=_records(path, encoding, delimiter, names), total=rows, warnings=warnings
    )


def _records(path: Path, encoding: str, delimiter: str, names: list[str]) -> Iterator[Record]:
    with _open(path, encoding) as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        next(reader)
        index = 0
        try:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                index += 1
                yield row_record(names, row, index, reader.line_num)
        except csv.Error as exc:
            raise SourceError(
                _("The CSV cannot be read past line %(line)d: %(error)s"),
                params={"line": reader.line_num, "error": str(exc)},
                code="invalid_csv",
            ) from exc


def row_record(names: list[str], row: list[str], index: int, line: int) -> Record:
    record = Record(index=index, line=line)
    if len(row) > len(names):
        record.error(
            "",
            "extra_cells",
            _("the row has %(cells)d cells, the header %(columns)d"),
            params={"cells": len(row), "columns": len(names)},
        )
    # Spreadsheets drop trailing empty cells: a short row has empty cells at its end.
    cells = {name: (row[i] if i < len(row) else "") for i, name in enumerate(names)}
    record.identifier = text(cells.get("identifier"))
    record.require_identifier()
    for name in ("title_ko", "title_en"):
        if name in cells:
            set_text(record, name, cells[name], max_length=300)
    record.require_title()
    for name in ("description_ko", "description_en"):
        if name in cells:
            set_text(record, name, cells[name])
    if "keywords" in cells:
        set_keywords(record, cells["keywords"].split(LIST_SEPARATOR))
    set_code(record, "theme", cells.get("theme"), THEMES)
    if "formats" in cells:
        set_formats(record, cells["formats"].split(LIST_SEPARATOR))
    for name in ("temporal_start", "temporal_end"):
        if name in cells:
            set_date(record, name, cells[name])
    check_temporal(record)
    if "spatial" in cells:
        set_text(record, "spatial", cells["spatial"], max_length=200)
    if "update_frequency" in cells and text(cells["update_frequency"]):
        set_code(
            record,
            "update_frequency",
            cells["update_frequency"],
            dict(FREQUENCIES),
        )
    set_license(record, cells.get("license"))
    if "sensitivity" in cells and text(cells["sensitivity"]):
        set_code(record, "sensitivity", cells["sensitivity"], SENSITIVITIES)
    if "contact_name" in cells:
        set_text(record, "contact_name", cells["contact_name"], max_length=150)
    if "contact_email" in cells:
        set_email(record, cells["contact_email"])
    record.division = text(cells.get("division"))
    return record
