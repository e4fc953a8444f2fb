"""The organisation pages: members and roles, API tokens, webhooks; who reaches each, parity
with the API, and a constant number of queries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.invitations import invitation_accept_path
from accounts.models import ApiToken, Invitation, Membership, MembershipRole, User
from registry.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import MembershipFactory, UserFactory
from tests.personas import PERSONAS, World

pytestmark = pytest.mark.django_db


def page_client(world: World, persona: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


@pytest.fixture
def pages(world: World) -> Callable[[str], Client]:
    return lambda persona: page_client(world, persona)


def acme_url(name: str = "organization-detail", **kwargs: object) -> str:
    return reverse(f"console:{name}", kwargs={"slug": "acme", **kwargs})


# --- who reaches what -------------------------------------------------------------------------

INDEX = {
    "anonymous": 302,
    "member": 403,
    "steward": 403,
    "org_admin": 302,  # an admin of one organisation goes straight to it
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 200,
}
ACME = {
    "anonymous": 302,
    "member": 403,
    "steward": 403,
    "org_admin": 200,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 200,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reaches_the_organisation_pages(pages, persona: str) -> None:
    client = pages(persona)
    index = client.get(reverse("console:organization"))
    assert index.status_code == INDEX[persona]
    if persona == "org_admin":
        assert index["Location"] == acme_url()
    if persona == "anonymous":
        assert index["Location"].startswith(reverse("console:login"))
    assert client.get(acme_url()).status_code == ACME[persona]


def test_an_admin_of_another_organisation_gets_404(world: World) -> None:
    other_admin = MembershipFactory.create(
        user=UserFactory.create(email="other-admin@example.kr"),
        organization=world.other,
        role=MembershipRole.ORG_ADMIN,
    ).user
    client = Client()
    client.force_login(other_admin)
    assert client.get(acme_url()).status_code == 404
    own = client.get(reverse("console:organization-detail", kwargs={"slug": "other"}))
    assert own.status_code == 200
    target = Membership.objects.get(user=world.users["member"])
    response = client.post(
        acme_url("organization-member-update", pk=target.pk), {"role": "org_admin"}
    )
    assert response.status_code == 404
    assert Membership.objects.get(pk=target.pk).role == MembershipRole.MEMBER


def test_the_secretariat_picks_an_organisation(pages) -> None:
    response = pages("secretariat").get(reverse("console:organization"), {"q": "Acme"})
    assert response.status_code == 200
    slugs = [o.slug for o in response.context["organizations"]]
    assert slugs == ["acme"]


# --- members ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["org_admin", "secretariat"])
def test_members_are_the_apis_memberships(client_for, pages, persona: str) -> None:
    page = pages(persona).get(acme_url())
    api = client_for(persona).get(reverse("membership-list"), {"organization": "acme"}).json()
    listed = [row["id"] for row in page.context["memberships"]]
    assert listed == [row["id"] for row in api["results"]]
    assert len(listed) == 3  # acme's member, steward and admin, nobody of other


MEMBER_WRITES = {
    "member": 403,
    "steward": 403,
    "org_admin": 302,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 302,
}


@pytest.mark.parametrize("persona", list(MEMBER_WRITES))
def test_who_changes_a_role(world: World, pages, persona: str) -> None:
    target = Membership.objects.get(user=world.users["member"])
    response = pages(persona).post(
        acme_url("organization-member-update", pk=target.pk), {"role": "data_steward"}
    )
    assert response.status_code == MEMBER_WRITES[persona]
    target.refresh_from_db()
    changed = MEMBER_WRITES[persona] == 302
    assert target.role == (MembershipRole.DATA_STEWARD if changed else MembershipRole.MEMBER)


@pytest.mark.parametrize("persona", list(MEMBER_WRITES))
def test_who_adds_and_removes_a_member(world: World, pages, persona: str) -> None:
    newcomer = UserFactory.create(email="newcomer@example.kr")
    client = pages(persona)
    added = client.post(
        acme_url("organization-member-add"), {"email": "NEWCOMER@example.kr", "role": "member"}
    )
    assert added.status_code == MEMBER_WRITES[persona]
    exists = Membership.objects.filter(user=newcomer, organization=world.acme).exists()
    assert exists == (MEMBER_WRITES[persona] == 302)
    target = Membership.objects.get(user=world.users["steward"])
    removed = client.post(acme_url("organization-member-remove", pk=target.pk))
    assert removed.status_code == MEMBER_WRITES[persona]
    assert Membership.objects.filter(pk=target.pk).exists() == (MEMBER_WRITES[persona] != 302)


def test_an_unknown_email_is_said_on_its_field(pages) -> None:
    response = pages("org_admin").post(
        acme_url("organization-member-add"), {"email": "nobody@example.kr", "role": "member"}
    )
    assert response.status_code == 400
    assert "No active user has this email." in response.context["member_form"].errors["email"]


def test_the_last_admin_stays_in_the_services_words(world: World, pages) -> None:
    admin = Membership.objects.get(user=world.users["org_admin"])
    client = pages("org_admin")
    demoted = client.post(acme_url("organization-member-update", pk=admin.pk), {"role": "member"})
    assert demoted.status_code == 409
    assert "An organisation must keep at least one organisation admin." in demoted.content.decode()
    removed = client.post(acme_url("organization-member-remove", pk=admin.pk))
    assert removed.status_code == 409
    assert "An organisation must keep at least one organisation admin." in removed.content.decode()
    admin.refresh_from_db()
    assert admin.role == MembershipRole.ORG_ADMIN


def test_the_organisation_page_costs_the_same_for_1_or_20_members(world: World, pages) -> None:
    client = pages("org_admin")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(acme_url()).status_code == 200
        return len(queries)

    few = count()
    for i in range(20):
        MembershipFactory.create(
            user=UserFactory.create(email=f"m{i}@example.kr"), organization=world.acme
        )
        WebhookEndpoint.objects.create(
            organization=world.acme, url=f"https://hooks.example.kr/{i}", secret="s" * 20
        )
        invite(world, f"invited{i}@example.kr")
    assert count() == few


# --- API tokens -------------------------------------------------------------------------------


TOKEN_PAGE = dict.fromkeys(PERSONAS, 200) | {"anonymous": 302}


@pytest.mark.parametrize("persona", PERSONAS)
def test_everyone_signed_in_has_a_tokens_page(pages, persona: str) -> None:
    assert pages(persona).get(reverse("console:api-tokens")).status_code == TOKEN_PAGE[persona]


def test_a_token_secret_is_shown_once_and_works(
    world: World, pages, client_for, api_client
) -> None:
    client = pages("member")
    created = client.post(reverse("console:api-tokens"), {"name": "nightly", "expires_at": ""})
    assert created.status_code == 201
    shown = re.search(r'id="new-token-secret">([^<]+)<', created.content.decode())
    assert shown is not None
    secret = shown.group(1)
    assert secret.startswith("maxr_")
    assert 'data-copy="#new-token-secret"' in created.content.decode()
    assert created["Cache-Control"] == "no-store"
    again = client.get(reverse("console:api-tokens"))
    assert secret not in again.content.decode()
    assert "nightly" in again.content.decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get(reverse("me")).json()["email"] == "member@example.kr"
    # The page lists what the API lists.
    api = client_for("member").get(reverse("api-token-list")).json()
    assert [t["id"] for t in again.context["tokens"]] == [t["id"] for t in api["results"]]


def test_a_past_expiry_is_refused_on_its_field(pages) -> None:
    response = pages("member").post(
        reverse("console:api-tokens"), {"name": "old", "expires_at": "2020-01-01T00:00"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["expires_at"] == ["Must be in the future."]
    assert not ApiToken.objects.exists()


def test_revoking_a_token_and_not_anothers(world: World, pages) -> None:
    pages("member").post(reverse("console:api-tokens"), {"name": "mine"})
    token = ApiToken.objects.get(user=world.users["member"])
    other = pages("steward")
    assert (
        other.post(reverse("console:api-token-revoke", kwargs={"pk": token.pk})).status_code == 404
    )
    token.refresh_from_db()
    assert token.revoked_at is None
    response = pages("member").post(reverse("console:api-token-revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_tokens_page_costs_the_same_for_1_or_20_tokens(world: World, pages) -> None:
    client = pages("member")
    client.post(reverse("console:api-tokens"), {"name": "first"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("console:api-tokens")).status_code == 200
        return len(queries)

    few = count()
    for i in range(19):
        client.post(reverse("console:api-tokens"), {"name": f"t{i}"})
    assert count() == few


# --- webhooks ---------------------------------------------------------------------------------

WEBHOOK_WRITES = {
    "member": 403,
    "steward": 403,
    "org_admin": 201,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 403,  # reads every endpoint, manages none (as the API)
}


@pytest.mark.parametrize("persona", list(WEBHOOK_WRITES))
def test_who_adds_a_webhook(world: World, pages, persona: str) -> None:
    response = pages(persona).post(
        acme_url("organization-webhook-add"),
        {"url": "https://hooks.example.kr/max", "events": "sharing_request.approved, ping"},
    )
    assert response.status_code == WEBHOOK_WRITES[persona]
    endpoints = WebhookEndpoint.objects.filter(organization=world.acme)
    if WEBHOOK_WRITES[persona] == 201:
        endpoint = endpoints.get()
        assert endpoint.events == ["sharing_request.approved", "ping"]
        assert endpoint.secret in response.content.decode()  # shown once
        again = pages(persona).get(acme_url())
        assert endpoint.secret not in again.content.decode()
    else:
        assert not endpoints.exists()


def test_a_webhook_url_must_be_http(pages) -> None:
    response = pages("org_admin").post(
        acme_url("organization-webhook-add"), {"url": "ftp://hooks.example.kr/x"}
    )
    assert response.status_code == 400
    assert "url" in response.context["webhook_form"].errors


@pytest.fixture
def endpoint(world: World) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organization=world.acme, url="https://hooks.example.kr/max", secret="s" * 20
    )


PING = {
    "member": 403,
    "steward": 403,
    "org_admin": 302,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.mark.parametrize("persona", list(PING))
def test_who_pings_a_webhook(endpoint, pages, persona: str, monkeypatch) -> None:
    sent: list[str] = []
    monkeypatch.setattr("common.jobs.enqueue_on_commit", lambda name, *args: sent.append(name))
    url = acme_url("organization-webhook-ping", pk=endpoint.pk)
    response = pages(persona).post(url)
    assert response.status_code == PING[persona]
    pinged = WebhookDelivery.objects.filter(endpoint=endpoint, event="ping")
    assert pinged.count() == (1 if PING[persona] == 302 else 0)
    assert sent == (["registry.deliver_webhook"] if PING[persona] == 302 else [])


def test_a_ping_by_htmx_answers_the_log(endpoint, pages, monkeypatch) -> None:
    monkeypatch.setattr("common.jobs.enqueue_on_commit", lambda name, *args: None)
    response = pages("org_admin").post(
        acme_url("organization-webhook-ping", pk=endpoint.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="delivery-log"' in body
    assert "ping" in body


LOG = {
    "anonymous": 302,
    "member": 403,
    "steward": 403,
    "org_admin": 200,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 200,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_delivery_log(endpoint, pages, persona: str) -> None:
    url = acme_url("organization-webhook", pk=endpoint.pk)
    assert pages(persona).get(url).status_code == LOG[persona]


def test_the_delivery_log_is_the_apis_and_pages(endpoint, pages, client_for) -> None:
    for i in range(30):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="ping",
            payload={"n": i},
            status=DeliveryStatus.FAILED if i % 2 else DeliveryStatus.DELIVERED,
            attempts=i % 4,
            last_status_code=500 if i % 2 else 200,
        )
    client = pages("org_admin")
    url = acme_url("organization-webhook", pk=endpoint.pk)
    first = client.get(url)
    api = (
        client_for("org_admin")
        .get(reverse("webhook-deliveries", kwargs={"pk": endpoint.pk}))
        .json()
    )
    assert [d["id"] for d in first.context["deliveries"]] == [d["id"] for d in api["results"]]
    body = first.content.decode()
    assert "500" in body
    assert "failed" in body
    next_url = first.context["deliveries_page"].next_url
    assert next_url
    second = client.get(next_url)
    assert len(second.context["deliveries"]) == 5


def test_the_delivery_log_costs_the_same_for_1_or_20_deliveries(endpoint, pages) -> None:
    client = pages("org_admin")
    url = acme_url("organization-webhook", pk=endpoint.pk)
    WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for _ in range(19):
        WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload={})
    assert count() == few


# --- invitations ------------------------------------------------------------------------------


def invite(world: World, email: str = "newcomer@example.kr", role: str = "member") -> str:
    _invitation, token = account_services.invitation_create(
        organization=world.acme, email=email, role=role, invited_by=world.users["org_admin"]
    )
    return token


INVITE = {
    "member": 403,
    "steward": 403,
    "org_admin": 302,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 302,
}


@pytest.mark.parametrize("persona", list(INVITE))
def test_who_invites_by_email(world: World, pages, persona: str, mailoutbox) -> None:
    response = pages(persona).post(
        acme_url("organization-invitation-add"), {"email": "newcomer@example.kr", "role": "member"}
    )
    assert response.status_code == INVITE[persona]
    invited = Invitation.objects.filter(organization=world.acme, email="newcomer@example.kr")
    assert invited.exists() == (INVITE[persona] == 302)


def test_the_invitations_are_the_apis_with_their_status(world: World, pages, client_for) -> None:
    invite(world, "pending@example.kr")
    accepted = invite(world, "accepted@example.kr")
    account_services.invitation_accept(token=accepted, password="a-long-Pass-phrase-2026")
    invite(world, "expired@example.kr")
    Invitation.objects.filter(email="expired@example.kr").update(
        created_at=timezone.now() - timedelta(days=30),
        expires_at=timezone.now() - timedelta(days=1),
    )
    page = pages("org_admin").get(acme_url())
    api = client_for("org_admin").get(reverse("invitation-list", kwargs={"slug": "acme"})).json()
    assert [i["id"] for i in page.context["invitations"]] == [i["id"] for i in api["results"]]
    statuses = {i["email"]: i["status"] for i in page.context["invitations"]}
    assert statuses == {
        "pending@example.kr": "pending",
        "accepted@example.kr": "accepted",
        "expired@example.kr": "expired",
    }
    body = page.content.decode()
    assert body.count(">Revoke<span") == 1  # the pending one only (and no member is revocable)


def test_an_existing_account_is_added_not_invited(world: World, pages) -> None:
    response = pages("org_admin").post(
        acme_url("organization-invitation-add"),
        {"email": "outsider_member@example.kr", "role": "member"},
    )
    assert response.status_code == 409
    assert "This person already has an account: add them as a member instead." in (
        response.content.decode()
    )


@pytest.mark.parametrize(("persona", "status"), [("org_admin", 302), ("outsider_member", 404)])
def test_who_revokes_an_invitation(world: World, pages, persona: str, status: int) -> None:
    invite(world)
    invitation = Invitation.objects.get()
    response = pages(persona).post(acme_url("organization-invitation-revoke", pk=invitation.pk))
    assert response.status_code == status
    invitation.refresh_from_db()
    assert (invitation.revoked_at is not None) == (status == 302)


def accept_url(token: str) -> str:
    return reverse("console:invitation-accept", kwargs={"token": token})


def test_the_accept_page_is_the_emails_link(world: World) -> None:
    token = invite(world)
    assert accept_url(token) == invitation_accept_path(token)


def test_the_invitee_chooses_a_password_and_is_signed_in(world: World) -> None:
    token = invite(world, role="data_steward")
    client = Client()
    client.cookies["django_language"] = "en"
    page = client.get(accept_url(token))
    assert page.status_code == 200
    assert "newcomer@example.kr" in page.content.decode()
    weak = client.post(accept_url(token), {"password": "12345678", "password_again": "12345678"})
    assert weak.status_code == 400
    errors = " ".join(weak.context["form"].errors["password"])
    assert "This password is too common." in errors
    assert "This password is entirely numeric." in errors
    differ = client.post(
        accept_url(token), {"password": "a-long-Pass-phrase-2026", "password_again": "other"}
    )
    assert differ.status_code == 400
    assert not User.objects.filter(email="newcomer@example.kr").exists()
    done = client.post(
        accept_url(token),
        {
            "full_name": "새 직원",
            "password": "a-long-Pass-phrase-2026",
            "password_again": "a-long-Pass-phrase-2026",
        },
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("console:home")
    user = User.objects.get(email="newcomer@example.kr")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Membership.objects.get(user=user).role == MembershipRole.DATA_STEWARD
    # The link is spent.
    assert Client().get(accept_url(token)).status_code == 404


def test_an_unknown_or_revoked_link_is_404(world: World) -> None:
    assert Client().get(accept_url("not-a-token")).status_code == 404
    token = invite(world)
    invitation = Invitation.objects.get()
    account_services.invitation_revoke(invitation=invitation, revoked_by=world.users["org_admin"])
    assert Client().get(accept_url(token)).status_code == 404


def test_the_accept_page_needs_its_csrf_token(world: World) -> None:
    token = invite(world)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        accept_url(token),
        {"password": "a-long-Pass-phrase-2026", "password_again": "a-long-Pass-phrase-2026"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="newcomer@example.kr").exists()
