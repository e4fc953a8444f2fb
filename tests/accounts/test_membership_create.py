"""POST /api/v1/memberships/: an organisation's admins (or the secretariat) add a user by email."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.accounts.helpers import bearer
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("membership-list")

ACME = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 201,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 201,
}
OTHER = {**ACME, "org_admin": 403}


@pytest.fixture
def newcomer(world):
    return UserFactory.create(email="newcomer@example.kr")


def payload(**overrides: Any) -> dict[str, Any]:
    return {"organization": "acme", "email": "newcomer@example.kr", "role": "member", **overrides}


@pytest.mark.parametrize(
    ("slug", "persona", "expected"),
    [("acme", p, s) for p, s in ACME.items()] + [("other", p, s) for p, s in OTHER.items()],
)
def test_who_may_add_a_member(client_for, world, newcomer, slug, persona, expected):
    response = client_for(persona).post(URL, payload(organization=slug))

    assert response.status_code == expected
    created = Membership.objects.filter(user=newcomer, organization__slug=slug)
    if expected == 201:
        body = response.json()
        assert body["user"]["email"] == "newcomer@example.kr"
        assert body["organization"]["slug"] == slug
        assert body["role"] == "member"
        assert body["id"] == created.get().pk
    else:
        code = "not_authenticated" if expected == 401 else "permission_denied"
        assert_problem(response, expected, code)
        assert not created.exists()


def test_org_admin_adds_with_a_real_bearer_token(world, newcomer, issue_token):
    client = bearer(issue_token(world.users["org_admin"]))

    response = client.post(URL, payload(role="data_steward"))

    assert response.status_code == 201
    assert Membership.objects.get(user=newcomer).role == "data_steward"
    # The newcomer now shows up for acme's members.
    listed = {item["user"]["email"] for item in client.get(URL).json()["results"]}
    assert "newcomer@example.kr" in listed


def test_the_role_defaults_to_member(client_for, world, newcomer):
    response = client_for("org_admin").post(
        URL, {"organization": "acme", "email": "newcomer@example.kr"}
    )

    assert response.status_code == 201
    assert response.json()["role"] == "member"


def test_org_admin_may_add_another_org_admin(client_for, world, newcomer):
    response = client_for("org_admin").post(URL, payload(role="org_admin"))

    assert response.status_code == 201
    assert Membership.objects.get(user=newcomer).role == "org_admin"


def test_the_email_is_matched_case_insensitively(client_for, world, newcomer):
    response = client_for("org_admin").post(URL, payload(email="NewComer@Example.KR"))

    assert response.status_code == 201
    assert response.json()["user"]["id"] == newcomer.pk


def test_a_member_of_another_organisation_can_join_too(client_for, world):
    response = client_for("org_admin").post(URL, payload(email="outsider_member@example.kr"))

    assert response.status_code == 201
    user = world.users["outsider_member"]
    assert set(user.memberships.values_list("organization__slug", flat=True)) == {"acme", "other"}


def test_an_unknown_email_is_400_on_email(client_for, world):
    response = client_for("org_admin").post(URL, payload(email="ghost@example.kr"))

    assert_field_error(response, "email", "unknown_user")
    assert Membership.objects.count() == 5


def test_an_inactive_users_email_is_400_on_email(client_for, world):
    UserFactory.create(email="newcomer@example.kr", is_active=False)

    response = client_for("org_admin").post(URL, payload())

    assert_field_error(response, "email", "unknown_user")
    assert Membership.objects.count() == 5


@pytest.mark.parametrize("persona", ["member", "outsider_member", "division_lead"])
def test_a_non_admin_cannot_probe_whether_an_email_is_registered(client_for, world, persona):
    unknown = client_for(persona).post(URL, payload(email="ghost@example.kr"))
    known = client_for(persona).post(URL, payload(email="secretariat@example.kr"))

    assert_problem(known, 403, "permission_denied")
    assert_problem(unknown, 403, "permission_denied")


def test_adding_an_existing_member_is_409(client_for, world):
    response = client_for("org_admin").post(URL, payload(email="steward@example.kr"))

    assert_problem(response, 409, "membership_exists")
    assert Membership.objects.get(user=world.users["steward"]).role == "data_steward"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"organization": "nope"}, "organization", "does_not_exist"),
        ({"role": "owner"}, "role", "invalid_choice"),
        ({"email": "not-an-email"}, "email", "invalid"),
    ],
)
def test_invalid_fields_are_400(client_for, world, newcomer, overrides, field, code):
    response = client_for("org_admin").post(URL, payload(**overrides))

    assert_field_error(response, field, code)
    assert not Membership.objects.filter(user=newcomer).exists()


def test_missing_fields_are_400(client_for, world):
    response = client_for("org_admin").post(URL, {})

    body = assert_field_error(response, "organization", "required")
    assert {e["field"] for e in body["errors"]} == {"organization", "email"}
