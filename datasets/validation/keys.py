"""Unique and primary-key checks across all rows, in bounded memory.

Frictionless keeps every key in a Python dict, which for a 1 GB file is gigabytes. Here each
key becomes a 64-bit value, kept with its row number in Arrow arrays (16 bytes a row); past
`max_key_memory_bytes` the pairs are spilled to temporary files split into 16 partitions by
hash, so the final sort only ever holds one partition. Repeats are found by sorting each
partition by (key, row): every row whose key equals the previous one is a duplicate of it.

Integer-like keys (integers, dates, timestamps, numbers as their IEEE bits) are their own
64-bit value, so they never collide; text and composite keys use a 64-bit hash, where a false
"duplicate" needs a collision between two specific values (odds about n²/2⁶⁵: one in a billion
for 200,000 distinct values, one in 600 for a billion rows).
"""

from __future__ import annotations

import contextlib
import tempfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .cells import key_of

PARTITIONS = 16
_MIX1 = pa.scalar(0xBF58476D1CE4E5B9, pa.uint64())  # splitmix64's constants
_MIX2 = pa.scalar(0x94D049BB133111EB, pa.uint64())
# Shift amounts typed uint64 too, or Arrow would compute the whole expression in int64.
_S30, _S27, _S31 = (pa.scalar(n, pa.uint64()) for n in (30, 27, 31))
_NULL_HASH = 0x2545F4914F6CDD1D
_PRIME = 0x100000001B3
_SCHEMA = pa.schema([("key", pa.int64()), ("row", pa.int64())])


def mix(values: pa.Array) -> pa.Array:
    """splitmix64's finaliser (wrapping arithmetic, logical shifts on uint64): spreads keys
    over all 64 bits, so hashes are uniform for the sketch and the partitions."""
    x = values.cast(pa.uint64(), safe=False)
    x = pc.bit_wise_xor(x, pc.shift_right(x, _S30))
    x = pc.multiply(x, _MIX1)
    x = pc.bit_wise_xor(x, pc.shift_right(x, _S27))
    x = pc.multiply(x, _MIX2)
    x = pc.bit_wise_xor(x, pc.shift_right(x, _S31))
    return x.cast(pa.int64(), safe=False)


def key_array(values: pa.Array) -> pa.Array:
    """int64 keys for typed values (nulls stay null): exact for integer-like types."""
    type_ = values.type
    if pa.types.is_integer(type_) or pa.types.is_boolean(type_):
        return values.cast(pa.int64(), safe=False)
    if pa.types.is_date32(type_):
        return values.cast(pa.int32()).cast(pa.int64())
    if pa.types.is_timestamp(type_) or pa.types.is_date64(type_):
        return values.cast(pa.int64())
    if pa.types.is_floating(type_):
        floats = pc.add(values.cast(pa.float64()), 0.0)  # +0.0 folds -0.0 into 0.0
        # Whole numbers key as the integer itself, so 1.0 equals 1 as in Python; others (and
        # infinities) by their IEEE bits, mixed. NaN equals nothing, as in Python: no key.
        whole = pc.and_(
            pc.equal(floats, pc.round(floats)),
            pc.and_(pc.greater(floats, -9.2e18), pc.less(floats, 9.2e18)),
        )
        as_int = pc.cast(pc.if_else(whole, floats, 0.0), pa.int64(), safe=False)
        bits = mix(floats.view(pa.int64())) if len(floats) else pa.array([], pa.int64())
        keys = pc.if_else(whole, as_int, bits)
        return pc.if_else(pc.is_nan(floats), pa.scalar(None, pa.int64()), keys)
    # Text and anything else: Python's 64-bit hash of the key value (map() keeps the loop in C).
    if pa.types.is_string(type_) or pa.types.is_large_string(type_):
        filled = values.fill_null("") if values.null_count else values
        hashes = array("q", map(hash, filled.to_pylist()))
    else:
        hashes = array("q", (hash(key_of(v)) if v is not None else 0 for v in values.to_pylist()))
    out = pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(hashes)])
    if values.null_count:
        out = pc.if_else(pc.is_valid(values), out, pa.scalar(None, pa.int64()))
    return out


def combine(parts: list[pa.Array]) -> pa.Array:
    """One int64 hash per row from several key columns; a null part hashes to a constant."""
    combined: pa.Array | None = None
    for part in parts:
        filled = pc.fill_null(part, _NULL_HASH)
        combined = (
            mix(filled) if combined is None else mix(pc.add(pc.multiply(combined, _PRIME), filled))
        )
    assert combined is not None
    return combined


class KeyTracker:
    """Collects (key, row) pairs; `duplicates()` yields (row, previous row with that key)."""

    def __init__(self, max_memory_bytes: int) -> None:
        self.max_memory = max_memory_bytes
        # Pairs are split into partitions as they arrive, so spilling and the final sort work
        # one partition at a time and never copy everything at once.
        self._parts: list[list[pa.RecordBatch]] = [[] for _ in range(PARTITIONS)]
        self._memory = 0
        self._spill_dir: tempfile.TemporaryDirectory[str] | None = None
        self._writers: list[Any] = []
        self.count = 0

    def add(self, keys: pa.Array, rows: pa.Array) -> None:
        """Add the non-null keys with their row numbers."""
        if keys.null_count:
            valid = pc.is_valid(keys)
            keys, rows = keys.filter(valid), rows.filter(valid)
        if not len(keys):
            return
        batch = pa.RecordBatch.from_arrays([keys, rows.cast(pa.int64())], schema=_SCHEMA)
        ids = self._partition_ids(keys)
        order = pc.sort_indices(ids)
        batch = batch.take(order)
        bounds = pc.value_counts(ids.take(order))
        offset = 0
        for part, size in zip(
            bounds.field(0).to_pylist(), bounds.field(1).to_pylist(), strict=True
        ):
            self._parts[part].append(batch.slice(offset, size))
            offset += size
        self._memory += batch.nbytes
        self.count += len(keys)
        if self._memory > self.max_memory:
            self._spill()

    def _partition_ids(self, keys: pa.Array) -> pa.Array:
        # Top 4 bits of the mixed key: partitions of similar size whatever the keys are.
        return pc.bit_wise_and(pc.shift_right(mix(keys), 60), PARTITIONS - 1)

    def _spill(self) -> None:
        if self._spill_dir is None:
            self._spill_dir = tempfile.TemporaryDirectory(prefix="maxr-keys-")
            directory = Path(self._spill_dir.name)
            self._writers = [
                pa.ipc.new_stream(str(directory / f"p{index}.arrow"), _SCHEMA)
                for index in range(PARTITIONS)
            ]
        for index, batches in enumerate(self._parts):
            for batch in batches:
                self._writers[index].write_batch(batch)
            batches.clear()
        self._memory = 0

    def _partitions(self) -> Iterator[pa.Table]:
        if self._spill_dir is None:
            for batches in self._parts:
                if batches:
                    yield pa.Table.from_batches(batches, schema=_SCHEMA)
                batches.clear()
            return
        self._spill()
        for writer in self._writers:
            writer.close()
        directory = Path(self._spill_dir.name)
        for index in range(PARTITIONS):
            with pa.memory_map(str(directory / f"p{index}.arrow")) as source:
                yield pa.ipc.open_stream(source).read_all()

    def duplicates(self) -> Iterator[tuple[pa.Array, pa.Array]]:
        """(rows, previous rows) arrays per partition, each row repeating an earlier key: the
        row before it with the same key, as Frictionless reports. Rows ascend per partition."""
        try:
            for table in self._partitions():
                if table.num_rows < 2:
                    continue
                ordered = table.sort_by([("key", "ascending"), ("row", "ascending")])
                keys = ordered.column("key").combine_chunks()
                rows = ordered.column("row").combine_chunks()
                same = pc.equal(keys.slice(1), keys.slice(0, len(keys) - 1))
                if not pc.any(same).as_py():
                    continue
                repeats = rows.slice(1).filter(same)
                previous = rows.slice(0, len(rows) - 1).filter(same)
                del ordered, keys, rows, table
                order = pc.sort_indices(repeats)  # the error sink wants rows in order
                yield repeats.take(order), previous.take(order)
        finally:
            self.close()

    def close(self) -> None:
        self._parts = [[] for _ in range(PARTITIONS)]
        if self._spill_dir is not None:
            for writer in self._writers:
                with contextlib.suppress(pa.ArrowInvalid, OSError):
                    writer.close()
            self._spill_dir.cleanup()
            self._spill_dir = None
