"""PATCH /api/v1/memberships/<id>/: an organisation's admins change roles; one admin must remain."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, MembershipRole
from tests.accounts.helpers import bearer
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("membership-list")

# Changing acme's member to data steward. Outsiders cannot see acme's memberships: 404.
STATUS = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 200,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 200,
}


def membership_of(world, persona: str) -> Membership:
    return Membership.objects.get(user=world.users[persona])


@pytest.mark.parametrize(("persona", "expected"), STATUS.items())
def test_who_may_change_a_role(client_for, world, persona, expected):
    membership = membership_of(world, "member")

    response = client_for(persona).patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "data_steward"}
    )

    assert response.status_code == expected
    membership.refresh_from_db()
    if expected == 200:
        assert response.json()["role"] == "data_steward"
        assert response.json()["user"]["email"] == "member@example.kr"
        assert membership.role == "data_steward"
    else:
        code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}[expected]
        assert_problem(response, expected, code)
        assert "member@example.kr" not in response.content.decode()
        assert membership.role == "member"


def test_org_admin_of_acme_cannot_change_roles_in_other(client_for, world):
    membership = membership_of(world, "outsider_member")

    response = client_for("org_admin").patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "org_admin"}
    )

    assert_problem(response, 404, "not_found")
    membership.refresh_from_db()
    assert membership.role == "member"


def test_org_admin_changes_a_role_with_a_real_bearer_token(world, issue_token):
    membership = membership_of(world, "steward")

    response = bearer(issue_token(world.users["org_admin"])).patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "member"}
    )

    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == "member"


def test_a_steward_cannot_promote_themself(client_for, world):
    membership = membership_of(world, "steward")

    response = client_for("steward").patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "org_admin"}
    )

    assert_problem(response, 403, "permission_denied")
    membership.refresh_from_db()
    assert membership.role == "data_steward"


@pytest.mark.parametrize("persona", ["org_admin", "secretariat"])
def test_the_last_org_admin_cannot_be_demoted(client_for, world, persona):
    membership = membership_of(world, "org_admin")

    response = client_for(persona).patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "member"}
    )

    assert_problem(response, 409, "last_org_admin")
    membership.refresh_from_db()
    assert membership.role == "org_admin"


def test_an_org_admin_may_step_down_once_another_admin_exists(client_for, world):
    steward = membership_of(world, "steward")
    admin = membership_of(world, "org_admin")
    client = client_for("org_admin")

    assert (
        client.patch(
            reverse("membership-detail", kwargs={"pk": steward.pk}), {"role": "org_admin"}
        ).status_code
        == 200
    )
    response = client.patch(
        reverse("membership-detail", kwargs={"pk": admin.pk}), {"role": "member"}
    )

    assert response.status_code == 200
    admin.refresh_from_db()
    assert admin.role == "member"
    # Now the former steward is the last admin.
    assert_problem(
        client_for("steward").patch(
            reverse("membership-detail", kwargs={"pk": steward.pk}), {"role": "member"}
        ),
        409,
        "last_org_admin",
    )


def test_another_organisations_admin_does_not_count(client_for, world):
    MembershipFactory.create(
        user=UserFactory.create(), organization=world.other, role=MembershipRole.ORG_ADMIN
    )
    membership = membership_of(world, "org_admin")

    response = client_for("secretariat").patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "member"}
    )

    assert_problem(response, 409, "last_org_admin")


def test_keeping_the_org_admin_role_is_not_a_demotion(client_for, world):
    membership = membership_of(world, "org_admin")

    response = client_for("org_admin").patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "org_admin"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "code"), [({"role": "owner"}, "invalid_choice"), ({}, "required")]
)
def test_invalid_role_is_400(client_for, world, data, code):
    membership = membership_of(world, "member")

    response = client_for("org_admin").patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}), data
    )

    assert_field_error(response, "role", code)
    membership.refresh_from_db()
    assert membership.role == "member"


def test_the_user_and_organisation_cannot_be_changed(client_for, world):
    membership = membership_of(world, "member")

    response = client_for("secretariat").patch(
        reverse("membership-detail", kwargs={"pk": membership.pk}),
        {"role": "member", "organization": "other", "user": world.users["secretariat"].pk},
    )

    # Refused, not ignored: they are not fields of this endpoint.
    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("organization", "unknown_field"), ("user", "unknown_field")}
    membership.refresh_from_db()
    assert membership.organization_id == world.acme.pk
    assert membership.user_id == world.users["member"].pk


def test_put_is_not_allowed(client_for, world):
    membership = membership_of(world, "member")

    response = client_for("org_admin").put(
        reverse("membership-detail", kwargs={"pk": membership.pk}), {"role": "data_steward"}
    )

    assert_problem(response, 405, "method_not_allowed")
    membership.refresh_from_db()
    assert membership.role == "member"
