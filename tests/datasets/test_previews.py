"""Previews: made by the check, served at `version-preview`, re-made when their settings change
(through the outbox), and backfilled for versions checked before previews existed."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from common.models import OutboxMessage
from datasets.models import (
    DatasetVersion,
    Distribution,
    Preview,
    Sensitivity,
    ValidationReport,
    VersionStatus,
)
from datasets.services import previews, validation
from tests.common.problems import assert_problem
from tests.factories import DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db

ROWS = 30
CSV = "machine,rpm,operator\n" + "".join(f"M-{n},{n * 10},kim{n}\n" for n in range(ROWS))
SCHEMA = {
    "fields": [
        {"name": "machine", "type": "string"},
        {"name": "rpm", "type": "integer"},
        {"name": "operator", "type": "string"},
    ]
}


@pytest.fixture
def draft(world: Any) -> DatasetVersion:
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.MEMBERS)
    return DatasetVersionFactory.create(dataset=dataset, status=VersionStatus.DRAFT)


def checked(version: DatasetVersion) -> Distribution:
    sample = validation.latest_sample(version)
    assert sample is not None
    return sample


def kwargs(version: DatasetVersion) -> dict[str, Any]:
    return {"dataset": version.dataset_id, "pk": version.pk}


def preview_url(version: DatasetVersion) -> str:
    return reverse("version-preview", kwargs=kwargs(version))


def upload(client: Any, version: DatasetVersion, capture: Any, text: str = CSV) -> None:
    with capture(execute=True):
        response = client.post(
            reverse("version-samples", kwargs=kwargs(version)),
            {"file": SimpleUploadedFile("plant.csv", text.encode()), "format": "csv"},
            format="multipart",
        )
    assert response.status_code == 201, response.json()


def patch(client: Any, version: DatasetVersion, capture: Any, **body: Any) -> Any:
    with capture(execute=True):
        return client.patch(reverse("version-detail", kwargs=kwargs(version)), body, format="json")


def test_the_check_makes_the_preview_of_the_first_20_rows(
    draft, client_for, django_capture_on_commit_callbacks
):
    upload(client_for("steward"), draft, django_capture_on_commit_callbacks)

    response = client_for("member").get(preview_url(draft))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["columns"] == ["machine", "rpm", "operator"]
    assert body["excluded_columns"] == []
    assert body["row_count"] == 20
    assert body["rows"][:2] == [["M-0", "0", "kim0"], ["M-1", "10", "kim1"]]
    assert body["rows"][-1] == ["M-19", "190", "kim19"]
    report = ValidationReport.objects.get(version=draft)
    assert Preview.objects.get(version=draft).report_id == report.pk


def test_a_version_without_a_checked_file_has_no_preview(draft, client_for):
    assert_problem(client_for("steward").get(preview_url(draft)), 404, "not_found")


def test_changing_the_settings_promises_the_job_and_the_job_makes_it_again(
    draft, client_for, django_capture_on_commit_callbacks
):
    steward = client_for("steward")
    upload(steward, draft, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        response = steward.patch(
            reverse("version-detail", kwargs=kwargs(draft)),
            {"preview_rows": 5, "preview_excluded_columns": ["operator"]},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["preview_rows"] == 5
    assert response.json()["preview_excluded_columns"] == ["operator"]
    promised = OutboxMessage.objects.filter(sent_at__isnull=True, task_name="datasets.preview_make")
    assert [message.args for message in promised] == [[str(draft.pk)]]

    # Before the job runs the stored preview is shown under the new settings already.
    stale = client_for("member").get(preview_url(draft)).json()
    assert stale["columns"] == ["machine", "rpm"]
    assert stale["excluded_columns"] == ["operator"]
    assert stale["rows"] == [[f"M-{n}", str(n * 10)] for n in range(5)]

    previews.preview_make(version_id=draft.pk)
    stored = Preview.objects.get(version=draft)
    assert stored.columns == ["machine", "rpm"]
    assert stored.row_count == 5
    assert "kim0" not in str(stored.rows)
    fresh = client_for("member").get(preview_url(draft)).json()
    assert (fresh["columns"], fresh["rows"]) == (stale["columns"], stale["rows"])


def test_the_job_twice_is_harmless(draft, client_for, django_capture_on_commit_callbacks):
    upload(client_for("steward"), draft, django_capture_on_commit_callbacks)
    made = Preview.objects.get(version=draft).made_at

    previews.preview_make(version_id=draft.pk)
    previews.preview_make(version_id=draft.pk)

    assert Preview.objects.get(version=draft).made_at == made  # current already: nothing done


def test_zero_rows_means_no_preview(draft, client_for, django_capture_on_commit_callbacks):
    steward = client_for("steward")
    upload(steward, draft, django_capture_on_commit_callbacks)

    assert (
        patch(steward, draft, django_capture_on_commit_callbacks, preview_rows=0).status_code == 200
    )

    assert not Preview.objects.filter(version=draft).exists()
    assert_problem(client_for("member").get(preview_url(draft)), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"preview_rows": 101}, "preview_rows"),
        ({"preview_rows": -1}, "preview_rows"),
        ({"preview_excluded_columns": ["nope"]}, "preview_excluded_columns"),
        ({"preview_excluded_columns": "operator"}, "preview_excluded_columns"),
    ],
)
def test_settings_are_checked(draft, client_for, body, field, django_capture_on_commit_callbacks):
    validation.schema_set(version=draft, schema=SCHEMA, kind="table_schema")

    response = patch(client_for("steward"), draft, django_capture_on_commit_callbacks, **body)

    problem = assert_problem(response, 400, "validation_error")
    assert {error["field"] for error in problem["errors"]} == {field}


def test_without_a_schema_any_column_name_may_be_excluded(
    draft, client_for, django_capture_on_commit_callbacks
):
    response = patch(
        client_for("steward"),
        draft,
        django_capture_on_commit_callbacks,
        preview_excluded_columns=[" operator ", "operator", "x"],
    )

    assert response.status_code == 200, response.json()
    assert response.json()["preview_excluded_columns"] == ["operator", "x"]


def test_a_published_versions_preview_settings_change_but_nothing_else(
    world, client_for, django_capture_on_commit_callbacks
):
    version = DatasetVersionFactory.create(dataset__publisher=world.acme)
    steward = client_for("steward")

    changed = patch(steward, version, django_capture_on_commit_callbacks, preview_rows=3)
    refused = patch(
        steward, version, django_capture_on_commit_callbacks, preview_rows=4, release_notes="x"
    )

    assert changed.status_code == 200
    assert_problem(refused, 409, "version_immutable")
    version.refresh_from_db()
    assert version.preview_rows == 3


@pytest.mark.parametrize("persona", ["member", "outsider_member", "division_lead", "secretariat"])
def test_only_the_publishers_stewards_change_the_settings(
    world, client_for, persona, django_capture_on_commit_callbacks
):
    version = DatasetVersionFactory.create(dataset__publisher=world.acme)

    response = patch(
        client_for(persona), version, django_capture_on_commit_callbacks, preview_rows=3
    )

    assert_problem(response, 403, "permission_denied")


def test_a_result_made_with_old_settings_or_an_old_file_is_not_stored(
    draft, client_for, django_capture_on_commit_callbacks
):
    upload(client_for("steward"), draft, django_capture_on_commit_callbacks)
    first = checked(draft)
    upload(client_for("steward"), draft, django_capture_on_commit_callbacks, "a\nnew\n")
    result = {"columns": ["old"], "excluded_columns": [], "rows": [["x"]]}

    previews.preview_store(
        version_id=draft.pk, source_id=first.pk, made_with=(20, []), result=result
    )
    source = checked(draft)
    previews.preview_store(
        version_id=draft.pk, source_id=source.pk, made_with=(7, []), result=result
    )

    stored = Preview.objects.get(version=draft)
    assert stored.source_id == source.pk
    assert stored.columns == ["a"]
    assert stored.rows == [["new"]]


def test_deleting_the_checked_file_deletes_its_preview(
    draft, client_for, django_capture_on_commit_callbacks
):
    upload(client_for("steward"), draft, django_capture_on_commit_callbacks)

    checked(draft).delete()

    assert not Preview.objects.filter(version=draft).exists()


# --- the backfill -----------------------------------------------------------------------------


def checked_without_preview(world: Any) -> DatasetVersion:
    """A version checked before previews existed: a checked file, a report, no preview."""
    version = DatasetVersionFactory.create(dataset__publisher=world.acme)
    sample = Distribution(version=version, format="csv", media_type="text/csv", role="sample")
    sample.file.save("old.csv", ContentFile(CSV.encode()), save=False)
    sample.save()
    ValidationReport.objects.create(version=version, sample=sample, status="passed")
    return version


def backfill() -> str:
    out = StringIO()
    call_command("previews_backfill", stdout=out)
    return out.getvalue()


def test_the_backfill_queues_each_missing_preview_once(
    world, client_for, django_capture_on_commit_callbacks
):
    old = [checked_without_preview(world) for _ in range(2)]
    DatasetVersionFactory.create(dataset__publisher=world.acme)  # never checked: nothing to do

    with django_capture_on_commit_callbacks(execute=False):
        assert backfill() == "2 preview job(s) queued.\n"
        assert backfill() == "0 preview job(s) queued.\n"  # promised already
    promised = OutboxMessage.objects.filter(task_name="datasets.preview_make", sent_at=None)
    assert sorted(message.args[0] for message in promised) == sorted(str(v.pk) for v in old)

    for version in old:
        previews.preview_make(version_id=version.pk)
    OutboxMessage.objects.update(sent_at="2026-01-01T00:00:00Z")

    assert backfill() == "0 preview job(s) queued.\n"
    for version in old:
        body = client_for("outsider_member").get(preview_url(version)).json()
        assert body["row_count"] == 20
        assert body["rows"][0] == ["M-0", "0", "kim0"]


def test_the_backfill_runs_the_jobs_through_the_workers(world, django_capture_on_commit_callbacks):
    version = checked_without_preview(world)

    with django_capture_on_commit_callbacks(execute=True):
        backfill()

    assert Preview.objects.get(version=version).row_count == 20
