"""Table Schema drafts from samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from datasets.validation import check_table_schema, infer_table_schema, validate_file
from datasets.validation.infer import InferenceError


def test_infer_csv(write: Callable[..., Path]) -> None:
    rows = ["id,온도,ok,day,ts,status,note,flag,empty,code"]
    for i in range(40):
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
        for i in range(20)
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
