"""The bounds of an import, from settings (IMPORT_LIMITS and UPLOAD_LIMITS["import"])."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class ImportLimits:
    # Upload or harvest, in bytes (CKAN pages together); CSV is read streaming up to this.
    max_bytes: int = 50 * 1024 * 1024
    # JSON and RDF documents are parsed whole: they may not be larger than this.
    document_max_bytes: int = 20 * 1024 * 1024
    # Records past this are not read (the job says so in its warnings).
    max_records: int = 10_000
    # Records per transaction: progress is committed (and visible) after each batch.
    batch_size: int = 100
    # Report entries kept per kind (rejections, and the others); totals always count all.
    report_max_rejections: int = 1_000
    report_max_others: int = 1_000
    # Uploads up to this size are parsed when they arrive, for a 400 instead of a failed job.
    check_at_upload_bytes: int = 1024 * 1024
    fetch_timeout_seconds: int = 30
    max_redirects: int = 5
    ckan_page_rows: int = 100
    # Claims of the job, transient retries included, before it is given up.
    max_attempts: int = 6

    @classmethod
    def from_settings(cls) -> ImportLimits:
        configured: dict[str, Any] = dict(getattr(settings, "IMPORT_LIMITS", {}))
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in configured.items() if name in known}
        values["max_bytes"] = settings.UPLOAD_LIMITS.get("import", cls.max_bytes)
        return cls(**values)
