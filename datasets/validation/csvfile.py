"""CSV and TSV: sniffing, the header guard, and the streaming check on Arrow's CSV reader.

Arrow parses every column as text (the checks decide types, as Frictionless does), in blocks
of `csv_block_bytes`; a row longer than a block makes Arrow stop with a "straddling object"
error, upon which the file is read again with blocks of `max_line_bytes`, and a row longer
than that is reported. Rows whose cell count differs from the header are handed to a callback
that records them; they are re-parsed with Python's csv module for their extra-cell and
missing-cell errors, and their cells are checked like the others.

Row numbers are Frictionless's: the header is row 1. Arrow reports the physical row number of
each skipped row, from which the number of every row of a batch follows.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import report as messages
from .arrays import arange
from .encoding import CP949, UTF8, UTF8_BOM
from .guess import TypeGuesser
from .limits import Limits
from .preview import PreviewCollector
from .report import ErrorSink, FileProblem
from .source import Source, inspect_head
from .table import SchemaPlan, TableChecker, header_fields

DELIMITERS = (",", "\t", ";", "|")
SNIFF_CHARS = 64 * 1024


class _RetryWithLargerBlocks(Exception):
    pass


class _RetryAsCp949(Exception):
    pass


def sniff_delimiter(text_head: str, default: str = ",") -> str:
    """The delimiter that splits the first lines into the most consistent number of cells (>1)."""
    sample = text_head[:SNIFF_CHARS]
    if "\n" in sample and len(sample) == SNIFF_CHARS:
        sample = sample[: sample.rfind("\n")]  # drop a cut-off last line
    best, best_score = default, (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [
                len(record)
                for record in csv.reader(io.StringIO(sample), delimiter=delimiter)
                if record
            ][:50]
        except csv.Error:
            continue
        if not records:
            continue
        width, hits = Counter(records).most_common(1)[0]
        if width < 2:
            continue
        score = (hits / len(records), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class CsvOutcome:
    encoding: str
    delimiter: str
    row_count: int = 0
    bytes_read: int = 0
    profile: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class _Prepared:
    encoding: str
    delimiter: str
    labels: list[str]
    compression: str | None


def prepare(
    path: str | Path,
    *,
    data_format: str,
    encoding: str | None,
    delimiter: str | None,
    limits: Limits,
) -> _Prepared:
    """Look at the head of the file: format, encoding, delimiter, header; FileProblem if it
    cannot be used."""
    head = inspect_head(path, data_format=data_format, encoding=encoding, limits=limits)
    text, enc, compression, complete = head.text, head.encoding, head.compression, head.complete
    text = text.removeprefix("\ufeff")
    if delimiter is None:
        delimiter = "\t" if data_format == "tsv" else sniff_delimiter(text)
    elif len(delimiter) != 1 or delimiter in '\r\n"':
        raise FileProblem(
            "source-error",
            messages.source_error_message(f"unusable delimiter {delimiter!r}"),
        )
    # The header must end within max_line_bytes (a newline, or the end of a small file).
    first_line_end = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=-1)
    if first_line_end < 0 and not complete:
        raise FileProblem(
            "format-error",
            messages.format_error_message(
                f"no line break in the first {limits.max_line_bytes:,} bytes: the header row is "
                "too long or this is not a delimited text file"
            ),
        )
    if first_line_end == 0 or not text.strip():
        raise FileProblem(
            "format-error",
            messages.format_error_message("the first line is blank: the header must come first"),
        )
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        first = stripped.splitlines()[0] if stripped else ""
        try:
            json.loads(first)
        except ValueError:
            pass
        else:
            raise FileProblem(
                "format-error",
                messages.format_error_message(
                    f"the content looks like JSON, not {data_format.upper()}"
                ),
            )
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        labels = next(reader, [])
    except csv.Error as exc:
        raise FileProblem(
            "format-error", messages.format_error_message(f"cannot read the header: {exc}")
        ) from None
    if len(labels) > limits.max_columns:
        raise FileProblem(
            "source-error",
            messages.source_error_message(
                f"the header has {len(labels):,} columns; the limit is {limits.max_columns:,}"
            ),
        )
    return _Prepared(encoding=enc, delimiter=delimiter, labels=labels, compression=compression)


class _RowNumbers:
    """Physical row numbers of the rows of each batch, given the rows Arrow skipped."""

    def __init__(self) -> None:
        self.skipped: list[int] = []  # ascending; appended by the invalid-row callback
        self._next = 1  # physical number of the next row Arrow will emit
        self._pointer = 0  # first skipped number not yet passed

    @property
    def next_row(self) -> int:
        """Physical number of the first row not yet handed out."""
        return self._next

    def take(self, count: int) -> pa.Array:
        start = self._next
        end = start + count - 1
        skipped, pointer = self.skipped, self._pointer
        inside: list[int] = []
        while pointer < len(skipped) and skipped[pointer] <= end:
            if skipped[pointer] >= start:
                inside.append(skipped[pointer])
                end += 1
            pointer += 1
        self._pointer = pointer
        self._next = end + 1
        numbers = pc.add(arange(end + 1 - start), start)
        if inside:
            numbers = numbers.filter(pc.invert(pc.is_in(numbers, pa.array(inside, pa.int64()))))
        return numbers


class CsvValidator:
    def __init__(
        self,
        path: str | Path,
        *,
        plan: SchemaPlan | None,
        data_format: str,
        encoding: str | None,
        delimiter: str | None,
        limits: Limits,
        sink: ErrorSink,
        guess_types: bool = False,
        max_rows: int | None = None,
        preview: PreviewCollector | None = None,
    ) -> None:
        self.path = path
        self.preview = preview
        self.plan = plan
        self.data_format = data_format
        self.explicit_encoding = encoding
        self.explicit_delimiter = delimiter
        self.limits = limits
        self.sink = sink
        self.guess_types = guess_types
        self.max_rows = max_rows
        self.timings: dict[str, float] = {}
        self.checker: TableChecker | None = None
        self.guessers: list[TypeGuesser] = []
        self._unchecked_rows = 0  # malformed rows past the budget: counted, not checked

    def run(self) -> CsvOutcome:
        started = time.perf_counter()
        prepared = prepare(
            self.path,
            data_format=self.data_format,
            encoding=self.explicit_encoding,
            delimiter=self.explicit_delimiter,
            limits=self.limits,
        )
        self.timings["prepare"] = time.perf_counter() - started
        warnings: list[str] = []
        block = min(self.limits.csv_block_bytes, self.limits.max_line_bytes)
        encoding = prepared.encoding
        for _attempt in range(3):
            try:
                outcome = self._pass(prepared, encoding, block)
                outcome.warnings = warnings + outcome.warnings
                return outcome
            except _RetryWithLargerBlocks:
                block = self.limits.max_line_bytes
                warnings.append(
                    f"a row is longer than {self.limits.csv_block_bytes:,} bytes; "
                    "re-read with larger blocks"
                )
            except _RetryAsCp949:
                encoding = CP949
                warnings.append(
                    "the file starts as UTF-8 but is not valid UTF-8 further on; it was read as "
                    "CP949 (EUC-KR)"
                )
            self._reset()
        raise FileProblem("source-error", messages.source_error_message("cannot read the file"))

    def _reset(self) -> None:
        if self.checker is not None:
            self.checker.close()
        self.checker = None
        self.guessers = []
        self.sink.reset()  # a fresh pass starts a fresh collection
        if self.preview is not None:
            self.preview.reset()

    def _pass(self, prepared: _Prepared, encoding: str, block: int) -> CsvOutcome:
        limits = self.limits
        width = len(prepared.labels)
        names = [f"c{i}" for i in range(width)]
        numbers = _RowNumbers()
        malformed: list[tuple[int, str]] = []

        def on_invalid_row(row: Any) -> str:
            number = row.number if row.number is not None else -1
            numbers.skipped.append(number)
            malformed.append((number, row.text))
            return "skip"

        source = Source(self.path, limits=limits, transcode_from=encoding, throttle=True)
        outcome = CsvOutcome(encoding=encoding, delimiter=prepared.delimiter)
        started = time.perf_counter()
        try:
            reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(
                    column_names=names, block_size=block, use_threads=False
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=prepared.delimiter,
                    quote_char='"',
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid_row,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            first = True
            malformed_checked = 0
            for batch in reader:
                rows = numbers.take(batch.num_rows)
                columns = batch.columns
                if first:
                    first = False
                    if 1 not in numbers.skipped and batch.num_rows:
                        labels = [str(column[0].as_py()) for column in columns]
                        columns = [column.slice(1) for column in columns]
                        rows = rows.slice(1)
                    else:
                        labels = prepared.labels
                    outcome.labels = labels
                    self._start(labels)
                if self.max_rows is not None:  # a sample: stop at max_rows exactly
                    room = max(0, self.max_rows - self._rows())
                    if len(rows) > room:
                        columns = [column.slice(0, room) for column in columns]
                        rows = rows.slice(0, room)
                    last = rows[-1].as_py() if len(rows) else 0
                    malformed[:] = [item for item in malformed if item[0] <= last]
                if self.preview is not None:
                    self.preview.add_batch(columns)
                malformed_checked = self._check(
                    columns, rows, malformed, prepared.delimiter, width, malformed_checked
                )
                malformed.clear()
                source.release()
                if self.max_rows is not None and self._rows() >= self.max_rows:
                    break
            if self.checker is None:  # empty after the header (or no rows at all)
                outcome.labels = prepared.labels
                self._start(prepared.labels)
            if malformed:
                self._check(
                    [],
                    pa.array([], pa.int64()),
                    malformed,
                    prepared.delimiter,
                    width,
                    malformed_checked,
                )
        except (pa.ArrowException, OSError) as exc:
            self._raise_for(exc, source, encoding, block, numbers)
        finally:
            source.close()
            outcome.bytes_read = source.bytes_out
        self.timings["read_check"] = time.perf_counter() - started
        started = time.perf_counter()
        assert self.checker is not None
        self.checker.finish()
        self.timings["keys"] = time.perf_counter() - started
        outcome.row_count = self._rows()
        if self.guessers:
            outcome.profile = [guesser.profile_dict() for guesser in self.guessers]
        else:
            outcome.profile = self.checker.profile()
        return outcome

    def _rows(self) -> int:
        return self.checker.row_count + self._unchecked_rows if self.checker else 0

    def _start(self, labels: list[str]) -> None:
        self._unchecked_rows = 0
        fields, primary = header_fields(labels, self.plan, self.sink)
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
        self,
        columns: list[pa.Array],
        rows: pa.Array,
        malformed: list[tuple[int, str]],
        delimiter: str,
        width: int,
        malformed_checked: int,
    ) -> int:
        assert self.checker is not None
        if len(rows):
            self.checker.check_batch(columns, rows)
            for guesser, column in zip(self.guessers, columns, strict=False):
                guesser.update(column)
        if not malformed:
            return malformed_checked
        budget = self.limits.max_malformed_rows_checked - malformed_checked
        checked, unchecked = malformed[: max(0, budget)], malformed[max(0, budget) :]
        if checked:
            self._check_malformed(checked, delimiter, width)
        for number, text in unchecked:
            # Past the budget: count the structural errors only, from Arrow's cell count.
            self._unchecked_rows += 1
            cells = _split(text, delimiter)
            self._structural_errors(number, len(cells), width, blank=False)
        return malformed_checked + len(checked)

    def _check_malformed(self, rows: list[tuple[int, str]], delimiter: str, width: int) -> None:
        assert self.checker is not None
        parsed = [(number, _split(text, delimiter)) for number, text in rows if number != 1]
        if not parsed:
            return
        columns = [
            pa.array([cells[i] if i < len(cells) else None for _, cells in parsed], pa.string())
            for i in range(width)
        ]
        numbers = pa.array([number for number, _ in parsed], pa.int64())
        blank = self.checker.check_batch(columns, numbers).to_pylist()
        for guesser, column in zip(self.guessers, columns, strict=False):
            guesser.update(column)
        for (number, cells), is_blank in zip(parsed, blank, strict=True):
            self._structural_errors(number, len(cells), width, blank=bool(is_blank))

    def _structural_errors(self, number: int, count: int, width: int, *, blank: bool) -> None:
        if blank:
            return  # Frictionless reports a blank row instead of its missing cells
        assert self.checker is not None
        fields = self.checker.fields
        for position in range(width + 1, count + 1):
            self.sink.add(
                "extra-cell",
                messages.extra_cell_message(number, position),
                row=number,
                field="",
                field_number=position,
            )
        for position in range(count + 1, width + 1):
            name = fields[position - 1].name
            self.sink.add(
                "missing-cell",
                messages.missing_cell_message(number, name, position),
                row=number,
                field=name,
                field_number=position,
            )

    def _raise_for(
        self,
        exc: Exception,
        source: Source,
        encoding: str,
        block: int,
        numbers: _RowNumbers,
    ) -> None:
        near = numbers.next_row
        if source.failure is not None:
            failure = source.failure
            wrap = {
                "encoding-error": messages.encoding_error_message,
                "format-error": messages.format_error_message,
            }.get(failure.code, messages.source_error_message)
            raise FileProblem(failure.code, wrap(failure.message), row=None) from None
        text = str(exc)
        if "straddling" in text or "block size" in text:
            if block < self.limits.max_line_bytes:
                raise _RetryWithLargerBlocks from None
            raise FileProblem(
                "format-error",
                messages.format_error_message(
                    f"a row after row {near - 1} is longer than {self.limits.max_line_bytes:,} "
                    "bytes (a quote that is never closed?)"
                ),
                row=near,
            ) from None
        if "UTF8" in text or "utf8" in text.lower():
            if (
                self.explicit_encoding is None
                and encoding in (UTF8, UTF8_BOM)
                and _decodes_as(self.path, CP949, self.limits)
            ):
                raise _RetryAsCp949 from None
            offset = _first_invalid_offset(self.path, self.limits)
            where = f" at byte offset {offset:,}" if offset is not None else ""
            raise FileProblem(
                "encoding-error",
                messages.encoding_error_message(
                    f"invalid UTF-8{where} (after row {near - 1}); the file is not CP949 "
                    "either: save it as UTF-8 or give its encoding"
                ),
                row=near,
            ) from None
        raise FileProblem(
            "format-error", messages.format_error_message(f"after row {near - 1}: {text}"), row=near
        ) from None


def _split(text: str, delimiter: str) -> list[str]:
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        return text.split(delimiter)
    cells: list[str] = []
    for record in records:  # a quoted newline Python splits differently: keep every cell
        cells.extend(record)
    return cells if records else [""]


def _decodes_as(path: str | Path, encoding: str, limits: Limits) -> bool:
    """Whether the whole file decodes strictly as `encoding` (streamed, bounded memory)."""
    with Source(path, limits=limits) as source:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            while chunk := source.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except (UnicodeDecodeError, OSError):
            return False
    return True


def _first_invalid_offset(path: str | Path, limits: Limits) -> int | None:
    with Source(path, limits=limits) as source:
        decoder = codecs.getincrementaldecoder(UTF8)(errors="strict")
        offset = 0
        try:
            while chunk := source.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return offset + exc.start
                offset += len(chunk)
        except OSError:
            return None
    return None
