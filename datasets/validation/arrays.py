"""Arrow helpers shared by the checks: casts that survive bad cells, index arrays, and the
Arrow-typed form of Python cell values (for unique keys and profiles)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .cells import GeoPoint, YearMonth, comparable, key_of

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
LENIENT_CHUNK = 2048

# Arrow type of the typed values per field type; types not listed keep a text rendering.
VALUE_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "time": pa.int64(),  # microseconds since midnight
    "year": pa.int64(),
    "yearmonth": pa.int64(),  # year * 12 + month - 1
    "string": pa.string(),
}

_ARANGE: list[pa.Array] = [pa.array([], pa.int64())]


def arange(count: int) -> pa.Array:
    """0..count-1 as int64, sliced from a cached array (building one from a range is slow)."""
    if len(_ARANGE[0]) < count:
        _ARANGE[0] = pa.array(range(max(count, 2 * len(_ARANGE[0]))), pa.int64())
    return _ARANGE[0].slice(0, count)


def positions_mask(n: int, positions: pa.Array) -> pa.Array:
    """Boolean mask of length n, true at the given (int64) positions."""
    return pc.is_in(arange(n), value_set=positions)


def try_cast(array: pa.Array, type_: pa.DataType) -> pa.Array | None:
    try:
        return array.cast(type_)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def cast_lenient(array: pa.Array, type_: pa.DataType, budget: int = 64) -> pa.Array | None:
    """Cast with nulls where a value does not cast, or None if more than `budget` fail.

    Arrow's cast fails whole on one bad value (a 30 February that is otherwise a fine date).
    The array is cast in chunks and failing chunks are halved until the bad values are
    isolated: about one extra cast of the column plus a few small ones per bad value, far
    less than sending the whole batch to Python.
    """
    whole = try_cast(array, type_)
    if whole is not None:
        return whole
    failures = 0

    def cast(part: pa.Array) -> pa.Array | None:
        nonlocal failures
        done = try_cast(part, type_)
        if done is not None:
            return done
        if len(part) == 1:
            failures += 1
            return pa.nulls(1, type_)
        if failures >= budget:
            return None
        middle = len(part) // 2
        left = cast(part.slice(0, middle))
        right = cast(part.slice(middle)) if left is not None else None
        if left is None or right is None:
            return None
        return pa.concat_arrays([left, right])

    pieces = []
    for start in range(0, len(array), LENIENT_CHUNK):
        piece = cast(array.slice(start, LENIENT_CHUNK))
        if piece is None or failures > budget:
            return None
        pieces.append(piece)
    return pa.concat_arrays(pieces) if pieces else pa.array([], type_)


def true_indices(mask: pa.Array) -> pa.Array:
    """Ascending positions where `mask` is true (nulls count as false)."""
    return pc.indices_nonzero(mask)


def any_true(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def to_arrow_value(spec_type: str, value: Any) -> Any:
    """Python value read by CellReader → the Arrow-typed value stored in the values array."""
    if value is None:
        return None
    if spec_type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return value if INT64_MIN <= value <= INT64_MAX else None
    if spec_type == "number":
        return float(value)
    if spec_type == "boolean":
        return bool(value)
    if spec_type == "date":
        return value if isinstance(value, date) else None
    if spec_type == "datetime":
        return comparable(value) if isinstance(value, datetime) else None
    if spec_type == "time":
        if isinstance(value, time):
            return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + (
                value.microsecond
            )
        return None
    if spec_type == "year":
        return int(value)
    if spec_type == "yearmonth":
        return value.year * 12 + value.month - 1 if isinstance(value, YearMonth) else None
    if spec_type == "string":
        return str(value)
    return canonical_text(value)


def value_key(spec_type: str, value: Any) -> int:
    """int64 key of a Python cell value, matching the keys of the vectorised path."""
    if spec_type in ("datetime", "time") and isinstance(value, (datetime, time)):
        offset = value.utcoffset()
        aware = offset is not None
        if isinstance(value, datetime):
            micros = to_arrow_value("datetime", value)
            stamp = int((micros - datetime(1970, 1, 1)).total_seconds()) * 1_000_000 + (
                micros.microsecond
            )
        else:
            stamp = to_arrow_value("time", value) - (
                int(offset.total_seconds() * 1_000_000) if offset is not None else 0
            )
        return int(stamp) * 2 + int(aware)
    key = hash(key_of(value))
    return key


def canonical_text(value: Any) -> str:
    """Text rendering of values Arrow has no type for (JSON, durations, geopoints...)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if isinstance(value, GeoPoint):
        return f"{value.lon},{value.lat}"
    if isinstance(value, Decimal):
        return str(value.normalize())
    return str(value)
