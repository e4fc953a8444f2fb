"""Fast paths for dates, times, datetimes, years and year-months in text columns.

Arrow's ISO 8601 casts read the common spellings; what they accept, Python accepts too, with
the exceptions handled here (year 0, datetimes shorter than seconds, offsets marked as aware).
Cells a fast path cannot decide are flagged for the exact Python reader (cells.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from .arrays import any_true, cast_lenient, try_cast

if TYPE_CHECKING:
    from .columns import ColumnChecker

_RE_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_RE_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?$"
_RE_DATETIME_TZ = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[-+](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
_RE_TIME = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?$"
_RE_YEAR = r"^[0-9]{4}$"
_RE_YEARMONTH = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"
# Custom date formats whose canonical spelling Arrow's strptime reads like Python's.
_SIMPLE_DIRECTIVES = frozenset("YmdHMS")
TEMPORAL_TYPES = ("date", "datetime", "time", "year", "yearmonth")


def temporal(
    checker: ColumnChecker, array: pa.Array, missing: pa.Array, has_missing: bool
) -> tuple[pa.Array, pa.Array | None, pa.Array | None]:
    """(typed values of the decided cells, mask of cells for the exact path, mask of
    datetimes with a UTC offset) for a text column of a temporal type."""
    spec = checker.spec
    kind = spec.type
    target = checker.value_type
    everything_slow = pc.invert(missing)
    if spec.format != "default":
        if checker.simple_format:
            return (*_temporal_custom(checker, array, missing), None)
        return pa.nulls(len(array), target), everything_slow, None
    regexes = {
        "date": _RE_DATE,
        "datetime": _RE_DATETIME,
        "time": _RE_TIME,
        "year": _RE_YEAR,
        "yearmonth": _RE_YEARMONTH,
    }
    if kind in ("date", "datetime"):
        quick = _temporal_quick(checker, array, missing, has_missing)
        if quick is not None:
            return quick
    if kind == "year":
        years = _year_quick(checker, array, missing, has_missing)
        if years is not None:
            return (*years, None)
    ok = pc.fill_null(pc.match_substring_regex(array, regexes[kind]), False)
    ok = pc.and_(ok, pc.invert(missing))
    aware: pa.Array | None = None
    if kind == "datetime":
        aware = pc.fill_null(pc.match_substring_regex(array, _RE_DATETIME_TZ), False)
        values, ok = _datetimes(checker, array, ok, aware)
        aware = pc.and_(aware, ok)
    else:
        placeholder = {"date": "2000-01-01", "time": "00:00:00", "year": "2000"}.get(
            kind, "2000-01"
        )
        text = pc.if_else(ok, array, placeholder)
        if kind == "date":
            cast = cast_lenient(text, pa.date32())
            if cast is None:
                return pa.nulls(len(array), target), everything_slow, None
            # Cells that did not cast, and year 0 (Arrow reads it, Python cannot hold it),
            # go to the exact path.
            ok = pc.and_(ok, pc.fill_null(pc.not_equal(pc.year(cast), 0), False))
            values = cast
        elif kind == "time":
            hours = pc.cast(pc.utf8_slice_codeunits(text, 0, 2), pa.int64())
            minutes = pc.cast(pc.utf8_slice_codeunits(text, 3, 5), pa.int64())
            seconds = pc.cast(pc.utf8_slice_codeunits(text, 6, 8), pa.int64())
            values = pc.add(
                pc.multiply(
                    pc.add(pc.multiply(pc.add(pc.multiply(hours, 60), minutes), 60), seconds),
                    1_000_000,
                ),
                _fraction_micros(text),
            )
        elif kind == "year":
            values = pc.cast(text, pa.int64())
        else:  # yearmonth
            year = pc.cast(pc.utf8_slice_codeunits(text, 0, 4), pa.int64())
            month = pc.cast(pc.utf8_slice_codeunits(text, 5, 7), pa.int64())
            values = pc.add(pc.multiply(year, 12), pc.subtract(month, 1))
    values = pc.if_else(ok, values, pa.scalar(None, target))
    slow = pc.and_(pc.invert(ok), pc.invert(missing))
    return values, slow, aware


def _temporal_quick(
    checker: ColumnChecker, array: pa.Array, missing: pa.Array, has_missing: bool
) -> tuple[pa.Array, pa.Array | None, pa.Array | None] | None:
    """Whole-column cast for dates and datetimes: (values, cells for the exact path,
    aware mask), or None when too many cells need more and the regex route is cheaper.

    What Arrow's ISO 8601 cast accepts, Python accepts too, except year 0 and, for
    datetimes, the forms shorter than seconds ("2024-01-01", "2024-01-01T10:00") that
    Frictionless refuses: those few cells go to the exact path.
    """
    kind = checker.spec.type
    target = checker.value_type
    placeholder = "2000-01-01" if kind == "date" else "2000-01-01T00:00:00"
    filled = pc.if_else(missing, placeholder, array) if has_missing else array
    cast = try_cast(filled, target)
    slow: pa.Array | None = None
    aware: pa.Array | None = None
    if cast is None and kind == "datetime" and _looks_aware(array, missing):
        # Every time with a UTC offset ("Z", "+09:00"): kept as UTC, marked aware.
        utc_filled = pc.if_else(missing, "2000-01-01T00:00:00Z", array) if has_missing else array
        utc = try_cast(utc_filled, pa.timestamp("us", tz="UTC"))
        if utc is not None:
            cast, filled, aware = utc.cast(target), utc_filled, pc.invert(missing)
    if cast is None:
        # A few cells Arrow refuses: isolate them for the exact path (a column mixing
        # offsets and plain times fails everywhere and takes the regex route instead).
        cast = cast_lenient(filled, target, budget=16)
        if cast is None:
            return None
        slow = pc.is_null(cast)
    if kind == "datetime":
        short = pc.less(pc.binary_length(filled), 19)
        if any_true(short):
            slow = short if slow is None else pc.or_kleene(slow, short)
    low_year = pc.year(pc.min(cast)).as_py()
    if low_year == 0:  # Arrow reads year 0, which Python's dates cannot hold
        zero = pc.fill_null(pc.equal(pc.year(cast), 0), False)
        slow = zero if slow is None else pc.or_kleene(slow, zero)
    if slow is not None:
        slow = pc.fill_null(pc.and_(slow, pc.invert(missing)), False)
        cast = pc.if_else(slow, pa.scalar(None, target), cast)
        if aware is not None:
            aware = pc.and_(aware, pc.invert(slow))
    if has_missing:
        cast = pc.if_else(missing, pa.scalar(None, target), cast)
    return cast, slow, aware


def _year_quick(
    checker: ColumnChecker, array: pa.Array, missing: pa.Array, has_missing: bool
) -> tuple[pa.Array, pa.Array | None] | None:
    """Python's rule for years is four characters that int() reads as 0 to 9999. Arrow
    reads four-character integers the same way except hexadecimal ("0x1F"): cast, and
    send every other cell (wrong length, "0x", a failed cast, a negative) to Python."""
    filled = pc.if_else(missing, "2000", array) if has_missing else array
    years = cast_lenient(filled, pa.int64())
    if years is None:
        return None
    odd = pc.or_(
        pc.not_equal(pc.binary_length(filled), 4),
        pc.or_(pc.starts_with(filled, "0x"), pc.starts_with(filled, "0X")),
    )
    odd = pc.or_kleene(odd, pc.or_kleene(pc.is_null(years), pc.less(years, 0)))
    slow = pc.and_(pc.fill_null(odd, False), pc.invert(missing))
    if any_true(slow):
        years = pc.if_else(pc.or_(slow, missing), pa.scalar(None, pa.int64()), years)
        return years, slow
    if has_missing:
        years = pc.if_else(missing, pa.scalar(None, pa.int64()), years)
    return years, None


def _datetimes(
    checker: ColumnChecker, array: pa.Array, ok: pa.Array, aware: pa.Array
) -> tuple[pa.Array, pa.Array]:
    target = pa.timestamp("us")
    # "T" or " " both read as ISO 8601 by Arrow; normalise so one cast serves both.
    naive_text = pc.if_else(ok, array, "2000-01-01T00:00:00")
    naive = cast_lenient(naive_text, target)
    if naive is None:
        return pa.nulls(len(array), target), pa.array([False] * len(array))
    ok = pc.and_(ok, pc.fill_null(pc.not_equal(pc.year(naive), 0), False))
    values = naive
    if any_true(aware):
        aware_text = pc.if_else(aware, array, "2000-01-01T00:00:00Z")
        utc = cast_lenient(aware_text, pa.timestamp("us", tz="UTC"))
        if utc is not None:
            utc_naive = utc.cast(target)
            values = pc.if_else(aware, utc_naive, values)
            fine = pc.fill_null(pc.not_equal(pc.year(utc_naive), 0), False)
            ok = pc.or_(ok, pc.and_(aware, fine))
    return values, ok


def _temporal_custom(
    checker: ColumnChecker, array: pa.Array, missing: pa.Array
) -> tuple[pa.Array, pa.Array | None]:
    """A custom strptime format of plain directives: Arrow parses, and a value counts as
    decided when formatting it back gives the cell (its canonical spelling); others, e.g.
    "5/1/2024" for %d/%m/%Y, go to Python."""
    fmt = checker.spec.format.removeprefix("fmt:")
    parsed = pc.strptime(
        pc.if_else(missing, pa.scalar(None, pa.string()), array),
        format=fmt,
        unit="us",
        error_is_null=True,
    )
    back = pc.strftime(parsed, format=fmt)
    ok = pc.fill_null(pc.equal(back, array), False)
    values: pa.Array = parsed
    if checker.spec.type == "date":
        ok = pc.and_(ok, pc.equal(pc.hour(parsed), 0))
        values = parsed.cast(pa.date32())
    ok = pc.fill_null(pc.and_(ok, pc.not_equal(pc.year(parsed), 0)), False)
    values = pc.if_else(ok, values, pa.scalar(None, checker.value_type))
    slow = pc.and_(pc.invert(ok), pc.invert(missing))
    return values, slow


def _looks_aware(array: pa.Array, missing: pa.Array) -> bool:
    """Whether the first present cell ends like a UTC offset ("Z", "+09:00")."""
    first = pc.index(missing, False).as_py()
    if first is None or first < 0:
        return False
    text = array[first].as_py() or ""
    return text.endswith("Z") or (len(text) > 6 and text[-6] in "+-" and text[-3] == ":")


def _fraction_micros(text: pa.Array) -> pa.Array:
    """Microseconds of an optional ".ffffff" after HH:MM:SS."""
    fraction = pc.utf8_slice_codeunits(text, 9, 15)
    padded = pc.utf8_rpad(fraction, width=6, padding="0")
    return pc.cast(pc.if_else(pc.equal(fraction, ""), "0", padded), pa.int64())


def is_simple_format(fmt: str) -> bool:
    fmt = fmt.removeprefix("fmt:")
    if fmt in ("default", "any") or "%" not in fmt:
        return False
    parts = fmt.split("%")[1:]
    return all(part and part[0] in _SIMPLE_DIRECTIVES for part in parts)
