"""`manage.py validate_sample`: JSON and text output, exit codes 0/1/2, no database needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from .helpers import fields

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = fields(("id", "integer"), "name")


def run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("validate_sample", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def schema_file(write: Callable[..., Path]) -> Path:
    return write("schema.json", json.dumps(SCHEMA))


def test_passed_is_exit_0(write: Callable[..., Path], schema_file: Path) -> None:
    code, out = run(str(schema_file), str(write("ok.csv", "id,name\n1,a\n")))
    assert code == 0
    report = json.loads(out)
    assert report["status"] == "passed"
    assert report["row_count"] == 1


def test_failed_is_exit_1(write: Callable[..., Path], schema_file: Path) -> None:
    code, out = run(str(schema_file), str(write("bad.csv", "id,name\nx,a\n")))
    assert code == 1
    report = json.loads(out)
    assert report["errors_by_code"] == {"type-error": 1}
    assert report["errors"][0]["row"] == 2


@pytest.mark.parametrize(
    ("schema", "data"),
    [
        ('{"fields": [', "id,name\n1,a\n"),  # not JSON
        ('{"fields": [{"name": "id", "type": "int"}]}', "id,name\n1,a\n"),  # not a Table Schema
        (json.dumps(SCHEMA), ""),  # empty file
    ],
)
def test_unusable_schema_or_file_is_exit_2(
    write: Callable[..., Path], schema: str, data: str
) -> None:
    code, out = run(str(write("s.json", schema)), str(write("d.csv", data)))
    assert code == 2
    assert json.loads(out)["status"] == "error"


def test_text_output(write: Callable[..., Path], schema_file: Path) -> None:
    code, out = run(
        str(schema_file), str(write("bad.csv", "id,name\nx,서울\n")), "--format", "text"
    )
    assert code == 1
    assert out.startswith("Status: FAILED")
    assert "[type-error] row 2, field id, position 1" in out
    assert "name (string)" in out


def test_options(write: Callable[..., Path]) -> None:
    schema = write("s.json", json.dumps(fields(("id", "integer"), "이름")))
    data = write("data.txt", "id;이름\n1;김\n".encode("cp949"))
    code, out = run(
        str(schema), str(data), "--format-of-data", "csv", "--encoding", "cp949", "--delimiter", ";"
    )
    assert code == 0, out
    report = json.loads(out)
    assert (report["encoding"], report["delimiter"]) == ("cp949", ";")
    tsv = write("t.dat", "id\t이름\n1\t김\n")
    code, out = run(str(schema), str(tsv), "--format-of-data", "tsv")
    assert code == 0, out


def test_json_schema_and_no_schema(write: Callable[..., Path]) -> None:
    schema = write("s.json", json.dumps({"type": "object", "required": ["id"]}))
    data = write("d.jsonl", '{"id": 1}\n{"x": 2}\n')
    code, out = run(str(schema), str(data))
    assert code == 1
    assert json.loads(out)["errors"][0]["field"] == "/id"
    code, out = run("-", str(data))
    assert code == 0


def test_unknown_extension_needs_the_format(write: Callable[..., Path], schema_file: Path) -> None:
    code, out = run(str(schema_file), str(write("data.bin", bytes(range(256)) * 4)))
    assert code == 2
    assert "--format-of-data" in json.loads(out)["message"]


def test_the_format_comes_from_the_content(write: Callable[..., Path], schema_file: Path) -> None:
    # Named .bin, but CSV inside: detected, checked.
    code, out = run(str(schema_file), str(write("data.bin", "id,name\n1,a\n")))
    assert code == 0
    assert json.loads(out)["data_format"] == "csv"


def test_runs_as_a_process_without_a_database(
    write: Callable[..., Path], schema_file: Path
) -> None:
    env: dict[str, Any] = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        # Unreachable on purpose: the command must not connect.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [
            sys.executable,
            "manage.py",
            "validate_sample",
            str(schema_file),
            str(write("d.csv", "id,name\nx,a\n")),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["status"] == "failed"
