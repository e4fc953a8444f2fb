"""The source formats of a catalog import: DCAT (JSON-LD or Turtle), CKAN JSON and CSV.

`detect` tells the format of a source, each format's module reads a local file into
`records.Record`s, and `values` holds the value mappings they share. Nothing here writes to
the database.
"""

from __future__ import annotations

from pathlib import Path

from ...models import ImportFormat
from ..limits import ImportLimits
from ..records import ParsedSource
from . import ckan, dcat
from . import csv as csv_format

_READERS = {
    ImportFormat.DCAT: dcat.read,
    ImportFormat.CKAN: ckan.read,
    ImportFormat.CSV: csv_format.read,
}


def read_source(path: Path, data_format: str, limits: ImportLimits) -> ParsedSource:
    """The records of a local file in a known format. SourceError when it cannot be read;
    documents (DCAT, CKAN) are parsed here, CSV is checked here and read as it is consumed."""
    return _READERS[ImportFormat(data_format)](path, limits)
