"""Compatibility of a new schema version with the previous one, in Confluent's terms.

- backward: the new schema accepts data written for the previous one (consumers can upgrade
  first). Broken by a new required field, a field becoming required, a narrower type, a
  tighter or new constraint (bounds, lengths, pattern, enum, unique, primary key).
- forward: the previous schema accepts data written for the new one (producers can upgrade
  first). Broken by removing a required field, a wider type, a looser or dropped constraint.
- full: both. none: changes are listed, none counts as breaking.

As in Confluent's registry, fields are matched by name, and an optional field (not
`required`) may be absent: readers see it as empty, so adding or removing one breaks neither
direction. A change whose effect we cannot decide (a different pattern, a custom date format,
a changed `oneOf`...) breaks both directions: the safe answer for a registry.

Each change is {"code", "field", "message", "breaking", "breaks"}; `breaks` lists the
directions ("backward", "forward") the change breaks, whatever the mode.
"""

from __future__ import annotations

from typing import Any

from .changes import COMPATIBILITY_MODES, Changes
from .json_schema import compare_json
from .table import compare_table

__all__ = ["COMPATIBILITY_MODES", "compare_schemas"]


def compare_schemas(
    previous: dict[str, Any],
    new: dict[str, Any],
    *,
    kind: str = "table_schema",
    mode: str = "backward",
) -> list[dict[str, Any]]:
    """Changes from `previous` to `new`; those that break `mode` have "breaking": true.

    Modes are Confluent's names in any case; a `_TRANSITIVE` mode checks against every
    earlier version in Confluent, and here against the one it is given, like its plain mode.
    """
    mode = str(mode).lower().removesuffix("_transitive")
    if mode not in COMPATIBILITY_MODES:
        raise ValueError(f'unknown compatibility mode "{mode}"; use one of {COMPATIBILITY_MODES}')
    changes = Changes()
    if kind == "table_schema":
        compare_table(previous, new, changes)
    elif kind == "json_schema":
        compare_json(previous, new, "", changes)
    else:
        raise ValueError(f'unknown schema kind "{kind}"')
    return changes.result(mode)
