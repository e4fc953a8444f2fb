"""Small assertions and payloads shared by the catalog API tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.urls import reverse

from datasets.models import Dataset, DatasetStatus, Sensitivity

PROBLEM = "application/problem+json"

LIST_URL = reverse("dataset-list")


def detail_url(key: object) -> str:
    return reverse("dataset-detail", kwargs={"dataset": key})


def versions_url(dataset_key: object) -> str:
    return reverse("version-list", kwargs={"dataset": dataset_key})


def version_url(dataset_key: object, version_id: object) -> str:
    return reverse("version-detail", kwargs={"dataset": dataset_key, "pk": version_id})


def distributions_url(dataset_key: object, version_id: object) -> str:
    return reverse("distribution-list", kwargs={"dataset": dataset_key, "version": version_id})


def distribution_url(dataset_key: object, version_id: object, distribution_id: object) -> str:
    return reverse(
        "distribution-detail",
        kwargs={"dataset": dataset_key, "version": version_id, "pk": distribution_id},
    )


def assert_problem(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem document with this status and code; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:max-registry:problem:{code}"
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body["errors"]}


def dataset_payload(**overrides: Any) -> dict[str, Any]:
    """A valid create payload; override or drop (value None) any field."""
    payload: dict[str, Any] = {
        "title_ko": "프레스 금형 진동 데이터",
        "title_en": "Press Die Vibration Data",
        "description_ko": "프레스 금형에서 수집한 진동 신호",
        "description_en": "Vibration signals collected from press dies.",
        "division": "ai-factory",
        "keywords": ["진동", "프레스"],
        "theme": "sensor_time_series",
        "formats": ["csv"],
        "license": "CC-BY-4.0",
        "sensitivity": "members",
        "contact_email": "data@acme.example.kr",
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


def make_public_datasets(world: Any, count: int, *, same_time_groups: int = 0) -> list[Dataset]:
    """`count` public datasets of acme titled "Dataset 000".., inserted in one query.

    modified_at steps a minute per row; with `same_time_groups`, rows n, n + groups, ... share
    their modified_at.
    """
    datasets = Dataset.objects.bulk_create(
        Dataset(
            slug=f"dataset-{n:03d}",
            title_en=f"Dataset {n:03d}",
            title_ko=f"데이터셋 {n:03d}",
            division=world.ai_factory,
            publisher=world.acme,
            theme="sensor_time_series",
            license="CC-BY-4.0",
            sensitivity=Sensitivity.PUBLIC,
            status=DatasetStatus.PUBLISHED,
            search_title=f"dataset {n:03d}",
        )
        for n in range(count)
    )
    start = datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))
    for n, dataset in enumerate(datasets):
        minutes = n % same_time_groups if same_time_groups else n
        Dataset.objects.filter(pk=dataset.pk).update(modified_at=start + timedelta(minutes=minutes))
    return datasets


SAMPLE_SCHEMA = {"fields": [{"name": "ts", "type": "string"}, {"name": "value", "type": "number"}]}


def make_publishable(version: Any) -> None:
    """Give a draft version a schema and a sample that pass their check (run inline, as the
    worker would), so the publication rule lets it through."""
    from django.core.files.base import ContentFile

    from datasets.models import ValidationReport, ValidationStatus
    from datasets.services import validation

    validation.schema_set(version=version, schema=SAMPLE_SCHEMA, kind="table_schema")
    validation.sample_upload(
        version=version,
        file=ContentFile(b"ts,value\n2025-01-01T00:00:00,1.5\n", name="sample.csv"),
        data_format="csv",
    )
    for report in ValidationReport.objects.filter(version=version, status="queued"):
        validation.validation_run(report_id=report.pk)
    assert version.validation_reports.order_by("-created_at")[0].status == ValidationStatus.PASSED
