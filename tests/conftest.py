"""Fixtures: named personas around two organisations, and API clients acting as them.

The publisher ("acme") publishes datasets; the outsider ("other") is another member firm that
must never see acme's drafts. Each persona is a user with one role.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db.models.signals import post_migrate
from rest_framework.test import APIClient

from accounts.divisions import divisions_create
from accounts.models import Division, MembershipRole, Organization, OrganizationKind, User
from tests.factories import (
    DivisionLeadFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _isolated_cache(settings: Any) -> Iterator[None]:
    """Each test gets its own cache key prefix for throttle and login-failure counters, so tests
    running at the same time on one Redis (another checkout, xdist) never see each other's; its
    keys are deleted afterwards."""
    prefix = f"maxr-test-{uuid.uuid4().hex}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    yield
    client = cache._cache.get_client()  # type: ignore[attr-defined]
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


def _restore_divisions(sender: Any = None, **kwargs: Any) -> None:
    if sender is None or sender.label == "accounts":
        divisions_create(django_apps)


@pytest.fixture(scope="module")
def divisions_survive_the_flush(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """For transactional tests: the flush after each one empties every table, including the
    divisions the data migration made, and emits post_migrate: put them back right then, so
    the tests that follow find them."""
    post_migrate.connect(_restore_divisions, weak=False, dispatch_uid="test-restore-divisions")
    with django_db_blocker.unblock():
        _restore_divisions()  # a run interrupted mid-flush may have left them out
    yield
    post_migrate.disconnect(dispatch_uid="test-restore-divisions")
    with django_db_blocker.unblock():
        _restore_divisions()


@pytest.fixture(autouse=True)
def _media_root(settings: pytest.FixtureRequest, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


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


@pytest.fixture
def world(db: None) -> World:
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


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(world: World) -> Callable[[str], APIClient]:
    """An API client signed in as a persona ("anonymous" stays signed out).

    It reads messages in English (`Accept-Language: en`), the language the tests assert; the
    API's default, Korean, is tested on clients without the header (tests/test_i18n.py).
    """

    def make(persona: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if persona != "anonymous":
            client.force_authenticate(world.users[persona])
        return client

    return make
