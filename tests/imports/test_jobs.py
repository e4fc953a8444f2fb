"""Import jobs as the workers run them: claimed once, progress per batch, bounded reports,
resumed after a dead worker, re-queued when stuck, stale workers stopped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from datasets import tasks
from datasets.imports import jobs, runner
from datasets.models import Dataset, DatasetRevision, ImportJob, ImportStatus
from tests.imports.helpers import outcomes, upload

pytestmark = pytest.mark.django_db

HEADER = "identifier,title_en,theme,license"


def rows(count: int, *, bad: set[int] = frozenset()) -> bytes:  # type: ignore[assignment]
    lines = [HEADER] + [
        f"r{n},Dataset {n},{'nope' if n in bad else 'documents'},CC0-1.0" for n in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def small_batches(settings: Any) -> None:
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "batch_size": 2}


def make_job(world: Any, content: bytes, **options: Any) -> ImportJob:
    return jobs.import_job_create(
        organization=world.acme,
        created_by=world.users["steward"],
        file=upload("rows.csv", content),
        enqueue=False,
        **options,
    )


def test_the_task_does_the_work_once_when_run_twice(world):
    job = make_job(world, rows(3))

    assert tasks.import_job_run(str(job.pk)) == "succeeded"
    revisions = DatasetRevision.objects.count()
    assert tasks.import_job_run(str(job.pk)) == "succeeded"

    job.refresh_from_db()
    assert job.attempts == 1
    assert job.totals["created"] == 3
    assert Dataset.objects.count() == 3
    assert DatasetRevision.objects.count() == revisions


def test_the_task_is_queued_after_commit_by_the_api(
    post_import, django_capture_on_commit_callbacks, client_for
):
    client = client_for("steward")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("import-list"), {"file": upload("rows.csv", rows(2))}, format="multipart"
        )
    assert response.status_code == 202
    assert ImportJob.objects.get().status == ImportStatus.QUEUED
    assert len(callbacks) == 1

    callbacks[0]()

    assert ImportJob.objects.get().status == ImportStatus.SUCCEEDED


def test_task_settings_stay_below_the_visibility_timeout(settings):
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    time_limit, soft_time_limit = (
        tasks.import_job_run.time_limit,
        tasks.import_job_run.soft_time_limit,
    )
    assert tasks.import_job_run.name == "datasets.import_job_run"
    assert time_limit is not None
    assert soft_time_limit is not None
    assert time_limit < visibility
    assert soft_time_limit < time_limit
    assert tasks.import_job_run.acks_late
    assert visibility > settings.JOB_LEASE_SECONDS
    beat = settings.CELERY_BEAT_SCHEDULE["datasets.import_job_requeue_stuck"]
    assert beat["task"] == tasks.import_job_requeue_stuck.name


def test_progress_is_written_after_each_batch(world, small_batches, monkeypatch):
    job = make_job(world, rows(5))
    seen: list[tuple[int, int | None, str]] = []
    original = runner._batch

    def spy(run: Any, records: Any) -> None:
        original(run, records)
        seen.append(
            ImportJob.objects.values_list("records_processed", "records_total", "status").get(
                pk=job.pk
            )
        )

    monkeypatch.setattr(runner, "_batch", spy)

    runner.import_job_run(job_id=job.pk)

    assert seen == [(2, 5, "running"), (4, 5, "running"), (5, 5, "running")]
    job.refresh_from_db()
    assert (job.status, job.records_processed) == (ImportStatus.SUCCEEDED, 5)


def test_the_report_is_bounded_and_the_totals_are_not(world, settings):
    settings.IMPORT_LIMITS = {
        **settings.IMPORT_LIMITS,
        "report_max_rejections": 2,
        "report_max_others": 3,
    }

    job = runner.import_job_run(job_id=make_job(world, rows(10, bad={1, 3, 5, 7})).pk)

    assert job.totals == {"created": 6, "updated": 0, "unchanged": 0, "rejected": 4}
    assert [e["identifier"] for e in job.report] == ["r0", "r1", "r2", "r3", "r4"]
    assert job.report_truncated


def test_records_past_the_limit_are_not_read(world, settings):
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "max_records": 3}

    job = runner.import_job_run(job_id=make_job(world, rows(5)).pk)

    assert job.records_total == 3
    assert job.records_processed == 3
    assert [w["message"] for w in job.warnings] == [
        "The source has 5 records: only the first 3 were imported."
    ]
    assert Dataset.objects.count() == 3


class WorkerKilled(BaseException):
    """Stands for a worker killed mid-job (what no `except Exception` catches)."""


def test_a_job_whose_worker_died_resumes_after_its_last_batch(world, small_batches, monkeypatch):
    job = make_job(world, rows(5, bad={4}))
    original = runner._batch
    calls = {"n": 0}

    def dies_in_the_second_batch(run: Any, records: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise WorkerKilled()
        original(run, records)

    monkeypatch.setattr(runner, "_batch", dies_in_the_second_batch)
    with pytest.raises(WorkerKilled):
        runner.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.records_processed) == (ImportStatus.RUNNING, 2)
    monkeypatch.setattr(runner, "_batch", original)

    # The sweep finds its lease run out and queues it again (tasks run inline in tests).
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(hours=1),
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert tasks.import_job_requeue_stuck() == 1

    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED
    assert job.attempts == 2
    assert job.records_processed == 5
    assert job.totals == {"created": 4, "updated": 0, "unchanged": 0, "rejected": 1}
    assert [e["identifier"] for e in job.report] == ["r0", "r1", "r2", "r3", "r4"]
    assert outcomes(job) == {
        "r0": "created",
        "r1": "created",
        "r2": "created",
        "r3": "created",
        "r4": "rejected",
    }
    assert Dataset.objects.count() == 4


def test_a_lost_queued_job_is_queued_again(world):
    job = make_job(world, rows(1))
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert jobs.import_job_requeue_stuck() == 1

    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.SUCCEEDED


def test_busy_jobs_are_left_alone(world):
    job = make_job(world, rows(1))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now(), started_at=timezone.now()
    )

    assert jobs.import_job_requeue_stuck() == 0


def test_a_job_that_keeps_stopping_is_given_up(world, settings):
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "max_attempts": 2}
    job = make_job(world, rows(1))
    ImportJob.objects.filter(pk=job.pk).update(attempts=2)

    job = runner.import_job_run(job_id=job.pk)

    assert job.status == ImportStatus.FAILED
    assert job.error is not None
    assert job.error["code"] == "too_many_attempts"
    assert not Dataset.objects.exists()


def test_a_stale_worker_stops_and_undoes_its_batch(world, monkeypatch):
    job = make_job(world, rows(3))
    original = runner._batch

    def taken_over(run: Any, records: Any) -> None:
        # The sweep re-queued the job and another worker claimed it meanwhile.
        ImportJob.objects.filter(pk=job.pk).update(attempts=run.attempt + 1)
        original(run, records)

    monkeypatch.setattr(runner, "_batch", taken_over)

    runner.import_job_run(job_id=job.pk)

    assert not Dataset.objects.exists()
    assert ImportJob.objects.get(pk=job.pk).records_processed == 0


def test_a_source_that_breaks_midway_fails_keeping_and_auditing_what_was_done(
    world, small_batches, monkeypatch
):
    from audit.models import AuditEvent
    from datasets.imports import ParsedSource, SourceError
    from datasets.imports.sources import csv as csv_format

    def breaks_after_three(path: Any, limits: Any) -> ParsedSource:
        parsed = csv_format.read(path, limits)

        def records() -> Any:
            for record in parsed.records:
                if record.index > 3:
                    raise SourceError("The CSV cannot be read past line 5.", code="invalid_csv")
                yield record

        return ParsedSource(records=records(), total=parsed.total)

    monkeypatch.setattr(
        runner, "read_source", lambda path, fmt, limits: breaks_after_three(path, limits)
    )

    job = runner.import_job_run(job_id=make_job(world, rows(6)).pk)

    assert job.status == ImportStatus.FAILED
    assert job.error is not None
    assert job.error["code"] == "invalid_csv"
    assert job.error["detail"] == "The CSV cannot be read past line 5."
    assert job.records_processed == 3  # every record read before the source broke
    assert Dataset.objects.count() == 3
    event = AuditEvent.objects.get(action="import.failed")
    assert event.object_id == str(job.pk)
    assert event.data["error"] == "invalid_csv"
    assert event.data["totals"]["created"] == 3
