"""A real Celery worker process on the real Redis broker checks an uploaded sample.

Everything else in the suite runs tasks eagerly; this test commits its rows (transaction=True),
queues through Redis on a queue of its own (so no other worker on the same Redis takes the
job), and waits, bounded, for a `celery worker` subprocess to finish the report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from config.celery import app as celery_app
from datasets.models import ValidationReport, ValidationStatus, VersionStatus
from datasets.services import validation
from tests.factories import DatasetFactory, DatasetVersionFactory, OrganizationFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("divisions_survive_the_flush"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue() -> Iterator[str]:
    """Route this test's tasks through Redis, to a queue only our worker reads."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = name
    yield name
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved


@pytest.fixture
def worker(queue: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        # The worker reads the test database this test commits to, and the same media root.
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@"
            f"{(db.get('HOST') or '127.0.0.1').replace('/', '%2F')}:{db.get('PORT') or 5432}/"
            f"{connection.settings_dict['NAME']}"
        ),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
         "--pool", "solo", "--loglevel", "INFO", "--without-heartbeat", "--without-mingle",
         "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def test_a_real_worker_checks_an_uploaded_sample(
    worker: subprocess.Popen[bytes], tmp_path: Path, settings: Any
) -> None:
    dataset = DatasetFactory.create(publisher=OrganizationFactory.create())
    version = DatasetVersionFactory.create(dataset=dataset, status=VersionStatus.DRAFT)
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "value", "type": "number"}]}
    validation.schema_set(version=version, schema=schema, kind="table_schema")
    validation.sample_upload(
        version=version,
        file=ContentFile(b"id,value\n1,1.5\n2,oops\n", name="sample.csv"),
        data_format="csv",
    )

    deadline = time.monotonic() + 60
    report = None
    while time.monotonic() < deadline:
        report = ValidationReport.objects.filter(version=version, sample__isnull=False).first()
        if report is not None and report.status not in (
            ValidationStatus.QUEUED,
            ValidationStatus.RUNNING,
        ):
            break
        assert worker.poll() is None, (tmp_path / "worker.log").read_text(errors="replace")
        time.sleep(0.2)

    assert report is not None
    assert report.status == ValidationStatus.FAILED, (tmp_path / "worker.log").read_text(
        errors="replace"
    )
    assert report.errors_by_code == {"type-error": 1}
    assert report.attempts == 1
