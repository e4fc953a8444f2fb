"""POST /api/v1/datasets/{id}/eligibility: the policy engine, asked ahead of a request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import MembershipRole
from datasets.models import DatasetStatus
from registry.services import policies
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import DatasetFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

ASK = {
    "purpose": "ai_model_training",
    "period_days": 90,
    "accepted_obligations": ["attribution", "delete_at_expiry"],
}


def url(dataset, slash=True):
    return reverse("dataset-eligibility", kwargs={"dataset": dataset.pk}) + ("/" if slash else "")


@pytest.fixture
def two_org_user(world):
    """outsider_member, also a member of a third organisation."""
    user = world.users["outsider_member"]
    third = OrganizationFactory.create(slug="third")
    MembershipFactory.create(user=user, organization=third, role=MembershipRole.MEMBER)
    return third


@pytest.mark.parametrize("slash", [True, False])
def test_an_eligible_organisation_gets_no_reasons(world, client_for, shared_dataset, slash):
    response = client_for("outsider_member").post(url(shared_dataset, slash), ASK, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "eligible": True,
        "approval_route": "publisher",
        "policy_revision": 1,
        "reasons": [],
        "open_request": None,
    }


def test_the_answer_follows_the_current_revision(world, client_for, shared_dataset, set_route):
    set_route("automatic")
    set_route("automatic", max_period_days=30)

    body = client_for("outsider_member").post(url(shared_dataset), ASK, format="json").json()

    assert body["policy_revision"] == 3  # 1 came with the dataset, 2 and 3 are set_route's
    assert body["approval_route"] == "automatic"
    assert body["eligible"] is False
    assert body["reasons"] == [
        {
            "code": "period_too_long",
            "message": "The requested period is longer than the policy allows.",
            "max_period_days": 30,
        }
    ]


def test_every_failed_rule_is_listed(world, client_for, shared_dataset, set_route):
    set_route(
        "publisher",
        allowed_division_ids=[world.humanoids.pk],
        allowed_organization_kinds=["manufacturer"],
        permitted_purposes=["research"],
        obligations=["attribution", "usage_report"],
        max_period_days=60,
    )
    # "other" is an AI company in no division.

    response = client_for("outsider_member").post(
        url(shared_dataset),
        {"purpose": "benchmarking", "period_days": 61, "accepted_obligations": []},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["eligible"] is False
    assert [reason["code"] for reason in body["reasons"]] == [
        "division_not_allowed",
        "organization_kind_not_allowed",
        "purpose_not_permitted",
        "period_too_long",
        "obligations_not_accepted",
    ]
    by_code = {reason["code"]: reason for reason in body["reasons"]}
    assert by_code["division_not_allowed"]["allowed_division_ids"] == [world.humanoids.pk]
    assert by_code["organization_kind_not_allowed"]["allowed_organization_kinds"] == [
        "manufacturer"
    ]
    assert by_code["purpose_not_permitted"]["permitted_purposes"] == ["research"]
    assert by_code["period_too_long"]["max_period_days"] == 60
    assert by_code["obligations_not_accepted"]["missing_obligations"] == [
        "attribution",
        "usage_report",
    ]
    assert all(reason["message"] for reason in body["reasons"])


def test_a_denied_organisation(world, client_for, shared_dataset, set_route):
    set_route("publisher", denied_organization_ids=[world.other.pk])

    body = client_for("outsider_steward").post(url(shared_dataset), ASK, format="json").json()

    assert body["eligible"] is False
    assert [reason["code"] for reason in body["reasons"]] == ["organization_denied"]


def test_obligations_default_to_none_accepted(world, client_for, shared_dataset):
    response = client_for("outsider_member").post(
        url(shared_dataset), {"purpose": "research", "period_days": 10}, format="json"
    )

    body = response.json()
    assert body["eligible"] is False
    assert body["reasons"][0]["code"] == "obligations_not_accepted"
    assert body["reasons"][0]["missing_obligations"] == ["attribution", "delete_at_expiry"]


def test_the_answer_matches_the_service(world, client_for, shared_dataset):
    decision = policies.eligibility_evaluate(
        dataset=shared_dataset,
        organization=world.other,
        purpose="education",
        period_days=999,
        accepted_obligations=[],
    )

    body = (
        client_for("outsider_member")
        .post(
            url(shared_dataset),
            {"purpose": "education", "period_days": 999, "accepted_obligations": []},
            format="json",
        )
        .json()
    )

    assert body["eligible"] is decision.eligible
    assert body["reasons"] == [reason.as_dict() for reason in decision.reasons]


# --- who asks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member", "steward", "org_admin"])
def test_the_publisher_learns_it_is_its_own_dataset(world, client_for, shared_dataset, persona):
    body = client_for(persona).post(url(shared_dataset), ASK, format="json").json()

    assert body["eligible"] is False
    assert [reason["code"] for reason in body["reasons"]] == ["own_dataset"]


def test_the_publisher_asking_about_its_draft_gets_both_reasons(world, client_for):
    draft = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, status=DatasetStatus.DRAFT
    )

    body = client_for("member").post(url(draft), ASK, format="json").json()

    assert [reason["code"] for reason in body["reasons"]] == [
        "dataset_not_available",
        "own_dataset",
    ]


def test_an_outsider_does_not_learn_of_a_draft(world, client_for):
    draft = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, status=DatasetStatus.DRAFT
    )

    response = client_for("outsider_member").post(url(draft), ASK, format="json")

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("slash", [True, False])
def test_anonymous_gets_401(world, client_for, shared_dataset, slash):
    response = client_for("anonymous").post(url(shared_dataset, slash), ASK, format="json")

    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize("persona", ["division_lead", "secretariat"])
def test_someone_in_no_organisation_must_name_one_and_cannot(
    world, client_for, shared_dataset, persona
):
    assert_problem(
        client_for(persona).post(url(shared_dataset), ASK, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        client_for(persona).post(
            url(shared_dataset), {**ASK, "organization": "other"}, format="json"
        ),
        403,
        "permission_denied",
    )


def test_a_user_of_two_organisations_must_name_one(world, client_for, shared_dataset, two_org_user):
    client = client_for("outsider_member")

    unnamed = client.post(url(shared_dataset), ASK, format="json")
    named = client.post(url(shared_dataset), {**ASK, "organization": "third"}, format="json")

    body = assert_problem(unnamed, 403, "permission_denied")
    assert "organization" in body["detail"]
    assert named.status_code == 200, named.json()
    assert named.json()["eligible"] is True


def test_naming_an_organisation_you_are_not_in_is_403(
    world, client_for, shared_dataset, two_org_user
):
    response = client_for("outsider_member").post(
        url(shared_dataset), {**ASK, "organization": "acme"}, format="json"
    )

    assert_problem(response, 403, "permission_denied")


def test_the_named_organisation_is_the_one_judged(world, client_for, shared_dataset, set_route):
    """A member of acme and other asks for acme's dataset: as acme it is its own."""
    MembershipFactory.create(user=world.users["outsider_member"], organization=world.acme)
    client = client_for("outsider_member")

    as_acme = client.post(url(shared_dataset), {**ASK, "organization": "acme"}, format="json")
    as_other = client.post(url(shared_dataset), {**ASK, "organization": "other"}, format="json")

    assert [r["code"] for r in as_acme.json()["reasons"]] == ["own_dataset"]
    assert as_other.json()["eligible"] is True


# --- validation -------------------------------------------------------------------------------


def test_an_invalid_purpose_is_400(world, client_for, shared_dataset):
    response = client_for("outsider_member").post(
        url(shared_dataset), {**ASK, "purpose": "surveillance"}, format="json"
    )

    assert_field_error(response, "purpose", "invalid_choice")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"period_days": 90}, "purpose", "required"),
        ({"purpose": "research"}, "period_days", "required"),
        ({**ASK, "period_days": 0}, "period_days", "min_value"),
        ({**ASK, "accepted_obligations": ["silence"]}, "accepted_obligations.0", "invalid_choice"),
        ({**ASK, "organization": "no-such-org"}, "organization", "does_not_exist"),
    ],
)
def test_invalid_input_is_400(world, client_for, shared_dataset, body, field, code):
    response = client_for("outsider_member").post(url(shared_dataset), body, format="json")

    assert_field_error(response, field, code)
