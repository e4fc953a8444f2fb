"""Regular expressions on RE2 (through pyarrow.compute), never Python's backtracking `re`.

Patterns come from uploaded schemas: with `re`, a pattern like "(a+)+$" against a long cell
takes exponential time and would hang a worker. RE2 matches in linear time; it lacks
backreferences and lookaround, which schema.py reports as a schema problem.
"""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc


@lru_cache(maxsize=1024)
def compile_error(pattern: str) -> str | None:
    """None when RE2 accepts `pattern`, else its complaint."""
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern=pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        return str(exc)
    return None


def search_one(pattern: str, text: str) -> bool:
    """Like re.search(pattern, text) for one string (JSON Schema "pattern" semantics)."""
    result = pc.match_substring_regex(pa.array([text], pa.string()), pattern=pattern)
    return bool(result[0].as_py())


def fullmatch_one(anchored_pattern: str, text: str) -> bool:
    """Match of an already anchored pattern ("^...$") against one string."""
    return search_one(anchored_pattern, text)
