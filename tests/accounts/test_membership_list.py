"""GET /api/v1/memberships/: you see your own organisations' memberships (the secretariat all)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.filters import MembershipFilter
from accounts.models import Membership
from tests.accounts.helpers import bearer
from tests.common.problems import assert_field_error, assert_problem

pytestmark = pytest.mark.django_db

URL = reverse("membership-list")
ACME = {"member", "steward", "org_admin"}
OTHER = {"outsider_member", "outsider_steward"}

# persona -> the personas whose memberships they see
VISIBLE = {
    "member": ACME,
    "steward": ACME,
    "org_admin": ACME,
    "outsider_member": OTHER,
    "outsider_steward": OTHER,
    "division_lead": set(),
    "secretariat": ACME | OTHER,
}


def emails(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["user"]["email"] for item in response.json()["results"]}


def as_emails(personas: set[str]) -> set[str]:
    return {f"{persona}@example.kr" for persona in personas}


def test_anonymous_gets_401(world):
    response = APIClient().get(URL)

    assert_problem(response, 401, "not_authenticated")
    assert "example.kr" not in response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), VISIBLE.items())
def test_list_shows_exactly_the_personas_organisations(client_for, world, persona, expected):
    response = client_for(persona).get(URL)

    assert emails(response) == as_emails(expected)
    assert response.json()["count"] == len(expected)
    content = response.content.decode()
    for hidden in as_emails((ACME | OTHER) - expected):
        assert f'"{hidden}"' not in content
    if persona in ACME:
        assert world.other.slug not in {
            i["organization"]["slug"] for i in response.json()["results"]
        }
        assert world.other.name_ko not in content
    if persona in OTHER:
        assert world.acme.name_ko not in content


@pytest.mark.parametrize(("persona", "expected"), VISIBLE.items())
def test_detail_is_404_outside_the_personas_organisations(client_for, world, persona, expected):
    client = client_for(persona)

    for membership in Membership.objects.select_related("user"):
        response = client.get(reverse("membership-detail", kwargs={"pk": membership.pk}))
        owner = membership.user.email.removesuffix("@example.kr")
        if owner in expected:
            assert response.status_code == 200
            assert response.json()["user"]["email"] == membership.user.email
            assert response.json()["role"] == membership.role
        else:
            assert_problem(response, 404, "not_found")
            assert membership.user.email not in response.content.decode()


@pytest.mark.parametrize("lookup", ["abc", "0", "99999999"])
def test_a_malformed_or_missing_id_is_404(client_for, world, lookup):
    assert_problem(
        client_for("secretariat").get(reverse("membership-detail", kwargs={"pk": lookup})),
        404,
        "not_found",
    )


def test_anonymous_detail_is_401(world):
    membership = Membership.objects.first()
    assert membership is not None

    assert_problem(
        APIClient().get(reverse("membership-detail", kwargs={"pk": membership.pk})),
        401,
        "not_authenticated",
    )


def test_entries_show_user_organisation_and_role(client_for, world):
    membership = Membership.objects.get(user=world.users["steward"])

    body = (
        client_for("member").get(reverse("membership-detail", kwargs={"pk": membership.pk})).json()
    )

    assert body["user"] == {
        "id": world.users["steward"].pk,
        "email": "steward@example.kr",
        "full_name": world.users["steward"].full_name,
    }
    assert body["organization"]["slug"] == "acme"
    assert body["role"] == "data_steward"
    assert set(body) == {"id", "user", "organization", "role", "created_at", "modified_at"}


def test_list_with_a_real_bearer_token(world, issue_token):
    response = bearer(issue_token(world.users["outsider_steward"])).get(URL)

    assert emails(response) == as_emails(OTHER)


def test_next_links_walk_every_membership_once(client_for, world):
    client = client_for("secretariat")
    seen: list[str] = []
    response = client.get(URL, {"page_size": 2})

    while True:
        assert response.json()["count"] == 5
        seen += [item["user"]["email"] for item in response.json()["results"]]
        if response.json()["next"] is None:
            break
        response = client.get(response.json()["next"])

    assert sorted(seen) == sorted(as_emails(ACME | OTHER))


# --- filters: one test per filter --------------------------------------------------------------


def test_filter_organization_by_slug(client_for, world):
    client = client_for("secretariat")

    assert emails(client.get(URL, {"organization": "acme"})) == as_emails(ACME)
    assert emails(client.get(URL, {"organization": ["acme", "other"]})) == as_emails(ACME | OTHER)
    assert emails(client.get(URL, {"organization": "nope"})) == set()


def test_filter_organization_id(client_for, world):
    client = client_for("secretariat")

    assert emails(client.get(URL, {"organization_id": world.other.pk})) == as_emails(OTHER)
    both = client.get(URL, {"organization_id": [world.acme.pk, world.other.pk]})
    assert emails(both) == as_emails(ACME | OTHER)
    assert_field_error(client.get(URL, {"organization_id": "acme"}), "organization_id", "invalid")


def test_filter_role(client_for, world):
    client = client_for("secretariat")

    assert emails(client.get(URL, {"role": "data_steward"})) == as_emails(
        {"steward", "outsider_steward"}
    )
    assert emails(client.get(URL, {"role": ["org_admin", "member"]})) == as_emails(
        {"org_admin", "member", "outsider_member"}
    )
    assert_field_error(client.get(URL, {"role": "owner"}), "role", "invalid_choice")


def test_filter_user_id(client_for, world):
    client = client_for("secretariat")
    member, outsider = world.users["member"], world.users["outsider_member"]

    assert emails(client.get(URL, {"user_id": member.pk})) == {"member@example.kr"}
    assert emails(client.get(URL, {"user_id": [member.pk, outsider.pk]})) == {
        "member@example.kr",
        "outsider_member@example.kr",
    }
    assert_field_error(client.get(URL, {"user_id": "me"}), "user_id", "invalid")


def test_every_filter_has_a_test_above():
    assert set(MembershipFilter.base_filters) == {
        "organization",
        "organization_id",
        "role",
        "user_id",
    }


def test_filters_never_widen_what_you_may_see(client_for, world):
    client = client_for("member")
    outsider = world.users["outsider_member"]

    assert emails(client.get(URL, {"organization": "other"})) == set()
    assert emails(client.get(URL, {"organization_id": world.other.pk})) == set()
    assert emails(client.get(URL, {"user_id": outsider.pk})) == set()
    assert emails(client.get(URL, {"role": "member"})) == {"member@example.kr"}
