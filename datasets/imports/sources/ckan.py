"""CKAN action API JSON to import records.

Reads `package_search` answers (`result.results`), `package_show` answers (`result`), a bare
list of packages (a dump) or one package. The identifier is the package `id` (else `name`);
`title`/`notes` go to Korean or English by their script unless `title_translated` /
`notes_translated` (ckanext-fluent) say which; `tags` become keywords, `resources[].format`
the formats, `license_id` (or `license_url`) the licence, maintainer (else author) the
contact. Our other fields come from extras or top-level keys of the same name (ckanext-dcat
and ckanext-scheming put them there): theme, update_frequency (or frequency), sensitivity,
spatial (text, not GeoJSON), temporal_start, temporal_end, division.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop as _

from interop.dcat import ACCESS_RIGHTS, FREQUENCIES

from ..limits import ImportLimits
from ..records import ParsedSource, Record, SourceError
from .dcat import load_json, read_text
from .values import (
    SENSITIVITIES,
    THEMES,
    check_temporal,
    set_code,
    set_date,
    set_email,
    set_formats,
    set_keywords,
    set_languages,
    set_license,
    set_text,
    text,
)

EU_DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme/"


def packages_of(document: Any) -> list[Any]:
    """The packages of any of the shapes CKAN produces; SourceError for anything else."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise SourceError(_("Not CKAN JSON: expected an object or a list."), code="not_ckan")
    if document.get("success") is False:
        error = document.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        raise SourceError(
            _("The CKAN API answered with an error: %(error)s"),
            params={"error": str(message)[:500]},
            code="ckan_error",
        )
    if "result" in document:
        result = document["result"]
        if isinstance(result, dict) and isinstance(result.get("results"), list):
            return list(result["results"])
        if isinstance(result, dict) and ("name" in result or "id" in result):
            return [result]
        if isinstance(result, list):
            return result
        raise SourceError(
            _("Not a CKAN package_search or package_show answer: 'result' holds no packages."),
            code="not_ckan",
        )
    if "name" in document or "id" in document:
        return [document]
    raise SourceError(
        _("Not CKAN JSON: no 'result', and not a package (no 'name' or 'id')."), code="not_ckan"
    )


def read(path: Path, limits: ImportLimits) -> ParsedSource:
    packages = packages_of(load_json(read_text(path, limits)))
    return ParsedSource(records=_records(packages), total=len(packages))


def _records(packages: list[Any]) -> Iterator[Record]:
    for index, package in enumerate(packages, start=1):
        yield package_record(package, index)


def _extras(package: dict[str, Any]) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    raw = package.get("extras")
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and "key" in item:
                extras[str(item["key"])] = item.get("value")
    elif isinstance(raw, dict):
        extras.update(raw)
    return extras


def _field(package: dict[str, Any], extras: dict[str, Any], *names: str) -> tuple[bool, Any]:
    """(present, value) of the first of `names` in the extras, else at the top level."""
    for name in names:
        if name in extras:
            return True, extras[name]
        if name in package:
            return True, package[name]
    return False, None


def _list_value(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    raw = text(value)
    if raw.startswith("["):  # ckanext-dcat keeps lists as JSON text
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError:
            return [raw]
        return parsed if isinstance(parsed, list) else [parsed]
    return [part for part in (piece.strip() for piece in raw.split(",")) if part] if raw else []


def package_record(package: Any, index: int) -> Record:
    if not isinstance(package, dict):
        record = Record(index=index)
        record.error("", "not_a_package", _("not a CKAN package (an object)"))
        return record
    extras = _extras(package)
    identifier = text(package.get("id")) or text(package.get("name"))
    record = Record(index=index, identifier=identifier, slug=text(package.get("name")))
    record.require_identifier()
    if package.get("state") == "deleted":
        record.error("state", "deleted", _("the package is deleted in the source"))

    _languages(record, package, extras, "title", "title_translated", max_length=300)
    record.require_title()
    _languages(record, package, extras, "notes", "notes_translated", target="description")

    tags = package.get("tags")
    if isinstance(tags, list):
        set_keywords(
            record,
            [
                (tag.get("display_name") or tag.get("name")) if isinstance(tag, dict) else tag
                for tag in tags
            ],
        )
    resources = package.get("resources")
    if isinstance(resources, list):
        formats = [
            resource.get("format") or resource.get("mimetype")
            for resource in resources
            if isinstance(resource, dict)
        ]
        # Resources are the distributions: their formats add to the dataset's.
        set_formats(record, formats, merge=True)

    if "license_id" in package or "license_url" in package:
        licence = text(package.get("license_id")) or text(package.get("license_url"))
        set_license(record, licence)

    _theme(record, package, extras)
    present, value = _field(package, extras, "update_frequency", "frequency", "accrual_periodicity")
    if present and text(value):
        set_code(record, "update_frequency", value, dict(FREQUENCIES))
    present, value = _field(package, extras, "sensitivity")
    if present and text(value):
        set_code(record, "sensitivity", value, SENSITIVITIES)
    else:
        present, value = _field(package, extras, "access_rights")
        if present and text(value):
            set_code(record, "sensitivity", value, dict(ACCESS_RIGHTS), kind="access_rights")
    _spatial(record, package, extras)
    for name in ("temporal_start", "temporal_end"):
        present, value = _field(package, extras, name)
        if present:
            set_date(record, name, value)
    check_temporal(record)
    _contact(record, package, extras)
    present, value = _field(package, extras, "division")
    if present:
        record.division = text(value)
    return record


def _languages(
    record: Record,
    package: dict[str, Any],
    extras: dict[str, Any],
    name: str,
    translated: str,
    *,
    target: str | None = None,
    max_length: int | None = None,
) -> None:
    base = target or name
    pairs: list[tuple[str | None, Any]] = []
    values = package.get(translated)
    if isinstance(values, dict):
        pairs.extend((language, value) for language, value in sorted(values.items()))
    for slot in ("ko", "en"):  # our own names, as extras or scheming fields
        present, value = _field(package, extras, f"{base}_{slot}")
        if present:
            pairs.append((slot, value))
    if name in package:
        pairs.append((None, package.get(name)))
    if pairs:
        set_languages(record, base, pairs, max_length=max_length)


def _theme(record: Record, package: dict[str, Any], extras: dict[str, Any]) -> None:
    present, value = _field(package, extras, "theme")
    candidates = _list_value(value) if present else []
    groups = package.get("groups")
    if isinstance(groups, list):
        candidates += [g.get("name") for g in groups if isinstance(g, dict) and g.get("name")]
    if not candidates:
        return
    for candidate in candidates:
        raw = text(candidate)
        code = next((c for c in THEMES if raw.rstrip("/").rsplit("/", 1)[-1] == c), None)
        if code is not None:
            record.values["theme"] = code
            return
    if present and not all(text(c).startswith(EU_DATA_THEME) for c in _list_value(value)):
        record.error(
            "theme", "unknown_theme", _("unknown theme '%(value)s'"), params={"value": text(value)}
        )


def _spatial(record: Record, package: dict[str, Any], extras: dict[str, Any]) -> None:
    present, value = _field(package, extras, "spatial_text", "spatial")
    if not present:
        return
    raw = text(value)
    if raw.startswith("{"):  # ckanext-spatial's GeoJSON: no name to keep
        record.warn("spatial", "geojson", _("spatial is GeoJSON, not a place name: left out"))
        return
    set_text(record, "spatial", raw, max_length=200)


def _contact(record: Record, package: dict[str, Any], extras: dict[str, Any]) -> None:
    present, name = _field(package, extras, "contact_name")
    present_email, email = _field(package, extras, "contact_email")
    if not present:
        name = package.get("maintainer") or package.get("author")
        present = "maintainer" in package or "author" in package
    if not present_email:
        email = package.get("maintainer_email") or package.get("author_email")
        present_email = "maintainer_email" in package or "author_email" in package
    if present:
        set_text(record, "contact_name", name, max_length=150)
    if present_email:
        set_email(record, email)
