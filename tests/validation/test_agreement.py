"""Property: on random broken files, our findings are Frictionless's, (row, field, code) for
(row, field, code), and so is the row count."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.validation.reference import frictionless_findings, our_findings, random_broken_csv
from datasets.validation import Limits, validate_file

pytest.importorskip("frictionless")

SEEDS = range(160)


@pytest.mark.parametrize("seed", SEEDS)
def test_same_findings_as_frictionless(tmp_path: Path, seed: int) -> None:
    schema, text = random_broken_csv(random.Random(seed))
    path = tmp_path / f"case{seed}.csv"
    path.write_text(text, encoding="utf-8")
    theirs, their_rows = frictionless_findings(path, schema)
    report = validate_file(
        path, schema=schema, data_format="csv", limits=Limits(max_errors_reported=10_000)
    )
    assert our_findings(report.errors) == theirs, text
    assert report.row_count == (their_rows or 0)
