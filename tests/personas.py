"""The persona world: two organisations, and a user in each role, built as plain code.

The publisher ("acme") publishes datasets; the outsider ("other") is another member firm that
must never see acme's drafts. Each persona is a user with one role. tests/conftest.py serves
it as the `world` fixture; a scene built once per module (tests/registry/
test_permission_matrix.py) calls build_world() itself and adds to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rest_framework.test import APIClient

from accounts.models import Division, MembershipRole, Organization, OrganizationKind, User
from tests.factories import (
    DivisionLeadFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)


@dataclass
class World:
    ai_factory: Division
    humanoids: Division
    acme: Organization
    other: Organization
    users: dict[str, User]


PERSONAS = (
    "anonymous",
    "member",
    "steward",
    "org_admin",
    "outsider_member",
    "outsider_steward",
    "division_lead",
    "secretariat",
)


def build_world() -> World:
    """acme (in ai-factory) and other (an AI company), their members, stewards and acme's
    admin, ai-factory's division lead and the secretariat (needs the database)."""
    ai_factory = Division.objects.get(code="ai-factory")
    humanoids = Division.objects.get(code="humanoids")
    acme = OrganizationFactory.create(
        slug="acme", name_ko="에이씨엠이정밀", name_en="Acme Precision"
    )
    acme.divisions.set([ai_factory])
    other = OrganizationFactory.create(
        slug="other", name_ko="다른AI", name_en="Other AI", kind=OrganizationKind.AI_COMPANY
    )
    users: dict[str, User] = {}
    for name, organization, role in (
        ("member", acme, MembershipRole.MEMBER),
        ("steward", acme, MembershipRole.DATA_STEWARD),
        ("org_admin", acme, MembershipRole.ORG_ADMIN),
        ("outsider_member", other, MembershipRole.MEMBER),
        ("outsider_steward", other, MembershipRole.DATA_STEWARD),
    ):
        users[name] = MembershipFactory.create(
            user=UserFactory.create(email=f"{name}@example.kr"),
            organization=organization,
            role=role,
        ).user
    users["division_lead"] = DivisionLeadFactory.create(
        user=UserFactory.create(email="lead@example.kr"), division=ai_factory
    ).user
    users["secretariat"] = UserFactory.create(email="secretariat@example.kr", is_secretariat=True)
    return World(ai_factory, humanoids, acme, other, users)


def client_as(users: Mapping[str, User], persona: str) -> APIClient:
    """An API client signed in as users[persona] ("anonymous" stays signed out).

    It reads messages in English (`Accept-Language: en`), the language the tests assert; the
    API's default, Korean, is tested on clients without the header (tests/test_i18n.py).
    """
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if persona != "anonymous":
        client.force_authenticate(users[persona])
    return client
