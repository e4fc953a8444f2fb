"""Schemas, samples and their checks through the API, and the publication rule.

Checks are queued after commit; `django_capture_on_commit_callbacks(execute=True)` runs them
inline (Celery is eager in tests), so each request's report is final when it returns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from datasets.models import (
    CompatibilityMode,
    Dataset,
    DatasetVersion,
    Sensitivity,
    ValidationReport,
    ValidationStatus,
    VersionStatus,
)
from datasets.services import validation
from tests.common.problems import assert_problem
from tests.datasets.helpers import distributions_url
from tests.factories import DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "machine_id", "type": "string", "constraints": {"required": True}},
        {"name": "rpm", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "state", "type": "string", "constraints": {"enum": ["run", "stop"]}},
    ],
    "primaryKey": ["machine_id"],
}
GOOD_CSV = "machine_id,rpm,state\nCNC-01,1200,run\nCNC-02,0,stop\n"
BAD_CSV = "machine_id,rpm,state\nCNC-01,fast,run\nCNC-01,-5,jump\n"


@pytest.fixture
def draft(world: Any) -> DatasetVersion:
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.MEMBERS)
    return DatasetVersionFactory.create(
        dataset=dataset, version="2.0.0", status=VersionStatus.DRAFT
    )


VERSION_VIEWS = {
    "": "version-detail",
    "samples/": "version-samples",
    "schema/": "version-schema",
    "schema/accept-inferred/": "version-schema-accept-inferred",
    "publish/": "version-publish",
    "validate/": "version-validate",
    "reports/": "version-reports",
}


def url(version: DatasetVersion, tail: str = "") -> str:
    return reverse(VERSION_VIEWS[tail], kwargs={"dataset": version.dataset_id, "pk": version.pk})


@pytest.fixture
def checked(
    client_for: Callable[[str], APIClient], django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """Send a request as a persona and run the checks it queues."""

    def send(persona: str, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client_for(persona), method)(path, data, **kwargs)

    return send


def upload_sample(
    send: Callable[..., Any], version: DatasetVersion, content: bytes, **extra: Any
) -> Any:
    sample = SimpleUploadedFile("sample.csv", content, content_type="text/csv")
    return send(
        "steward",
        "post",
        url(version, "samples/"),
        {"file": sample, "format": "csv", **extra},
        format="multipart",
    )


def latest(version: DatasetVersion) -> ValidationReport:
    report = version.validation_reports.order_by("-created_at").first()
    assert report is not None
    return report


def test_schema_and_good_sample_pass_and_the_version_publishes(checked, draft):
    assert checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA}).status_code == 200
    response = upload_sample(checked, draft, GOOD_CSV.encode())
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "sample"
    assert response.json()["sha256"] == hashlib.sha256(GOOD_CSV.encode()).hexdigest()

    report = latest(draft)
    assert report.status == ValidationStatus.PASSED, report.message
    assert report.row_count == 2
    assert {column["name"] for column in report.profile} >= {"machine_id", "rpm", "state"}

    version = checked("steward", "get", url(draft)).json()
    assert version["has_schema"] is True
    assert version["latest_report"]["status"] == "passed"
    published = checked("steward", "post", url(draft, "publish/"), {})
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"
    assert published.json()["waiver_reason"] == ""


def test_a_failing_sample_blocks_publication_with_reasons(checked, draft):
    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})
    upload_sample(checked, draft, BAD_CSV.encode())

    report = latest(draft)
    assert report.status == ValidationStatus.FAILED
    assert report.errors_by_code.get("type-error") == 1
    assert report.errors_by_code.get("constraint-error", 0) >= 2  # minimum and enum
    assert report.errors_by_code.get("primary-key") == 1
    first = report.errors[0]
    assert (first["row"], first["field"], first["code"]) == (2, "rpm", "type-error")

    body = assert_problem(
        checked("steward", "post", url(draft, "publish/"), {}), 409, "publication_blocked"
    )
    assert "sample_failed" in {reason["code"] for reason in body["reasons"]}


def test_a_waiver_publishes_anyway_and_every_reader_sees_it(checked, draft, client_for):
    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})
    upload_sample(checked, draft, BAD_CSV.encode())

    response = checked(
        "steward",
        "post",
        url(draft, "publish/"),
        {"waiver_reason": "센서 오류 행 포함, 다음 버전에서 정제"},
    )

    assert response.status_code == 200, response.json()
    seen = client_for("outsider_member").get(url(draft)).json()
    assert seen["waiver_reason"] == "센서 오류 행 포함, 다음 버전에서 정제"


def test_no_schema_or_no_sample_blocks_publication(checked, draft):
    body = assert_problem(
        checked("steward", "post", url(draft, "publish/"), {}), 409, "publication_blocked"
    )
    assert [reason["code"] for reason in body["reasons"]] == ["no_schema"]

    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})
    body = assert_problem(
        checked("steward", "post", url(draft, "publish/"), {}), 409, "publication_blocked"
    )
    assert [reason["code"] for reason in body["reasons"]] == ["no_sample"]


def test_an_invalid_schema_reports_every_problem_with_a_pointer(checked, draft):
    schema = {"fields": [{"name": "a", "type": "bogus"}, {"type": "integer"}]}
    assert checked("steward", "put", url(draft, "schema/"), {"schema": schema}).status_code == 200

    report = latest(draft)
    assert report.status == ValidationStatus.ERROR
    pointers = {problem["pointer"] for problem in report.schema_problems}
    assert "/fields/0/type" in pointers
    assert any(pointer.startswith("/fields/1") for pointer in pointers)


def test_a_cp949_sample_is_decoded_and_reported(checked, draft):
    schema = {"fields": [{"name": "설비", "type": "string"}, {"name": "온도", "type": "number"}]}
    checked("steward", "put", url(draft, "schema/"), {"schema": schema})
    upload_sample(checked, draft, "설비,온도\n프레스1,182.5\n".encode("cp949"))

    report = latest(draft)
    assert report.status == ValidationStatus.PASSED, report.errors or report.message
    assert report.encoding.lower().replace("_", "-") in {"cp949", "euc-kr"}


def test_inference_proposes_a_schema_the_steward_can_accept(checked, draft):
    upload_sample(checked, draft, GOOD_CSV.encode())
    inferred = latest(draft).inferred_schema
    assert inferred is not None
    assert [field["name"] for field in inferred["fields"]] == ["machine_id", "rpm", "state"]

    response = checked("steward", "post", url(draft, "schema/accept-inferred/"), {})

    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.schema == inferred
    assert latest(draft).status == ValidationStatus.PASSED


def test_a_breaking_change_fails_under_backward_compatibility(checked, world):
    dataset: Dataset = DatasetFactory.create(publisher=world.acme)
    DatasetVersionFactory.create(
        dataset=dataset, version="1.0.0", schema=SCHEMA, schema_kind="table_schema"
    )
    draft = DatasetVersionFactory.create(
        dataset=dataset, version="2.0.0", status=VersionStatus.DRAFT
    )
    # Backward: readers of the new schema must still read 1.0.0's data, which has no operator.
    stricter = {
        "fields": [
            *SCHEMA["fields"],
            {"name": "operator", "type": "string", "constraints": {"required": True}},
        ],
        "primaryKey": ["machine_id"],
    }
    checked("steward", "put", url(draft, "schema/"), {"schema": stricter})
    upload_sample(checked, draft, b"machine_id,rpm,state,operator\nCNC-01,5,run,kim\n")

    report = latest(draft)
    assert report.status == ValidationStatus.FAILED
    assert any(change["breaking"] for change in report.compatibility)
    body = assert_problem(
        checked("steward", "post", url(draft, "publish/"), {}), 409, "publication_blocked"
    )
    assert "incompatible_schema" in {reason["code"] for reason in body["reasons"]}

    Dataset.objects.filter(pk=dataset.pk).update(compatibility_mode=CompatibilityMode.NONE)
    checked("steward", "post", url(draft, "validate/"), {})
    assert latest(draft).status == ValidationStatus.PASSED


def test_only_the_publishers_stewards_change_schemas_and_samples(checked, draft):
    for persona, expected in (
        ("anonymous", 404),
        ("member", 403),
        ("outsider_steward", 404),
        ("secretariat", 403),
    ):
        response = checked(persona, "put", url(draft, "schema/"), {"schema": SCHEMA})
        assert response.status_code in (expected, 401), (persona, response.status_code)
    assert checked("member", "get", url(draft, "reports/")).status_code == 200
    assert checked("outsider_member", "get", url(draft, "reports/")).status_code == 404


def test_an_upload_over_the_limit_is_413_with_the_limit(checked, draft, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "sample": 1000}

    response = upload_sample(checked, draft, b"a,b\n" + b"1,2\n" * 2000)

    body = assert_problem(response, 413, "payload_too_large")
    assert body["limit_bytes"] == 1000
    assert not draft.distributions.exists()


def test_a_declared_checksum_that_differs_is_refused(checked, draft):
    response = upload_sample(checked, draft, GOOD_CSV.encode(), sha256="0" * 64)

    assert_problem(response, 409, "checksum_mismatch")
    assert not draft.distributions.exists()


def test_a_zero_byte_sample_is_refused(checked, draft):
    response = upload_sample(checked, draft, b"")

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "file"


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 64, b"\x1f\x8b\x08\x00" + b"\x00" * 100, b"a,b\n\xff\xfe\xfa,1\n"],
    ids=["binary", "gzip-named-csv", "invalid-utf8"],
)
def test_bad_files_get_a_report_that_says_what_is_wrong(checked, draft, content):
    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})

    response = upload_sample(checked, draft, content)

    assert response.status_code == 201
    report = latest(draft)
    assert report.status in (ValidationStatus.ERROR, ValidationStatus.FAILED)
    assert report.message or report.errors


def test_a_job_delivered_twice_makes_one_report(checked, draft):
    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})
    report = latest(draft)
    attempts = report.attempts

    again = validation.validation_run(report_id=report.pk)

    assert again.attempts == attempts
    assert again.status == report.status


def test_a_stuck_job_is_queued_again_and_finishes(
    checked, draft, django_capture_on_commit_callbacks
):
    checked("steward", "put", url(draft, "schema/"), {"schema": SCHEMA})
    report = latest(draft)
    ValidationReport.objects.filter(pk=report.pk).update(
        status=ValidationStatus.RUNNING, started_at="2020-01-01T00:00:00Z", finished_at=None
    )

    assert validation.validation_requeue_stuck() == 1

    report.refresh_from_db()
    assert report.status == ValidationStatus.PASSED


def test_a_data_file_over_its_limit_is_413(checked, draft, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "data": 500}
    upload = SimpleUploadedFile("big.csv", b"x" * 5000, content_type="text/csv")

    response = checked(
        "steward", "post", distributions_url(draft.dataset_id, draft.pk),
        {"file": upload, "format": "csv", "media_type": "text/csv"}, format="multipart",
    )  # fmt: skip

    assert assert_problem(response, 413, "payload_too_large")["limit_bytes"] == 500
    assert not draft.distributions.exists()
