"""Helpers shared by the validation tests."""

from __future__ import annotations

from typing import Any

from datasets.validation import ValidationReport


def findings(report: ValidationReport) -> set[tuple[int | None, int | None, str]]:
    """(row, field number, code) of every reported error."""
    return {(e["row"], e["field_number"], e["code"]) for e in report.errors}


def fields(*specs: str | tuple[str, str] | dict[str, Any]) -> dict[str, Any]:
    """A Table Schema from names, (name, type) pairs or field descriptors."""
    out = []
    for spec in specs:
        if isinstance(spec, str):
            out.append({"name": spec, "type": "string"})
        elif isinstance(spec, tuple):
            out.append({"name": spec[0], "type": spec[1]})
        else:
            out.append(spec)
    return {"fields": out}
