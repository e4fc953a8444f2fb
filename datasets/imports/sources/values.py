"""Source values to Dataset field values: the mappings every parser shares.

Each `set_*` writes a field of a `Record`, or records why it cannot (an error rejects the
record, a warning says what was dropped or assumed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Messages are stored in English with their parameters and shown in the reader's language:
# `_` only marks them.
from django.utils.translation import gettext_noop as _

from interop.dcat import (
    FILE_TYPES,
    FREQUENCIES,
    FREQUENCY_ALIASES,
    LICENSE_ALIASES,
    LICENSES,
    MEDIA_TYPES,
    code_for,
    theme_uri,
)

from ...models import Dataset, Sensitivity, Theme
from ..records import Record

THEMES = {code: theme_uri(code) for code in Theme.values}
SENSITIVITIES = {code: code for code in Sensitivity.values}
IANA_PREFIXES = (
    "https://www.iana.org/assignments/media-types/",
    "http://www.iana.org/assignments/media-types/",
)
MAX_KEYWORDS = Dataset._meta.get_field("keywords").size or 50
MAX_KEYWORD_LENGTH = 60
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


def text(value: Any) -> str:
    """A cell or literal as stripped text ("" for None)."""
    if value is None:
        return ""
    return str(value).strip()


def language_slot(language: str | None, value: str) -> str | None:
    """ "ko" or "en" for a language tag (untagged: Korean when it has Hangul); None otherwise."""
    tag = (language or "").lower().split("-")[0]
    if not tag:
        return "ko" if HANGUL.search(value) else "en"
    if tag in ("ko", "kor"):
        return "ko"
    if tag in ("en", "eng"):
        return "en"
    return None


def set_text(record: Record, name: str, value: Any, *, max_length: int | None = None) -> None:
    value = text(value)
    if max_length is not None and len(value) > max_length:
        record.error(
            name,
            "too_long",
            _("%(field)s is longer than %(max)d characters (%(length)d)"),
            field=name,
            max=max_length,
            length=len(value),
        )
        return
    record.values[name] = value


def set_languages(
    record: Record, base: str, values: Iterable[tuple[str | None, Any]], *, max_length: int | None
) -> None:
    """`title`/`description` in Korean and English from (language, text) pairs; the first of a
    language wins (a warning says so), other languages are left out."""
    seen: dict[str, str] = {}
    others: list[str] = []
    for language, raw in values:
        value = text(raw)
        if not value:
            continue
        slot = language_slot(language, value)
        if slot is None:
            others.append(language or "")
        elif slot in seen:
            if seen[slot] != value:
                record.warn(
                    f"{base}_{slot}",
                    "several_values",
                    _("several %(field)s values in '%(language)s': the first was kept"),
                    field=base,
                    language=slot,
                )
        else:
            seen[slot] = value
    for slot, value in seen.items():
        set_text(record, f"{base}_{slot}", value, max_length=max_length)
    if others and not seen:
        record.warn(
            base,
            "other_language",
            _("%(field)s only in %(languages)s: only Korean and English are kept"),
            field=base,
            languages=", ".join(sorted(set(others))),
        )


def license_key(value: str) -> str:
    """A licence spelling reduced for the alias table: lower case, no scheme, "www.",
    "legalcode", "deed.xx" or trailing slash; spaces and underscores as hyphens."""
    key = value.strip().lower()
    key = re.sub(r"^https?://", "", key)
    key = key.removeprefix("www.")
    key = re.sub(r"/(legalcode|deed)(\.[a-z-]+)?$", "", key.rstrip("/"))
    key = re.sub(r"[\s_]+", "-", key.rstrip("/"))
    return key


def map_license(value: str) -> str | None:
    if not value:
        return None
    code = code_for(LICENSES, value)
    if code is not None:
        return code
    key = license_key(value)
    if key in LICENSE_ALIASES:
        return LICENSE_ALIASES[key]
    for code in LICENSES:
        if key == code.lower():
            return code
    return None


def set_license(record: Record, value: Any) -> None:
    raw = text(value)
    if not raw:
        record.error("license", "no_license", _("no licence"))
        return
    code = map_license(raw)
    if code is None:
        record.error("license", "unknown_license", _("unknown licence '%(value)s'"), value=raw)
    else:
        record.values["license"] = code


def map_frequency(value: str) -> str | None:
    code = code_for(FREQUENCIES, value)
    if code is None:
        code = FREQUENCY_ALIASES.get(license_key(value))
    return code


# The messages of controlled values, whole (a translation needs the sentence, not its parts).
_MISSING = {
    "theme": _("no theme"),
    "sensitivity": _("no sensitivity"),
    "update_frequency": _("no update frequency"),
}
_UNKNOWN = {
    "theme": _("unknown theme '%(value)s'"),
    "sensitivity": _("unknown sensitivity '%(value)s'"),
    "access_rights": _("unknown access rights '%(value)s'"),
    "update_frequency": _("unknown update frequency '%(value)s'"),
}
_UNKNOWN_LEFT_OUT = {
    "sensitivity": _("unknown sensitivity '%(value)s': left out"),
    "access_rights": _("unknown access rights '%(value)s': left out"),
    "update_frequency": _("unknown update frequency '%(value)s': left out"),
}


def set_code(
    record: Record,
    name: str,
    value: Any,
    mapping: dict[str, Any],
    *,
    strict: bool = True,
    kind: str = "",
) -> None:
    """A controlled value (code, URI or the URI's last segment). Unknown: an error when
    `strict`, else a warning and the field is left out. `kind` names what the value is when
    it is not the field itself (access rights give the sensitivity)."""
    kind = kind or name
    raw = text(value)
    if not raw:
        if strict:
            record.error(name, f"no_{name}", _MISSING[kind])
        return
    code = map_frequency(raw) if name == "update_frequency" else code_for(mapping, raw)
    if code is not None:
        record.values[name] = code
    elif strict:
        record.error(name, f"unknown_{name}", _UNKNOWN[kind], value=raw)
    else:
        record.warn(name, f"unknown_{name}", _UNKNOWN_LEFT_OUT[kind], value=raw)


def map_format(value: str) -> str | None:
    raw = value.strip()
    for prefix in IANA_PREFIXES:
        if raw.startswith(prefix):
            raw = raw[len(prefix) :]
    return code_for(FILE_TYPES, raw) or code_for(MEDIA_TYPES, raw.split(";")[0].strip().lower())


def set_formats(record: Record, values: Iterable[Any], *, merge: bool = False) -> None:
    """The formats a record states, or with `merge`, formats to add to the dataset's (those
    of its distributions: a dataset may list formats it has no distribution of yet)."""
    formats: dict[str, None] = {}
    for raw in values:
        value = text(raw)
        if not value:
            continue
        code = map_format(value)
        if code is None:
            record.warn(
                "formats", "unknown_format", _("unknown format '%(value)s': left out"), value=value
            )
        else:
            formats.setdefault(code, None)
    if merge:
        record.merge["formats"] = list(formats)
    else:
        record.values["formats"] = list(formats)


def set_keywords(record: Record, values: Iterable[Any]) -> None:
    keywords: dict[str, None] = {}
    for raw in values:
        value = text(raw)
        if not value:
            continue
        if len(value) > MAX_KEYWORD_LENGTH:
            record.warn(
                "keywords",
                "keyword_too_long",
                _("keyword '%(value)s…' is longer than %(max)d characters: left out"),
                value=value[:20],
                max=MAX_KEYWORD_LENGTH,
            )
            continue
        keywords.setdefault(value, None)
    kept = list(keywords)
    if len(kept) > MAX_KEYWORDS:
        record.warn(
            "keywords",
            "too_many_keywords",
            _("%(count)d keywords: only the first %(max)d are kept"),
            count=len(kept),
            max=MAX_KEYWORDS,
        )
        kept = kept[:MAX_KEYWORDS]
    record.values["keywords"] = kept


def parse_date(value: str) -> dt.date:
    """YYYY-MM-DD, or an ISO date-time (its date)."""
    value = value.strip()
    if len(value) == 10:
        return dt.date.fromisoformat(value)
    if len(value) > 10 and value[10] in "T ":
        return dt.datetime.fromisoformat(value).date()
    raise ValueError(value)


def set_date(record: Record, name: str, value: Any) -> None:
    raw = text(value)
    if not raw:
        record.values[name] = None
        return
    try:
        record.values[name] = parse_date(raw)
    except ValueError:
        record.error(
            name,
            "invalid_date",
            _("%(field)s '%(value)s' is not a date (YYYY-MM-DD)"),
            field=name,
            value=raw,
        )


def check_temporal(record: Record) -> None:
    start, end = record.values.get("temporal_start"), record.values.get("temporal_end")
    if start and end and start > end:
        record.error(
            "temporal_end",
            "temporal_order",
            _("temporal_end %(end)s is before temporal_start %(start)s"),
            start=start.isoformat(),
            end=end.isoformat(),
        )


def set_email(record: Record, value: Any) -> None:
    raw = text(value).removeprefix("mailto:")
    if raw:
        try:
            validate_email(raw)
        except ValidationError:
            record.error(
                "contact_email",
                "invalid_email",
                _("contact_email '%(value)s' is not an email address"),
                value=raw,
            )
            return
    record.values["contact_email"] = raw
