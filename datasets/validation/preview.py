"""The preview: the first rows of a table, taken from the batches the check reads anyway.

Engine-generic: every reader (CSV, TSV, Parquet, and any later one) hands the collector its
column labels once (`start`) and then its Arrow batches (`add_batch`) as it reads them, so
the preview never reads the file a second time. JSON Lines records, which are not a table
until a schema makes them one, come as Python values (`add_records`).

Excluded columns (sensitive fields) are dropped here, before any value is kept, so they are
never stored. Cells are made JSON-safe and cut to `max_cell_chars`.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from .report import clip

DEFAULT_MAX_CELL_CHARS = 1000


class PreviewCollector:
    """Keeps the first `max_rows` rows of the columns not in `exclude`."""

    def __init__(
        self,
        max_rows: int,
        *,
        exclude: Iterable[str] = (),
        max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    ) -> None:
        self.max_rows = max(0, max_rows)
        self.exclude = frozenset(exclude)
        self.max_cell_chars = max_cell_chars
        self.columns: list[str] = []
        self.excluded: list[str] = []
        self.rows: list[list[Any]] = []
        self.started = False
        self._keep: list[int] = []

    @property
    def full(self) -> bool:
        return len(self.rows) >= self.max_rows

    def reset(self) -> None:
        """Forget everything (a reader that starts its pass again)."""
        self.columns, self.excluded, self.rows, self._keep = [], [], [], []
        self.started = False

    def start(self, labels: Sequence[str], names: Sequence[str] | None = None) -> None:
        """The table's column labels, in file order. `names` (the schema's field name of each
        column, when it differs from the label) are matched against `exclude` too."""
        self.reset()
        self.started = True
        names = names if names is not None else labels
        for index, label in enumerate(labels):
            name = names[index] if index < len(names) else label
            if label in self.exclude or name in self.exclude:
                self.excluded.append(label)
            else:
                self._keep.append(index)
                self.columns.append(label)

    def add_batch(self, columns: Sequence[pa.Array | pa.ChunkedArray]) -> None:
        """Take rows from one batch (its columns in the order of `start`'s labels)."""
        room = self.max_rows - len(self.rows)
        if not self.started or room <= 0 or not columns:
            return
        count = min(room, len(columns[0]))
        if count <= 0:
            return
        kept = [
            [self._cell(value) for value in columns[index].slice(0, count).to_pylist()]
            if index < len(columns)
            else [None] * count
            for index in self._keep
        ]
        if kept:
            self.rows.extend([list(row) for row in zip(*kept, strict=True)])
        else:  # every column excluded: the rows are still counted
            self.rows.extend([] for _ in range(count))

    def add_records(self, records: Iterable[Any]) -> None:
        """Take JSON values (JSON Lines): objects by key, columns in order of appearance;
        arrays by position; anything else as one `value` column."""
        if not self.started:
            self.started = True
        for record in records:
            if self.full:
                return
            if isinstance(record, dict):
                items = [(str(key), value) for key, value in record.items()]
            elif isinstance(record, list):
                items = [(str(position), value) for position, value in enumerate(record, 1)]
            else:
                items = [("value", record)]
            cells: dict[str, Any] = {}
            for key, value in items:
                if key in self.exclude:
                    if key not in self.excluded:
                        self.excluded.append(key)
                    continue
                if key not in self.columns:
                    self.columns.append(key)
                cells[key] = self._cell(value)
            self.rows.append([cells.get(name) for name in self.columns])
        # Rows taken before a later record added a column are padded to the full width.
        width = len(self.columns)
        for row in self.rows:
            row.extend([None] * (width - len(row)))

    def to_dict(self) -> dict[str, Any] | None:
        """{"columns", "excluded_columns", "rows"}, or None when no table was started."""
        if not self.started:
            return None
        return {
            "columns": list(self.columns),
            "excluded_columns": list(self.excluded),
            "rows": [list(row) for row in self.rows],
        }

    def _cell(self, value: Any) -> Any:
        value = json_safe(value)
        if isinstance(value, str):
            return clip(value, self.max_cell_chars)
        if isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False)
            if len(text) > self.max_cell_chars:
                return clip(text, self.max_cell_chars)
        return value


def json_safe(value: Any) -> Any:
    """A JSON value for an Arrow or JSON cell: dates as ISO text, bytes as base64, decimals and
    non-finite floats as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        # Arrow maps come as lists of (key, value) pairs.
        return [json_safe(item) for item in value]
    return str(value)
