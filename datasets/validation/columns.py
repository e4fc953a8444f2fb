"""Vectorised type and constraint checks of one column of one batch (pyarrow.compute).

Each check has a fast path and an exact path. The fast path is a cast of the whole column with
Arrow, which parses what Frictionless accepts in the common spellings (one pass when the data
is clean); when some cells do not cast, they are isolated by casting halves (arrays.py), and
only a column with many of them falls back to a regex selecting the spellings Arrow reads
identically. Every other non-missing cell goes to cells.CellReader, the Python reader with
Frictionless semantics, so a cell gets the same verdict either way; only broken or unusual
cells pay the Python price.

Typed values (int64, float64, bool, date32, timestamp[us], ...) come out aligned with the
rows, null where a cell is missing or invalid, for the unique and primary-key checks and the
profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .arrays import (
    VALUE_TYPES,
    any_true,
    cast_lenient,
    positions_mask,
    to_arrow_value,
    true_indices,
    try_cast,
    value_key,
)
from .cells import CellReader, value_reader
from .fields import BOUND_CONSTRAINTS, CONSTRAINT_ORDER, FieldSpec
from .keys import key_array
from .temporal import TEMPORAL_TYPES, is_simple_format, temporal

_RE_INT = r"^-?[0-9]{1,18}$"
_RE_NUMBER = r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?$"
_RE_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_RE_UUID = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
_RE_URI = r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$"


@dataclass
class ColumnResult:
    missing: pa.Array  # boolean, no nulls: the cell is absent or a missing value
    values: pa.Array  # typed values aligned with the rows, null where missing or invalid
    # (code, constraint name or None, ascending row indexes within the batch)
    errors: list[tuple[str, str | None, pa.Array]] = field(default_factory=list)
    # int64 keys for unique/primary-key checks when `values` cannot serve (see value_key)
    keys: pa.Array | None = None


class ColumnChecker:
    """Checks one field's column, batch after batch. Input: Arrow arrays, text or typed."""

    def __init__(self, spec: FieldSpec) -> None:
        self.spec = spec
        self.reader = CellReader(spec)
        self.python_value = value_reader(spec)
        self.value_type = VALUE_TYPES.get(spec.type, pa.string())
        self.missing_set = pa.array(list(spec.missing_values), pa.string())
        self.boolean_values = pa.array([*spec.true_values, *spec.false_values], pa.string())
        self.only_empty_missing = spec.missing_values == ("",)
        constraints = spec.constraints
        self.bounds: list[tuple[str, Any]] = []
        self.enum: pa.Array | None = None
        self.vector_constraints = False
        if spec.type in ("integer", "number", "date", "datetime", "time", "year", "yearmonth"):
            for name in BOUND_CONSTRAINTS:
                if constraints.get(name) is not None:
                    bound = to_arrow_value(spec.type, self.python_value(constraints[name]))
                    self.bounds.append((name, pa.scalar(bound, self.value_type)))
        if constraints.get("enum") and spec.type in VALUE_TYPES:
            items = [to_arrow_value(spec.type, self.python_value(v)) for v in constraints["enum"]]
            self.enum = pa.array([item for item in items if item is not None], self.value_type)
        self.pattern = constraints.get("pattern") if spec.type == "string" else None
        self.min_length = constraints.get("minLength") if spec.type == "string" else None
        self.max_length = constraints.get("maxLength") if spec.type == "string" else None
        # Custom date formats Arrow's strptime can read (see _temporal_custom).
        self.simple_format = spec.type in ("date", "datetime") and is_simple_format(spec.format)

    # Entry point

    def check(self, array: pa.Array) -> ColumnResult:
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        if _is_text(array.type):
            if not pa.types.is_string(array.type):
                array = array.cast(pa.string())
            return self._check_text(array)
        return self._check_native(array)

    # Text input (CSV, string columns of Parquet)

    def _missing_mask(self, array: pa.Array) -> pa.Array:
        if self.only_empty_missing:
            mask = pc.equal(array, "")
        else:
            mask = pc.is_in(array, value_set=self.missing_set)
        if array.null_count:
            mask = pc.or_kleene(mask, pc.is_null(array))
        return pc.fill_null(mask, True)

    def _check_text(self, array: pa.Array) -> ColumnResult:
        spec = self.spec
        missing = self._missing_mask(array)
        has_missing = any_true(missing)
        kind = spec.type
        fast: pa.Array | None  # typed values for the cells the fast path decided
        slow: pa.Array | None  # cells for the Python reader (boolean mask, no nulls)
        type_bad: pa.Array | None = None  # type errors decided by the fast path
        aware: pa.Array | None = None  # datetimes with a UTC offset (fast path)
        if kind == "string":
            fast, slow, type_bad = self._string(array, missing, has_missing)
        elif kind in ("integer", "number"):
            fast, slow = self._numeric(array, missing, has_missing)
        elif kind == "boolean":
            fast, type_bad = self._boolean(array, missing)
            slow = None
        elif kind in TEMPORAL_TYPES:
            fast, slow, aware = temporal(self, array, missing, has_missing)
        elif kind == "any":
            fast = pc.if_else(missing, pa.scalar(None, pa.string()), array)
            slow = None
        else:  # duration, geopoint, geojson, object, array, list: Python only
            fast = None
            slow = pc.invert(missing)
        return self._finish(array, missing, fast, slow, type_bad, aware)

    def _finish(
        self,
        array: pa.Array,
        missing: pa.Array,
        fast: pa.Array | None,
        slow: pa.Array | None,
        type_bad: pa.Array | None,
        aware: pa.Array | None = None,
    ) -> ColumnResult:
        n = len(array)
        values = fast if fast is not None else pa.nulls(n, self.value_type)
        result = ColumnResult(missing=missing, values=values)
        slow_idx = true_indices(slow) if slow is not None else None
        slow_type: list[int] = []
        slow_failures: dict[str, list[int]] = {}
        slow_keys: dict[int, int] = {}
        needs_keys = self.spec.type in ("datetime", "time")
        mask: pa.Array | None = None
        if slow_idx is not None and len(slow_idx):
            cells = array.take(slow_idx).to_pylist()
            replacements: list[Any] = []
            for position, cell in zip(slow_idx.to_pylist(), cells, strict=True):
                value, failures = self.reader.read(cell)
                if failures == ["type"]:
                    slow_type.append(position)
                    replacements.append(None)
                    continue
                for name in failures or ():
                    if name != "required":  # required is checked per row, see table.py
                        slow_failures.setdefault(name, []).append(position)
                stored = to_arrow_value(self.spec.type, value)
                replacements.append(stored)
                if value is not None and (needs_keys or stored is None):
                    slow_keys[position] = value_key(self.spec.type, value)
            mask = positions_mask(n, slow_idx)
            values = pc.replace_with_mask(
                values, mask, pa.array(replacements, values.type, from_pandas=False)
            )
        # Type errors
        type_idx = true_indices(type_bad) if type_bad is not None else pa.array([], pa.int64())
        if slow_type:
            type_idx = _merge(type_idx, slow_type)
        if len(type_idx):
            result.errors.append(("type-error", None, type_idx))
        # Constraints on the fast values (slow ones were checked by the Python reader)
        for name, idx in self._constraints(fast if fast is not None else None):
            if name in slow_failures:
                idx = _merge(idx, slow_failures.pop(name))
            result.errors.append(("constraint-error", name, idx))
        for name, positions in slow_failures.items():
            result.errors.append(
                ("constraint-error", name, pa.array(sorted(positions), pa.int64()))
            )
        result.errors.sort(key=lambda error: _error_order(error[0], error[1]))
        result.values = values
        if needs_keys or slow_keys:
            result.keys = self._keys(fast if needs_keys else values, aware, slow_keys, n)
        return result

    def _keys(
        self, fast: pa.Array | None, aware: pa.Array | None, slow_keys: dict[int, int], n: int
    ) -> pa.Array:
        """Keys when values are not enough: Python tells aware and naive times apart (they
        are never equal), and integers beyond int64 have no Arrow value."""
        if fast is None:
            keys = pa.nulls(n, pa.int64())
        elif self.spec.type in ("datetime", "time"):
            keys = pc.multiply(fast.cast(pa.int64()), 2)
            if aware is not None:
                keys = pc.add(keys, pc.cast(aware, pa.int64()))
        else:
            keys = key_array(fast)
        if slow_keys:
            positions = sorted(slow_keys)
            mask = positions_mask(n, pa.array(positions, pa.int64()))
            keys = pc.replace_with_mask(
                keys, mask, pa.array([slow_keys[p] for p in positions], pa.int64())
            )
        return keys

    def _constraints(self, values: pa.Array | None) -> list[tuple[str, pa.Array]]:
        found: list[tuple[str, pa.Array]] = []
        if values is None:
            return found

        def report(name: str, violation: pa.Array) -> None:
            violation = pc.fill_null(violation, False)
            if any_true(violation):
                found.append((name, true_indices(violation)))

        if self.min_length is not None or self.max_length is not None:
            lengths = pc.utf8_length(values)
            if self.min_length is not None:
                report("minLength", pc.less(lengths, self.min_length))
            if self.max_length is not None:
                report("maxLength", pc.greater(lengths, self.max_length))
        if self.pattern is not None:
            report("pattern", pc.invert(pc.match_substring_regex(values, f"^{self.pattern}$")))
        compare = {
            "minimum": pc.greater_equal,
            "maximum": pc.less_equal,
            "exclusiveMinimum": pc.greater,
            "exclusiveMaximum": pc.less,
        }
        for name, bound in self.bounds:
            # Not (value >= bound) rather than value < bound: NaN fails every bound.
            report(name, pc.invert(compare[name](values, bound)))
        if self.enum is not None:
            inside = pc.is_in(values, value_set=self.enum)
            report("enum", pc.and_(pc.is_valid(values), pc.invert(inside)))
        return found

    # Per-type fast paths: (typed values for decided cells, mask of cells for Python)

    def _string(
        self, array: pa.Array, missing: pa.Array, has_missing: bool
    ) -> tuple[pa.Array | None, pa.Array | None, pa.Array | None]:
        values = pc.if_else(missing, pa.scalar(None, pa.string()), array) if has_missing else array
        fmt = self.spec.format
        patterns = {"email": _RE_EMAIL, "uuid": _RE_UUID, "uri": _RE_URI}
        if fmt in patterns:
            ok = pc.match_substring_regex(values, patterns[fmt])
            bad = pc.fill_null(pc.invert(ok), False)
            return pc.if_else(bad, pa.scalar(None, pa.string()), values), None, bad
        if fmt in ("binary", "wkt"):
            return None, pc.invert(missing), None
        return values, None, None

    def _numeric(
        self, array: pa.Array, missing: pa.Array, has_missing: bool
    ) -> tuple[pa.Array, pa.Array | None]:
        spec = self.spec
        target = self.value_type
        text = array
        if spec.type == "number" and spec.number_options:
            # Frictionless strips, drops non-number characters, group characters, and swaps the
            # decimal character; doing the same here keeps such columns vectorised.
            text = pc.utf8_trim_whitespace(text)
            if not spec.bare_number:
                text = pc.replace_substring_regex(text, r"((^[^-\d]*)|(\D*$))", "")
            if spec.group_char:
                text = pc.replace_substring(text, spec.group_char, "")
            if spec.decimal_char != ".":
                has_dot = pc.match_substring(text, ".")
                text = pc.if_else(has_dot, "x", text)  # a dot is then a type error
                text = pc.replace_substring(text, spec.decimal_char, ".")
        elif spec.type == "integer" and not spec.bare_number:
            return pa.nulls(len(array), target), pc.invert(missing)
        filled = pc.if_else(missing, "0", text) if has_missing else text
        # Cast everything; the few cells Arrow refuses (or reads differently from Python: hex)
        # go to the exact path. Only a column with many such cells takes the regex route.
        cast = cast_lenient(filled, target)
        if cast is not None:
            failed = pc.is_null(cast) if cast.null_count else None
            if spec.type == "integer":
                # Arrow also reads hexadecimal ("0x1F"), which Python's int() refuses.
                hexadecimal = pc.or_(pc.starts_with(filled, "0x"), pc.starts_with(filled, "0X"))
                if any_true(hexadecimal):
                    failed = hexadecimal if failed is None else pc.or_(failed, hexadecimal)
            if failed is None:
                if has_missing:
                    cast = pc.if_else(missing, pa.scalar(None, target), cast)
                return cast, None
            slow = pc.and_(failed, pc.invert(missing))
            values = pc.if_else(pc.or_(failed, missing), pa.scalar(None, target), cast)
            return values, slow
        ok = pc.match_substring_regex(filled, _RE_INT if spec.type == "integer" else _RE_NUMBER)
        ok = pc.fill_null(ok, False)
        cast = cast_lenient(pc.if_else(ok, filled, "0"), target)
        if cast is None:
            return pa.nulls(len(array), target), pc.invert(missing)
        ok = pc.and_(ok, pc.is_valid(cast))
        decided = pc.and_(ok, pc.invert(missing))
        values = pc.if_else(decided, cast, pa.scalar(None, target))
        slow = pc.and_(pc.invert(ok), pc.invert(missing))
        return values, slow

    def _boolean(self, array: pa.Array, missing: pa.Array) -> tuple[pa.Array, pa.Array]:
        # One hash lookup per cell: its index in true values + false values, or null.
        spec = self.spec
        index = pc.index_in(array, value_set=self.boolean_values)
        values = pc.less(index, len(spec.true_values))
        bad = pc.and_(pc.invert(missing), pc.is_null(index))
        return values, bad

    # Python values (JSON Lines rows against a Table Schema)

    def check_python(self, cells: list[Any]) -> ColumnResult:
        """Every cell through the exact reader; `None` is a missing cell."""
        missing_values = self.reader.missing
        missing = [
            cell is None or (isinstance(cell, str) and cell in missing_values) for cell in cells
        ]
        values: list[Any] = []
        type_bad: list[int] = []
        failures: dict[str, list[int]] = {}
        slow_keys: dict[int, int] = {}
        needs_keys = self.spec.type in ("datetime", "time")
        for position, (cell, absent) in enumerate(zip(cells, missing, strict=True)):
            if absent:
                values.append(None)
                continue
            value, failed = self.reader.read(cell)
            if failed == ["type"]:
                type_bad.append(position)
                values.append(None)
                continue
            for name in failed or ():
                if name != "required":
                    failures.setdefault(name, []).append(position)
            stored = to_arrow_value(self.spec.type, value)
            values.append(stored)
            if value is not None and (needs_keys or stored is None):
                slow_keys[position] = value_key(self.spec.type, value)
        result = ColumnResult(
            missing=pa.array(missing, pa.bool_()), values=pa.array(values, self.value_type)
        )
        if needs_keys or slow_keys:
            result.keys = self._keys(None, None, slow_keys, len(cells))
            if not needs_keys:  # only a few integers overflowed: the others key by value
                result.keys = pc.coalesce(result.keys, key_array(result.values))
        if type_bad:
            result.errors.append(("type-error", None, pa.array(type_bad, pa.int64())))
        for name in sorted(failures, key=lambda name: _error_order("constraint-error", name)):
            result.errors.append(("constraint-error", name, pa.array(failures[name], pa.int64())))
        return result

    # Typed input (Parquet)

    def _check_native(self, array: pa.Array) -> ColumnResult:
        spec = self.spec
        kind = spec.type
        type_ = array.type
        missing = pc.is_null(array)
        compatible = (
            (kind == "integer" and pa.types.is_integer(type_))
            or (
                kind == "number"
                and (
                    pa.types.is_integer(type_)
                    or pa.types.is_floating(type_)
                    or pa.types.is_decimal(type_)
                )
            )
            or (kind == "boolean" and pa.types.is_boolean(type_))
            or (kind == "date" and pa.types.is_date(type_))
            or (kind == "datetime" and pa.types.is_timestamp(type_))
            or (kind == "time" and pa.types.is_time(type_))
        )
        if compatible:
            if kind == "datetime":
                values = array.cast(pa.timestamp("us", tz=type_.tz)).cast(pa.timestamp("us"))
                if type_.tz:
                    aware = pc.is_valid(values)
                    return self._finish(array, missing, values, None, None, aware)
            elif kind == "time":
                values = array.cast(pa.time64("us")).cast(pa.int64())
            elif kind == "integer" and type_ == pa.uint64():
                values = try_cast(array, pa.int64())
                if values is None:  # above int64: the exact path handles these
                    return self._finish(array, missing, None, pc.invert(missing), None)
            else:
                values = array.cast(self.value_type)
            return self._finish(array, missing, values, None, None)
        if kind == "any":
            return ColumnResult(
                missing=missing,
                values=pc.cast(array, pa.string(), safe=False)
                if _castable_to_text(type_)
                else pa.nulls(len(array), pa.string()),
            )
        # Anything else: every value through the Python reader, as Frictionless would.
        return self._finish(array, missing, None, pc.invert(missing), None)


def _merge(indices: pa.Array, extra: list[int]) -> pa.Array:
    merged = sorted(set(indices.to_pylist()) | set(extra))
    return pa.array(merged, pa.int64())


def _error_order(code: str, constraint: str | None) -> tuple[int, int]:
    if code == "type-error":
        return (0, 0)
    return (1, CONSTRAINT_ORDER.index(constraint) if constraint in CONSTRAINT_ORDER else 99)


def _is_text(type_: pa.DataType) -> bool:
    return (
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or getattr(pa.types, "is_string_view", lambda _: False)(type_)
    )


def _castable_to_text(type_: pa.DataType) -> bool:
    return not (
        pa.types.is_nested(type_) or pa.types.is_binary(type_) or pa.types.is_large_binary(type_)
    )
