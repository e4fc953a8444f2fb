"""Cell readers in plain Python, with Frictionless v5 semantics.

The vectorised checks in columns.py handle the common, simple spellings of each type; every
cell they cannot decide (" 12", "+7", "1_000", "2024-1-5", "NaN", a custom date format...)
comes here, so that each cell gets exactly the verdict Frictionless would give it. This is also
the reader for JSON values (JSON Lines against a Table Schema) and for constraint values.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from . import regex
from .fields import (
    CONSTRAINT_ORDER,
    FieldSpec,
)

_NON_BARE = re.compile(r"((^[^-\d]*)|(\D*$))")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")
_DURATION = re.compile(
    r"^P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$"
)
_GEOJSON_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
        "Feature",
        "FeatureCollection",
    }
)


class YearMonth(NamedTuple):
    year: int
    month: int


class GeoPoint(NamedTuple):
    lon: Decimal
    lat: Decimal


# Value readers: cell (str or a JSON/Arrow value) -> value, or None for a type error.

ValueReader = Callable[[Any], Any]


def _integer_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, str):
            cell = cell.strip()
            if not spec.bare_number:
                cell = _NON_BARE.sub("", cell)
            try:
                return int(cell)
            except ValueError:
                return None
        if cell is True or cell is False:
            return None
        if isinstance(cell, int):
            return cell
        if isinstance(cell, float) and cell.is_integer():
            return int(cell)
        if isinstance(cell, Decimal) and cell.is_finite() and cell % 1 == 0:
            return int(cell)
        return None

    return read


def _number_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, str):
            cell = cell.strip()
            if spec.number_options:
                if not spec.bare_number:
                    cell = _NON_BARE.sub("", cell)
                if spec.group_char:
                    cell = cell.replace(spec.group_char, "")
                if spec.decimal_char != "." and "." in cell:
                    return None
                cell = cell.replace(spec.decimal_char, ".")
            try:
                return float(cell) if spec.float_number else Decimal(cell)
            except (InvalidOperation, ValueError):
                return None
        if cell is True or cell is False:
            return None
        if isinstance(cell, int):
            return cell
        if isinstance(cell, float):
            return cell if spec.float_number else Decimal(str(cell))
        if isinstance(cell, Decimal):
            return cell
        return None

    return read


def _boolean_reader(spec: FieldSpec) -> ValueReader:
    mapping = dict.fromkeys(spec.true_values, True)
    mapping.update(dict.fromkeys(spec.false_values, False))

    def read(cell: Any) -> Any:
        if cell is True or cell is False:
            return cell
        if isinstance(cell, str):
            return mapping.get(cell)
        return None

    return read


def _isoparse(text: str) -> datetime:
    """ISO 8601 date-time as dateutil's isoparse reads it (what Frictionless uses)."""
    try:
        from dateutil.parser import isoparse

        parsed: datetime = isoparse(text)
        return parsed
    except ImportError:  # pragma: no cover - dateutil comes with celery's dependencies
        return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _parse_any_datetime(text: str) -> datetime:
    try:
        from dateutil.parser import parse

        parsed: datetime = parse(text)
        return parsed
    except ImportError:  # pragma: no cover
        return datetime.fromisoformat(text)


def _date_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, datetime):
            if cell.time() == time(0, 0):
                return cell.date()
            return None
        if isinstance(cell, date):
            return cell
        if not isinstance(cell, str):
            return None
        try:
            if spec.format == "default":
                return datetime.strptime(cell, "%Y-%m-%d").date()
            if spec.format == "any":
                return _parse_any_datetime(cell).date()
            return datetime.strptime(cell, spec.format).date()
        except (ValueError, OverflowError, TypeError):
            return None

    return read


def _datetime_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, datetime):
            return cell
        if not isinstance(cell, str):
            return None
        try:
            if spec.format == "default":
                # Frictionless guards against the shorter forms isoparse would accept.
                if len(cell) < 19 or cell[16] != ":":
                    return None
                return _isoparse(cell)
            if spec.format == "any":
                return _parse_any_datetime(cell)
            return datetime.strptime(cell, spec.format)
        except (ValueError, OverflowError, TypeError, IndexError):
            return None

    return read


def _time_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, time):
            return cell
        if not isinstance(cell, str):
            return None
        try:
            if spec.format == "default":
                if len(cell) < 8 or cell[5] != ":":
                    return None
                return _isoparse(f"2000-01-01T{cell}").timetz()
            if spec.format == "any":
                return _parse_any_datetime(cell).timetz()
            return datetime.strptime(cell, spec.format).timetz()
        except (ValueError, OverflowError, TypeError, IndexError):
            return None

    return read


def _year_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, bool):
            return None
        if not isinstance(cell, int):
            if not isinstance(cell, str) or len(cell) != 4:
                return None
            try:
                cell = int(cell)
            except ValueError:
                return None
        if cell < 0 or cell > 9999:
            return None
        return cell

    return read


def _yearmonth_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, (tuple, list)):
            if len(cell) != 2:
                return None
            try:
                return YearMonth(int(cell[0]), int(cell[1]))
            except (TypeError, ValueError):
                return None
        if not isinstance(cell, str):
            return None
        try:
            year_text, month_text = cell.split("-")
            year, month = int(year_text), int(month_text)
        except ValueError:
            return None
        if month < 1 or month > 12:
            return None
        return YearMonth(year, month)

    return read


def parse_duration(text: str) -> timedelta | None:
    """ISO 8601 duration; years and months count as 365 and 30 days (for ordering only)."""
    match = _DURATION.match(text)
    if not match:
        return None
    years, months, weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups()[:6])
    seconds = float(match.group(7).replace(",", ".")) if match.group(7) else 0.0
    return timedelta(
        days=years * 365 + months * 30 + weeks * 7 + days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
    )


def _duration_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        if isinstance(cell, timedelta):
            return cell
        if not isinstance(cell, str):
            return None
        return parse_duration(cell)

    return read


def _geopoint_reader(spec: FieldSpec) -> ValueReader:
    def read(cell: Any) -> Any:
        try:
            if isinstance(cell, str):
                if spec.format == "default":
                    lon, lat = cell.split(",")
                    point = GeoPoint(Decimal(lon.strip()), Decimal(lat.strip()))
                elif spec.format == "array":
                    lon, lat = json.loads(cell)
                    point = GeoPoint(Decimal(str(lon)), Decimal(str(lat)))
                else:
                    data = json.loads(cell)
                    if len(data) != 2:
                        return None
                    point = GeoPoint(Decimal(str(data["lon"])), Decimal(str(data["lat"])))
            elif isinstance(cell, (list, tuple)) and len(cell) == 2:
                point = GeoPoint(Decimal(str(cell[0])), Decimal(str(cell[1])))
            else:
                return None
        except (ValueError, TypeError, KeyError, InvalidOperation):
            return None
        if not (-180 <= point.lon <= 180 and -90 <= point.lat <= 90):
            return None
        return point

    return read


def _json_reader(kind: type) -> Callable[[FieldSpec], ValueReader]:
    def make(spec: FieldSpec) -> ValueReader:
        def read(cell: Any) -> Any:
            if isinstance(cell, kind):
                return cell
            if isinstance(cell, tuple) and kind is list:
                return list(cell)
            if not isinstance(cell, str):
                return None
            try:
                value = json.loads(cell)
            except ValueError:
                return None
            return value if isinstance(value, kind) else None

        return read

    return make


def _geojson_reader(spec: FieldSpec) -> ValueReader:
    object_reader = _json_reader(dict)(spec)

    def read(cell: Any) -> Any:
        value = object_reader(cell)
        if value is None:
            return None
        # Frictionless validates against the GeoJSON JSON Schema; we check the discriminator.
        if spec.format == "topojson":
            return value if value.get("type") == "Topology" else None
        return value if value.get("type") in _GEOJSON_TYPES else None

    return read


def _list_reader(spec: FieldSpec) -> ValueReader:
    item_reader = value_reader(FieldSpec(name=spec.name, type=spec.item_type))

    def read(cell: Any) -> Any:
        if isinstance(cell, str):
            items: list[Any] = cell.split(spec.list_delimiter)
        elif isinstance(cell, (list, tuple)):
            items = list(cell)
        else:
            return None
        values = []
        for item in items:
            value = item_reader(item)
            if value is None:
                return None
            values.append(value)
        return values

    return read


def _string_reader(spec: FieldSpec) -> ValueReader:
    check: Callable[[str], bool] | None = None
    if spec.format == "email":
        check = lambda text: bool(_EMAIL.match(text))  # noqa: E731
    elif spec.format == "uuid":
        check = lambda text: bool(_UUID.match(text))  # noqa: E731
    elif spec.format == "uri":
        check = lambda text: bool(_URI.match(text))  # noqa: E731
    elif spec.format == "binary":

        def check(text: str) -> bool:
            try:
                base64.b64decode(text)
            except (binascii.Error, ValueError):
                return False
            return True

    def read(cell: Any) -> Any:
        if not isinstance(cell, str):
            return None
        if check is not None and not check(cell):
            return None
        return cell

    return read


def _any_reader(spec: FieldSpec) -> ValueReader:
    return lambda cell: cell


_READERS: dict[str, Callable[[FieldSpec], ValueReader]] = {
    "string": _string_reader,
    "integer": _integer_reader,
    "number": _number_reader,
    "boolean": _boolean_reader,
    "date": _date_reader,
    "datetime": _datetime_reader,
    "time": _time_reader,
    "year": _year_reader,
    "yearmonth": _yearmonth_reader,
    "duration": _duration_reader,
    "geopoint": _geopoint_reader,
    "geojson": _geojson_reader,
    "object": _json_reader(dict),
    "array": _json_reader(list),
    "list": _list_reader,
    "any": _any_reader,
}


def value_reader(spec: FieldSpec) -> ValueReader:
    return _READERS.get(spec.type, _any_reader)(spec)


def comparable(value: Any) -> Any:
    """A value that orders with others of its field (aware and naive times as UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, time) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _bound_check(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(constraint: Any, value: Any) -> bool:
        if value != value:  # NaN fails every bound, as in Frictionless
            return False
        try:
            return bool(compare(comparable(value), comparable(constraint)))
        except TypeError:
            return False

    return check


_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": _bound_check(operator.ge),
    "maximum": _bound_check(operator.le),
    "exclusiveMinimum": _bound_check(operator.gt),
    "exclusiveMaximum": _bound_check(operator.lt),
}


class CellReader:
    """Reads one cell: missing value → None, type check, then each constraint.

    `read(cell)` returns (value, failures) where failures is None when the cell is fine,
    ["type"] on a type error, or the names of the failed constraints, like Frictionless.
    Unique and primary keys are checked elsewhere, across rows.
    """

    def __init__(self, spec: FieldSpec) -> None:
        self.spec = spec
        self.value_reader = value_reader(spec)
        self.missing = frozenset(spec.missing_values)
        self.checks: list[tuple[str, Callable[[Any], bool]]] = []
        constraints = spec.constraints
        for name in CONSTRAINT_ORDER:
            if name not in constraints or constraints[name] is None:
                continue
            self.checks.append((name, self._make_check(name, constraints[name])))

    def _make_check(self, name: str, constraint: Any) -> Callable[[Any], bool]:
        if name == "required":
            return lambda value: not (constraint and value is None)
        if name in ("minLength", "maxLength"):
            limit = int(constraint)
            if name == "minLength":
                return lambda value: value is None or len(value) >= limit
            return lambda value: value is None or len(value) <= limit
        if name == "pattern":
            pattern = f"^{constraint}$"
            return lambda value: value is None or regex.fullmatch_one(pattern, value)
        if name in _BOUNDS:
            bound = self.value_reader(constraint)
            compare = _BOUNDS[name]
            return lambda value: value is None or compare(bound, value)
        if name == "enum":
            allowed = [self.value_reader(item) for item in constraint]
            return lambda value: value is None or _in(value, allowed)
        return lambda value: True

    def read(self, cell: Any) -> tuple[Any, list[str] | None]:
        if cell is None or (isinstance(cell, str) and cell in self.missing):
            value = None
        else:
            value = self.value_reader(cell)
            if value is None:
                return None, ["type"]
        failed = [name for name, check in self.checks if not check(value)]
        return value, failed or None


def _in(value: Any, allowed: list[Any]) -> bool:
    try:
        return value in allowed
    except TypeError:
        return False


def key_of(value: Any) -> Any:
    """Hashable form of a cell value for unique and primary-key checks.

    Numbers compare by value across int, float and Decimal ("1", "1.0" and "01" collide as
    they do in Frictionless); dates and times by their ordinal; JSON values by their text.
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        if value.is_nan():
            return object()  # NaN equals nothing, not even another NaN
        if value.is_infinite():
            return float(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return object()
        return int(value) if value.is_integer() else value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, datetime):
        return comparable(value)
    return value
