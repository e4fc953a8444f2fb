"""CSV exports of the tables, for the secretariat's reports.

Columns come from the output serializers, so a CSV holds what the JSON holds, under the fields'
(translated) labels. Cells are read from the table's rows directly, which hold JSON values
already (numbers, strings, booleans, None): running 1,300 rows through DRF's fields would
double the cost of an export and change nothing.

UTF-8 with a byte-order mark, which Excel needs to read Korean correctly. Cells that a
spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
return: OWASP's CSV injection list) get a leading single quote, so an organisation named
`=HYPERLINK(...)` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Nested objects whose fields are columns of their own, without the object's label in front.
UNPREFIXED = frozenset({"division", "organization", "figures"})


@dataclass(frozen=True)
class Column:
    label: str
    path: tuple[str, ...]
    # For a SerializerMethodField: its method, given the object the field belongs to.
    compute: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class CsvTable:
    """What the CSV renderer writes: a header row and the rows, as cells."""

    header: list[str]
    rows: list[list[str]]


def columns(serializer: serializers.Serializer[Any], prefix: str = "") -> Iterator[Column]:
    """Every leaf field of `serializer`, depth first, labelled `Parent: Child`."""
    for name, field in serializer.fields.items():
        label = str(field.label or name)
        full = f"{prefix}: {label}" if prefix else label
        if isinstance(field, serializers.Serializer):
            nested_prefix = prefix if name in UNPREFIXED else full
            for column in columns(field, nested_prefix):
                yield Column(column.label, (name, *column.path), column.compute)
        elif isinstance(field, serializers.SerializerMethodField):
            yield Column(full, (name,), getattr(serializer, field.method_name))
        else:
            yield Column(full, (name,))


def safe_cell(value: Any) -> str:
    """The cell's text, neutralised if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    text = (_("yes") if value else _("no")) if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _value(row: Any, column: Column) -> Any:
    *parents, name = column.path
    for parent in parents:
        if not isinstance(row, dict):
            return None
        row = row.get(parent)
    if not isinstance(row, dict):
        return None
    if column.compute is not None and name not in row:
        return column.compute(row)
    return row.get(name)


def table(row_serializer: serializers.Serializer[Any], rows: Iterable[dict[str, Any]]) -> CsvTable:
    """`rows` (a table's rows, in the shape `row_serializer` describes) as a CSV table."""
    cols = list(columns(row_serializer))
    return CsvTable(
        header=[safe_cell(column.label) for column in cols],
        rows=[[safe_cell(_value(row, column)) for column in cols] for row in rows],
    )


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if not isinstance(data, CsvTable):
            # Only tables are rendered as CSV; views answer errors in JSON (StatsView).
            raise TypeError("CsvRenderer renders CsvTable objects only")
        out = io.StringIO()
        out.write(BOM)
        writer = csv.writer(out)
        writer.writerow(data.header)
        writer.writerows(data.rows)
        return out.getvalue().encode("utf-8")
