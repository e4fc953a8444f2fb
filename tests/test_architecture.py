"""The house plan (docs/architecture.md) that import-linter cannot see.

import-linter (`make lint`) enforces that apps import only downwards; these tests hold the
rules it has no contract for.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = (
    *("accounts", "audit", "common", "config", "console", "datasets", "demo", "interop"),
    *("registry", "stats", "tests", "bench", "scripts"),
)


def _modules() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _private_imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    yield f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}"


def test_no_private_name_is_imported_across_modules():
    found = [line for path in _modules() for line in _private_imports(path)]
    assert found == []


def test_no_migration_module_is_imported_by_code_or_tests():
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names: list[object] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                names = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if ".migrations" in str(n)]
    assert found == []


def test_every_app_has_one_initial_migration_and_named_steps():
    for app in ("accounts", "audit", "datasets", "registry"):
        migrations = sorted(p.name for p in (ROOT / app / "migrations").glob("0*.py"))
        assert migrations[0] == "0001_initial.py", app
        assert not any(name.startswith("0001_") for name in migrations[1:]), app
