"""POST /api/v1/datasets/: data stewards create drafts for their own organisation."""

from __future__ import annotations

import pytest

from datasets.models import Dataset, DatasetStatus
from tests.datasets.helpers import LIST_URL, assert_problem, dataset_payload, error_fields
from tests.factories import DatasetFactory, MembershipFactory

pytestmark = pytest.mark.django_db


CREATE_BY_PERSONA = [
    ("anonymous", 401, "not_authenticated"),
    ("member", 403, "permission_denied"),
    ("steward", 201, None),
    ("org_admin", 403, "permission_denied"),
    ("outsider_member", 403, "permission_denied"),
    ("division_lead", 403, "permission_denied"),
    ("secretariat", 403, "permission_denied"),
]


@pytest.mark.parametrize(("persona", "status", "code"), CREATE_BY_PERSONA)
def test_create_by_persona(client_for, persona, status, code):
    response = client_for(persona).post(LIST_URL, dataset_payload())

    if code is None:
        assert response.status_code == status, response.content
        assert Dataset.objects.filter(pk=response.json()["id"]).exists()
    else:
        assert_problem(response, status, code)
        assert not Dataset.objects.exists()


def test_steward_creates_a_draft_published_by_their_organisation(client_for, world):
    response = client_for("steward").post(
        LIST_URL,
        dataset_payload(keywords=["진동", "프레스", "진동", " 프레스 ", "CNC"]),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == DatasetStatus.DRAFT
    assert body["publisher"]["slug"] == "acme"
    assert body["division"]["code"] == "ai-factory"
    assert body["slug"] == "press-die-vibration-data"
    assert body["keywords"] == ["진동", "프레스", "CNC"]
    assert body["published_at"] is None
    assert body["latest_version"] is None
    dataset = Dataset.objects.get(pk=body["id"])
    assert dataset.publisher == world.acme
    assert dataset.keywords == ["진동", "프레스", "CNC"]


def test_created_draft_is_listed_for_the_publisher_only(client_for):
    created = client_for("steward").post(LIST_URL, dataset_payload()).json()

    assert created["id"] in {d["id"] for d in client_for("member").get(LIST_URL).json()["results"]}
    outsider = client_for("outsider_member").get(LIST_URL)
    assert outsider.json()["results"] == []
    assert created["slug"] not in outsider.content.decode()


def test_second_dataset_with_the_same_title_gets_a_distinct_slug(client_for):
    first = client_for("steward").post(LIST_URL, dataset_payload()).json()
    second = client_for("steward").post(LIST_URL, dataset_payload()).json()

    assert first["slug"] == "press-die-vibration-data"
    assert second["slug"].startswith("press-die-vibration-data-")
    assert second["slug"] != first["slug"]


def test_korean_only_title_still_gets_a_slug(client_for):
    response = client_for("steward").post(
        LIST_URL, dataset_payload(title_en=None, title_ko="진동센서 데이터")
    )

    assert response.status_code == 201
    body = response.json()
    assert body["title_ko"] == "진동센서 데이터"
    assert body["title_en"] == ""
    # slugify() without unicode drops Hangul entirely: the fallback is "dataset".
    assert body["slug"] == "dataset"
    again = client_for("steward").post(
        LIST_URL, dataset_payload(title_en=None, title_ko="다른 한국어 제목")
    )
    assert again.status_code == 201
    assert again.json()["slug"].startswith("dataset-")


def test_explicit_slug_is_kept(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(slug="press-vibration-2025"))

    assert response.status_code == 201
    assert response.json()["slug"] == "press-vibration-2025"


def test_explicit_duplicate_slug_is_a_validation_problem_not_a_500(client_for, world):
    DatasetFactory.create(publisher=world.other, slug="taken-slug")

    response = client_for("steward").post(LIST_URL, dataset_payload(slug="taken-slug"))

    # The service's full_clean() reports the unique slug as a field error (400), although
    # the serializer's comment promises a 409 from the service.
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [
        {"field": "slug", "code": "unique", "detail": body["errors"][0]["detail"]}
    ]
    assert Dataset.objects.filter(slug="taken-slug").count() == 1


def test_steward_of_another_organisation_cannot_publish_for_acme(client_for):
    response = client_for("outsider_steward").post(LIST_URL, dataset_payload(publisher="acme"))

    assert_problem(response, 403, "permission_denied")
    assert not Dataset.objects.exists()


def test_outsider_steward_creates_for_their_own_organisation(client_for, world):
    response = client_for("outsider_steward").post(LIST_URL, dataset_payload(publisher="other"))

    assert response.status_code == 201
    assert response.json()["publisher"]["slug"] == "other"


def test_steward_of_two_organisations_must_name_the_publisher(client_for, world):
    MembershipFactory.create(
        user=world.users["steward"], organization=world.other, role="data_steward"
    )
    client = client_for("steward")

    assert_problem(client.post(LIST_URL, dataset_payload()), 403, "publisher_required")
    response = client.post(LIST_URL, dataset_payload(publisher="other"))
    assert response.status_code == 201
    assert response.json()["publisher"]["slug"] == "other"


def test_unknown_publisher_slug_is_400(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(publisher="no-such-org"))

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"publisher"}


def test_no_title_at_all_is_400_on_title_ko(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(title_ko=None, title_en=None))

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"title_ko"}
    assert not Dataset.objects.exists()


def test_blank_titles_count_as_no_title(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(title_ko="", title_en=""))

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"title_ko"}


def test_unknown_division_code_is_400(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(division="no-such-division"))

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "division"
    assert body["errors"][0]["code"] == "does_not_exist"


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("theme", "underwater_basket_weaving", "theme"),
        ("license", "WTFPL", "license"),
        ("sensitivity", "top_secret", "sensitivity"),
        ("update_frequency", "hourly", "update_frequency"),
        ("formats", ["csv", "docx"], "formats.1"),
    ],
)
def test_bad_choice_is_400_naming_the_field(client_for, field, value, error_field):
    response = client_for("steward").post(LIST_URL, dataset_payload(**{field: value}))

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [
        {"field": error_field, "code": "invalid_choice", "detail": body["errors"][0]["detail"]}
    ]


def test_several_bad_fields_are_reported_together(client_for):
    response = client_for("steward").post(
        LIST_URL, dataset_payload(theme="x", license="y", sensitivity="z", division="nope")
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"theme", "license", "sensitivity", "division"}


@pytest.mark.parametrize("missing", ["division", "theme", "license"])
def test_required_field_missing_is_400(client_for, missing):
    response = client_for("steward").post(LIST_URL, dataset_payload(**{missing: None}))

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0] == {
        "field": missing,
        "code": "required",
        "detail": body["errors"][0]["detail"],
    }


def test_temporal_start_after_end_is_400(client_for):
    response = client_for("steward").post(
        LIST_URL, dataset_payload(temporal_start="2025-03-01", temporal_end="2025-01-31")
    )

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"temporal_end"}


def test_temporal_range_of_one_day_is_fine(client_for):
    response = client_for("steward").post(
        LIST_URL, dataset_payload(temporal_start="2025-03-01", temporal_end="2025-03-01")
    )

    assert response.status_code == 201
    assert response.json()["temporal_start"] == "2025-03-01"
    assert response.json()["temporal_end"] == "2025-03-01"


def test_formats_are_deduplicated(client_for):
    response = client_for("steward").post(
        LIST_URL, dataset_payload(formats=["parquet", "csv", "parquet"])
    )

    assert response.status_code == 201
    assert response.json()["formats"] == ["parquet", "csv"]


def test_too_long_keyword_is_400(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(keywords=["k" * 61]))

    body = assert_problem(response, 400, "validation_error")
    assert error_fields(body) == {"keywords.0"}


def test_blank_keywords_are_dropped(client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload(keywords=["진동", "", " "]))

    assert response.status_code == 201
    assert response.json()["keywords"] == ["진동"]


def test_status_and_published_at_in_the_payload_are_refused(client_for):
    response = client_for("steward").post(
        LIST_URL,
        dataset_payload(status="published", published_at="2020-01-01T00:00:00Z"),
    )

    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("status", "unknown_field"), ("published_at", "unknown_field")}
    assert not Dataset.objects.exists()


def test_created_dataset_is_searchable_by_its_publisher(client_for):
    client_for("steward").post(LIST_URL, dataset_payload())

    response = client_for("member").get(LIST_URL, {"q": "금형"})
    assert [d["title_en"] for d in response.json()["results"]] == ["Press Die Vibration Data"]
