"""Catalog imports: DCAT, CKAN and CSV metadata into one organisation's datasets.

The one home of the sub-domain (model ImportJob, URL /api/v1/imports/):

    sources/    the source formats: detect a source's format, read it into records
    records     the normalised Record, its problems, and the messages they are stored with
    limits      the bounds of an import, from settings
    fetch       harvest a URL within the limits
    jobs        the job's control: create (and check the upload), claim, release, fail,
                re-queue the stuck ones
    runner      run a claimed job, batch by batch
    mapping     one record onto the organisation's datasets (through the catalog services)
    selectors   the jobs a caller may see
    api/        the endpoints, their serializers and URLs
"""

from __future__ import annotations

from .limits import ImportLimits
from .records import ParsedSource, Problem, Record, SourceError
from .sources import read_source

__all__ = ["ImportLimits", "ParsedSource", "Problem", "Record", "SourceError", "read_source"]
