"""`manage.py validate_sample SCHEMA_FILE DATA_FILE`: check a sample file offline, no database.

Prints the validation report as JSON (or as text for people with `--format text`) and exits
0 when the data passed, 1 when it failed the schema, 2 when the schema or the file cannot be
used. SCHEMA_FILE "-" (or "none") only parses and profiles the data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from datasets.validation import (
    DATA_FORMATS,
    Limits,
    ValidationReport,
    format_detect,
    load_schema_bytes,
    validate_file,
)

EXIT_CODES = {"passed": 0, "failed": 1, "error": 2}


def guess_schema_kind(schema: Any) -> str:
    """A Table Schema has a list of fields; anything else is taken for a JSON Schema."""
    if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
        return "table_schema"
    return "json_schema"


class Command(BaseCommand):
    help = "Validate a data sample (CSV, TSV, JSON Lines, Parquet, Excel) against its schema."
    # A pure file check: no system checks, hence no database or cache connection either.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema_file", help='Table Schema or JSON Schema file; "-" for none')
        parser.add_argument("data_file", help="the sample to check")
        parser.add_argument("--format", choices=["json", "text"], default="json", dest="output")
        parser.add_argument("--format-of-data", choices=DATA_FORMATS, dest="data_format")
        parser.add_argument(
            "--schema-kind",
            choices=["table_schema", "json_schema"],
            help="default: a schema with a list of fields is a Table Schema",
        )
        parser.add_argument("--encoding", help="e.g. utf-8, cp949 (default: detected)")
        parser.add_argument("--delimiter", help="CSV delimiter (default: sniffed; \\t for TSV)")
        parser.add_argument("--sheet", help="Excel: the sheet to check (default: the first)")
        parser.add_argument("--max-errors", type=int, default=Limits().max_errors_reported)

    def handle(self, *args: Any, **options: Any) -> None:
        report = self._run(options)
        if options["output"] == "text":
            self.stdout.write(render_text(report))
        else:
            self.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        code = EXIT_CODES[report.status]
        if code:
            raise SystemExit(code)

    def _run(self, options: dict[str, Any]) -> ValidationReport:
        limits = Limits(max_errors_reported=max(0, options["max_errors"]))
        data_path = Path(options["data_file"])
        data_format = options["data_format"] or _detect(data_path)
        if data_format not in DATA_FORMATS:
            return ValidationReport(
                status="error",
                message=f"cannot tell the format of {data_path.name} from its name and content; "
                f"use --format-of-data ({', '.join(DATA_FORMATS)})",
            )
        schema: Any = None
        kind = options["schema_kind"] or "table_schema"
        if options["schema_file"] not in ("-", "none"):
            schema_path = Path(options["schema_file"])
            try:
                with schema_path.open("rb") as handle:
                    raw = handle.read(limits.max_schema_bytes + 1)
            except OSError as exc:
                return ValidationReport(status="error", message=f"cannot read the schema: {exc}")
            schema, problems = load_schema_bytes(raw, limits)
            if problems:
                return ValidationReport(
                    status="error",
                    schema_problems=problems,
                    message="the schema file is not usable JSON",
                    data_format=data_format,
                )
            kind = options["schema_kind"] or guess_schema_kind(schema)
        return validate_file(
            data_path,
            schema=schema,
            schema_kind=kind,  # type: ignore[arg-type]
            data_format=data_format,  # type: ignore[arg-type]
            encoding=options["encoding"],
            delimiter=_unescape(options["delimiter"]),
            limits=limits,
            sheet=options.get("sheet"),
        )


def _detect(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        head = b""  # the check reports the missing file
    return format_detect(path.name, head)


def _unescape(delimiter: str | None) -> str | None:
    """Let people type --delimiter '\\t' for a tab."""
    if delimiter in ("\\t", "tab", "TAB"):
        return "\t"
    return delimiter


def render_text(report: ValidationReport) -> str:
    lines = [f"Status: {report.status.upper()}: {report.message}"]
    details = [f"format {report.data_format}"]
    if report.encoding:
        details.append(f"encoding {report.encoding}")
    if report.delimiter:
        details.append(f"delimiter {report.delimiter!r}")
    if report.sheet:
        details.append(f"sheet {report.sheet!r}")
    details.append(f"{report.row_count:,} rows")
    lines.append("Data: " + ", ".join(details))
    for warning in report.warnings:
        lines.append(f"Warning: {warning}")
    if report.schema_problems:
        lines.append("Schema problems:")
        for problem in report.schema_problems:
            lines.append(f"  {problem.pointer or '/'}: {problem.message} [{problem.code}]")
    if report.errors_by_code:
        counts = ", ".join(f"{code} {count:,}" for code, count in report.errors_by_code.items())
        lines.append(f"Errors ({report.error_count:,}): {counts}")
        shown = len(report.errors)
        lines.append(f"First {shown} error(s):" if report.errors_truncated else "All errors:")
        for error in report.errors:
            where = []
            if error["row"] is not None:
                where.append(f"row {error['row']}")
            if error["field"]:
                where.append(f"field {error['field']}")
            if error["field_number"]:
                where.append(f"position {error['field_number']}")
            place = ", ".join(where) or "file"
            lines.append(f"  [{error['code']}] {place}: {error['message']}")
    if report.profile:
        lines.append("Profile:")
        for column in report.profile:
            lines.append("  " + _profile_line(column))
    total = report.timings.get("total")
    if total is not None:
        lines.append(f"Time: {total:.2f} s")
    return "\n".join(lines)


def _profile_line(column: dict[str, Any]) -> str:
    parts = [f"{column.get('name')} ({column.get('type')})"]
    parts.append(f"{column.get('nulls', 0):,} empty")
    if column.get("invalid"):
        parts.append(f"{column['invalid']:,} invalid")
    if "distinct" in column:
        approx = "~" if column.get("distinct_estimated") else ""
        parts.append(f"{approx}{column['distinct']:,} distinct")
    if column.get("min") is not None:
        parts.append(f"min {column['min']}, max {column['max']}")
    if column.get("mean") is not None:
        parts.append(f"mean {column['mean']:.4g}")
    if column.get("top_values"):
        top = ", ".join(
            f"{item['value']!s} ({item['count']:,})" for item in column["top_values"][:5]
        )
        parts.append(f"top: {top}")
    return "; ".join(parts)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run it with manage.py validate_sample")
