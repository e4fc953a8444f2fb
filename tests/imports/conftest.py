"""Fixtures for catalog imports: fixture files, upload and run helpers, a second division."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from datasets.models import Dataset, DatasetRevision, ImportJob
from datasets.services import imports

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


@pytest.fixture
def run_import(world: Any) -> Callable[..., ImportJob]:
    """Import a fixture (or bytes) through the service, inline: the job as it ends."""

    def run(
        name: str,
        content: bytes | None = None,
        *,
        persona: str = "steward",
        organization: Any = None,
        **options: Any,
    ) -> ImportJob:
        user: User = world.users[persona]
        job = imports.import_job_create(
            organization=organization or world.acme,
            created_by=user,
            file=upload(name, content),
            enqueue=False,
            **options,
        )
        return imports.import_job_run(job_id=job.pk)

    return run


@pytest.fixture
def post_import(
    client_for: Callable[[str], APIClient], django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """POST /imports/ as a persona, running the queued task as the worker would."""

    def post(persona: str = "steward", *, file: Any = None, **data: Any) -> Any:
        client = client_for(persona)
        payload = {key: value for key, value in data.items() if value is not None}
        with django_capture_on_commit_callbacks(execute=True):
            if file is not None:
                return client.post(IMPORTS_URL, {**payload, "file": file}, format="multipart")
            return client.post(IMPORTS_URL, payload, format="json")

    return post


def counts() -> tuple[int, int]:
    return Dataset.objects.count(), DatasetRevision.objects.count()


@pytest.fixture
def late_checks(settings: Any) -> None:
    """Uploads are not parsed when they arrive (as for files over 1 MiB): bad input shows as
    a failed job rather than a 400."""
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "check_at_upload_bytes": 0}


@pytest.fixture
def run_url_import(world: Any) -> Callable[..., ImportJob]:
    """Harvest a URL through the service, inline, as the worker would."""

    def run(url: str, **options: Any) -> ImportJob:
        job = imports.import_job_create(
            organization=world.acme,
            created_by=world.users["steward"],
            url=url,
            enqueue=False,
            **options,
        )
        return imports.import_job_run(job_id=job.pk)

    return run
