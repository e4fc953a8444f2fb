"""Publishing in three calls: a dataset from a file, its status, one publish (issue 10).

Checks are queued after commit; `django_capture_on_commit_callbacks(execute=True)` runs them
inline (Celery is eager in tests), so each request's check is final when it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from datasets.models import (
    Dataset,
    DatasetStatus,
    DatasetVersion,
    DistributionRole,
    ValidationStatus,
    VersionStatus,
)
from registry.models import AccessPolicy, ApprovalRoute, PublishingDefaults
from tests.common.problems import assert_field_error, assert_problem

pytestmark = pytest.mark.django_db

FROM_FILE = reverse("dataset-from-file")

STATES = ("정지", "가동")
# A plant historian's export: Korean headers and values, in CP949.
CP949_CSV = (
    "설비,시각,온도,상태\n"
    + "".join(
        f"프레스-{n % 3},2025-10-0{1 + n % 9}T0{n % 10}:00:00,{20 + n % 7}.5,{STATES[n % 2]}\n"
        for n in range(40)
    )
).encode("cp949")


def status_url(dataset: Any) -> str:
    return reverse("dataset-status", kwargs={"dataset": dataset})


def publish_url(dataset: Any) -> str:
    return reverse("dataset-publish", kwargs={"dataset": dataset})


@pytest.fixture
def send(
    client_for: Callable[[str], APIClient], django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """Send a request as a persona and run the checks it queues."""

    def call(persona: str, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client_for(persona), method)(path, data, **kwargs)

    return call


def upload(
    send: Callable[..., Any],
    content: bytes = CP949_CSV,
    name: str = "press_temperatures.csv",
    persona: str = "steward",
    **fields: Any,
) -> Any:
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return send(persona, "post", FROM_FILE, {"file": file, **fields}, format="multipart")


@pytest.fixture
def acme_defaults(world: Any) -> PublishingDefaults:
    return PublishingDefaults.objects.create(
        organization=world.acme,
        license="CC-BY-4.0",
        contact_name="데이터 담당",
        contact_email="data@acme.example.kr",
        policy_preset="members",
    )


# --- the three calls ----------------------------------------------------------------------------


def test_a_cp949_csv_is_published_in_three_calls(send, world, acme_defaults):
    # 1. The file and a title in one language.
    created = upload(send, title="프레스 온도 기록", description_ko="프레스 라인 온도")
    assert created.status_code == 202, created.json()
    body = created.json()
    dataset = Dataset.objects.get(pk=body["dataset"]["id"])
    assert body["dataset"]["title_ko"] == "프레스 온도 기록"
    assert body["dataset"]["status"] == DatasetStatus.DRAFT
    assert body["status_url"].endswith(status_url(dataset.pk))

    # 2. The status: the check passed, a schema was inferred, the schema is what is missing.
    status = send("steward", "get", status_url(dataset.pk)).json()
    assert status["check"]["status"] == ValidationStatus.PASSED
    assert status["check"]["rows_read"] == 40
    assert status["check"]["report"]["encoding"] == "cp949"
    assert [f["name"] for f in status["inferred_schema"]["fields"]] == [
        "설비",
        "시각",
        "온도",
        "상태",
    ]
    assert [(m["field"], m["code"]) for m in status["missing"]] == [("schema", "no_schema")]
    assert status["policy"]["preset"] == "members"

    # 3. Accept the inferred schema and publish: the check already vouched for it.
    published = send(
        "steward", "post", publish_url(dataset.pk), {"schema": "inferred"}, format="json"
    )
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == DatasetStatus.PUBLISHED
    assert published.json()["latest_version"] == "1.0.0"
    version = DatasetVersion.objects.get(dataset=dataset)
    assert version.status == VersionStatus.PUBLISHED
    assert version.schema == status["inferred_schema"]
    policy = AccessPolicy.objects.get(dataset=dataset, is_current=True)
    assert policy.approval_route == ApprovalRoute.PUBLISHER
    # Visible to other organisations now, with its policy.
    assert send("outsider_member", "get", status_url(dataset.pk)).status_code == 403
    detail = send("outsider_member", "get", reverse("dataset-detail", args=[dataset.pk]))
    assert detail.json()["status"] == DatasetStatus.PUBLISHED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"dataset.created_from_file", "dataset.published", "version.published"} <= actions


def test_one_call_makes_the_draft_version_file_policy_and_check(send, world, acme_defaults):
    body = upload(send, title="Press temperatures", theme="energy").json()

    dataset = Dataset.objects.get(pk=body["dataset"]["id"])
    assert dataset.title_en == "Press temperatures"
    assert dataset.title_ko == ""
    assert dataset.theme == "energy"
    version = DatasetVersion.objects.get(dataset=dataset)
    assert version.version == "1.0.0"
    (distribution,) = version.distributions.all()
    assert distribution.role == DistributionRole.DATA
    assert distribution.format == "csv"
    assert distribution.byte_size == len(CP949_CSV)
    report = version.validation_reports.get()
    assert report.sample_id == distribution.pk  # the data file is the file checked
    assert str(report.pk) == body["report"]
    assert AccessPolicy.objects.filter(dataset=dataset, is_current=True).exists()


def test_defaults_fill_what_the_steward_leaves_out(send, world):
    PublishingDefaults.objects.create(
        organization=world.acme,
        division=world.humanoids,
        theme="maintenance_logs",
        license="KOGL-Type-1",
        sensitivity="confidential",
        contact_name="Kim",
        contact_email="kim@acme.example.kr",
        policy_preset="research_partners",
    )

    body = upload(send).json()["dataset"]

    assert body["division"]["code"] == "humanoids"
    assert body["theme"] == "maintenance_logs"
    assert body["license"] == "KOGL-Type-1"
    assert body["sensitivity"] == "confidential"
    assert (body["contact_name"], body["contact_email"]) == ("Kim", "kim@acme.example.kr")
    assert body["title_en"] == "press temperatures"  # from the file name
    policy = AccessPolicy.objects.get(dataset_id=body["id"], is_current=True)
    assert "usage_report" in policy.obligations


def test_what_the_steward_gives_beats_the_defaults(send, world, acme_defaults):
    body = upload(send, license="CC0-1.0", contact_email="me@acme.example.kr").json()["dataset"]

    assert body["license"] == "CC0-1.0"
    assert body["contact_email"] == "me@acme.example.kr"
    assert body["contact_name"] == "데이터 담당"


def test_without_defaults_the_fallbacks_apply_and_status_names_the_fields(send, world):
    body = upload(send, title="온도").json()
    dataset = body["dataset"]
    assert dataset["theme"] == "other"
    assert dataset["sensitivity"] == "members"
    assert dataset["license"] == ""
    assert dataset["division"]["code"] == "ai-factory"  # acme's only division

    status = send("steward", "get", status_url(dataset["id"])).json()
    fields = [m["field"] for m in status["missing"]]
    assert fields == ["description_ko", "license", "contact_email", "schema"]
    assert "contact" not in fields

    response = send(
        "steward", "post", publish_url(dataset["id"]), {"schema": "inferred"}, format="json"
    )
    problem = assert_problem(response, 409, "dataset_incomplete")
    assert (
        problem["missing"]
        == send("steward", "get", status_url(dataset["id"])).json()["missing"][:3]
    )  # the same entries, one function (the schema is accepted now)


def test_the_publish_call_takes_what_is_missing(send, world):
    """Only a file and a title in call 1, no organisation defaults: call 3 answers `missing`
    with the same fields, so nothing needs a fourth call; a 409 changes nothing."""
    dataset = upload(send, title="온도").json()["dataset"]
    url = publish_url(dataset["id"])

    refused = send(
        "steward", "post", url, {"schema": "inferred", "license": "CC-BY-4.0"}, format="json"
    )
    assert_problem(refused, 409, "dataset_incomplete")
    assert Dataset.objects.get(pk=dataset["id"]).license == ""  # rolled back with the rest

    published = send(
        "steward",
        "post",
        url,
        {
            "schema": "inferred",
            "policy_preset": "members",
            "description_ko": "프레스 라인 온도",
            "license": "CC-BY-4.0",
            "contact_email": "data@acme.example.kr",
        },
        format="json",
    )
    assert published.status_code == 200, published.json()
    body = published.json()
    assert (body["status"], body["license"]) == (DatasetStatus.PUBLISHED, "CC-BY-4.0")
    assert body["contact_email"] == "data@acme.example.kr"
    unknown = send("steward", "post", url, {"descripton_ko": "x"}, format="json")
    assert assert_problem(unknown, 400, "validation_error")["errors"][0]["code"] == "unknown_field"


def test_a_korean_title_takes_its_slug_from_the_file_name(send, world, acme_defaults):
    first = upload(send, title="프레스 온도 기록").json()["dataset"]
    second = upload(send, title="프레스 온도 기록", slug="press-line-2").json()["dataset"]
    english = upload(send, title="Press temperatures").json()["dataset"]

    assert first["slug"] == "press-temperatures"  # from press_temperatures.csv
    assert second["slug"] == "press-line-2"  # a slug given wins
    assert english["slug"].startswith("press-temperatures-")  # from the title, made unique


def test_a_file_without_a_name_suffix_is_detected(send, world, acme_defaults):
    body = upload(send, content=b"a\tb\n1\t2\n", name="export").json()

    distribution = DatasetVersion.objects.get(dataset_id=body["dataset"]["id"]).distributions.get()
    assert distribution.format == "tsv"


def test_a_file_is_required(send, world):
    response = send("steward", "post", FROM_FILE, {"title": "x"}, format="multipart")
    assert_field_error(response, "file", "invalid")


def test_an_incompatible_preset_is_refused_with_a_code(send, world):
    response = upload(send, sensitivity="restricted", policy_preset="open")

    body = assert_problem(response, 409, "preset_not_allowed")
    assert body["allowed_presets"] == ["restricted"]
    assert not Dataset.objects.exists()


def test_the_slug_from_file_is_reserved(client_for, world):
    from tests.datasets.helpers import LIST_URL, dataset_payload

    response = client_for("steward").post(LIST_URL, dataset_payload(slug="from-file"))

    assert_field_error(response, "slug", "invalid")


# --- the edited-schema path ---------------------------------------------------------------------


def _edited(status: dict[str, Any], **changes: Any) -> dict[str, Any]:
    schema = status["inferred_schema"]
    for field in schema["fields"]:
        field.pop("constraints", None)
        field.update(changes.get(field["name"], {}))
    return dict(schema)


def test_an_edited_schema_is_checked_then_published_by_the_worker(send, world, acme_defaults):
    dataset = upload(send, description_ko="온도").json()["dataset"]
    status = send("steward", "get", status_url(dataset["id"])).json()
    schema = _edited(status, 설비={"title": "Press"})

    response = send(
        "steward",
        "post",
        publish_url(dataset["id"]),
        {"schema": schema, "policy_preset": "research_partners"},
        format="json",
    )

    assert response.status_code == 202, response.json()
    assert response.json()["publish_requested"] is True
    assert response.json()["status_url"].endswith(status_url(dataset["id"]))
    # The check ran (eagerly) and the worker completed the publish.
    after = Dataset.objects.get(pk=dataset["id"])
    assert after.status == DatasetStatus.PUBLISHED
    version = DatasetVersion.objects.get(dataset=after)
    assert version.status == VersionStatus.PUBLISHED
    assert version.schema == schema
    assert version.publish_requested_at is None
    assert AuditEvent.objects.filter(action="dataset.publish_requested").exists()


def test_an_edited_schema_the_file_fails_drops_the_request_and_says_why(send, world, acme_defaults):
    dataset = upload(send, description_ko="온도").json()["dataset"]
    status = send("steward", "get", status_url(dataset["id"])).json()
    schema = _edited(status, 상태={"type": "integer"})  # text values: the check fails

    response = send(
        "steward", "post", publish_url(dataset["id"]), {"schema": schema}, format="json"
    )

    assert response.status_code == 202
    assert Dataset.objects.get(pk=dataset["id"]).status == DatasetStatus.DRAFT
    status = send("steward", "get", status_url(dataset["id"])).json()
    assert status["version"]["publish_requested_at"] is None
    assert status["version"]["publish_request_dropped_reason"]
    assert ("check", "sample_failed") in {(m["field"], m["code"]) for m in status["missing"]}
    assert AuditEvent.objects.filter(action="dataset.publish_request_dropped").exists()


def test_a_schema_without_a_check_yet_is_refused_until_there_is_one(send, world, acme_defaults):
    file = SimpleUploadedFile("t.csv", CP949_CSV)
    # Without running the queued check: nothing inferred yet.
    created = send_no_check(world, file)
    response = send(
        "steward",
        "post",
        publish_url(created["dataset"]["id"]),
        {"schema": "inferred"},
        format="json",
    )
    body = assert_problem(response, 409, "no_inferred_schema")
    assert body["missing"][0]["field"] == "schema"


def send_no_check(world: Any, file: Any) -> Any:
    from tests.personas import client_as

    return (
        client_as(world.users, "steward").post(FROM_FILE, {"file": file}, format="multipart").json()
    )


# --- a new version starts from the previous one's schema ----------------------------------------


def test_a_new_version_carries_the_previous_schema(send, world, acme_defaults):
    dataset = upload(send, description_ko="온도").json()["dataset"]
    send("steward", "post", publish_url(dataset["id"]), {"schema": "inferred"}, format="json")
    first = DatasetVersion.objects.get(dataset_id=dataset["id"])

    created = send(
        "steward",
        "post",
        reverse("version-list", kwargs={"dataset": dataset["id"]}),
        {"version": "1.1.0"},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["has_schema"] is True
    schema = send(
        "steward",
        "get",
        reverse("version-schema", kwargs={"dataset": dataset["id"], "pk": created.json()["id"]}),
    ).json()
    assert schema == {"kind": first.schema_kind, "schema": first.schema}


# --- who may call --------------------------------------------------------------------------------

FROM_FILE_BY_PERSONA = {
    "anonymous": 401,
    "member": 403,
    "steward": 202,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 202,
    "division_lead": 403,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "expected"), FROM_FILE_BY_PERSONA.items())
def test_who_may_make_a_dataset_from_a_file(send, world, persona, expected):
    world.other.divisions.set([world.humanoids])

    response = upload(send, persona=persona)

    assert response.status_code == expected, response.content
    if expected == 202:
        publisher = {"steward": "acme", "outsider_steward": "other"}[persona]
        assert response.json()["dataset"]["publisher"]["slug"] == publisher
    else:
        assert not Dataset.objects.exists()


STATUS_BY_PERSONA = {
    "anonymous": 404,
    "member": 403,
    "steward": 200,
    "org_admin": 403,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 200,
}


@pytest.mark.parametrize(("persona", "expected"), STATUS_BY_PERSONA.items())
def test_who_may_read_a_drafts_status(send, world, persona, expected):
    dataset = upload(send, title="비공개 초안").json()["dataset"]

    response = send(persona, "get", status_url(dataset["id"]))

    assert response.status_code == expected
    if expected != 200:
        assert "비공개 초안" not in response.content.decode()


PUBLISH_BY_PERSONA = {
    "anonymous": 404,
    "member": 403,
    "steward": 200,
    "org_admin": 403,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "expected"), PUBLISH_BY_PERSONA.items())
def test_who_may_publish(send, world, acme_defaults, persona, expected):
    dataset = upload(send, description_ko="온도").json()["dataset"]

    response = send(
        persona, "post", publish_url(dataset["id"]), {"schema": "inferred"}, format="json"
    )

    assert response.status_code == expected, response.content
    published = Dataset.objects.get(pk=dataset["id"]).status == DatasetStatus.PUBLISHED
    assert published is (expected == 200)


# --- more shapes of call 1 ----------------------------------------------------------------------


def test_an_excel_workbook_and_a_named_sheet(send, world, acme_defaults, tmp_path):
    from tests.datasets.test_sample_formats import MACHINES, xlsx

    machines: list[list[Any]] = [list(row) for row in MACHINES]
    content = xlsx(tmp_path, {"Notes": [["note"], ["hi"]], "Machines": machines})
    body = upload(send, content=content, name="plant export.xlsx", sheet="Machines").json()

    version = DatasetVersion.objects.get(dataset_id=body["dataset"]["id"])
    assert version.distributions.get().format == "xlsx"
    report = version.validation_reports.get()
    assert report.sheet == "Machines"
    assert report.row_count == 2


def test_list_fields_come_as_repeated_form_fields(send, world, acme_defaults):
    body = upload(send, keywords=["프레스", "온도"]).json()["dataset"]

    assert body["keywords"] == ["프레스", "온도"]


def test_the_organisation_is_named_when_the_steward_acts_for_several(send, world):
    from tests.factories import MembershipFactory

    MembershipFactory.create(
        user=world.users["steward"], organization=world.other, role="data_steward"
    )
    world.other.divisions.set([world.humanoids])

    refused = upload(send)
    named = upload(send, organization="other")

    assert refused.status_code == 403
    assert named.status_code == 202
    assert named.json()["dataset"]["publisher"]["slug"] == "other"


# --- the sweep completes a request whose worker stopped before it could -------------------------


def test_the_sweep_settles_a_request_left_behind(send, world, acme_defaults):
    from datasets.services import validation

    dataset = upload(send, description_ko="온도").json()["dataset"]
    status = send("steward", "get", status_url(dataset["id"])).json()
    version = DatasetVersion.objects.get(dataset_id=dataset["id"])
    # As if the worker had stopped between finishing the check and publishing.
    validation.schema_set(version=version, kind="table_schema", schema=status["inferred_schema"])
    DatasetVersion.objects.filter(pk=version.pk).update(
        publish_requested_at=version.created_at, publish_requested_by=world.users["steward"]
    )

    validation.validation_requeue_stuck()
    validation.validation_requeue_stuck()  # twice: the second finds nothing to do

    assert Dataset.objects.get(pk=dataset["id"]).status == DatasetStatus.PUBLISHED
    assert AuditEvent.objects.filter(action="dataset.published").count() == 1
