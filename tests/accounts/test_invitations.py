"""Invitations by email: an organisation's admins (or the secretariat) invite someone without an
account; the link in the email lets them choose a password, which creates their account and
membership."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from accounts import services
from accounts.invitations import invitation_accept_path, invitation_token_hash
from accounts.models import Invitation, Membership, User
from audit.models import AuditEvent
from common.models import OutboxMessage
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-42"
NEWCOMER = "newcomer@example.kr"

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
OTHER = {**ACME, "org_admin": 403}  # acme's admin is another organisation's admin there


def list_url(slug: str = "acme") -> str:
    return reverse("invitation-list", kwargs={"slug": slug})


def detail_url(invitation: Invitation) -> str:
    return reverse(
        "invitation-detail", kwargs={"slug": invitation.organization.slug, "pk": invitation.pk}
    )


def token_url(token: str) -> str:
    return reverse("invitation-token", kwargs={"token": token})


def accept_url(token: str) -> str:
    return reverse("invitation-accept", kwargs={"token": token})


def token_in(message: Any) -> str:
    found = re.search(r"/invitations/([A-Za-z0-9_-]+)/", message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def invite(world, django_capture_on_commit_callbacks):
    """Invite an address into acme as its admin, the email sent; the invitation and token."""

    def make(email: str = NEWCOMER, role: str = "member") -> tuple[Invitation, str]:
        with django_capture_on_commit_callbacks(execute=True):
            return services.invitation_create(
                organization=world.acme,
                email=email,
                role=role,
                invited_by=world.users["org_admin"],
            )

    return make


# --- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "persona", "expected"),
    [("acme", p, s) for p, s in ACME.items()] + [("other", p, s) for p, s in OTHER.items()],
)
def test_who_may_invite(
    client_for, world, slug, persona, expected, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(persona).post(
            list_url(slug), {"email": NEWCOMER, "role": "data_steward"}, format="json"
        )

    created = Invitation.objects.filter(organization__slug=slug, email=NEWCOMER)
    if expected == 201:
        body = response.json()
        assert response.status_code == 201, body
        assert body["id"] == created.get().pk
        assert body["organization"]["slug"] == slug
        assert (body["email"], body["role"], body["status"]) == (
            NEWCOMER,
            "data_steward",
            "pending",
        )
        assert body["invited_by"]["email"] == world.users[persona].email
        assert not {"token", "token_hash", "token_nonce", "accept_url"} & set(body)
        assert len(mail.outbox) == 1
    else:
        code = "not_authenticated" if expected == 401 else "permission_denied"
        assert_problem(response, expected, code)
        assert not created.exists()
        assert mail.outbox == []


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, 200 if s == 201 else s) for p, s in ACME.items()]
)
def test_who_may_list(client_for, world, invite, persona, expected):
    invitation, _token = invite()
    services.invitation_create(
        organization=world.other,
        email="elsewhere@example.kr",
        role="member",
        invited_by=world.users["secretariat"],
    )

    response = client_for(persona).get(list_url())

    if expected == 200:
        results = response.json()["results"]
        assert [item["id"] for item in results] == [invitation.pk]  # nothing of other's
        assert results[0]["email_sent_at"] is not None
        assert "token" not in str(results[0].keys())
        detail = client_for(persona).get(detail_url(invitation))
        assert detail.status_code == 200
        assert detail.json()["email"] == NEWCOMER
    else:
        assert_problem(
            response, expected, "not_authenticated" if expected == 401 else "permission_denied"
        )


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, 204 if s == 201 else s) for p, s in ACME.items()]
)
def test_who_may_revoke(client_for, world, invite, persona, expected):
    invitation, token = invite()

    response = client_for(persona).delete(detail_url(invitation))

    assert response.status_code == expected
    invitation.refresh_from_db()
    if expected == 204:
        assert invitation.revoked_at is not None
        assert invitation.token_nonce == ""
        assert client_for("anonymous").get(token_url(token)).status_code == 404
        assert_problem(
            client_for("anonymous").post(accept_url(token), {"password": PASSWORD}, format="json"),
            409,
            "invitation_revoked",
        )
    else:
        assert invitation.revoked_at is None


def test_an_unknown_organisation_is_404(client_for):
    assert_problem(client_for("secretariat").get(list_url("no-such-org")), 404, "not_found")


def test_another_organisations_invitation_is_404_through_this_one(client_for, world, invite):
    invitation, _token = invite()

    response = client_for("secretariat").delete(
        reverse("invitation-detail", kwargs={"slug": "other", "pk": invitation.pk})
    )

    assert_problem(response, 404, "not_found")
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_the_service_checks_who_invites(world):
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organization=world.acme, email=NEWCOMER, role="member", invited_by=world.users["member"]
        )


# --- creating ----------------------------------------------------------------------------------


def test_the_email_carries_the_link_and_the_token_is_stored_only_as_a_hash(world, invite, settings):
    settings.PUBLIC_BASE_URL = "https://registry.example.kr"

    invitation, token = invite(email="  NewComer@Example.KR ")

    invitation.refresh_from_db()
    assert invitation.email == NEWCOMER
    assert invitation.token_hash == invitation_token_hash(token)
    assert invitation.token_nonce == ""  # emptied once sent: nothing leads back to the token
    assert invitation.email_sent_at is not None
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    [message] = mail.outbox
    assert message.to == [NEWCOMER]
    assert "에이씨엠이정밀" in message.subject
    assert "Acme Precision" in message.subject
    assert f"https://registry.example.kr{invitation_accept_path(token)}" in message.body
    assert token_in(message) == token
    assert "Invited by: org_admin@example.kr" in message.body
    assert message.extra_headers["Message-ID"].startswith(f"<invitation-{invitation.pk}.")
    # Neither the outbox nor any column holds the token itself.
    [queued] = OutboxMessage.objects.filter(task_name="accounts.invitation_send")
    assert queued.args == [invitation.pk]
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())


def test_sending_twice_sends_once(world, invite):
    invitation, _token = invite()

    assert services.invitation_send(invitation_id=invitation.pk) is False
    assert len(mail.outbox) == 1


def test_the_email_is_sent_only_after_commit(world):
    invitation, _token = services.invitation_create(
        organization=world.acme, email=NEWCOMER, role="member", invited_by=world.users["org_admin"]
    )

    assert mail.outbox == []  # on_commit callbacks never run inside the test's transaction
    assert OutboxMessage.objects.filter(
        task_name="accounts.invitation_send", sent_at__isnull=True
    ).exists()
    assert services.invitation_send(invitation_id=invitation.pk) is True
    assert len(mail.outbox) == 1


def test_a_ttl_setting_sets_the_expiry(world, invite, settings):
    settings.INVITATION_TTL_DAYS = 2

    invitation, _token = invite()

    assert invitation.expires_at - invitation.created_at == timedelta(days=2)


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("member@example.kr", "already_member"),
        ("MEMBER@example.kr", "already_member"),
        ("lead@example.kr", "account_exists"),  # has an account, not in acme
        ("outsider_member@example.kr", "account_exists"),
    ],
)
def test_people_with_an_account_are_added_not_invited(client_for, world, email, code):
    response = client_for("org_admin").post(list_url(), {"email": email}, format="json")

    assert_problem(response, 409, code)
    assert not Invitation.objects.exists()


def test_one_open_invitation_per_address(client_for, world, invite):
    invitation, _token = invite()

    response = client_for("org_admin").post(
        list_url(), {"email": "NEWCOMER@example.kr"}, format="json"
    )
    assert_problem(response, 409, "invitation_exists")

    # The same address may be invited by another organisation, and again once this one expired.
    other = client_for("secretariat").post(list_url("other"), {"email": NEWCOMER}, format="json")
    assert other.status_code == 201
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    again = client_for("org_admin").post(list_url(), {"email": NEWCOMER}, format="json")
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"email": NEWCOMER, "role": "owner"}, "role", "invalid_choice"),
        ({"email": NEWCOMER, "token": "mine"}, "token", "unknown_field"),
    ],
)
def test_invalid_input(client_for, world, body, field, code):
    assert_field_error(client_for("org_admin").post(list_url(), body, format="json"), field, code)


# --- reading and accepting ---------------------------------------------------------------------


def test_the_link_shows_the_invitation_to_anyone_holding_it(client_for, world, invite):
    _invitation, token = invite(role="data_steward")

    response = client_for("anonymous").get(token_url(token))

    assert response.status_code == 200
    assert response.json() == {
        "organization": {
            "id": world.acme.pk,
            "slug": "acme",
            "name_ko": "에이씨엠이정밀",
            "name_en": "Acme Precision",
            "kind": world.acme.kind,
        },
        "email": NEWCOMER,
        "role": "data_steward",
        "expires_at": response.json()["expires_at"],
    }
    assert client_for("anonymous").get(token_url("not-a-token")).status_code == 404


def test_accepting_creates_the_account_and_the_membership(client_for, world, invite):
    invitation, _token = invite(role="data_steward")
    token = token_in(mail.outbox[0])  # as the invitee would: from the email

    response = client_for("anonymous").post(
        accept_url(token), {"password": PASSWORD, "full_name": "신입 사원"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == NEWCOMER
    assert body["full_name"] == "신입 사원"
    assert body["organization"]["slug"] == "acme"
    assert body["role"] == "data_steward"
    user = User.objects.get(email=NEWCOMER)
    assert user.check_password(PASSWORD)
    assert Membership.objects.get(user=user).organization == world.acme
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == user
    # The new account signs in like any other, and the link is spent.
    signed_in = client_for("anonymous").post(
        reverse("token-obtain"), {"email": NEWCOMER, "password": PASSWORD}, format="json"
    )
    assert signed_in.status_code == 201
    assert client_for("anonymous").get(token_url(token)).status_code == 404
    listed = client_for("org_admin").get(list_url()).json()["results"]
    assert listed[0]["status"] == "accepted"
    assert listed[0]["accepted_by"]["email"] == NEWCOMER


def test_accepting_twice_makes_one_user(client_for, world, invite):
    _invitation, token = invite()
    client = client_for("anonymous")

    first = client.post(accept_url(token), {"password": PASSWORD}, format="json")
    second = client.post(accept_url(token), {"password": PASSWORD + "x"}, format="json")

    assert first.status_code == 201
    assert_problem(second, 409, "invitation_accepted")
    assert User.objects.filter(email=NEWCOMER).count() == 1
    assert User.objects.get(email=NEWCOMER).check_password(PASSWORD)


def test_an_expired_invitation_cannot_be_read_nor_accepted(client_for, world, invite):
    invitation, token = invite()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert client_for("anonymous").get(token_url(token)).status_code == 404
    response = client_for("anonymous").post(
        accept_url(token), {"password": PASSWORD}, format="json"
    )

    assert_problem(response, 409, "invitation_expired")
    assert not User.objects.filter(email=NEWCOMER).exists()
    listed = client_for("org_admin").get(list_url()).json()["results"]
    assert listed[0]["status"] == "expired"


def test_an_unknown_token_is_404(client_for, world):
    response = client_for("anonymous").post(
        accept_url("nope"), {"password": PASSWORD}, format="json"
    )

    assert_problem(response, 404, "invitation_not_found")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1", "password_too_short"),
        ("password", "password_too_common"),
        ("12345678901", "password_entirely_numeric"),
    ],
)
def test_a_weak_password_is_400(client_for, world, invite, password, code):
    invitation, token = invite()

    response = client_for("anonymous").post(
        accept_url(token), {"password": password}, format="json"
    )

    assert_field_error(response, "password", code)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not User.objects.filter(email=NEWCOMER).exists()


def test_a_password_like_the_email_is_refused(client_for, world, invite):
    _invitation, token = invite()

    response = client_for("anonymous").post(
        accept_url(token), {"password": NEWCOMER}, format="json"
    )

    assert_field_error(response, "password", "password_too_similar")


def test_an_account_made_meanwhile_is_409(client_for, world, invite):
    invitation, token = invite()
    UserFactory.create(email="NewComer@example.kr")

    response = client_for("anonymous").post(
        accept_url(token), {"password": PASSWORD}, format="json"
    )

    assert_problem(response, 409, "account_exists")
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accept_refuses_unknown_fields(client_for, world, invite):
    _invitation, token = invite()

    response = client_for("anonymous").post(
        accept_url(token), {"password": PASSWORD, "email": "me@elsewhere.kr"}, format="json"
    )

    assert_field_error(response, "email", "unknown_field")


def test_an_accepted_invitation_cannot_be_revoked(client_for, world, invite):
    invitation, token = invite()
    services.invitation_accept(token=token, password=PASSWORD)

    assert_problem(
        client_for("org_admin").delete(detail_url(invitation)), 409, "invitation_accepted"
    )


def test_revoking_twice_keeps_the_first_revocation(client_for, world, invite):
    invitation, _token = invite()
    client = client_for("org_admin")

    assert client.delete(detail_url(invitation)).status_code == 204
    first = Invitation.objects.get(pk=invitation.pk).revoked_at
    assert client.delete(detail_url(invitation)).status_code == 204

    assert Invitation.objects.get(pk=invitation.pk).revoked_at == first
    assert AuditEvent.objects.filter(action="invitation.revoked").count() == 1


# --- the audit -----------------------------------------------------------------------------------


def test_create_revoke_and_accept_are_audited(client_for, world, invite):
    invitation, token = invite()
    revoked, _other_token = invite(email="second@example.kr")
    client_for("org_admin").delete(detail_url(revoked))
    services.invitation_accept(token=token, password=PASSWORD)

    events = {
        (event.action, event.object_id): event
        for event in AuditEvent.objects.filter(object_type="invitation")
    }

    created = events[("invitation.created", str(invitation.pk))]
    assert created.actor == world.users["org_admin"]
    assert created.organization_ids == [world.acme.pk]
    assert created.data == {"email": NEWCOMER, "role": "member"}
    assert events[("invitation.revoked", str(revoked.pk))].actor == world.users["org_admin"]
    accepted = events[("invitation.accepted", str(invitation.pk))]
    assert accepted.actor == User.objects.get(email=NEWCOMER)
    assert accepted.organization_ids == [world.acme.pk]
    assert token not in str([event.data for event in events.values()])


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_shows_invitations_read_only_without_their_token(admin_client, world, invite):
    invitation, token = invite()

    listed = admin_client.get(reverse("admin:accounts_invitation_changelist"), {"q": "newcomer"})
    shown = admin_client.get(reverse("admin:accounts_invitation_change", args=[invitation.pk]))

    assert listed.status_code == 200
    assert NEWCOMER in listed.content.decode()
    assert shown.status_code == 200
    assert invitation.token_hash not in shown.content.decode()
    assert token not in shown.content.decode()
    assert admin_client.get(reverse("admin:accounts_invitation_add")).status_code == 403
