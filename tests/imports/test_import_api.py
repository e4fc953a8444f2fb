"""POST/GET /api/v1/imports/: who may import, what they see, and how bad input is answered."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from accounts.models import MembershipRole
from datasets.models import Dataset, ImportJob, ImportStatus
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import MembershipFactory, OrganizationFactory
from tests.imports.helpers import IMPORTS_URL, job_url, upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 401),
        ("member", 403),
        ("org_admin", 403),
        ("outsider_member", 403),
        ("division_lead", 403),
        ("secretariat", 403),
        ("steward", 202),
        ("outsider_steward", 202),
    ],
)
def test_who_may_import(post_import, world, persona, status):
    world.other.divisions.set([world.ai_factory])

    response = post_import(persona, file=upload("datasets.csv"))

    assert response.status_code == status, response.content
    if status == 202:
        expected = world.acme if persona == "steward" else world.other
        assert ImportJob.objects.get().organization == expected
    else:
        assert not ImportJob.objects.exists()


def test_the_answer_is_202_with_the_job_and_its_location(post_import, world):
    response = post_import(file=upload("datasets.csv"))

    assert response.status_code == 202
    body = response.json()
    assert response["Location"] == f"http://testserver{job_url(body['id'])}"
    assert body["organization"]["slug"] == "acme"
    assert body["created_by"] == "steward@example.kr"
    assert body["source_name"] == "datasets.csv"
    assert body["format"] == "csv"
    assert body["dry_run"] is False
    # The task queued on commit ran (eagerly here).
    job = ImportJob.objects.get(pk=body["id"])
    assert job.status == ImportStatus.SUCCEEDED
    assert job.totals == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 3}


def test_the_job_shows_status_progress_totals_and_the_report(post_import, client_for):
    job_id = post_import(file=upload("datasets.csv")).json()["id"]

    body = client_for("steward").get(job_url(job_id)).json()

    assert body["status"] == "succeeded"
    assert body["progress"] == {"processed": 5, "total": 5, "percent": 100}
    assert body["totals"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    assert [entry["outcome"] for entry in body["report"]] == [
        "created",
        "created",
        "rejected",
        "rejected",
        "rejected",
    ]
    rejected = body["report"][2]
    assert rejected["identifier"] == "line-3"
    assert rejected["line"] == 4
    assert rejected["reasons"] == [
        {"field": "theme", "code": "unknown_theme", "message": "unknown theme 'not-a-theme'"}
    ]
    assert body["report_truncated"] is False
    assert body["error"] is None
    assert body["started_at"]
    assert body["finished_at"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 401),
        ("member", 403),
        ("outsider_member", 403),
        ("outsider_steward", 404),
        ("steward", 200),
        ("secretariat", 200),
    ],
)
def test_who_may_read_a_job(post_import, client_for, persona, status):
    job_id = post_import(file=upload("datasets.csv")).json()["id"]

    response = client_for(persona).get(job_url(job_id))

    assert response.status_code == status, response.content


def test_the_list_holds_the_callers_organisations_jobs_only(post_import, client_for, world):
    world.other.divisions.set([world.ai_factory])
    ours = post_import(file=upload("datasets.csv")).json()["id"]
    theirs = post_import("outsider_steward", file=upload("datasets.csv")).json()["id"]

    def ids(persona: str) -> set[str]:
        response = client_for(persona).get(IMPORTS_URL)
        assert response.status_code == 200
        return {job["id"] for job in response.json()["results"]}

    assert ids("steward") == {ours}
    assert ids("outsider_steward") == {theirs}
    assert ids("secretariat") == {ours, theirs}
    assert "report" not in client_for("steward").get(IMPORTS_URL).json()["results"][0]
    assert client_for("member").get(IMPORTS_URL).status_code == 403
    assert client_for("anonymous").get(IMPORTS_URL).status_code == 401


def test_an_unknown_job_is_404(client_for):
    response = client_for("steward").get(job_url("0195f3a1-0000-7000-8000-0000000000ff"))

    assert_problem(response, 404, "not_found")


# --- stewards of several organisations ---------------------------------------------------------


@pytest.fixture
def second_org(world):
    org = OrganizationFactory.create(slug="second")
    org.divisions.set([world.humanoids])
    MembershipFactory.create(
        user=world.users["steward"], organization=org, role=MembershipRole.DATA_STEWARD
    )
    return org


def test_a_steward_of_several_organisations_must_name_the_publisher(post_import, second_org):
    response = post_import(file=upload("datasets.csv"))

    assert_problem(response, 403, "publisher_required")
    assert not ImportJob.objects.exists()


def test_naming_the_publisher_imports_into_it(post_import, second_org):
    response = post_import(file=upload("datasets.csv"), publisher="second")

    assert response.status_code == 202
    assert set(Dataset.objects.values_list("publisher__slug", flat=True)) == {"second"}
    # line-1 names its division; line-2 takes the organisation's only one.
    assert Dataset.objects.get(source_identifier="line-2").division.code == "humanoids"


def test_naming_an_organisation_one_does_not_steward_is_403(post_import, world):
    response = post_import(file=upload("datasets.csv"), publisher="other")

    assert_problem(response, 403, "permission_denied")


# --- input -------------------------------------------------------------------------------------


def test_options_by_multipart(post_import, world):
    world.acme.divisions.set([world.ai_factory, world.humanoids])

    response = post_import(
        file=upload("catalog.ttl"), format="dcat", dry_run="true", division="humanoids"
    )

    assert response.status_code == 202
    job = ImportJob.objects.get()
    assert (job.format, job.dry_run, job.division) == ("dcat", True, world.humanoids)
    assert job.totals["created"] == 2
    assert not Dataset.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({}, "file", "invalid"),
        ({"format": "xml"}, "format", "invalid_choice"),
        ({"division": "nowhere"}, "division", "does_not_exist"),
        ({"publisher": "nowhere"}, "publisher", "does_not_exist"),
    ],
)
def test_invalid_options_are_400(post_import, data, field, code):
    file = upload("datasets.csv") if data else None

    response = post_import(file=file, **data)

    assert_field_error(response, field, code)


def test_a_file_and_a_url_together_are_400(client_for):
    response = client_for("steward").post(
        IMPORTS_URL,
        {"file": upload("datasets.csv"), "url": "https://ex.example/x"},
        format="multipart",
    )

    assert_field_error(response, "file", "invalid")


def test_an_upload_over_the_limit_is_413_with_the_limit(post_import, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "import": 1000}

    response = post_import(
        file=upload("big.csv", b"identifier,title_ko,theme,license\n" + b"x" * 5000)
    )

    body = assert_problem(response, 413, "payload_too_large")
    assert body["limit_bytes"] == 1000
    assert not ImportJob.objects.exists()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("catalog.csv", "identifier\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "fmt", "code"),
    [
        ("empty.csv", b"", None, "empty"),  # DRF refuses an empty file itself
        ("blank.json", b"  \n ", None, "empty_source"),
        ("catalog.zip", _zip(), None, "binary_source"),
        ("notes.txt", b"hello there\n", None, "unknown_format"),
        ("broken.json", b'{"success": true, "result": {"results": [', None, "invalid_json"),
        ("broken.jsonld", b'{"@context": {}, "@graph": [}', None, "invalid_json"),
        ("broken.ttl", None, None, "invalid_rdf"),
        ("remote.jsonld", None, None, "remote_context"),
        ("short.csv", b"identifier,title\nx,y\n", None, "missing_columns"),
        ("data.csv", b"a,b\n1,2\n", "csv", "missing_columns"),
        ("ckan.json", b'{"hello": "world"}', "ckan", "not_ckan"),
    ],
)
def test_bad_input_is_a_400_at_upload(post_import, name, content, fmt, code):
    fixture = {"broken.ttl": "broken.ttl", "remote.jsonld": "remote_context.jsonld"}.get(name)
    file = upload(fixture, content_type="") if fixture else upload(name, content)
    if fixture:
        file.name = name

    response = post_import(file=file, format=fmt)

    body = assert_field_error(response, "file", code)
    assert body["errors"][0]["detail"]
    assert not ImportJob.objects.exists()


def test_bad_input_found_by_the_worker_fails_the_job_with_the_reason(
    post_import, client_for, late_checks
):
    response = post_import(file=upload("broken.ttl"))

    assert response.status_code == 202
    body = client_for("steward").get(job_url(response.json()["id"])).json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == "invalid_rdf"
    assert "Turtle" in body["error"]["detail"]


def test_a_url_must_be_http_or_https(post_import):
    response = post_import(url="ftp://ckan.example.kr/catalog.ttl")

    assert_field_error(response, "url", "invalid")


def test_a_url_to_a_private_address_is_refused(post_import, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    response = post_import(url="http://127.0.0.1:8000/api/v1/catalog")

    body = assert_field_error(response, "url", "destination_refused")
    assert "non-public" in body["errors"][0]["detail"]
    assert not ImportJob.objects.exists()


def test_json_bodies_name_the_options_too(client_for, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    from datasets import tasks

    queued: list[str] = []
    monkeypatch.setattr(tasks.import_job_run, "delay", lambda job_id: queued.append(job_id))

    response = client_for("steward").post(
        IMPORTS_URL,
        json.dumps({"url": "http://127.0.0.1:9/x.json", "dry_run": True, "format": "ckan"}),
        content_type="application/json",
    )

    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert (job.source_url, job.dry_run, job.format, job.status) == (
        "http://127.0.0.1:9/x.json",
        True,
        "ckan",
        ImportStatus.QUEUED,
    )
    assert queued == []  # queued after commit, never inside the request's transaction


def test_the_openapi_document_describes_imports(client_for):
    schema = client_for("anonymous").get(reverse("schema-json")).json()

    post = schema["paths"]["/api/v1/imports/"]["post"]
    assert "202" in post["responses"]
    assert "413" in post["responses"]
    assert set(post["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert "identifier" in post["description"]
    assert "title_ko" in post["description"]
    assert "get" in schema["paths"]["/api/v1/imports/{id}/"]
    assert "get" in schema["paths"]["/api/v1/datasets/{dataset}/revisions/"]
