"""GET /api/v1/me/: who the caller is, their organisations, roles and led divisions."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import MembershipRole
from tests.accounts.helpers import bearer
from tests.common.problems import assert_problem
from tests.factories import DivisionLeadFactory, MembershipFactory

pytestmark = pytest.mark.django_db

URL = reverse("me")

# persona -> (memberships as {org slug: role}, led division codes, is_secretariat)
EXPECTED = {
    "member": ({"acme": "member"}, set(), False),
    "steward": ({"acme": "data_steward"}, set(), False),
    "org_admin": ({"acme": "org_admin"}, set(), False),
    "outsider_member": ({"other": "member"}, set(), False),
    "outsider_steward": ({"other": "data_steward"}, set(), False),
    "division_lead": ({}, {"ai-factory"}, False),
    "secretariat": ({}, set(), True),
}


def test_anonymous_gets_401(world):
    response = APIClient().get(URL)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(("persona", "expected"), EXPECTED.items())
def test_me_describes_the_persona(client_for, world, persona, expected):
    memberships, lead_divisions, is_secretariat = expected

    response = client_for(persona).get(URL)

    assert response.status_code == 200
    body = response.json()
    user = world.users[persona]
    assert body["id"] == user.pk
    assert body["email"] == user.email
    assert body["full_name"] == user.full_name
    assert body["is_secretariat"] is is_secretariat
    assert {m["organization"]["slug"]: m["role"] for m in body["memberships"]} == memberships
    assert {d["code"] for d in body["lead_divisions"]} == lead_divisions
    assert set(body) == {
        "id",
        "email",
        "full_name",
        "is_secretariat",
        "memberships",
        "lead_divisions",
    }


@pytest.mark.parametrize("persona", ["member", "steward", "org_admin"])
def test_me_never_mentions_the_other_organisation(client_for, world, persona):
    content = client_for(persona).get(URL).content.decode()

    assert world.other.slug not in content
    assert world.other.name_ko not in content
    assert world.other.business_registration_number not in content


def test_membership_entries_carry_the_organisation_brief(client_for, world):
    body = client_for("member").get(URL).json()

    assert body["memberships"] == [
        {
            "organization": {
                "id": world.acme.pk,
                "slug": "acme",
                "name_ko": "에이씨엠이정밀",
                "name_en": "Acme Precision",
                "kind": world.acme.kind,
            },
            "role": "member",
        }
    ]


def test_lead_division_entries_carry_korean_and_english_names(client_for, world):
    body = client_for("division_lead").get(URL).json()

    assert body["lead_divisions"] == [
        {
            "id": world.ai_factory.pk,
            "code": "ai-factory",
            "name_ko": "AI 팩토리",
            "name_en": "AI factory",
        }
    ]


def test_a_user_with_several_roles_sees_them_all(client_for, world):
    user = world.users["steward"]
    MembershipFactory.create(user=user, organization=world.other, role=MembershipRole.ORG_ADMIN)
    DivisionLeadFactory.create(user=user, division=world.humanoids)

    body = client_for("steward").get(URL).json()

    assert {m["organization"]["slug"]: m["role"] for m in body["memberships"]} == {
        "acme": "data_steward",
        "other": "org_admin",
    }
    assert {d["code"] for d in body["lead_divisions"]} == {"humanoids"}


def test_me_with_a_real_bearer_token(world, issue_token):
    response = bearer(issue_token(world.users["org_admin"])).get(URL)

    assert response.status_code == 200
    assert response.json()["memberships"][0]["role"] == "org_admin"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_me_is_read_only(client_for, world, method):
    response = getattr(client_for("member"), method)(URL, {"email": "evil@example.kr"})

    assert_problem(response, 405, "method_not_allowed")
    world.users["member"].refresh_from_db()
    assert world.users["member"].email == "member@example.kr"
