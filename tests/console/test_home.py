"""The home page (/): what waits for the reader, by role, as counts linking to the lists, and
their recent activity; bounded counts ("99+") and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from datasets.models import DatasetStatus, ValidationReport, ValidationStatus, VersionStatus
from registry.models import ApprovalRoute, Grant, SharingRequest
from registry.models import SharingRequestState as S
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import PERSONAS, World

from .sharing_scene import approve, ask, published_dataset

pytestmark = pytest.mark.django_db


def page_client(users: dict[str, User], persona: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if persona != "anonymous":
        client.force_login(users[persona])
    return client


def tiles(response: Any) -> dict[str, str]:
    """{tile key: the number shown}."""
    body = response.content.decode()
    return dict(
        re.findall(r'data-tile="([a-z_]+)"><a href="[^"]*"><span class="number">([0-9+]+)', body)
    )


def tile_links(response: Any) -> dict[str, str]:
    body = response.content.decode()
    return dict(re.findall(r'data-tile="([a-z_]+)"><a href="([^"]*)"', body))


REQUESTER = {"open_requests", "returned_requests", "grants_ending"}
STEWARD = {"inbox", "drafts", "checks_failed"}
SECRETARIAT = {
    "alliance_awaiting_publisher",
    "alliance_awaiting_division_lead",
    "alliance_escalated",
}
TILES = {
    "member": REQUESTER,
    "steward": REQUESTER | STEWARD,
    "org_admin": REQUESTER | {"invitations_pending"},
    "outsider_member": REQUESTER,
    "outsider_steward": REQUESTER | STEWARD,
    "division_lead": {"inbox"},
    "secretariat": SECRETARIAT,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_home_page_by_persona(world: World, persona: str) -> None:
    response = page_client(world.users, persona).get(reverse("console:home"))

    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("console:login"))
        return
    assert response.status_code == 200
    assert set(tiles(response)) == TILES[persona]
    assert 'class="counts"' in response.content.decode()


def _what_waits(world: World) -> dict[str, SharingRequest]:
    """Requests in the states the tiles count: other asks acme; one returned, one active grant
    ending in ten days, one ending in sixty."""
    users = world.users
    steward, outsider = users["steward"], users["outsider_member"]

    def acme(route: str = ApprovalRoute.PUBLISHER) -> Any:
        return published_dataset(publisher=world.acme, division=world.ai_factory, route=route)

    made = {
        "waiting": ask(outsider, world.other, acme()),
        "at_lead": approve(
            steward,
            ask(outsider, world.other, acme(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)),
        ),
        "returned": ask(outsider, world.other, acme()),
        "ending": approve(steward, ask(outsider, world.other, acme())),
        "later": approve(steward, ask(outsider, world.other, acme())),
    }
    SharingRequest.objects.filter(pk=made["returned"].pk).update(state=S.RETURNED)
    now = timezone.now()
    Grant.objects.filter(agreement__sharing_request=made["ending"]).update(
        valid_until=now + timedelta(days=10)
    )
    Grant.objects.filter(agreement__sharing_request=made["later"]).update(
        valid_until=now + timedelta(days=60)
    )
    # acme's drafts: one plain, one whose check failed (a draft version with a failed report).
    DatasetFactory.create(publisher=world.acme, division=world.ai_factory, status="draft")
    failing = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, status=DatasetStatus.DRAFT
    )
    version = DatasetVersionFactory.create(dataset=failing, status=VersionStatus.DRAFT)
    ValidationReport.objects.create(version=version, status=ValidationStatus.PASSED)
    ValidationReport.objects.create(version=version, status=ValidationStatus.FAILED)
    # A dataset whose older check failed but whose latest passed: not counted.
    fixed = DatasetFactory.create(publisher=world.acme, division=world.ai_factory)
    fixed_version = DatasetVersionFactory.create(dataset=fixed, status=VersionStatus.DRAFT)
    ValidationReport.objects.create(version=fixed_version, status=ValidationStatus.FAILED)
    ValidationReport.objects.create(version=fixed_version, status=ValidationStatus.PASSED)
    return made


EXPECTED = {
    "steward": {
        "inbox": "1",
        "drafts": "2",
        "checks_failed": "1",
        "open_requests": "0",
        "returned_requests": "0",
        "grants_ending": "0",
    },
    "outsider_member": {"open_requests": "2", "returned_requests": "1", "grants_ending": "1"},
    "outsider_steward": {
        "open_requests": "2",
        "returned_requests": "1",
        "grants_ending": "1",
        "inbox": "0",
        "drafts": "0",
        "checks_failed": "0",
    },
    "division_lead": {"inbox": "1"},
    "secretariat": {
        "alliance_awaiting_publisher": "1",
        "alliance_awaiting_division_lead": "1",
        "alliance_escalated": "0",
    },
    "member": {"open_requests": "0", "returned_requests": "0", "grants_ending": "0"},
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_the_counts_of_what_waits(world: World, persona: str) -> None:
    _what_waits(world)

    response = page_client(world.users, persona).get(reverse("console:home"))

    assert tiles(response) == EXPECTED[persona]


def test_an_admin_counts_the_invitations_still_waiting(world: World) -> None:
    from accounts.models import Invitation
    from accounts.services import invitation_create

    admin = world.users["org_admin"]
    for email in ("a@new.kr", "b@new.kr", "c@new.kr"):
        invitation_create(organization=world.acme, email=email, role="member", invited_by=admin)
    # One expired, one revoked: neither waits any more.
    Invitation.objects.filter(email="a@new.kr").update(expires_at=timezone.now())
    Invitation.objects.filter(email="b@new.kr").update(revoked_at=timezone.now())

    response = page_client(world.users, "org_admin").get(reverse("console:home"))

    assert tiles(response)["invitations_pending"] == "1"
    assert tile_links(response)["invitations_pending"] == reverse("console:organization")


def test_the_tiles_link_to_their_lists(world: World) -> None:
    response = page_client(world.users, "steward").get(reverse("console:home"))

    links = tile_links(response)
    assert links["inbox"] == reverse("console:inbox")
    assert links["returned_requests"] == reverse("console:sharing-requests") + "?state=returned"
    assert links["drafts"] == reverse("console:publish")


def test_a_large_count_shows_as_capped(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from console.views import home

    monkeypatch.setattr(home, "CAP", 2)
    for _ in range(3):
        DatasetFactory.create(publisher=world.acme, division=world.ai_factory, status="draft")

    response = page_client(world.users, "steward").get(reverse("console:home"))

    assert tiles(response)["drafts"] == "2+"


def test_recent_activity_is_the_readers_own(world: World) -> None:
    users = world.users
    dataset = published_dataset(publisher=world.acme, division=world.ai_factory)
    request = approve(users["steward"], ask(users["outsider_member"], world.other, dataset))

    steward = page_client(users, "steward").get(reverse("console:home")).content.decode()
    requester = page_client(users, "outsider_member").get(reverse("console:home"))
    lead = page_client(users, "division_lead").get(reverse("console:home")).content.decode()

    link = reverse("console:sharing-request", kwargs={"pk": request.pk})
    assert "sharing_request.approved" in steward
    assert link in steward
    # The requester's own act was the submission; the approval is not theirs.
    assert "sharing_request.submitted" in requester.content.decode()
    assert "sharing_request.approved" not in requester.content.decode()
    assert "Nothing yet." in lead


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("console:home")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["steward", "outsider_member", "secretariat"])
def test_the_home_page_takes_as_many_queries_for_1_as_for_20(world: World, persona: str) -> None:
    users = world.users

    def more(count: int) -> None:
        for _ in range(count):
            dataset = published_dataset(publisher=world.acme, division=world.ai_factory)
            approve(users["steward"], ask(users["outsider_member"], world.other, dataset))
            ask(users["outsider_member"], world.other, dataset)
            DatasetFactory.create(publisher=world.acme, division=world.ai_factory, status="draft")

    more(1)
    client = page_client(users, persona)
    one = _queries(client)
    more(19)

    assert _queries(client) == one
