"""Request parsers that refuse what would otherwise reach Python's recursion or PostgreSQL.

- JSON nested deeper than `MAX_JSON_DEPTH` is refused before it is parsed: the structure is
  scanned iteratively on the raw bytes, so Python's recursive decoder never sees it
  (5,000 levels were a RecursionError, hence a 500). DRF's parser then does the rest.
- NUL characters in any string of a JSON body, or in any field of a form, are refused with a
  400 naming the field: PostgreSQL stores no NUL in text or jsonb, and a NUL that reaches a
  query is a DataError (500). Files are left alone (binary data may hold NUL bytes).

The names match DRF's, so a view that lists its parsers imports them from here instead.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

MAX_JSON_DEPTH = 100
NUL = "\x00"

# Strings (skipped whole) and the brackets that open and close arrays and objects.
_STRUCTURE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class NestingTooDeep(ParseError):
    default_detail = _("The JSON document is nested too deeply.")
    default_code = "nesting_too_deep"

    def __init__(self, max_depth: int) -> None:
        super().__init__(
            _("The JSON document is nested more than %(limit)d levels deep.") % {"limit": max_depth}
        )
        self.extra = {"max_depth": max_depth}


def json_deeper_than(data: bytes, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels, scanning the raw bytes
    without recursion and stopping at the first bracket past the limit."""
    depth = 0
    for match in _STRUCTURE.finditer(data):
        found = match.group()
        if found in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif found in (b"]", b"}"):
            depth -= 1
    return False


def nul_fields(data: Any) -> Iterator[str]:
    """The dotted paths (`schema.fields.0.name`) of every string, key or value, that holds a
    NUL character, walking the parsed document iteratively."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                yield path
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and NUL in key:
                    yield name
                else:
                    stack.append((name, item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))


def reject_nul(data: Any, fields: Iterator[str] | None = None) -> None:
    """A 400 validation problem naming each field that holds a NUL character."""
    names = sorted(set(fields if fields is not None else nul_fields(data)))
    if names:
        validator = ProhibitNullCharactersValidator()
        raise ValidationError(
            {
                name.replace(NUL, "\\x00"): [
                    ErrorDetail(str(validator.message), code=validator.code)
                ]
                for name in names
            }
        )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing deep nesting (400 `nesting_too_deep`) and NUL characters
    (400 `validation_error`)."""

    max_depth = MAX_JSON_DEPTH

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw = stream.read() if stream is not None else b""
        if json_deeper_than(raw, self.max_depth):
            raise NestingTooDeep(self.max_depth)
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError as exc:  # the scan missed it (an exotic encoding): still a 400
            raise NestingTooDeep(self.max_depth) from exc
        reject_nul(data)
        return data


def _form_nul_fields(data: Any) -> Iterator[str]:
    for key, values in data.lists():
        if NUL in key or any(isinstance(value, str) and NUL in value for value in values):
            yield key


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing NUL characters in field names and values."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        data = super().parse(stream, media_type, parser_context)
        reject_nul(data, _form_nul_fields(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing NUL characters in field names and values (not in
    files: their bytes are data)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        result = super().parse(stream, media_type, parser_context)
        reject_nul(result.data, _form_nul_fields(result.data))
        return result
