"""Unique and primary-key tracking: partitions, spilling to disk, exact integer keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from datasets.validation import Limits, validate_file
from datasets.validation.keys import KeyTracker, combine, key_array, mix

from .helpers import fields


def test_tracker_finds_repeats_in_memory_and_spilled() -> None:
    for budget in (1 << 30, 256):  # everything in memory; spill after every batch
        tracker = KeyTracker(budget)
        tracker.add(pa.array([5, 7, None, 9]), pa.array([2, 3, 4, 5]))
        tracker.add(pa.array([7, 11, 5]), pa.array([6, 7, 8]))
        tracker.add(pa.array([5]), pa.array([9]))
        pairs = sorted(
            (row, prev)
            for rows, previous in tracker.duplicates()
            for row, prev in zip(rows.to_pylist(), previous.to_pylist(), strict=True)
        )
        assert pairs == [(6, 3), (8, 2), (9, 8)]


def test_keys() -> None:
    assert key_array(pa.array([1.0, 1.5, float("nan"), None])).to_pylist()[0] == 1
    assert key_array(pa.array([1.0, 1.5, float("nan"), None])).to_pylist()[2:] == [None, None]
    assert (
        key_array(pa.array(["a", "a"])).to_pylist()[0] == key_array(pa.array(["a"])).to_pylist()[0]
    )
    hashes = mix(pa.array(range(10_000), pa.int64())).to_pylist()
    assert len(set(hashes)) == 10_000
    assert min(hashes) < 0 < max(hashes)  # spread over all 64 bits
    composite = combine([pa.array([1, 1, None], pa.int64()), pa.array([2, 2, 2], pa.int64())])
    assert composite[0] == composite[1] != composite[2]


def test_unique_check_spilling_to_disk(write: Callable[..., Path]) -> None:
    rows = 50_000
    data = "id,code\n" + "".join(f"{i},c{i}\n" for i in range(rows)) + "17,c17\n"
    schema = {
        **fields(
            {"name": "id", "type": "integer"},
            {"name": "code", "type": "string", "constraints": {"unique": True}},
        ),
        "primaryKey": ["id", "code"],
    }
    limits = Limits(max_key_memory_bytes=64 * 1024, csv_block_bytes=64 * 1024)
    report = validate_file(write("k.csv", data), schema=schema, data_format="csv", limits=limits)
    assert {(e["row"], e["code"]) for e in report.errors} == {
        (rows + 2, "unique-error"),
        (rows + 2, "primary-key"),
    }
    assert report.errors[0]["message"].endswith("the same as in the row at position 19")
