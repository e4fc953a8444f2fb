"""The list of changes between two schema versions and the comparisons both kinds share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

COMPATIBILITY_MODES: tuple[str, ...] = ("backward", "forward", "full", "none")
BACKWARD = frozenset({"backward"})
FORWARD = frozenset({"forward"})
BOTH = BACKWARD | FORWARD
NEITHER: frozenset[str] = frozenset()


class Changes:
    def __init__(self) -> None:
        self.items: list[tuple[str, str, str, frozenset[str]]] = []

    def add(self, code: str, field: str, message: str, breaks: frozenset[str]) -> None:
        self.items.append((code, field, message, breaks))

    def result(self, mode: str) -> list[dict[str, Any]]:
        out = []
        for code, field, message, breaks in self.items:
            if mode == "none":
                breaking = False
            elif mode == "full":
                breaking = bool(breaks)
            else:
                breaking = mode in breaks
            out.append(
                {
                    "code": code,
                    "field": field,
                    "message": message,
                    "breaking": breaking,
                    "breaks": sorted(breaks),
                }
            )
        return out


def compare_bound(
    field: str,
    name: str,
    before: Any,
    after: Any,
    read: Callable[[Any], Any],
    *,
    lower: bool,
    changes: Changes,
) -> None:
    if before == after:
        return
    if before is None:
        changes.add("constraint-tightened", field, f'"{name}" {after!r} was added', BACKWARD)
        return
    if after is None:
        changes.add("constraint-loosened", field, f'"{name}" {before!r} was removed', FORWARD)
        return
    try:
        old_value, new_value = read(before), read(after)
        raised = new_value > old_value
    except TypeError:
        changes.add(
            "constraint-changed", field, f'"{name}" changed from {before!r} to {after!r}', BOTH
        )
        return
    tightened = raised if lower else not raised
    if old_value == new_value:
        return
    if tightened:
        changes.add(
            "constraint-tightened",
            field,
            f'"{name}" tightened from {before!r} to {after!r}',
            BACKWARD,
        )
    else:
        changes.add(
            "constraint-loosened", field, f'"{name}" loosened from {before!r} to {after!r}', FORWARD
        )


def compare_pattern(field: str, before: Any, after: Any, changes: Changes) -> None:
    if before == after:
        return
    if before is None:
        changes.add("constraint-tightened", field, f"pattern {after!r} was added", BACKWARD)
    elif after is None:
        changes.add("constraint-loosened", field, f"pattern {before!r} was removed", FORWARD)
    else:
        changes.add(
            "constraint-changed", field, f"pattern changed from {before!r} to {after!r}", BOTH
        )


def compare_enum(
    field: str,
    before: Any,
    after: Any,
    canonical: Callable[[Any], Any],
    changes: Changes,
) -> None:
    if before == after:
        return
    if before is None:
        changes.add("constraint-tightened", field, f"enum {after!r} was added", BACKWARD)
        return
    if after is None:
        changes.add("constraint-loosened", field, f"enum {before!r} was removed", FORWARD)
        return
    old_values = {canonical(value): value for value in before}
    new_values = {canonical(value): value for value in after}
    removed = [old_values[key] for key in old_values.keys() - new_values.keys()]
    added = [new_values[key] for key in new_values.keys() - old_values.keys()]
    if removed:
        changes.add(
            "constraint-tightened",
            field,
            f"enum no longer allows {sorted(map(str, removed))}",
            BACKWARD,
        )
    if added:
        changes.add(
            "constraint-loosened", field, f"enum now also allows {sorted(map(str, added))}", FORWARD
        )


def compare_sets(
    code: str,
    field: str,
    label: str,
    before: set[str],
    after: set[str],
    changes: Changes,
    *,
    narrower: frozenset[str],
    wider: frozenset[str],
) -> None:
    removed, added = before - after, after - before
    if removed:
        changes.add(code, field, f"{label} no longer include {sorted(removed)}", narrower)
    if added:
        changes.add(code, field, f"{label} now include {sorted(added)}", wider)
