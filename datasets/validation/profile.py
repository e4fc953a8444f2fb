"""Per-column profile: nulls, invalid cells, min/max, mean, lengths, distinct and top values.

Counts, bounds, means and lengths are exact: they cost a few nanoseconds a cell. Distinct and
top values need a hash of every value, which for text is the dominant cost of the whole check,
so they are computed exactly on the first `FULL_ROWS` rows and, beyond, on a systematic sample
of one row in `SAMPLE_EVERY`. Values are counted exactly while there are at most
`profile_exact_distinct` of them; beyond, an AKMV sketch (the `SKETCH_K` smallest 64-bit hashes
with their counts) estimates the number of distinct values in the sample and the share seen
only once. From sample to file, Haas and Stokes' Duj1 estimator scales by that share.
Whenever sampling or the sketch was involved, the profile says `distinct_estimated: true`.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .keys import key_array, mix

SKETCH_K = 1024
FULL_ROWS = 100_000
SAMPLE_EVERY = 8
_TWO_63 = float(2**63)
_NUMERIC = ("integer", "number", "year")
_TEXTUAL = ("string", "boolean", "any")


def sample_indices(seen: int, count: int) -> pa.Array | None:
    """Rows of a batch to profile: all within the first FULL_ROWS, then one in SAMPLE_EVERY
    (counted over the whole table, so the stride runs on across batches)."""
    if seen + count <= FULL_ROWS:
        return None
    start = max(0, FULL_ROWS - seen)
    first = start + (-(seen + start)) % SAMPLE_EVERY
    return pa.array(range(first, count, SAMPLE_EVERY), pa.int64())


class ColumnProfile:
    def __init__(self, name: str, type_: str, *, exact_limit: int, top: int) -> None:
        self.name = name
        self.type = type_
        self.exact_limit = exact_limit
        self.top = top
        self.rows = 0
        self.nulls = 0
        self.valid = 0
        self.sampled_valid = 0  # valid values that went into distinct/top counting
        self.sampled = False
        # value -> count while exact; only text needs the values themselves (top values):
        # other types go straight to the sketch, which is exact up to SKETCH_K values.
        self._counts: dict[Any, int] | None = {} if type_ in _TEXTUAL else None
        self._value_type: pa.DataType | None = None
        self._sketch: dict[int, int] = {}  # hash -> count once estimating
        self._tau: int | None = None  # largest hash kept when the sketch is full
        self._min: Any = None
        self._max: Any = None
        self._sum = 0.0
        self._min_len: int | None = None
        self._max_len: int | None = None

    def exact_counts(self) -> dict[Any, int] | None:
        """Value counts of the profiled rows, while they are counted exactly (text only)."""
        return self._counts

    def update(self, values: pa.Array, missing: pa.Array, sample: pa.Array | None = None) -> None:
        """`values`: typed, null where missing or invalid; `sample`: rows for distinct/top."""
        n = len(values)
        if not n:
            return
        self.rows += n
        self.nulls += pc.sum(missing).as_py() or 0
        self.valid += n - values.null_count
        if values.null_count == n:
            return
        self._update_range(values)
        if sample is not None:
            self.sampled = True
            values = values.take(sample)
        present = values.drop_null() if values.null_count else values
        if not len(present):
            return
        self.sampled_valid += len(present)
        self._value_type = present.type
        if self._counts is not None:
            counts = pc.value_counts(present)
            merged = self._counts
            for value, count in zip(
                counts.field(0).to_pylist(), counts.field(1).to_pylist(), strict=True
            ):
                merged[value] = merged.get(value, 0) + count
            if len(merged) <= self.exact_limit:
                return
            # Too many distinct values to count exactly: seed the sketch with them.
            self._counts = None
            keys = list(merged)
            self._add_hashes(self._hash(pa.array(keys, present.type)), [merged[k] for k in keys])
            return
        self._add_hashes(self._hash(present), None)

    def _hash(self, present: pa.Array) -> pa.Array:
        type_ = present.type
        if pa.types.is_floating(type_):
            # Within one column, equal floats have equal bits (+0.0 folds -0.0 in): no need
            # for the cross-type keys of the unique check.
            return mix(pc.add(present.cast(pa.float64()), 0.0).view(pa.int64()))
        keys = key_array(present)
        if pa.types.is_string(type_) or pa.types.is_large_string(type_):
            return keys  # already Python's 64-bit string hash
        return mix(keys)  # integer-like keys are not spread over 64 bits yet

    def _add_hashes(self, hashes: pa.Array, counts: list[int] | None) -> None:
        """Merge hashes (with their counts, or one each) into the sketch, in Arrow as far as
        possible: only the few hashes that can enter the sketch reach Python."""
        if counts is None:
            tally = pc.value_counts(hashes.drop_null() if hashes.null_count else hashes)
            hashes, weights = tally.field(0), tally.field(1)
        else:
            weights = pa.array(counts, pa.int64())
            if hashes.null_count:
                valid = pc.is_valid(hashes)
                hashes, weights = hashes.filter(valid), weights.filter(valid)
        tau = self._tau
        if tau is None and len(hashes) > SKETCH_K:
            # Only the SKETCH_K smallest of these hashes can enter a sketch not yet full.
            order = pc.select_k_unstable(hashes, k=SKETCH_K, sort_keys=[("hash", "ascending")])
            tau = hashes.take(order[SKETCH_K - 1 : SKETCH_K])[0].as_py()
        if tau is not None:
            keep = pc.less_equal(hashes, tau)
            hashes, weights = hashes.filter(keep), weights.filter(keep)
        sketch = self._sketch
        for value, count in zip(hashes.to_pylist(), weights.to_pylist(), strict=True):
            sketch[value] = sketch.get(value, 0) + count
        if len(sketch) > SKETCH_K:
            kept = sorted(sketch)[:SKETCH_K]
            self._sketch = {value: sketch[value] for value in kept}
            self._tau = kept[-1]

    def _update_range(self, values: pa.Array) -> None:
        type_ = values.type
        if pa.types.is_string(type_) or pa.types.is_large_string(type_):
            lengths = pc.min_max(pc.utf8_length(values)).as_py()
            low, high = lengths["min"], lengths["max"]
            self._min_len = low if self._min_len is None else min(self._min_len, low)
            self._max_len = high if self._max_len is None else max(self._max_len, high)
            return
        if pa.types.is_boolean(type_) or not (
            pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_temporal(type_)
        ):
            return
        bounds = pc.min_max(values).as_py()
        low, high = bounds["min"], bounds["max"]
        if isinstance(low, float) and math.isnan(low):
            low = high = None
        if low is not None:
            self._min = low if self._min is None else min(self._min, low)
            self._max = high if self._max is None else max(self._max, high)
        if self.type in _NUMERIC and (pa.types.is_integer(type_) or pa.types.is_floating(type_)):
            total = pc.sum(values.cast(pa.float64())).as_py()
            if total is not None:
                self._sum += total

    def distinct(self) -> tuple[int, bool]:
        """(count, estimated?)"""
        if self._tau is None and not self.sampled and self._counts is None:
            return len(self._sketch), False  # the sketch holds every hash: an exact count
        if self._counts is not None:
            seen = len(self._counts)
            if not self.sampled:
                return seen, False
            once = sum(1 for count in self._counts.values() if count == 1)
            return self._bounded(self._scale_up(seen, once), seen), True
        if not self._sketch:
            return 0, True
        if self._tau is None:
            in_sample = float(len(self._sketch))
        else:
            in_sample = (SKETCH_K - 1) / ((self._tau + _TWO_63) / (2 * _TWO_63))
        share_once = sum(1 for count in self._sketch.values() if count == 1) / len(self._sketch)
        estimate = self._scale_up(in_sample, share_once * in_sample)
        return self._bounded(estimate, len(self._sketch)), True

    def _scale_up(self, distinct: float, once: float) -> float:
        """Distinct values in the file from those in the sample: Haas and Stokes' Duj1
        estimator, d / (1 - (1 - q)·f1/n). A sample of all-different values scales to the
        file size, one where every value repeats stays as it is."""
        n = self.sampled_valid
        if not n or not self.sampled:
            return distinct
        q = n / self.valid if self.valid else 1.0
        denominator = 1 - (1 - q) * min(1.0, once / n)
        return distinct / denominator if denominator > 0 else float(self.valid)

    def _bounded(self, estimate: float, at_least: int) -> int:
        return round(min(max(estimate, at_least), self.valid))

    def to_dict(self) -> dict[str, Any]:
        distinct, estimated = self.distinct()
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "rows": self.rows,
            "nulls": self.nulls,
            "invalid": max(0, self.rows - self.nulls - self.valid),
            "distinct": distinct,
            "distinct_estimated": estimated,
        }
        if self._min is not None:
            data["min"] = _json_value(self._min, self.type)
            data["max"] = _json_value(self._max, self.type)
        if self.type in _NUMERIC:
            data["mean"] = self._sum / self.valid if self.valid else None
        if self._min_len is not None:
            data["min_length"] = self._min_len
            data["max_length"] = self._max_len
        if self._counts and self.type in _TEXTUAL:
            ordered = sorted(self._counts.items(), key=lambda item: (-item[1], str(item[0])))
            scale = self.valid / self.sampled_valid if self.sampled_valid else 1.0
            data["top_values"] = [
                {"value": _json_value(value, self.type), "count": round(count * scale)}
                for value, count in ordered[: self.top]
            ]
            data["top_values_estimated"] = self.sampled
        return data


def _json_value(value: Any, type_: str) -> Any:
    if value is None:
        return None
    if type_ == "time" and isinstance(value, int):
        seconds, micros = divmod(value, 1_000_000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        text = f"{hour:02d}:{minute:02d}:{second:02d}"
        return f"{text}.{micros:06d}" if micros else text
    if type_ == "yearmonth" and isinstance(value, int):
        year, month = divmod(value, 12)
        return f"{year:04d}-{month + 1:02d}"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
