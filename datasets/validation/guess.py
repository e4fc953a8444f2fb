"""Guessing column types from text: for profiles without a schema, and for schema inference.

Each column starts with every candidate type; a candidate dies at its first type error. The
survivor that comes first in CANDIDATES wins (so "1"/"0" is an integer, as in Frictionless),
and its profile, computed on typed values all along, becomes the column's profile.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .columns import ColumnChecker
from .fields import FieldSpec
from .limits import Limits
from .profile import ColumnProfile, sample_indices

CANDIDATES = ("integer", "number", "boolean", "date", "datetime", "time", "string")
_NUMERIC = ("integer", "number")
# "007", "-01": a code written with leading zeros, which a number would lose.
_LEADING_ZERO = r"^\s*[+-]?0[0-9]"


class TypeGuesser:
    def __init__(self, name: str, limits: Limits, missing_values: tuple[str, ...] = ("",)) -> None:
        self.name = name
        self.missing_values = pa.array(missing_values, pa.string())
        self.checkers = {
            type_: ColumnChecker(FieldSpec(name=name, type=type_, missing_values=missing_values))
            for type_ in CANDIDATES
        }
        self.profiles = {
            type_: ColumnProfile(
                name,
                type_,
                exact_limit=limits.profile_exact_distinct,
                top=limits.profile_top_values,
            )
            for type_ in CANDIDATES
        }
        self.present = 0
        self.rows = 0
        # Share of the values seen that a candidate had parsed when it died (for confidence).
        self.parsed_share: dict[str, float] = {}

    def update(self, column: pa.Array) -> None:
        sample = sample_indices(self.rows, len(column))
        self.rows += len(column)
        before = self.present
        present = len(column) - (
            pc.sum(pc.is_in(column, self.missing_values)).as_py() or 0 if len(column) else 0
        )
        seen = before + present
        if any(type_ in self.checkers for type_ in _NUMERIC) and len(column):
            zeros = pc.sum(pc.match_substring_regex(column, _LEADING_ZERO)).as_py() or 0
            if zeros:
                for type_ in _NUMERIC:
                    self._drop(type_, seen, seen - zeros)
        for type_ in list(self.checkers):
            result = self.checkers[type_].check(column)
            if type_ != "string":
                failed = sum(len(indices) for code, _, indices in result.errors)
                if failed:
                    self._drop(type_, seen, seen - failed)
                    continue
            self.profiles[type_].update(result.values, result.missing, sample)
        self.present = self.profiles["string"].valid

    def _drop(self, type_: str, seen: int, parsed: int) -> None:
        if type_ in self.checkers:
            del self.checkers[type_]
            del self.profiles[type_]
            self.parsed_share[type_] = max(0, parsed) / seen if seen else 0.0

    @property
    def agreement(self) -> float:
        """Share of the values that fit the guessed type: 1 unless it fell back to string
        although most values fit a narrower type (then 1 minus that share)."""
        if self.type != "string" or not self.parsed_share:
            return 1.0
        best = max(self.parsed_share.values())
        return 1.0 - best if best > 0.5 else 1.0

    @property
    def type(self) -> str:
        if not self.present:
            return "string"  # no values at all: nothing to go on
        return next(type_ for type_ in CANDIDATES if type_ in self.checkers)

    def profile(self) -> ColumnProfile:
        return self.profiles[self.type]

    def text_profile(self) -> ColumnProfile:
        return self.profiles["string"]

    def profile_dict(self) -> dict[str, Any]:
        data = self.profile().to_dict()
        data["type_inferred"] = True
        return data
