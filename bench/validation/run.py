#!/usr/bin/env python
"""Validation benchmark: our validator against `frictionless validate` on the same files.

    python bench/validation/run.py [--size-mb 300] [--frictionless-mb 20] [--memory-mb 1024]

1. Generates a typical 20-column mixed CSV (ids, timestamps, dates, codes, measures, Korean
   text) of --size-mb with about one row in 2,000 broken, and times our validator on it: wall
   MB/s and MB per CPU-second (the checks run on one core).
2. On a --frictionless-mb file of the same kind, times both validators and compares their
   findings as (row, field position, code) triples.
3. Checks agreement on --seeds small random broken files (the property the tests also run).
4. Validates a --memory-mb file in a subprocess and reports its peak resident memory.
5. Runs the bad inputs (zero bytes, binary junk, a 100,000-column header, a 50 MB line, a gzip
   bomb, a deeply nested schema...) and reports what each gave and how long it took.
6. Checks an Excel workbook made from a --xlsx-mb CSV against the same schema: time, peak
   memory, findings against the CSV's; and hostile workbooks (a zip bomb, a million columns).

Writes the figures to docs/validation-benchmark.md (--output). Goals are reported, not
asserted: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# Run as a script: import the project (and this package) from the repository root.
sys.path[0] = str(ROOT)

from bench.validation.corpus import SCHEMA, write_broken_small, write_csv  # noqa: E402
from bench.validation.reference import (  # noqa: E402
    frictionless_findings,
    our_findings,
    random_broken_csv,
)
from bench.validation.workbooks import csv_to_xlsx, write_hostile  # noqa: E402
from datasets.validation import Limits, load_schema_bytes, validate_file  # noqa: E402

MB = 1024 * 1024
GOAL_MBPS = 50.0
GOAL_RATIO = 10.0
GOAL_PEAK_MB = 300.0

# Peak memory is read from VmHWM in /proc: ru_maxrss survives fork and exec on Linux, so a child
# of this (large) benchmark process would report the parent's peak instead of its own.
PEAK_RSS = """
def peak_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

MEMORY_PROBE = (
    PEAK_RSS
    + """
import json, sys, time
sys.path.insert(0, {root!r})
from bench.validation.corpus import SCHEMA
from datasets.validation import validate_file
started = time.perf_counter()
report = validate_file({path!r}, schema=SCHEMA, data_format="csv")
print(json.dumps({{
    "status": report.status,
    "rows": report.row_count,
    "errors": report.error_count,
    "seconds": time.perf_counter() - started,
    "peak_kb": peak_kb(),
}}))
"""
)


@dataclass
class Results:
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    speed: dict[str, Any] = field(default_factory=dict)
    versus: dict[str, Any] = field(default_factory=dict)
    property: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    bad_inputs: list[dict[str, Any]] = field(default_factory=list)
    xlsx: dict[str, Any] = field(default_factory=dict)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_validate(path: Path, **options: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    report = validate_file(path, **options)
    return report, time.perf_counter() - wall, cpu_seconds() - cpu


def ensure_csv(path: Path, size_mb: float, error_rate: float) -> dict[str, Any]:
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("size_mb") == size_mb and meta.get("error_rate") == error_rate:
            return dict(meta)
    print(f"  generating {path.name} ({size_mb:g} MB)...", flush=True)
    started = time.perf_counter()
    rows, injected = write_csv(path, size_mb, error_rate=error_rate)
    meta = {
        "size_mb": size_mb,
        "error_rate": error_rate,
        "rows": rows,
        "injected": injected.counts,
        "seconds": round(time.perf_counter() - started, 1),
    }
    meta_path.write_text(json.dumps(meta))
    return meta


def bench_speed(workdir: Path, size_mb: float, runs: int, results: Results) -> None:
    print(f"1. Our validator on a {size_mb:g} MB CSV", flush=True)
    path = workdir / f"typical-{size_mb:g}mb.csv"
    meta = ensure_csv(path, size_mb, 0.0005)
    size = path.stat().st_size
    samples = []
    report = None
    for _ in range(runs):
        report, wall, cpu = timed_validate(path, schema=SCHEMA, data_format="csv")
        samples.append((wall, cpu))
        print(f"   {size / MB / wall:6.1f} MB/s wall, {size / MB / cpu:6.1f} MB per CPU-second")
    assert report is not None
    walls = sorted(wall for wall, _ in samples)
    cpus = sorted(cpu for _, cpu in samples)
    results.speed = {
        "file": path.name,
        "bytes": size,
        "rows": report.row_count,
        "status": report.status,
        "errors": report.error_count,
        "errors_by_code": report.errors_by_code,
        "injected": meta["injected"],
        "runs": runs,
        "wall_best": walls[0],
        "wall_median": walls[len(walls) // 2],
        "cpu_median": cpus[len(cpus) // 2],
        "mbps_median": size / MB / walls[len(walls) // 2],
        "mbps_best": size / MB / walls[0],
        "mb_per_cpu_second": size / MB / cpus[len(cpus) // 2],
        "timings": {key: round(value, 2) for key, value in report.timings.items()},
    }


def bench_versus(workdir: Path, size_mb: float, results: Results) -> None:
    print(f"2. Ours versus frictionless on a {size_mb:g} MB CSV", flush=True)
    path = workdir / f"versus-{size_mb:g}mb.csv"
    meta = ensure_csv(path, size_mb, 0.001)
    size = path.stat().st_size
    report, ours_wall, ours_cpu = timed_validate(
        path, schema=SCHEMA, data_format="csv", limits=Limits(max_errors_reported=10**7)
    )
    print(f"   ours: {ours_wall:.2f} s, {report.error_count:,} errors", flush=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    theirs, their_rows = frictionless_findings(path, SCHEMA)
    their_wall, their_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(f"   frictionless: {their_wall:.2f} s, {len(theirs):,} errors", flush=True)
    ours = our_findings(report.errors)
    common = ours & theirs
    results.versus = {
        "file": path.name,
        "bytes": size,
        "rows": report.row_count,
        "frictionless_rows": their_rows,
        "injected": meta["injected"],
        "ours_seconds": ours_wall,
        "ours_cpu": ours_cpu,
        "frictionless_seconds": their_wall,
        "frictionless_cpu": their_cpu,
        "ours_mbps": size / MB / ours_wall,
        "frictionless_mbps": size / MB / their_wall,
        "ratio": their_wall / ours_wall,
        "ours_errors": len(ours),
        "frictionless_errors": len(theirs),
        "common": len(common),
        "only_ours": sorted(ours - theirs, key=str)[:10],
        "only_frictionless": sorted(theirs - ours, key=str)[:10],
        "only_ours_count": len(ours - theirs),
        "only_frictionless_count": len(theirs - ours),
        "ours_by_code": report.errors_by_code,
    }


def bench_property(seeds: int, results: Results) -> None:
    print(f"3. Agreement on {seeds} random small broken files", flush=True)
    agree = 0
    disagreements: list[int] = []
    findings = 0
    with tempfile.TemporaryDirectory() as directory:
        for seed in range(seeds):
            schema, text = random_broken_csv(random.Random(seed))
            path = Path(directory) / f"case{seed}.csv"
            path.write_text(text, encoding="utf-8")
            theirs, rows = frictionless_findings(path, schema)
            report = validate_file(
                path, schema=schema, data_format="csv", limits=Limits(max_errors_reported=10**6)
            )
            findings += len(theirs)
            if our_findings(report.errors) == theirs and report.row_count == (rows or 0):
                agree += 1
            else:
                disagreements.append(seed)
    results.property = {
        "files": seeds,
        "agree": agree,
        "findings": findings,
        "disagreements": disagreements[:20],
    }


def bench_memory(workdir: Path, size_mb: float, results: Results) -> None:
    print(f"4. Peak memory validating a {size_mb:g} MB CSV (subprocess)", flush=True)
    path = workdir / f"memory-{size_mb:g}mb.csv"
    ensure_csv(path, size_mb, 0.0)
    probe = MEMORY_PROBE.format(root=str(ROOT), path=str(path))
    imports = PEAK_RSS + (
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "import datasets.validation, bench.validation.corpus\nprint(peak_kb())\n"
    )
    baseline = subprocess.run(
        [sys.executable, "-c", imports], capture_output=True, text=True, check=True
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    size = path.stat().st_size
    results.memory = {
        "file": path.name,
        "bytes": size,
        "rows": data["rows"],
        "status": data["status"],
        "seconds": data["seconds"],
        "mbps": size / MB / data["seconds"],
        "peak_mb": data["peak_kb"] / 1024,
        "import_mb": int(baseline.stdout.strip()) / 1024,
        "allocator": os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "pyarrow default (mimalloc)"),
    }
    print(f"   peak {results.memory['peak_mb']:.0f} MB", flush=True)


def bench_bad_inputs(workdir: Path, results: Results) -> None:
    print("5. Bad inputs", flush=True)
    files = write_broken_small(workdir / "broken")
    for name, path in files.items():
        started = time.perf_counter()
        if name.endswith(".json"):
            _, problems = load_schema_bytes(path.read_bytes(), Limits())
            outcome = "usable" if not problems else f"refused: {problems[0].code}"
            message = problems[0].message if problems else ""
            codes: dict[str, int] = {}
        else:
            report = validate_file(
                path, schema=SCHEMA if name != "cp949.csv" else None, data_format="csv"
            )
            outcome, message, codes = report.status, report.message, report.errors_by_code
        results.bad_inputs.append(
            {
                "name": name,
                "bytes": path.stat().st_size,
                "outcome": outcome,
                "codes": codes,
                "message": message,
                "seconds": time.perf_counter() - started,
            }
        )


XLSX_PROBE = (
    PEAK_RSS
    + """
import json, sys, time
sys.path.insert(0, {root!r})
from bench.validation.corpus import SCHEMA
from datasets.validation import validate_file
started = time.perf_counter()
report = validate_file({path!r}, schema=SCHEMA, data_format="xlsx")
print(json.dumps({{"seconds": time.perf_counter() - started, "peak_kb": peak_kb()}}))
"""
)
STRUCTURAL = ("extra-cell", "missing-cell")


def bench_xlsx(workdir: Path, size_mb: float, results: Results) -> None:
    print(f"6. An Excel workbook made from a {size_mb:g} MB CSV", flush=True)
    source = workdir / f"xlsx-source-{size_mb:g}mb.csv"
    ensure_csv(source, size_mb, 0.0005)
    path = source.with_suffix(".xlsx")
    if not path.exists() or path.stat().st_mtime < source.stat().st_mtime:
        print("  writing the workbook...", flush=True)
        csv_to_xlsx(source, path)
    csv_report, csv_wall, _ = timed_validate(source, schema=SCHEMA, data_format="csv")
    report, wall, cpu = timed_validate(path, schema=SCHEMA, data_format="xlsx")
    probe = subprocess.run(
        [sys.executable, "-c", XLSX_PROBE.format(root=str(ROOT), path=str(path))],
        capture_output=True,
        text=True,
        check=True,
    )
    peak = json.loads(probe.stdout.strip().splitlines()[-1])

    def triples(found: Any) -> set[tuple[Any, Any, str]]:
        return {
            (e["row"], e["field_number"], e["code"])
            for e in found.errors
            if e["code"] not in STRUCTURAL
        }

    ours, theirs = triples(report), triples(csv_report)
    with zipfile.ZipFile(path) as archive:
        xml_bytes = sum(info.file_size for info in archive.infolist())
    results.xlsx = {
        "file": path.name,
        "bytes": path.stat().st_size,
        "xml_bytes": xml_bytes,
        "rows": report.row_count,
        "csv_rows": csv_report.row_count,
        "status": report.status,
        "wall": wall,
        "cpu": cpu,
        "csv_wall": csv_wall,
        "timings": report.timings,
        "peak_mb": peak["peak_kb"] / 1024,
        "codes": report.errors_by_code,
        "csv_codes": csv_report.errors_by_code,
        "common": len(ours & theirs),
        "only_xlsx": len(ours - theirs),
        "only_csv": len(theirs - ours),
        "compared_errors": min(len(report.errors), len(csv_report.errors)),
    }
    print(
        f"   {report.row_count:,} rows in {wall:.1f} s ({report.row_count / wall:,.0f} rows/s), "
        f"peak {results.xlsx['peak_mb']:.0f} MB",
        flush=True,
    )
    for name, hostile in write_hostile(workdir / "broken-xlsx").items():
        started = time.perf_counter()
        found = validate_file(hostile, schema=SCHEMA, data_format="xlsx")
        reason = found.errors[0].get("reason", "") if found.errors else ""
        results.bad_inputs.append(
            {
                "name": name,
                "bytes": hostile.stat().st_size,
                "outcome": found.status + (f" ({reason})" if reason else ""),
                "codes": found.errors_by_code,
                "message": found.message,
                "seconds": time.perf_counter() - started,
            }
        )


def xlsx_markdown(xlsx: dict[str, Any]) -> list[str]:
    if not xlsx:
        return []
    rows_per_s = xlsx["rows"] / xlsx["wall"] if xlsx["wall"] else 0.0
    phases = ", ".join(f"{name} {seconds:.2f}" for name, seconds in xlsx["timings"].items())
    return [
        "",
        "## Excel workbooks",
        "",
        f"`{xlsx['file']}`: {xlsx['bytes']:,} bytes ({xlsx['xml_bytes']:,} of XML inside), "
        f"{xlsx['rows']:,} rows of the same 20 columns, written by "
        "`bench/validation/workbooks.py` from the CSV of the same name (plain numbers as "
        "numbers, the rest as text), checked against the same schema. Status "
        f"{xlsx['status']}; wall {xlsx['wall']:.2f} s ({rows_per_s:,.0f} rows/s; the CSV: "
        f"{xlsx['csv_wall']:.2f} s), CPU {xlsx['cpu']:.2f} s; phases (s): {phases}. Peak "
        f"resident memory in a fresh process: {xlsx['peak_mb']:.0f} MB.",
        "",
        f"Findings against the CSV it came from, as (row, field position, code) among the first "
        f"{xlsx['compared_errors']:,} reported, leaving out extra-cell and missing-cell (a grid "
        "has no short or long rows: a missing cell is an empty one): "
        f"{xlsx['common']:,} in common, {xlsx['only_xlsx']} only in the workbook, "
        f"{xlsx['only_csv']} only in the CSV. Errors by code: workbook "
        f"{_codes(xlsx['codes'])}; CSV {_codes(xlsx['csv_codes'])}.",
        "",
        "calamine reads a whole sheet into memory before the first row comes out, so the "
        "sheet is measured first (its cells' extent and the shared strings they point at) and "
        "refused when the estimate passes `xlsx_max_memory_bytes` (256 MiB: about 2 million "
        "cells of numbers); the zip is refused past `xlsx_max_entries` (10,000), "
        "`xlsx_max_uncompressed_bytes` (2 GiB) or the ratio `max_decompressed_ratio`. Larger "
        "tables go in as CSV or Parquet. The hostile workbooks are in the bad-input table.",
    ]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def write_markdown(results: Results, output: Path, args: argparse.Namespace) -> None:
    import pyarrow

    try:
        import frictionless

        frictionless_version = frictionless.__version__
    except ImportError:  # pragma: no cover
        frictionless_version = "not installed"
    speed, versus, prop, memory = results.speed, results.versus, results.property, results.memory
    load = os.getloadavg()
    lines = [
        "# Validation benchmark",
        "",
        "Generated by `python bench/validation/run.py` "
        f"(flags: {' '.join(sys.argv[1:]) or 'none, the defaults'}); rerunning it rewrites this "
        "file. Goals are reported, not enforced.",
        "",
        f"- **Date:** {results.started:%Y-%m-%d %H:%M} UTC.",
        f"- **Machine:** {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(nproc); load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the end "
        "(other work shares this machine, so wall times vary between runs).",
        f"- **Software:** Python {platform.python_version()}, pyarrow {pyarrow.__version__}, "
        f"frictionless {frictionless_version}.",
        "- **Data:** a typical 20-column mixed CSV made by `bench/validation/corpus.py`: integer "
        "ids (unique, the primary key), ISO timestamps and dates, codes checked by pattern and "
        "enum, decimal measures with bounds, booleans, Korean names and notes, a quoted note "
        "with a comma; about 140 bytes a row. Errors are injected at seeded random rows: type "
        "and constraint errors, repeated ids, rows with missing or extra cells, blank rows.",
        "",
        "## Results",
        "",
        "| Measure | Figure | Goal | Result |",
        "|---|---|---|---|",
    ]
    if speed:
        lines.append(
            f"| Throughput, {speed['bytes'] / MB:,.0f} MB CSV, median of {speed['runs']} | "
            f"{speed['mbps_median']:.0f} MB/s wall ({speed['mbps_best']:.0f} best); "
            f"{speed['mb_per_cpu_second']:.0f} MB per CPU-second | ≥ {GOAL_MBPS:.0f} MB/s per "
            f"core | {verdict(speed['mb_per_cpu_second'] >= GOAL_MBPS)} |"
        )
    if versus:
        lines.append(
            f"| Speed versus `frictionless validate`, {versus['bytes'] / MB:,.0f} MB CSV | "
            f"{versus['ratio']:.0f}x faster ({versus['ours_seconds']:.1f} s against "
            f"{versus['frictionless_seconds']:.1f} s) | ≥ {GOAL_RATIO:.0f}x | "
            f"{verdict(versus['ratio'] >= GOAL_RATIO)} |"
        )
        same = versus["only_ours_count"] == 0 and versus["only_frictionless_count"] == 0
        lines.append(
            f"| Same findings on that file | {versus['common']:,} in common, "
            f"{versus['only_ours_count']} only ours, {versus['only_frictionless_count']} only "
            f"Frictionless's | identical | {verdict(same)} |"
        )
    if prop:
        lines.append(
            f"| Same findings on random small broken files | {prop['agree']} of "
            f"{prop['files']} files identical ({prop['findings']:,} findings) | all | "
            f"{verdict(prop['agree'] == prop['files'])} |"
        )
    if memory:
        lines.append(
            f"| Peak memory validating a {memory['bytes'] / MB:,.0f} MB CSV | "
            f"{memory['peak_mb']:.0f} MB resident (imports alone: {memory['import_mb']:.0f} MB) "
            f"| < {GOAL_PEAK_MB:.0f} MB | {verdict(memory['peak_mb'] < GOAL_PEAK_MB)} |"
        )
    if speed:
        lines += [
            "",
            "## Throughput",
            "",
            f"`{speed['file']}`: {speed['bytes']:,} bytes, {speed['rows']:,} rows, checked against "
            "the 20-field schema in `bench/validation/corpus.py` (types, required, unique id and "
            "primary key, bounds, lengths, patterns, enums) with the full profile. "
            f"Status {speed['status']}, {speed['errors']:,} errors found "
            f"({_codes(speed['errors_by_code'])}); injected: {_codes(speed['injected'])}. "
            f"Wall times: best {speed['wall_best']:.2f} s, median {speed['wall_median']:.2f} s; "
            f"CPU time (user + system) {speed['cpu_median']:.2f} s, so "
            f"{speed['mb_per_cpu_second']:.0f} MB per CPU-second. Phases of the last run (s): "
            f"{', '.join(f'{k} {v}' for k, v in speed['timings'].items())}.",
        ]
    if versus:
        lines += [
            "",
            "## Against Frictionless",
            "",
            f"`{versus['file']}`: {versus['bytes']:,} bytes, {versus['rows']:,} rows "
            f"(Frictionless counted {versus['frictionless_rows']:,}). Frictionless ran "
            "`frictionless.validate(resource, limit_errors=10**9)` with the header row, the "
            "delimiter, `skipInitialSpace: false` and UTF-8 given, so that it reads the file as we "
            "do (left alone, it guesses these from a sample). It is kept to a smaller file than "
            "the throughput run because it is slow; both read the same bytes.",
            "",
            "| | Ours | Frictionless |",
            "|---|---|---|",
            f"| Wall time | {versus['ours_seconds']:.2f} s "
            f"| {versus['frictionless_seconds']:.2f} s |",
            f"| CPU time | {versus['ours_cpu']:.2f} s | {versus['frictionless_cpu']:.2f} s |",
            f"| Throughput | {versus['ours_mbps']:.1f} MB/s "
            f"| {versus['frictionless_mbps']:.2f} MB/s |",
            f"| Errors found | {versus['ours_errors']:,} | {versus['frictionless_errors']:,} |",
            "",
            f"Errors by code (ours): {_codes(versus['ours_by_code'])}; injected: "
            f"{_codes(versus['injected'])}. Findings are compared as (row, field position, code); "
            f"{versus['common']:,} are common.",
        ]
        if versus["only_ours"] or versus["only_frictionless"]:
            lines.append(
                f"Only ours (first ones): {versus['only_ours']}; only Frictionless's: "
                f"{versus['only_frictionless']}."
            )
    if prop:
        lines += [
            "",
            "## Agreement on random broken files",
            "",
            f"{prop['files']} small CSVs from `random_broken_csv` in "
            "`bench/validation/reference.py` (1-5 fields of every type, random constraints, "
            "unique fields and primary keys, renamed, blank, repeated, extra and missing labels, "
            "short and long rows, blank rows, cells such as `+7`, ` 8 `, `1_000`, `0x1`, `١٢`, "
            "`NaN`, `2024-02-30`, `2024-01-01T24:00:00`, aware and naive times). "
            f"{prop['agree']} give exactly Frictionless's findings and row count"
            + (f"; the others: seeds {prop['disagreements']}." if prop["disagreements"] else ".")
            + " `tests/validation/test_agreement.py` runs the first 160 in the test suite.",
        ]
    if memory:
        lines += [
            "",
            "## Memory",
            "",
            f"`{memory['file']}` ({memory['bytes']:,} bytes, {memory['rows']:,} rows, status "
            f"{memory['status']}) validated in a fresh subprocess against the same schema, unique "
            f"and primary-key checks included, in {memory['seconds']:.1f} s "
            f"({memory['mbps']:.0f} MB/s). Peak resident set size (VmHWM, the process's "
            "high-water mark; `ru_maxrss` would carry over the benchmark parent's): "
            f"{memory['peak_mb']:.0f} MB, of which {memory['import_mb']:.0f} MB is Python with "
            "the validator's imports. What bounds it: Arrow reads 4 MB blocks with at most 3 read "
            "ahead (Arrow alone would read 32 ahead), keys for the unique and primary-key "
            "checks take 16 bytes a row and spill to temporary files past 24 MB, and distinct "
            f"counts use a fixed-size sketch. Allocator: {memory['allocator']}.",
        ]
    lines += xlsx_markdown(results.xlsx)
    if results.bad_inputs:
        lines += [
            "",
            "## Bad inputs",
            "",
            "| File | Size | Outcome | Codes | Time | Message |",
            "|---|---|---|---|---|---|",
        ]
        for item in results.bad_inputs:
            message = item["message"].replace("|", "\\|")
            if len(message) > 140:
                message = message[:140] + "…"
            lines.append(
                f"| `{item['name']}` | {_size(item['bytes'])} | {item['outcome']} | "
                f"{_codes(item['codes']) or '-'} | {item['seconds']:.2f} s | {message} |"
            )
    lines += [
        "",
        "## Where we differ from Frictionless, and other limits",
        "",
        "- Frictionless guesses the header row, the delimiter, `skipInitialSpace` and the "
        "encoding from a sample; we take the header from line 1, sniff only the delimiter, keep "
        "spaces, and decode UTF-8 then CP949 strictly. The comparisons above pin Frictionless to "
        "the same reading. A blank first line is refused (format-error) where Frictionless "
        "would check the rows without a header.",
        "- Patterns run on RE2 (linear time, no ReDoS): lookaround and backreferences are "
        "reported as schema problems; `\\d` matches ASCII digits only.",
        "- String formats email, uri and uuid are checked with regular expressions (Frictionless "
        "uses the `validators` and `rfc3986` packages); `wkt` is not parsed; `geojson` values "
        "are checked for their `type` only.",
        "- `foreignKeys` and `uniqueKeys` are meta-validated, not checked against the data.",
        "- Unique and primary-key checks compare integers, dates and times exactly and text or "
        "composite keys by a 64-bit hash (a false repeat needs a hash collision between two "
        "specific values). Times with a UTC offset never equal naive ones, as in Python; bounds "
        "compare them as UTC.",
        "- Profiles: counts, bounds, means and lengths are exact; distinct counts and top values "
        "are exact up to 100,000 rows, then estimated from one row in eight (the profile says "
        "so). Integers beyond 64 bits are checked exactly but left out of min/max/mean.",
        "- Rows whose cell count differs from the header are fully checked up to 100,000 of "
        "them; beyond, only their extra and missing cells are counted.",
        "- JSON Lines: rows are line numbers (no header); JSON Schema `format` is an annotation "
        "(the Draft 2020-12 default); `$ref`s outside the document are refused.",
        "- A file that is UTF-8 in its first megabyte and CP949 further on is read twice (the "
        "report warns); in CP949 an undecodable byte stops the check with its offset.",
    ]
    lines += [
        "",
        "## How to read this",
        "",
        "- Throughput counts the file's bytes over the validator's wall time, everything "
        "included: sniffing, parsing, every check, the unique and primary-key checks at the end, "
        "and the profile. The CSV parsing and the checks run on one thread (`use_threads=False`;"
        " the reader's I/O thread mostly waits), so MB per CPU-second is the per-core figure.",
        "- The generator gives every run the same bytes for the same sizes and seed.",
        "- Limits (`datasets/validation/limits.py`) are the defaults: max_line_bytes 10 MB, "
        "max_columns 10,000, max_decompressed_ratio 200, max_schema_depth 64, "
        "max_schema_bytes 2 MB.",
        "",
    ]
    output.write_text("\n".join(lines))
    print(f"wrote {output}")


def _codes(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {count:,}" for code, count in sorted(counts.items()))


def _size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:,.1f} MB"
    if size >= 1024:
        return f"{size / 1024:,.1f} kB"
    return f"{size} B"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=300, help="throughput file size")
    parser.add_argument("--runs", type=int, default=3, help="throughput runs (median reported)")
    parser.add_argument("--frictionless-mb", type=float, default=20, help="comparison file size")
    parser.add_argument("--memory-mb", type=float, default=1024, help="0 skips the memory run")
    parser.add_argument("--seeds", type=int, default=500, help="random small files to compare")
    parser.add_argument("--xlsx-mb", type=float, default=10, help="0 skips the Excel run")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".data" / "bench-validation")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "validation-benchmark.md")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = Results()
    bench_speed(args.workdir, args.size_mb, args.runs, results)
    if args.frictionless_mb > 0:
        bench_versus(args.workdir, args.frictionless_mb, results)
    if args.seeds > 0:
        bench_property(args.seeds, results)
    if args.memory_mb > 0:
        bench_memory(args.workdir, args.memory_mb, results)
    bench_bad_inputs(args.workdir, results)
    if args.xlsx_mb > 0:
        bench_xlsx(args.workdir, args.xlsx_mb, results)
    write_markdown(results, args.output, args)


if __name__ == "__main__":
    main()
