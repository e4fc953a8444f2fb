"""A NUL character anywhere in the input is a 400 naming where it was (in the path, a 404:
nothing is named with one), never a 500.

PostgreSQL stores no NUL in text or jsonb: one that reached a query was a DataError (500).
The path, the query string and the headers are checked by `common.middleware.RejectNulMiddleware`,
JSON bodies and form fields by `common.parsers`; files are data and may hold any byte.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from datasets.models import Dataset, DatasetVersion, Sensitivity, VersionStatus
from tests.common.problems import assert_problem
from tests.datasets.helpers import LIST_URL, dataset_payload
from tests.factories import DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db

CODE = "null_characters_not_allowed"


def assert_nul_refused(response: Any, *fields: str) -> dict[str, Any]:
    body = assert_problem(response, 400, "validation_error")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {(f, CODE) for f in fields}
    assert all(e["detail"] for e in body["errors"])
    return body


@pytest.fixture
def draft(world: Any) -> DatasetVersion:
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.MEMBERS)
    return DatasetVersionFactory.create(
        dataset=dataset, version="2.0.0", status=VersionStatus.DRAFT
    )


# --- the URL and the headers -------------------------------------------------------------------

QUERIES = [
    ("anonymous", reverse("dataset-list"), "publisher"),
    ("anonymous", reverse("dataset-list"), "division"),
    ("anonymous", reverse("dataset-list"), "q"),
    ("anonymous", reverse("dataset-list"), "ordering"),
    ("anonymous", reverse("dataset-list"), "cursor"),
    ("anonymous", reverse("catalog"), "modified_since"),
    ("member", reverse("grant-list"), "organization"),
    ("member", reverse("sharing-request-list"), "publisher"),
    ("member", reverse("audit-event-list"), "object_id"),
    ("member", reverse("organization-list"), "no_such_parameter"),
]


@pytest.mark.parametrize(("persona", "url", "parameter"), QUERIES)
@pytest.mark.parametrize("value", ["%00", "acme%00", "%00acme"])
def test_a_nul_in_a_query_parameter_is_400_naming_it(client_for, persona, url, parameter, value):
    response = client_for(persona).get(f"{url}?{parameter}={value}")

    assert_nul_refused(response, parameter)


def test_a_nul_in_a_parameter_name_is_400(client_for):
    response = client_for("anonymous").get(reverse("dataset-list") + "?pub%00lisher=acme")

    assert_nul_refused(response, "pub\\x00lisher")


PATHS = [
    ("anonymous", "/api/v1/divisions/ai%00factory/"),
    ("anonymous", "/api/v1/datasets/acme%00/"),
    ("anonymous", "/api/v1/datasets/acme%00/policy/"),
    ("member", "/api/v1/organizations/acme%00/"),
    ("member", "/api/v1/datasets/acme%00/versions/"),
    ("member", "/api/v1/sharing-requests/%00/"),
    ("anonymous", "/api/v1/no-such-thing%00/"),
]


@pytest.mark.parametrize(("persona", "path"), PATHS)
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_a_nul_in_a_path_segment_is_404(client_for, persona, path, method):
    response = getattr(client_for(persona), method)(path)

    body = assert_problem(response, 404, "not_found")
    assert "NUL" in body["detail"]
    assert "\x00" not in body["instance"]


def test_a_nul_in_a_header_is_400_naming_it(client_for, world):
    response = client_for("outsider_member").post(
        reverse("sharing-request-list"), {}, format="json", HTTP_IDEMPOTENCY_KEY="key\x00"
    )

    assert_nul_refused(response, "Idempotency-Key")


# --- bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("division", "ai-factory\x00"), ("publisher", "acme\x00"), ("title_ko", "제목\x00")],
)
@pytest.mark.parametrize("body_format", ["json", "multipart"])
def test_a_nul_in_a_field_of_a_write_is_400_naming_it(client_for, field, value, body_format):
    payload = dataset_payload(**{field: value})
    if body_format == "multipart":
        payload = {k: v for k, v in payload.items() if not isinstance(v, list)}

    response = client_for("steward").post(LIST_URL, payload, format=body_format)

    assert_nul_refused(response, field)
    assert not Dataset.objects.exists()


def test_a_nul_in_a_url_encoded_form_is_400(client_for):
    response = client_for("anonymous").post(
        reverse("token-obtain"),
        "email=member%40example.kr&password=x%00",
        content_type="application/x-www-form-urlencoded",
    )

    assert_nul_refused(response, "password")


def test_a_nul_deep_in_a_json_document_is_400_with_its_path(client_for, draft):
    schema = {"fields": [{"name": "machine_id", "type": "string"}, {"name": "rpm\x00"}]}

    response = client_for("steward").put(
        reverse("version-schema", kwargs={"dataset": draft.dataset_id, "pk": draft.pk}),
        {"schema": schema},
        format="json",
    )

    assert_nul_refused(response, "schema.fields.1.name")
    draft.refresh_from_db()
    assert draft.schema is None


def test_a_nul_in_a_json_key_is_400(client_for):
    response = client_for("steward").post(
        LIST_URL, {**dataset_payload(), "ti\x00tle": "x"}, format="json"
    )

    assert_nul_refused(response, "ti\\x00tle")


def test_a_file_may_hold_nul_bytes(client_for, draft, django_capture_on_commit_callbacks):
    sample = SimpleUploadedFile("sample.csv", b"machine_id\nCNC\x0001\n", content_type="text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("steward").post(
            reverse("version-samples", kwargs={"dataset": draft.dataset_id, "pk": draft.pk}),
            {"file": sample, "format": "csv"},
            format="multipart",
        )

    assert response.status_code == 201, response.content


def test_text_without_nul_goes_through(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(), format="json")

    assert response.status_code == 201, response.content
