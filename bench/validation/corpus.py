"""Generated test data for the validation benchmark: a typical 20-column mixed CSV of any size,
with or without injected errors, and a set of small broken files.

Columns are built with pyarrow.compute from `pc.random` (seeded), so a gigabyte takes seconds,
not minutes. Errors are injected at rows chosen by a seeded generator, so a file of a given
size and seed is always the same: the benchmark compares findings on identical bytes.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

ROWS_PER_CHUNK = 200_000
OPERATORS = ["김민수", "이서연", "박지훈", "최유진", "정하늘", "kim", "lee", "park"]
# Cells are written as they are, so a value with a comma comes already quoted.
NOTES = ["", "ok", "check bearing", "온도 경고", '"quoted, note"']

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}},
        {"name": "ts", "type": "datetime", "constraints": {"required": True}},
        {"name": "day", "type": "date"},
        {"name": "line", "type": "string", "constraints": {"pattern": "L[0-9]{2}"}},
        {"name": "machine", "type": "string", "constraints": {"maxLength": 10}},
        {
            "name": "sensor",
            "type": "string",
            "constraints": {"enum": ["temp", "press", "vib", "flow"]},
        },
        {"name": "temp", "type": "number", "constraints": {"minimum": -50, "maximum": 150}},
        {"name": "pressure", "type": "number"},
        {"name": "vibration", "type": "number"},
        {"name": "rpm", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "count", "type": "integer"},
        {"name": "ok", "type": "boolean"},
        {
            "name": "status",
            "type": "string",
            "constraints": {"enum": ["RUN", "IDLE", "STOP", "MAINT"]},
        },
        {"name": "operator", "type": "string"},
        {"name": "lot", "type": "string", "constraints": {"pattern": "LOT[0-9]{6}"}},
        {"name": "shift", "type": "string", "constraints": {"enum": ["A", "B", "C"]}},
        {"name": "yield_pct", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "defects", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "note", "type": "string"},
        {"name": "batch_year", "type": "year"},
    ],
    "primaryKey": ["id"],
}
NAMES = [f["name"] for f in SCHEMA["fields"]]


def _uniform(n: int, low: float, high: float) -> pa.Array:
    return pc.add(pc.multiply(pc.random(n), high - low), low)


def _ints(n: int, low: int, high: int) -> pa.Array:
    return pc.cast(pc.floor(_uniform(n, low, high + 1)), pa.int64())


def _text(array: pa.Array) -> pa.Array:
    return pc.cast(array, pa.string())


def _pick(n: int, choices: list[str]) -> pa.Array:
    return pa.array(choices, pa.string()).take(_ints(n, 0, len(choices) - 1))


def _fixed(array: pa.Array, decimals: int) -> pa.Array:
    """Numbers with a fixed number of decimals, as a sensor export writes them."""
    scaled = pc.cast(pc.round(pc.multiply(array, 10**decimals)), pa.int64())
    sign = pc.if_else(pc.less(scaled, 0), "-", "")
    magnitude = pc.abs(scaled)
    whole = _text(pc.divide(magnitude, 10**decimals))
    frac = pc.utf8_lpad(
        _text(
            pc.subtract(magnitude, pc.multiply(pc.divide(magnitude, 10**decimals), 10**decimals))
        ),
        decimals,
        "0",
    )
    return pc.binary_join_element_wise(sign, whole, ".", frac, "")


def clean_chunk(start: int, n: int) -> pa.Table:
    """Rows start+1 .. start+n of the clean 20-column table, every cell as text."""
    ids = pc.add(pa.array(range(n), pa.int64()), start + 1)
    seconds = pc.add(pc.multiply(ids, 7), 1_704_067_200)  # 2024-01-01 UTC, 7 s apart
    stamps = pc.cast(seconds, pa.timestamp("s"))
    columns = {
        "id": _text(ids),
        "ts": pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%S"),
        "day": pc.strftime(stamps, format="%Y-%m-%d"),
        "line": pc.binary_join_element_wise("L", pc.utf8_lpad(_text(_ints(n, 1, 12)), 2, "0"), ""),
        "machine": pc.binary_join_element_wise(
            "M-", pc.utf8_lpad(_text(_ints(n, 1, 400)), 4, "0"), ""
        ),
        "sensor": _pick(n, ["temp", "press", "vib", "flow"]),
        "temp": _fixed(_uniform(n, 10, 90), 2),
        "pressure": _fixed(_uniform(n, 0.8, 1.2), 4),
        "vibration": _fixed(_uniform(n, -3, 3), 5),
        "rpm": _text(_ints(n, 500, 3000)),
        "count": _text(_ints(n, 0, 1000)),
        "ok": _pick(n, ["true", "false"]),
        "status": _pick(n, ["RUN", "IDLE", "STOP", "MAINT"]),
        "operator": _pick(n, OPERATORS),
        "lot": pc.binary_join_element_wise(
            "LOT", pc.utf8_lpad(_text(_ints(n, 1, 99_999)), 6, "0"), ""
        ),
        "shift": _pick(n, ["A", "B", "C"]),
        "yield_pct": _fixed(_uniform(n, 80, 100), 1),
        "defects": _text(_ints(n, 0, 20)),
        "note": _pick(n, NOTES),
        "batch_year": _text(_ints(n, 2015, 2025)),
    }
    return pa.table(columns)


# Cell errors: (column, bad value, Frictionless code) injected by replacing a cell.
CELL_ERRORS: list[tuple[str, str, str]] = [
    ("temp", "hot", "type-error"),
    ("temp", "151.5", "constraint-error"),
    ("rpm", "-5", "constraint-error"),
    ("rpm", "12.5", "type-error"),
    ("day", "2024-02-30", "type-error"),
    ("ts", "2024-01-01 25:00:00", "type-error"),
    ("ok", "yes", "type-error"),
    ("status", "BROKEN", "constraint-error"),
    ("lot", "LOT12", "constraint-error"),
    ("machine", "M-000000000001", "constraint-error"),
    ("batch_year", "20x4", "type-error"),
    ("ts", "", "constraint-error"),  # required
]


@dataclass
class Injected:
    """What was injected, for the report: counts per Frictionless code."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, code: str, n: int = 1) -> None:
        self.counts[code] = self.counts.get(code, 0) + n


def write_csv(
    path: Path, size_mb: float, *, error_rate: float = 0.0, seed: int = 7
) -> tuple[int, Injected]:
    """Write about size_mb MB; error_rate is the share of rows given one error. Returns
    (data rows, injected errors)."""
    pc.random(1, initializer=seed)  # pc.random has no global seed; each call takes one
    rnd = random.Random(seed)
    injected = Injected()
    target = int(size_mb * 1024 * 1024)
    written = rows = 0
    with open(path, "wb") as out:
        header = (",".join(NAMES) + "\n").encode()
        out.write(header)
        written += len(header)
        while written < target:
            table = clean_chunk(rows, ROWS_PER_CHUNK)
            if error_rate:
                table = _inject_cells(table, rows, error_rate, rnd, injected)
            data = _render(table)
            if written + len(data) > target:
                cut = data.rfind(b"\n", 0, max(1, target - written)) + 1
                data = data[:cut] if cut > 0 else data
            kept = data.count(b"\n")
            out.write(data)
            written += len(data)
            rows += kept
            if error_rate:
                # Structural errors go between chunks: they shift no row numbers we track.
                extra = _structural_lines(rows, rnd, injected, error_rate)
                for line in extra:
                    out.write(line)
                    written += len(line)
                rows += len(extra)
            if kept < table.num_rows:
                break
    return rows, injected


def _render(table: pa.Table) -> bytes:
    """CSV text of a table of text cells, quoting nothing (cells carry their own quotes)."""
    lines = pc.binary_join_element_wise(*[table.column(name) for name in NAMES], ",")
    return ("\n".join(lines.to_pylist()) + "\n").encode()


def _inject_cells(
    table: pa.Table, start: int, rate: float, rnd: random.Random, injected: Injected
) -> pa.Table:
    n = table.num_rows
    count = max(1, int(n * rate * 0.9))
    chosen = sorted(rnd.sample(range(n), count))
    columns = {name: table.column(name).combine_chunks() for name in NAMES}
    by_column: dict[str, tuple[list[int], list[str]]] = {}
    for row in chosen:
        column, value, code = rnd.choice(CELL_ERRORS)
        positions, values = by_column.setdefault(column, ([], []))
        if positions and positions[-1] == row:
            continue
        positions.append(row)
        values.append(value)
        injected.add(code)
    for column, (positions, values) in by_column.items():
        mask = pc.is_in(pa.array(range(n), pa.int64()), pa.array(positions, pa.int64()))
        columns[column] = pc.replace_with_mask(columns[column], mask, pa.array(values, pa.string()))
    # Duplicate ids: copy the id of an earlier row (unique-error and primary-key each).
    dups = max(1, count // 20)
    positions = sorted(rnd.sample(range(1, n), dups))
    ids = columns["id"].to_pylist()
    for position in positions:
        ids[position] = ids[rnd.randrange(position)]
    columns["id"] = pa.array(ids, pa.string())
    injected.add("unique-error", dups)
    injected.add("primary-key", dups)
    return pa.table(columns)


def _structural_lines(
    rows_so_far: int, rnd: random.Random, injected: Injected, rate: float
) -> list[bytes]:
    lines: list[bytes] = []
    count = max(1, int(ROWS_PER_CHUNK * rate * 0.1))
    for index in range(count):
        kind = rnd.choice(["missing", "extra", "blank"])
        cells = clean_chunk(rows_so_far + index, 1).to_pylist()[0]
        # Ids far above the others, so these rows repeat no id of the clean rows.
        cells["id"] = 10_000_000_000 + rows_so_far + index
        values = [str(cells[name]) for name in NAMES]
        values = [f'"{v}"' if "," in v else v for v in values]
        if kind == "missing":
            lines.append((",".join(values[:15]) + "\n").encode())
            injected.add("missing-cell", 5)
        elif kind == "extra":
            lines.append((",".join([*values, "surplus"]) + "\n").encode())
            injected.add("extra-cell")
        else:
            lines.append(("," * (len(NAMES) - 1) + "\n").encode())
            injected.add("blank-row")
            injected.add("primary-key")  # a blank row has no primary key
    return lines


def write_broken_small(directory: Path) -> dict[str, Path]:
    """Small files that must each give a clear failed/error report, never a crash or a hang."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        path = directory / name
        path.write_bytes(data)
        files[name] = path

    header = ",".join(NAMES).encode()
    put("zero-bytes.csv", b"")
    put("binary-junk.csv", random.Random(1).randbytes(200_000))
    put("parquet-named.csv", b"PAR1" + bytes(100) + b"PAR1")
    put("json-named.csv", b'{"id": 1, "ts": "2024-01-01T00:00:00"}\n' * 10)
    put("invalid-utf8.csv", header + b"\n1,2024-01-01T00:00:00,2024-01-01,L01,\xff\xfe\n")
    put("wide-header.csv", (",".join(f"c{i}" for i in range(100_000)) + "\n1\n").encode())
    put("long-line.csv", header + b"\n" + b"x" * (50 * 1024 * 1024) + b"\n")
    put("cp949.csv", "이름,값\n김민수,1\n".encode("cp949"))
    # 1 GiB of CSV rows that gzip squeezes to about 1 MB.
    with gzip.open(directory / "bomb.csv.gz", "wb", compresslevel=9) as out:
        out.write(b"a,b\n")
        block = b"0,0\n" * (256 * 1024)
        for _ in range(1024):
            out.write(block)
    files["bomb.csv.gz"] = directory / "bomb.csv.gz"
    deep = b"[" * 100_000 + b"]" * 100_000
    put("deep-schema.json", deep)
    put("schema.json", json.dumps(SCHEMA).encode())
    return files
