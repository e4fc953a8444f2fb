"""Fixtures for catalog imports: run through the service or the API, inline (plain helpers:
tests/imports/helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from datasets.imports.jobs import import_job_create
from datasets.imports.runner import import_job_run
from datasets.models import ImportJob
from tests.imports.helpers import IMPORTS_URL, upload


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
        job = import_job_create(
            organization=organization or world.acme,
            created_by=user,
            file=upload(name, content),
            enqueue=False,
            **options,
        )
        return import_job_run(job_id=job.pk)

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


@pytest.fixture
def late_checks(settings: Any) -> None:
    """Uploads are not parsed when they arrive (as for files over 1 MiB): bad input shows as
    a failed job rather than a 400."""
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "check_at_upload_bytes": 0}


@pytest.fixture
def run_url_import(world: Any) -> Callable[..., ImportJob]:
    """Harvest a URL through the service, inline, as the worker would."""

    def run(url: str, **options: Any) -> ImportJob:
        job = import_job_create(
            organization=world.acme,
            created_by=world.users["steward"],
            url=url,
            enqueue=False,
            **options,
        )
        return import_job_run(job_id=job.pk)

    return run
