"""Table Schema drafts from samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from datasets.validation import check_table_schema, infer_table_schema, validate_file
from datasets.validation.infer import InferenceError


def test_infer_csv(write: Callable[..., Path]) -> None:
    rows = ["id,온도,ok,day,ts,status,note,flag,empty,code"]
    for i in range(60):
        rows.append(
            f"{i},{20 + i / 4},{'true' if i % 2 else 'false'},2024-01-{i % 28 + 1:02d},"
            f"2024-01-01T00:00:{i % 60:02d},{['RUN', 'IDLE', 'STOP'][i % 3]},"
            f"{'' if i % 5 else 'x'},{i % 2},,C{i:03d}"
        )
    path = write("s.csv", "\n".join(rows) + "\n")
    draft = infer_table_schema(path, data_format="csv")
    assert check_table_schema(draft) == []
    by_name = {field["name"]: field for field in draft["fields"]}
    assert {name: field["type"] for name, field in by_name.items()} == {
        "id": "integer",
        "온도": "number",
        "ok": "boolean",
        "day": "date",
        "ts": "datetime",
        "status": "string",
        "note": "string",
        "flag": "integer",  # 0/1: integer first, as Frictionless infers
        "empty": "string",
        "code": "string",
    }
    assert by_name["id"]["constraints"] == {"required": True}
    assert by_name["id"]["confidence"] == 0.6  # 60 values: log10(61) / 3
    assert by_name["status"]["constraints"] == {"required": True, "enum": ["IDLE", "RUN", "STOP"]}
    assert "enum" not in by_name["code"].get("constraints", {})  # all different: no enum
    assert "constraints" not in by_name["note"]  # has empty cells
    # The draft validates the sample it came from.
    assert validate_file(path, schema=draft, data_format="csv").status == "passed"


def test_infer_reads_a_sample_only(write: Callable[..., Path]) -> None:
    path = write("s.csv", "n\n" + "1\n" * 100 + "x\n")
    assert (
        infer_table_schema(path, data_format="csv", sample_rows=50)["fields"][0]["type"]
        == "integer"
    )
    assert infer_table_schema(path, data_format="csv")["fields"][0]["type"] == "string"


def test_infer_names_blank_and_repeated_labels(write: Callable[..., Path]) -> None:
    path = write("s.csv", "a,,a\n1,2,3\n")
    draft = infer_table_schema(path, data_format="csv")
    assert [field["name"] for field in draft["fields"]] == ["a", "field2", "a_2"]


def test_infer_jsonl(write: Callable[..., Path]) -> None:
    lines = [
        json.dumps({"id": i, "v": i / 2, "tag": "ab"[i % 2], "opt": None if i % 3 else 1})
        for i in range(60)
    ]
    draft = infer_table_schema(write("s.jsonl", "\n".join(lines)), data_format="jsonl")
    assert [(f["name"], f["type"]) for f in draft["fields"]] == [
        ("id", "integer"),
        ("v", "number"),
        ("tag", "string"),
        ("opt", "integer"),
    ]
    assert draft["fields"][2]["constraints"] == {"required": True, "enum": ["a", "b"]}
    assert "constraints" not in draft["fields"][3]


def test_infer_unreadable_file(write: Callable[..., Path]) -> None:
    with pytest.raises(InferenceError, match="the source is empty"):
        infer_table_schema(write("e.csv", b""), data_format="csv")


def _one_column(write: Callable[..., Path], values: list[str]) -> dict[str, Any]:
    path = write("c.csv", "x\n" + "\n".join(values) + "\n")
    draft = infer_table_schema(path, data_format="csv")
    assert check_table_schema(draft) == []  # confidence is an extra property validators allow
    return cast(dict[str, Any], draft["fields"][0])


@pytest.mark.parametrize(
    ("values", "enum"),
    [
        # A closed set, each value seen often enough, in enough rows.
        (["RUN", "IDLE", "STOP"] * 20, ["IDLE", "RUN", "STOP"]),
        # A few values in a small sample say nothing about the allowed set.
        (["RUN", "IDLE", "STOP"] * 3, None),
        (["RUN", "IDLE"] * 10, None),
        # One value seen only once or twice: not a closed set yet.
        (["RUN", "IDLE"] * 30 + ["STOP"], None),
        # Numbers with few values are numbers, not an enum.
        (["1", "2", "3"] * 30, None),
        # Free text, even repeated, is not a code list.
        (
            ["the pump was serviced and the filter replaced by the night shift"] * 30
            + ["no remarks on this shift at all, everything ran as it should"] * 30,
            None,
        ),
        # Identifiers: all different.
        ([f"C{i:04d}" for i in range(100)], None),
        # More distinct values than an enum takes.
        ([f"L{i % 12}" for i in range(120)], None),
    ],
)
def test_enum_only_for_small_closed_sets_seen_repeatedly(
    write: Callable[..., Path], values: list[str], enum: list[str] | None
) -> None:
    field = _one_column(write, values)
    assert field.get("constraints", {}).get("enum") == enum


def test_required_only_where_no_blank_was_seen(write: Callable[..., Path]) -> None:
    assert _one_column(write, ["a", "b", "c"])["constraints"] == {"required": True}
    assert "constraints" not in _one_column(write, ["a", "", "c"])


def test_confidence_grows_with_values_and_drops_on_disagreement(
    write: Callable[..., Path],
) -> None:
    few = _one_column(write, ["1", "2", "3"])
    many = _one_column(write, [str(i) for i in range(2000)])
    assert few["type"] == many["type"] == "integer"
    assert 0 < few["confidence"] < many["confidence"] == 1.0
    # Mostly integers with one "n/a": text, but with little confidence.
    mostly = _one_column(write, [str(i) for i in range(999)] + ["n/a"])
    assert mostly["type"] == "string"
    assert mostly["confidence"] < 0.05
    # Genuine text is text with confidence.
    assert _one_column(write, [f"name {i}" for i in range(999)])["confidence"] == 1.0
    # No value at all: nothing to be confident about.
    assert _one_column(write, ["", "", ""])["confidence"] == 0.0


def test_codes_with_leading_zeros_stay_text(write: Callable[..., Path]) -> None:
    field = _one_column(write, ["007", "012", "100"])
    assert field["type"] == "string"
    assert field["confidence"] > 0
