"""Which format a source is in: from its content first, then its name and content type.

DCAT comes as JSON-LD or Turtle, CKAN as the JSON of its action API, and CSV with our column
set. Content decides when it can (a `.json` file may be either JSON-LD or CKAN); the name and
the content type decide between formats the content cannot tell apart.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from django.utils.translation import gettext_noop as _

from ...models import ImportFormat
from ...validation.encoding import looks_binary, sniff_magic
from ..records import SourceError

HEAD_BYTES = 64 * 1024
TURTLE = "turtle"
JSON_LD = "json-ld"

_TURTLE_START = re.compile(rb"^\s*(@prefix|@base|prefix\s|base\s|<[^>\s]*>\s)", re.IGNORECASE)
_EXTENSIONS = {
    ".ttl": ImportFormat.DCAT,
    ".jsonld": ImportFormat.DCAT,
    ".csv": ImportFormat.CSV,
    ".tsv": ImportFormat.CSV,
}
_CONTENT_TYPES = {
    "text/turtle": ImportFormat.DCAT,
    "application/x-turtle": ImportFormat.DCAT,
    "application/ld+json": ImportFormat.DCAT,
    "text/csv": ImportFormat.CSV,
    "text/tab-separated-values": ImportFormat.CSV,
}


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with open(path, "rb") as source:
        return source.read(size)


def _strip(head: bytes) -> bytes:
    return head.removeprefix(codecs.BOM_UTF8).lstrip()


def check_head(head: bytes) -> None:
    """Refuse what is plainly not metadata: nothing, or a binary or compressed file."""
    if not _strip(head):
        raise SourceError(_("The source is empty."), code="empty_source")
    magic = sniff_magic(head)
    if magic is not None or looks_binary(head):
        if magic is None:
            raise SourceError(
                _("The source is a binary file, not DCAT, CKAN JSON or CSV."), code="binary_source"
            )
        raise SourceError(
            _("The source is a binary file (%(kind)s), not DCAT, CKAN JSON or CSV."),
            code="binary_source",
            params={"kind": magic},
        )


def json_kind(head: bytes) -> str | None:
    """ "dcat" for JSON-LD, "ckan" for CKAN API JSON, from the keys in the first bytes."""
    body = _strip(head)
    if not body.startswith((b"{", b"[")):
        return None
    if any(key in body for key in (b'"@context"', b'"@graph"', b'"@type"', b'"@id"')):
        return ImportFormat.DCAT
    ckan_keys = (b'"success"', b'"result"', b'"notes"', b'"resources"', b'"license_id"', b'"tags"')
    if any(key in body for key in ckan_keys):
        return ImportFormat.CKAN
    return None


def rdf_syntax(head: bytes) -> str:
    """How a DCAT source is written: JSON-LD when it is JSON, else Turtle."""
    return JSON_LD if _strip(head).startswith((b"{", b"[")) else TURTLE


def detect_format(head: bytes, *, name: str = "", content_type: str = "") -> str | None:
    body = _strip(head)
    kind = json_kind(head)
    if kind is not None:
        return kind
    if _TURTLE_START.match(body):
        return ImportFormat.DCAT
    suffix = Path(name).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    media = content_type.split(";")[0].strip().lower()
    if media in _CONTENT_TYPES:
        return _CONTENT_TYPES[media]
    first_line = body.split(b"\n", 1)[0].lower()
    if b"identifier" in first_line and (b"," in first_line or b"\t" in first_line):
        return ImportFormat.CSV
    return None


def resolve_format(head: bytes, *, given: str = "", name: str = "", content_type: str = "") -> str:
    """The format given, else the detected one; SourceError when neither is known."""
    check_head(head)
    if given:
        return given
    found = detect_format(head, name=name, content_type=content_type)
    if found is None:
        raise SourceError(
            _(
                "Cannot tell the format of the source: give format (dcat, ckan or csv). "
                "DCAT is read as JSON-LD or Turtle, CKAN as package_search or package_show "
                "JSON, CSV with the documented header."
            ),
            code="unknown_format",
        )
    return found
