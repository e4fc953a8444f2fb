"""A dataset version as a Frictionless Data Package descriptor (v1 fields, valid in v2 too).

Pure: built from a version whose dataset (with publisher) and distributions
(`catalog_distributions`, see `datasets.selectors.datapackage_version_get`) are loaded. One
resource per data distribution; samples are left out, because a package describes the
release's data and a consumer that reads every resource must not mix the sample into it (the
DCAT catalog lists samples as adms:sample).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.utils.text import slugify
from django.utils.translation import gettext as _

from interop.dcat import LICENSES, Uris

from .models import (
    DataFormat,
    DatasetVersion,
    Distribution,
    DistributionRole,
    License,
    SchemaKind,
)

MEDIA_TYPE = "application/vnd.datapackage+json"
# Formats a Table Schema describes (SchemaKind.TABLE_SCHEMA).
TABULAR_FORMATS = {DataFormat.CSV, DataFormat.TSV, DataFormat.PARQUET}
# Data Package names: lower-case letters, digits and `-._/`.
_NAME_FORBIDDEN = re.compile(r"[^-a-z0-9._/]+")


def package_name(text: str) -> str:
    return _NAME_FORBIDDEN.sub("-", text.lower()).strip("-") or "data"


def datapackage_descriptor(version: DatasetVersion, *, base_url: str) -> dict[str, Any]:
    dataset = version.dataset
    publisher = dataset.publisher
    uris = Uris(base_url)
    dataset_url = str(uris.dataset(dataset.pk))
    created = version.published_at or version.created_at
    descriptor: dict[str, Any] = {
        "name": package_name(f"{dataset.slug}-{version.version}"),
        "id": f"urn:uuid:{version.pk}",
        "title": dataset.title_ko or dataset.title_en,
        "version": version.version,
        "created": created.isoformat(),
        "homepage": dataset_url,
    }
    description = "\n\n".join(
        text for text in (dataset.description_ko, dataset.description_en) if text.strip()
    )
    if description:
        descriptor["description"] = description
    if dataset.keywords:
        descriptor["keywords"] = list(dataset.keywords)
    descriptor["licenses"] = [_license(dataset.license)]
    contributor: dict[str, Any] = {
        "title": publisher.name_ko or publisher.name_en,
        "role": "publisher",
        "path": uris.organization(publisher.slug),
    }
    if publisher.name_en and publisher.name_ko:
        contributor["organization"] = publisher.name_en
    if dataset.contact_email:
        contributor["email"] = dataset.contact_email
    descriptor["contributors"] = [contributor]
    descriptor["sources"] = [{"title": _("M.AX Data Exchange Registry"), "path": dataset_url}]
    descriptor["resources"] = _resources(version, uris)
    return descriptor


def _license(code: str) -> dict[str, str]:
    entry = {"name": code}
    if code in LICENSES:
        entry["path"] = str(LICENSES[code])
    if code in License.values:
        entry["title"] = str(License(code).label)
    return entry


def _resources(version: DatasetVersion, uris: Uris) -> list[dict[str, Any]]:
    distributions: list[Distribution] = list(getattr(version, "catalog_distributions", []))
    resources: list[dict[str, Any]] = []
    taken: set[str] = set()
    for distribution in distributions:
        if distribution.role == DistributionRole.SAMPLE:
            continue
        resources.append(_resource(version, distribution, uris, taken))
    return resources


def _resource_name(distribution: Distribution, taken: set[str]) -> str:
    location = distribution.file.name or urlsplit(distribution.access_url).path
    filename = location.rstrip("/").rsplit("/", 1)[-1]
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    base = package_name(slugify(distribution.title) or slugify(stem) or distribution.format)
    name, n = base, 2
    while name in taken:  # names are unique within a package
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _reading(distribution: Distribution) -> tuple[str, str]:
    """How to read a CSV/TSV file: the encoding and delimiter the steward declared, else those
    its check found (`checked_encoding`, `checked_delimiter`: see
    `datasets.selectors.distributions_with_reading_hints`), else a TSV's tab. Other formats
    declare what they were given."""
    if distribution.format not in (DataFormat.CSV, DataFormat.TSV):
        return distribution.encoding, ""
    encoding = distribution.encoding or getattr(distribution, "checked_encoding", None) or ""
    delimiter = (
        distribution.delimiter
        or getattr(distribution, "checked_delimiter", None)
        or ("\t" if distribution.format == DataFormat.TSV else "")
    )
    return encoding, delimiter


def _resource(
    version: DatasetVersion, distribution: Distribution, uris: Uris, taken: set[str]
) -> dict[str, Any]:
    path = (
        str(uris.download(version.dataset_id, version.pk, distribution.pk))
        if distribution.file
        else distribution.access_url
    )
    resource: dict[str, Any] = {
        "name": _resource_name(distribution, taken),
        "path": path,
        "format": distribution.format,
    }
    if distribution.title:
        resource["title"] = distribution.title
    if distribution.media_type:
        resource["mediatype"] = distribution.media_type
    if distribution.byte_size is not None:
        resource["bytes"] = distribution.byte_size
    if distribution.sha256:
        resource["hash"] = f"sha256:{distribution.sha256}"
    encoding, delimiter = _reading(distribution)
    if encoding:
        resource["encoding"] = encoding
    if delimiter:
        resource["dialect"] = {"delimiter": delimiter}
    if (
        version.schema_kind == SchemaKind.TABLE_SCHEMA
        and version.schema
        and distribution.format in TABULAR_FORMATS
    ):
        resource["schema"] = version.schema
    return resource
