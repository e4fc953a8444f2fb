"""The reference: Frictionless Framework v5, run on the same files with the same reading of
them, and our findings side by side as (row, field position, code) triples.

Frictionless guesses a few things we do not (the header row, the delimiter, whether spaces
after a delimiter count, the encoding via charset detection); the comparison pins them to what
we do (header on row 1, the delimiter we found, spaces kept, UTF-8) so that only validation
decisions differ. Row-level errors (blank-row, primary-key) carry no field position.
"""

from __future__ import annotations

import os
import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Finding = tuple[int | None, int | None, str]
ROW_LEVEL = frozenset({"blank-row", "primary-key"})


@contextmanager
def _inside(directory: Path) -> Iterator[None]:
    # Frictionless refuses absolute paths ("not safe") unless trusted: run next to the file.
    before = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def frictionless_findings(
    path: Path, schema: dict[str, Any], *, delimiter: str = ",", limit_errors: int = 10**9
) -> tuple[set[Finding], int | None]:
    import frictionless

    warnings.filterwarnings("ignore", module="frictionless")
    dialect = frictionless.Dialect.from_descriptor(
        {"headerRows": [1], "csv": {"delimiter": delimiter, "skipInitialSpace": False}}
    )
    with _inside(path.parent):
        resource = frictionless.Resource(
            path=path.name,
            schema=frictionless.Schema.from_descriptor(schema),
            dialect=dialect,
            encoding="utf-8",
        )
        report = frictionless.validate(resource, limit_errors=limit_errors)
    task = report.tasks[0]
    found = {
        (
            getattr(error, "row_number", None),
            None if error.type in ROW_LEVEL else getattr(error, "field_number", None),
            error.type,
        )
        for error in task.errors
    }
    return found, task.stats.get("rows")


def our_findings(report_errors: list[dict[str, Any]]) -> set[Finding]:
    return {
        (e["row"], None if e["code"] in ROW_LEVEL else e["field_number"], e["code"])
        for e in report_errors
    }


# Random small broken CSVs: cells a Python reader and a vectorised one could judge differently.
VALUES: dict[str, list[str]] = {
    "integer": [
        "1",
        "2",
        "-3",
        "007",
        "+7",
        " 8 ",
        "1_000",
        "x",
        "1.5",
        "",
        "99999999999999999999",
        "0x1",
        "١٢",
    ],
    "number": [
        "1",
        "2.5",
        "-3e2",
        ".5",
        "5.",
        "NaN",
        "inf",
        "abc",
        "",
        '"1,5"',
        " 2 ",
        "1_0",
        "-0",
    ],
    "boolean": ["true", "false", "TRUE", "1", "0", "yes", "", " true", "False"],
    "date": [
        "2024-01-01",
        "2024-02-30",
        "2024-1-5",
        "2024-13-01",
        "",
        "0000-01-01",
        "20240101",
        "2024-01-01T00:00:00",
        "2024-12-31",
    ],
    "datetime": [
        "2024-01-01T10:00:00",
        "2024-01-01 10:00:00",
        "2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00+09:00",
        "2024-01-01T10:00",
        "2024-01-01T25:00:00",
        "",
        "2024-01-01T10:00:00.123",
        "x",
        "2024-01-01T24:00:00",
        "2024-01-01T10:00:00.1234567",
    ],
    "time": ["10:00:00", "23:59:59", "24:00:00", "10:00", "10:00:00.5", "", "x", "10:00:00Z"],
    "year": ["2024", "0999", "+123", "12345", "", "abc", " 202"],
    "yearmonth": ["2024-01", "2024-13", "2024-1", "", "x"],
    "string": ["a", "abc", "ABC", "", "한글", "a b", "hello world", "aaaaaaaaaa"],
}
CONSTRAINTS: dict[str, list[dict[str, Any]]] = {
    "integer": [{"minimum": 0}, {"maximum": 5}, {"enum": [1, 2, 3]}],
    "number": [{"minimum": 0}, {"maximum": 5.5}, {"enum": [1, 2.5]}],
    "string": [{"pattern": "[a-z]+"}, {"minLength": 2}, {"maxLength": 3}, {"enum": ["a", "abc"]}],
    "date": [{"minimum": "2024-01-02"}, {"maximum": "2024-06-01"}],
    "year": [{"minimum": 2000}],
}


def random_broken_csv(rnd: random.Random) -> tuple[dict[str, Any], str]:
    """A Table Schema and a small CSV breaking it in random ways."""
    n = rnd.randint(1, 5)
    types = [rnd.choice(list(VALUES)) for _ in range(n)]
    fields: list[dict[str, Any]] = []
    for index, type_ in enumerate(types):
        field: dict[str, Any] = {"name": f"f{index}", "type": type_}
        constraints: dict[str, Any] = {}
        if rnd.random() < 0.3:
            constraints["required"] = True
        if rnd.random() < 0.2:
            constraints["unique"] = True
        if type_ in CONSTRAINTS and rnd.random() < 0.5:
            constraints.update(rnd.choice(CONSTRAINTS[type_]))
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    schema: dict[str, Any] = {"fields": fields}
    if rnd.random() < 0.3:
        schema["primaryKey"] = [f"f{rnd.randrange(n)}"]
    labels = [field["name"] for field in fields]
    if rnd.random() < 0.2:
        labels[rnd.randrange(n)] = rnd.choice(["", "zz", labels[0]] if n > 1 else ["zz"])
    if rnd.random() < 0.1:
        labels.append("extra")
    if rnd.random() < 0.1 and len(labels) > 1:
        labels.pop()
    if not any(labels):  # a blank first line is refused outright, see the docs
        labels[0] = "zz"
    lines = [",".join(labels)]
    for _ in range(rnd.randint(0, 25)):
        cells = [rnd.choice(VALUES[type_]) for type_ in types]
        roll = rnd.random()
        if roll < 0.08:
            cells = cells[: rnd.randrange(len(cells) + 1)]
        elif roll < 0.14:
            cells = cells + ["x"] * rnd.randint(1, 2)
        elif roll < 0.18:
            cells = [""] * len(cells)
        lines.append(",".join(cells))
    return schema, "\n".join(lines) + "\n"
