"""Catalog imports: DCAT, CKAN and CSV sources turned into normalised dataset records.

This package holds no database writes: parsers (`dcat`, `ckan`, `csv`) read a local file into
`records.Record`s, `detect` tells the format, `fetch` harvests a URL within the limits. The
service that creates and updates datasets from records is datasets.services.imports.
"""

from __future__ import annotations

from pathlib import Path

from ..models import ImportFormat
from . import ckan, dcat
from . import csv as csv_format
from .limits import ImportLimits
from .records import ParsedSource, Problem, Record, SourceError

__all__ = ["ImportLimits", "ParsedSource", "Problem", "Record", "SourceError", "read_source"]

_READERS = {
    ImportFormat.DCAT: dcat.read,
    ImportFormat.CKAN: ckan.read,
    ImportFormat.CSV: csv_format.read,
}


def read_source(path: Path, data_format: str, limits: ImportLimits) -> ParsedSource:
    """The records of a local file in a known format. SourceError when it cannot be read;
    documents (DCAT, CKAN) are parsed here, CSV is checked here and read as it is consumed."""
    return _READERS[ImportFormat(data_format)](path, limits)
