"""Normalised import records, their problems, and the messages they are stored with.

A parser turns its source into `Record`s: our Dataset field values (only the fields the source
states: a field a record leaves out is left as it is when the dataset exists), the source's
identifier, a division reference for the mapping to resolve, and per-field problems. An
error rejects the record; a warning says what was dropped or assumed. The value mappings the
parsers share are in `sources.values`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

# Messages are stored in English with their parameters and shown in the reader's language
# (`localize`), as the registry does with the reasons it stores: `_` only marks them.
from django.utils.translation import gettext_noop as _


def render(template: str, params: dict[str, Any] | None = None, *, translate: bool = False) -> str:
    """A message from its English template, in the active language with `translate`."""
    text = gettext(template) if translate else template
    if not params:
        return text
    try:
        return text % params
    except (KeyError, TypeError, ValueError):  # a translation with other placeholders
        return template % params


def stored_message(code: str, template: str, **params: Any) -> dict[str, Any]:
    """A stored message: its code, English text, and what translates it later."""
    body: dict[str, Any] = {"code": code, "message": render(template, params), "template": template}
    if params:
        body["params"] = params
    return body


def stored_error(code: str, template: str, **params: Any) -> dict[str, Any]:
    """A job's stored error: a stored message with its text as `detail`."""
    body = stored_message(code, template, **params)
    body["detail"] = body.pop("message")
    return body


def localize(item: dict[str, Any]) -> dict[str, Any]:
    """A stored message (a problem, a warning) as the reader sees it: in their language,
    without the template and parameters it was stored with."""
    shown = {key: value for key, value in item.items() if key not in ("template", "params")}
    if "template" in item:
        key = "detail" if "detail" in item else "message"
        shown[key] = render(item["template"], item.get("params"), translate=True)
    return shown


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    template: str
    # `dataclasses.field`: the name `field` is this class's first attribute.
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        return render(self.template, self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, **stored_message(self.code, self.template, **self.params)}


@dataclass
class Record:
    """One dataset as a source describes it."""

    index: int  # 1-based position in the source
    identifier: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    # List values to add to what the dataset has (DCAT distributions' formats).
    merge: dict[str, list[Any]] = field(default_factory=dict)
    division: str = ""  # a division code or name, as the source gives it
    slug: str = ""  # a slug to prefer for a new dataset (CKAN's name)
    line: int | None = None  # CSV: the line the record ends on
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(
        self,
        field_name: str,
        code: str,
        template: str,
        params: dict[str, Any] | None = None,
        **more: Any,
    ) -> None:
        self.errors.append(Problem(field_name, code, template, {**(params or {}), **more}))

    def warn(
        self,
        field_name: str,
        code: str,
        template: str,
        params: dict[str, Any] | None = None,
        **more: Any,
    ) -> None:
        self.warnings.append(Problem(field_name, code, template, {**(params or {}), **more}))

    @property
    def title(self) -> str:
        return str(self.values.get("title_ko") or self.values.get("title_en") or "")

    def require_identifier(self) -> None:
        if not self.identifier:
            self.error("identifier", "no_identifier", _("no identifier"))
        elif len(self.identifier) > 300:
            self.error(
                "identifier",
                "identifier_too_long",
                _("the identifier is longer than 300 characters"),
            )

    def require_title(self) -> None:
        if any(problem.field.startswith("title") for problem in self.errors):
            return  # a title that is there but wrong says more than "no title"
        if not (self.values.get("title_ko") or self.values.get("title_en")):
            self.error("title", "no_title", _("no title"))


@dataclass
class ParsedSource:
    """The records of a source, read lazily where the format allows (CSV)."""

    records: Iterator[Record]
    total: int | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)  # `message` dicts


class SourceError(Exception):
    """The source cannot be read at all: not one record comes out of it."""

    def __init__(
        self,
        template: str,
        code: str = "invalid_source",
        params: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        self.template = template
        self.params = params or {}
        self.message = render(template, self.params)
        super().__init__(self.message)
        self.code = code
        self.extra = extra

    def localized(self) -> str:
        return render(self.template, self.params, translate=True)

    def as_dict(self) -> dict[str, Any]:
        """As the job stores it: `detail` in English, with what translates it."""
        return {**stored_error(self.code, self.template, **self.params), **self.extra}
