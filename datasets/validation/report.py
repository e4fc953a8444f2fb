"""The validation report, the error codes and the bounded collector of row errors.

Codes and messages follow the Frictionless Framework v5 so that a report reads like the one
`frictionless validate` prints, and so that our findings can be compared with its findings.
Rows are numbered like Frictionless: the header is row 1 and the first data row is row 2.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import pyarrow as pa

Status = Literal["passed", "failed", "error"]

# Frictionless v5 error codes we emit, in the order they are listed within one row.
CODES: tuple[str, ...] = (
    "source-error",
    "format-error",
    "encoding-error",
    "blank-header",
    "blank-label",
    "duplicate-label",
    "missing-label",
    "extra-label",
    "incorrect-label",
    "blank-row",
    "type-error",
    "constraint-error",
    "extra-cell",
    "missing-cell",
    "unique-error",
    "primary-key",
)
_RANK = {code: rank for rank, code in enumerate(CODES)}


@dataclass(frozen=True)
class SchemaProblem:
    """One problem in a schema document: where (an RFC 6901 JSON pointer), what, and a code."""

    pointer: str
    message: str
    code: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class FileProblem(Exception):
    """The file cannot be checked (further): a Frictionless code, a message, maybe a row."""

    def __init__(
        self, code: str, message: str, row: int | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row
        # A finer, machine-readable cause within the code (e.g. "zip-bomb", "sheet-not-found").
        self.reason = reason


def json_pointer(path: Iterable[Any]) -> str:
    """RFC 6901 pointer for a path of keys and indexes ("" is the whole document)."""
    parts = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "".join("/" + part for part in parts)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class ValidationReport:
    status: Status
    row_count: int = 0
    error_count: int = 0
    errors_by_code: dict[str, int] = field(default_factory=dict)
    # The first errors in row order, at most Limits.max_errors_reported; each is
    # {"row", "field", "field_number", "code", "message"}.
    errors: list[dict[str, Any]] = field(default_factory=list)
    profile: list[dict[str, Any]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    schema_problems: list[SchemaProblem] = field(default_factory=list)
    # Why the status is "error" (or a one-line summary otherwise).
    message: str = ""
    data_format: str | None = None
    schema_kind: str | None = None
    bytes_read: int = 0
    # Things the publisher should know that are not errors, e.g. "decoded as CP949".
    warnings: list[str] = field(default_factory=list)
    # The sheet of a workbook that was checked (xlsx only).
    sheet: str | None = None

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_problems"] = [problem.to_dict() for problem in self.schema_problems]
        data["errors_truncated"] = self.errors_truncated
        return data


class ErrorSink:
    """Counts every error and keeps the first `limit` of them in (row, field, code) order.

    Checks run per batch and some (unique, primary key) only at the end, so errors do not
    arrive in row order; a bounded max-heap keeps the smallest keys seen. Callers with many
    errors in one batch pass indexes, and only as many as could still enter the heap are
    turned into Python objects.
    """

    def __init__(self, limit: int, max_cell_chars: int = 200) -> None:
        self.limit = max(0, limit)
        self.max_cell_chars = max_cell_chars
        self.counts: Counter[str] = Counter()
        self._heap: list[tuple[tuple[int, int, int, int], dict[str, Any]]] = []
        self._seq = itertools.count()

    def reset(self) -> None:
        self.counts.clear()
        self._heap.clear()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def _key(self, row: int | None, field_number: int | None, code: str) -> tuple[int, int, int]:
        # Header and file errors (row None) come first, then rows in order.
        return (row or 0, field_number or 0, _RANK.get(code, len(_RANK)))

    def _worst_row(self) -> int | None:
        if len(self._heap) < self.limit:
            return None
        return -self._heap[0][0][0]

    def add(
        self,
        code: str,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        field_number: int | None = None,
        count: bool = True,
        reason: str | None = None,
    ) -> None:
        if count:
            self.counts[code] += 1
        if self.limit == 0:
            return
        row_key, field_key, rank = self._key(row, field_number, code)
        key = (-row_key, -field_key, -rank, -next(self._seq))
        error = {
            "row": row,
            "field": field,
            "field_number": field_number,
            "code": code,
            "message": message,
        }
        if reason:
            error["reason"] = reason
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, (key, error))
        elif key > self._heap[0][0]:
            heapq.heapreplace(self._heap, (key, error))

    def add_cells(
        self,
        code: str,
        indices: pa.Array,
        rows: pa.Array,
        cells: pa.Array | None,
        message: Callable[[int, str], str],
        *,
        field: str | None,
        field_number: int | None,
    ) -> None:
        """Record one error per index; `message(row, cell_text)` builds each message."""
        n = len(indices)
        if n == 0:
            return
        self.counts[code] += n
        if self.limit == 0:
            return
        take = indices if n <= self.limit else indices.slice(0, self.limit)
        row_values = rows.take(take)
        worst = self._worst_row()
        if worst is not None and row_values[0].as_py() > worst:
            return  # rows ascend within a batch: none of these can enter the heap
        row_list = row_values.to_pylist()
        cell_list: list[Any] = cells.take(take).to_pylist() if cells is not None else []
        for i, row in enumerate(row_list):
            cell = cell_list[i] if cells is not None else None
            text = clip("" if cell is None else str(cell), self.max_cell_chars)
            self.add(
                code,
                message(row, text),
                row=row,
                field=field,
                field_number=field_number,
                count=False,
            )

    def first_errors(self) -> list[dict[str, Any]]:
        ordered = sorted(self._heap, key=lambda item: item[0], reverse=True)
        return [error for _, error in ordered]


# Messages, worded like Frictionless v5's.


def type_error_message(cell: str, row: int, field: str, number: int, type_: str) -> str:
    return (
        f'Type error in the cell "{cell}" in row "{row}" and field "{field}" '
        f'at position "{number}": type is "{type_}"'
    )


def constraint_error_message(
    cell: str, row: int, field: str, number: int, name: str, value: Any
) -> str:
    return (
        f'The cell "{cell}" in row at position "{row}" and field "{field}" at position '
        f'"{number}" does not conform to a constraint: constraint "{name}" is "{value}"'
    )


def missing_cell_message(row: int, field: str, number: int) -> str:
    return f'Row at position "{row}" has a missing cell in field "{field}" at position "{number}"'


def extra_cell_message(row: int, number: int) -> str:
    return f'Row at position "{row}" has an extra value in field at position "{number}"'


def blank_row_message(row: int) -> str:
    return f'Row at position "{row}" is completely blank'


def unique_error_message(row: int, field: str, number: int, previous: int) -> str:
    return (
        f'Row at position "{row}" has unique constraint violation in field "{field}" at '
        f'position "{number}": the same as in the row at position {previous}'
    )


def primary_key_message(row: int, previous: int | None) -> str:
    note = (
        f"the same as in the row at position {previous}"
        if previous is not None
        else 'cells composing the primary keys are all "None"'
    )
    return f'Row at position "{row}" violates the primary key: {note}'


def source_error_message(note: str) -> str:
    return f"The data source has not supported or has inconsistent contents: {note}"


def format_error_message(note: str) -> str:
    return f"The data source could not be successfully parsed: {note}"


def encoding_error_message(note: str) -> str:
    return f"The data source could not be successfully decoded: {note}"
