"""Guessing column types from text: for profiles without a schema, and for schema inference.

Each column starts with every candidate type; a candidate dies at its first type error. The
survivor that comes first in CANDIDATES wins (so "1"/"0" is an integer, as in Frictionless),
and its profile, computed on typed values all along, becomes the column's profile.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .columns import ColumnChecker
from .fields import FieldSpec
from .limits import Limits
from .profile import ColumnProfile, sample_indices

CANDIDATES = ("integer", "number", "boolean", "date", "datetime", "time", "string")


class TypeGuesser:
    def __init__(self, name: str, limits: Limits, missing_values: tuple[str, ...] = ("",)) -> None:
        self.name = name
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

    def update(self, column: pa.Array) -> None:
        sample = sample_indices(self.rows, len(column))
        self.rows += len(column)
        for type_ in list(self.checkers):
            result = self.checkers[type_].check(column)
            if type_ != "string" and any(code == "type-error" for code, _, _ in result.errors):
                del self.checkers[type_]
                del self.profiles[type_]
                continue
            self.profiles[type_].update(result.values, result.missing, sample)
        self.present = self.profiles["string"].valid

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
