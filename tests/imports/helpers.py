"""Catalog imports: fixture files, uploads, URLs, and readers of a job's report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datasets.models import Dataset, DatasetRevision, ImportJob

FIXTURES = Path(__file__).parent / "fixtures"
IMPORTS_URL = reverse("import-list")


def job_url(job_id: object) -> str:
    return reverse("import-detail", kwargs={"pk": job_id})


def revisions_url(dataset_key: object) -> str:
    return reverse("dataset-revisions", kwargs={"dataset": dataset_key})


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def upload(name: str, content: bytes | None = None, content_type: str = "") -> SimpleUploadedFile:
    data = fixture_bytes(name) if content is None else content
    return SimpleUploadedFile(name, data, content_type=content_type or "application/octet-stream")


def outcomes(job: ImportJob) -> dict[str, str]:
    """identifier -> outcome, from the job's report."""
    return {entry["identifier"]: entry["outcome"] for entry in job.report}


def entry_for(job: ImportJob, identifier: str) -> dict[str, Any]:
    return next(entry for entry in job.report if entry["identifier"] == identifier)


def reason_codes(entry: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in entry.get("reasons", [])]


def comparable_report(job: ImportJob) -> list[dict[str, Any]]:
    """The report without what differs between a dry run and a real run by design (the ids
    and slugs of datasets a dry run does not keep)."""
    return [
        {
            k: v
            for k, v in entry.items()
            if not (entry["outcome"] == "created" and k in ("dataset", "slug"))
        }
        for entry in job.report
    ]


def counts() -> tuple[int, int]:
    return Dataset.objects.count(), DatasetRevision.objects.count()
