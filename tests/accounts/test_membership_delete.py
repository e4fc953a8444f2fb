"""DELETE /api/v1/memberships/<id>/: an organisation's admins remove members; one admin remains."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, MembershipRole, User
from tests.accounts.helpers import bearer
from tests.common.problems import assert_problem
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("membership-list")

# Removing acme's member. Outsiders cannot see acme's memberships: 404.
STATUS = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 204,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 204,
}


def membership_of(world, persona: str) -> Membership:
    return Membership.objects.get(user=world.users[persona])


@pytest.mark.parametrize(("persona", "expected"), STATUS.items())
def test_who_may_remove_a_member(client_for, world, persona, expected):
    membership = membership_of(world, "member")

    response = client_for(persona).delete(
        reverse("membership-detail", kwargs={"pk": membership.pk})
    )

    assert response.status_code == expected
    exists = Membership.objects.filter(pk=membership.pk).exists()
    if expected == 204:
        assert not response.content
        assert not exists
        assert User.objects.filter(pk=membership.user_id).exists()
    else:
        code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}[expected]
        assert_problem(response, expected, code)
        assert exists


def test_a_removed_member_loses_sight_of_the_organisations_memberships(client_for, world):
    membership = membership_of(world, "member")
    assert (
        client_for("member")
        .get(reverse("membership-detail", kwargs={"pk": membership.pk}))
        .status_code
        == 200
    )

    assert (
        client_for("org_admin")
        .delete(reverse("membership-detail", kwargs={"pk": membership.pk}))
        .status_code
        == 204
    )

    response = client_for("member").get(URL)
    assert response.json()["results"] == []
    assert "steward@example.kr" not in response.content.decode()


def test_org_admin_removes_with_a_real_bearer_token(world, issue_token):
    membership = membership_of(world, "steward")

    response = bearer(issue_token(world.users["org_admin"])).delete(
        reverse("membership-detail", kwargs={"pk": membership.pk})
    )

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_org_admin_of_acme_cannot_remove_members_of_other(client_for, world):
    membership = membership_of(world, "outsider_member")

    assert_problem(
        client_for("org_admin").delete(reverse("membership-detail", kwargs={"pk": membership.pk})),
        404,
        "not_found",
    )
    assert Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("persona", ["org_admin", "secretariat"])
def test_the_last_org_admin_cannot_be_removed(client_for, world, persona):
    membership = membership_of(world, "org_admin")

    response = client_for(persona).delete(
        reverse("membership-detail", kwargs={"pk": membership.pk})
    )

    assert_problem(response, 409, "last_org_admin")
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_org_admin_may_leave_once_another_admin_exists(client_for, world):
    MembershipFactory.create(
        user=UserFactory.create(), organization=world.acme, role=MembershipRole.ORG_ADMIN
    )
    membership = membership_of(world, "org_admin")

    response = client_for("org_admin").delete(
        reverse("membership-detail", kwargs={"pk": membership.pk})
    )

    assert response.status_code == 204
    assert Membership.objects.filter(organization=world.acme, role="org_admin").count() == 1


def test_removing_twice_is_404_the_second_time(client_for, world):
    membership = membership_of(world, "member")
    client = client_for("org_admin")

    assert (
        client.delete(reverse("membership-detail", kwargs={"pk": membership.pk})).status_code == 204
    )
    assert_problem(
        client.delete(reverse("membership-detail", kwargs={"pk": membership.pk})), 404, "not_found"
    )
