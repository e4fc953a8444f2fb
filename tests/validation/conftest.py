"""Validation tests are pure: no database, no cache. The project's autouse fixtures that talk
to Redis and set MEDIA_ROOT are replaced here by no-ops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datasets.validation import Limits, ValidationReport, validate_file


@pytest.fixture(autouse=True)
def _isolated_cache() -> None:
    return None


@pytest.fixture(autouse=True)
def _media_root() -> None:
    return None


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write a file in tmp_path: text is written as UTF-8."""

    def _write(name: str, data: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    return _write


@pytest.fixture
def check(write: Callable[[str, str | bytes], Path]) -> Callable[..., ValidationReport]:
    """Write a CSV (or other) sample and validate it; keyword arguments go to validate_file."""

    def _check(
        data: str | bytes, schema: dict[str, Any] | None, name: str = "data.csv", **options: Any
    ) -> ValidationReport:
        options.setdefault("data_format", "csv")
        options.setdefault("limits", Limits(max_errors_reported=1000))
        return validate_file(write(name, data), schema=schema, **options)

    return _check
