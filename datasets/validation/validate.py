"""validate_file: one entry point for every format, returning a ValidationReport.

It never raises for bad input: an unusable schema or file becomes a report with status
"error" and a message saying what is wrong; data that breaks the schema becomes "failed" with
counted, located errors. Only programming errors would escape, and even those are caught and
reported (and logged) so one bad upload cannot kill a worker's task.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Literal

from .csvfile import CsvValidator
from .jsonl import JsonlValidator
from .limits import Limits
from .parquetfile import ParquetValidator
from .preview import PreviewCollector
from .report import ErrorSink, FileProblem, ValidationReport
from .schema import check_json_schema, check_table_schema
from .table import SchemaPlan
from .xlsx import XlsxValidator

logger = logging.getLogger(__name__)

DataFormat = Literal["csv", "tsv", "jsonl", "parquet", "xlsx"]
SchemaKind = Literal["table_schema", "json_schema"]
DATA_FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "parquet", "xlsx")
SCHEMA_KINDS: tuple[str, ...] = ("table_schema", "json_schema")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}


def format_from_extension(path: str | Path) -> str | None:
    """ "csv" for data.csv or data.csv.gz, None when the extension says nothing."""
    suffixes = [suffix.lower() for suffix in Path(path).suffixes]
    while suffixes and suffixes[-1] in (".gz", ".gzip", ".bz2", ".xz"):
        suffixes.pop()
    return _EXTENSIONS.get(suffixes[-1]) if suffixes else None


def validate_file(
    path: str | Path,
    *,
    schema: dict[str, Any] | None,
    schema_kind: SchemaKind = "table_schema",
    data_format: DataFormat,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
    sheet: str | None = None,
    preview: PreviewCollector | None = None,
) -> ValidationReport:
    """Check a sample file against a schema (or only parse and profile it when schema is None).

    `sheet`: for a workbook (xlsx), the sheet to check; the first visible one by default.
    `preview`, when given, collects the first rows from the batches the check reads."""
    limits = limits or Limits()
    started = time.perf_counter()
    report = ValidationReport(status="passed", data_format=data_format, schema_kind=schema_kind)
    try:
        _validate(
            report,
            Path(path),
            schema,
            schema_kind,
            data_format,
            encoding,
            delimiter,
            limits,
            sheet=sheet,
            preview=preview,
        )
    except MemoryError:
        report.status = "error"
        report.message = "the file needs more memory to check than this worker has"
    except Exception as exc:
        logger.exception("validation of %s failed", path)
        report.status = "error"
        report.message = f"internal validator error ({type(exc).__name__}: {exc})"
    report.timings["total"] = time.perf_counter() - started
    return report


def _validate(
    report: ValidationReport,
    path: Path,
    schema: dict[str, Any] | None,
    schema_kind: str,
    data_format: str,
    encoding: str | None,
    delimiter: str | None,
    limits: Limits,
    sheet: str | None = None,
    preview: PreviewCollector | None = None,
) -> None:
    if data_format not in DATA_FORMATS:
        report.status = "error"
        report.message = (
            f'unknown data format "{data_format}"; use one of {", ".join(DATA_FORMATS)}'
        )
        return
    if schema_kind not in SCHEMA_KINDS:
        report.status = "error"
        report.message = f'unknown schema kind "{schema_kind}"'
        return
    if schema is not None:
        started = time.perf_counter()
        if schema_kind == "table_schema":
            problems = check_table_schema(schema, limits)
        else:
            problems = check_json_schema(schema, limits)
        report.timings["schema"] = time.perf_counter() - started
        if problems:
            report.status = "error"
            report.schema_problems = problems
            report.message = (
                f"the schema is not valid ({len(problems)} problem(s)); data not checked"
            )
            return
        if schema_kind == "json_schema" and data_format != "jsonl":
            report.status = "error"
            report.message = (
                "a JSON Schema describes JSON Lines records; describe CSV, TSV, Parquet and "
                "Excel with a Table Schema"
            )
            return
    if not path.is_file():
        report.status = "error"
        report.message = f"no such file: {path.name}"
        return
    sink = ErrorSink(limits.max_errors_reported, limits.max_cell_chars)
    plan = SchemaPlan.from_schema(schema) if schema_kind == "table_schema" else None
    validator = _reader(
        path,
        data_format,
        plan=plan,
        schema=schema,
        schema_kind=schema_kind,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        limits=limits,
        sink=sink,
        guess_types=plan is None,
        preview=preview,
    )
    try:
        outcome = validator.run()
    except FileProblem as problem:
        sink.add(problem.code, problem.message, row=problem.row, reason=problem.reason)
        outcome = None
        report.message = problem.message
    finally:
        _close(validator)
    report.timings.update(validator.timings)
    if outcome is not None:
        report.row_count = outcome.row_count
        report.bytes_read = outcome.bytes_read
        report.profile = outcome.profile
        report.warnings = outcome.warnings
        report.encoding = getattr(outcome, "encoding", None)
        report.delimiter = getattr(outcome, "delimiter", None)
        report.sheet = getattr(outcome, "sheet", None)
    report.errors_by_code = dict(sorted(sink.counts.items()))
    report.error_count = sink.total
    report.errors = sink.first_errors()
    if outcome is None:  # a FileProblem stopped the check
        report.status = "error"
    elif report.error_count:
        report.status = "failed"
        report.message = report.message or (
            f"{report.error_count:,} error(s) in {report.row_count:,} row(s)"
        )
    else:
        report.message = f"{report.row_count:,} row(s) checked, no errors"


def preview_file(
    path: str | Path,
    *,
    data_format: DataFormat,
    max_rows: int,
    exclude: list[str] | tuple[str, ...] = (),
    schema: dict[str, Any] | None = None,
    schema_kind: SchemaKind = "table_schema",
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
    sheet: str | None = None,
) -> dict[str, Any] | None:
    """The first `max_rows` rows of a file, without checking the rest (to make a preview again
    when only its settings changed): {"columns", "excluded_columns", "rows"}, or None when the
    file cannot be read as a table. A Table Schema only names the columns (for `exclude`)."""
    limits = limits or Limits()
    collector = PreviewCollector(max_rows, exclude=exclude)
    if data_format not in DATA_FORMATS or max_rows <= 0:
        return None
    sink = ErrorSink(0, limits.max_cell_chars)  # nothing is checked: no errors kept
    plan = SchemaPlan.from_schema(schema) if schema_kind == "table_schema" else None
    validator = _reader(
        path,
        data_format,
        plan=plan,
        schema=None,  # JSON Lines records are previewed as they come
        schema_kind=schema_kind,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        limits=limits,
        sink=sink,
        max_rows=max_rows,
        preview=collector,
    )
    try:
        validator.run()
    except FileProblem:
        pass  # the rows read before the problem still make a preview
    except MemoryError:
        return None
    except Exception:
        logger.exception("preview of %s failed", path)
        return None
    finally:
        _close(validator)
    return collector.to_dict()


def _reader(
    path: str | Path,
    data_format: str,
    *,
    plan: SchemaPlan | None,
    schema: dict[str, Any] | None,
    schema_kind: str,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    limits: Limits,
    sink: ErrorSink,
    guess_types: bool = False,
    max_rows: int | None = None,
    preview: PreviewCollector | None = None,
) -> Any:
    """The reader of one data format, for a check or (with `max_rows`) a preview."""
    if data_format in ("csv", "tsv"):
        return CsvValidator(
            path,
            plan=plan,
            data_format=data_format,
            encoding=encoding,
            delimiter=delimiter,
            limits=limits,
            sink=sink,
            guess_types=guess_types,
            max_rows=max_rows,
            preview=preview,
        )
    if data_format == "jsonl":
        return JsonlValidator(
            path,
            schema=schema,
            schema_kind=schema_kind,
            encoding=encoding,
            limits=limits,
            sink=sink,
            max_rows=max_rows,
            preview=preview,
        )
    if data_format == "xlsx":
        return XlsxValidator(
            path,
            plan=plan,
            sheet=sheet,
            limits=limits,
            sink=sink,
            guess_types=guess_types,
            max_rows=max_rows,
            preview=preview,
        )
    return ParquetValidator(
        path, plan=plan, limits=limits, sink=sink, max_rows=max_rows, preview=preview
    )


def _close(validator: Any) -> None:
    checker = getattr(validator, "checker", None) or getattr(validator, "table", None)
    if checker is not None:
        checker.close()
