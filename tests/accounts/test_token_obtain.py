"""POST /api/v1/auth/token/: email and password in, a bearer token (shown once) out."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.accounts.helpers import bearer
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import PASSWORD, UserFactory
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

URL = reverse("token-obtain")
SIGNED_IN = [persona for persona in PERSONAS if persona != "anonymous"]


def obtain(email: str, password: str = PASSWORD, client: APIClient | None = None, **extra):
    return (client or APIClient()).post(URL, {"email": email, "password": password, **extra})


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_persona_gets_a_token_that_authenticates_as_them(world, persona):
    user = world.users[persona]

    response = obtain(user.email)

    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert secret.startswith("maxr_")
    assert len(secret) > 40
    assert body["prefix"] == secret[:11]
    assert body["name"] == "api"
    assert body["is_active"] is True
    assert body["expires_at"] is None
    assert body["revoked_at"] is None
    me = bearer(secret).get(reverse("me"))
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_the_secret_is_shown_once_and_never_again(world):
    secret = obtain(world.users["member"].email).json()["token"]

    client = bearer(secret)
    listing = client.get(reverse("api-token-list"))
    detail = client.get(
        reverse("api-token-detail", kwargs={"pk": listing.json()["results"][0]["id"]})
    )

    assert listing.status_code == 200
    assert detail.status_code == 200
    for response in (listing, detail):
        assert secret not in response.content.decode()
        assert secret[11:] not in response.content.decode()


def test_each_login_creates_a_distinct_named_token(world):
    email = world.users["member"].email

    first = obtain(email, name="ci-pipeline")
    second = obtain(email, name="notebook")

    assert first.status_code == second.status_code == 201
    assert first.json()["token"] != second.json()["token"]
    names = set(ApiToken.objects.filter(user=world.users["member"]).values_list("name", flat=True))
    assert names == {"ci-pipeline", "notebook"}


def test_only_a_hash_of_the_secret_is_stored(world):
    secret = obtain(world.users["member"].email).json()["token"]

    token = ApiToken.objects.get(user=world.users["member"])
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert row is not None
    for value in row:
        assert secret not in str(value)
        assert secret[11:] not in str(value)


def test_wrong_password_is_401_problem(world):
    response = obtain(world.users["member"].email, "not-the-password")

    body = assert_problem(response, 401, "authentication_failed")
    assert body["instance"] == URL
    assert not ApiToken.objects.exists()


def test_unknown_email_is_401_like_a_wrong_password(world):
    unknown = obtain("nobody@example.kr")
    wrong = obtain(world.users["member"].email, "not-the-password")

    assert_problem(unknown, 401, "authentication_failed")
    # Same answer whether or not the account exists: no user enumeration.
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_inactive_user_cannot_obtain_a_token(world):
    user = world.users["member"]
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = obtain(user.email)

    assert_problem(response, 401, "authentication_failed")
    assert not ApiToken.objects.filter(user=user).exists()


def test_email_matching_is_case_insensitive(world):
    response = obtain("MEMBER@Example.KR")

    assert response.status_code == 201
    assert ApiToken.objects.get().user == world.users["member"]


def test_a_user_stored_with_a_mixed_case_email_can_log_in(db):
    user = UserFactory.create(email="Kim.Minsu@Example.kr")

    response = obtain("Kim.Minsu@Example.kr")

    assert response.status_code == 201
    assert ApiToken.objects.get().user == user


@pytest.mark.parametrize(
    ("payload", "missing"),
    [
        ({}, {"email", "password"}),
        ({"email": "member@example.kr"}, {"password"}),
        ({"password": PASSWORD}, {"email"}),
    ],
)
def test_missing_fields_are_400_with_field_errors(world, payload, missing):
    response = APIClient().post(URL, payload)

    body = assert_field_error(response, sorted(missing)[0], "required")
    assert {error["field"] for error in body["errors"]} == missing
    assert all(error["code"] == "required" for error in body["errors"])
    assert all(error["detail"] for error in body["errors"])


def test_malformed_email_is_400(world):
    response = obtain("not-an-email")

    assert_field_error(response, "email", "invalid")


def test_expires_at_in_the_past_is_400(world):
    past = timezone.now() - timedelta(minutes=1)

    response = obtain(world.users["member"].email, expires_at=past.isoformat())

    assert_field_error(response, "expires_at", "invalid")
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_once_it_expires(world):
    expires_at = timezone.now() + timedelta(hours=1)
    response = obtain(world.users["member"].email, expires_at=expires_at.isoformat())
    assert response.status_code == 201
    assert response.json()["expires_at"] is not None
    client = bearer(response.json()["token"])
    assert client.get(reverse("me")).status_code == 200

    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get(reverse("me"))

    assert_problem(expired, 401, "authentication_failed")
    assert expired["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_bearer_header_on_the_login_request_is_ignored(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer maxr_garbage")

    response = obtain(world.users["member"].email, client=client)

    assert response.status_code == 201


def test_too_many_active_tokens_is_409(world, settings):
    settings.API_TOKEN_MAX_PER_USER = 2
    email = world.users["member"].email
    assert obtain(email).status_code == 201
    assert obtain(email).status_code == 201

    response = obtain(email)

    assert_problem(response, 409, "too_many_tokens")
    assert ApiToken.objects.count() == 2


def test_revoked_and_expired_tokens_do_not_count_towards_the_limit(world, settings):
    settings.API_TOKEN_MAX_PER_USER = 2
    email = world.users["member"].email
    first, second = (obtain(email).json()["id"] for _ in range(2))
    ApiToken.objects.filter(pk=first).update(revoked_at=timezone.now())
    ApiToken.objects.filter(pk=second).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = obtain(email)

    assert response.status_code == 201


class TestFailedLoginLockout:
    @pytest.fixture(autouse=True)
    def _limit(self, settings):
        settings.LOGIN_FAILURE_LIMIT = 3
        settings.LOGIN_FAILURE_WINDOW_SECONDS = 900

    def test_after_the_limit_even_the_right_password_gets_429(self, world):
        email = world.users["member"].email
        for _ in range(3):
            assert_problem(obtain(email, "wrong"), 401, "authentication_failed")

        response = obtain(email)

        body = assert_problem(response, 429, "throttled")
        assert response["Retry-After"] == "900"
        assert body["retry_after_seconds"] == 900
        assert not ApiToken.objects.exists()

    def test_below_the_limit_the_right_password_still_works(self, world):
        email = world.users["member"].email
        for _ in range(2):
            assert obtain(email, "wrong").status_code == 401

        assert obtain(email).status_code == 201

    def test_the_lockout_follows_the_email_across_addresses(self, world):
        email = world.users["member"].email
        for index in range(3):
            assert (
                obtain(email, "wrong", APIClient(REMOTE_ADDR=f"10.0.0.{index}")).status_code == 401
            )

        response = obtain(email, client=APIClient(REMOTE_ADDR="10.0.1.1"))

        assert_problem(response, 429, "throttled")

    def test_the_lockout_follows_the_address_across_emails(self, world):
        client = APIClient(REMOTE_ADDR="10.0.0.9")
        for index in range(3):
            assert obtain(f"guess{index}@example.kr", "wrong", client).status_code == 401

        locked = obtain(world.users["steward"].email, client=client)
        elsewhere = obtain(world.users["steward"].email, client=APIClient(REMOTE_ADDR="10.0.0.10"))

        assert_problem(locked, 429, "throttled")
        assert elsewhere.status_code == 201

    def test_the_lockout_matches_the_email_case_insensitively(self, world):
        spellings = ("member@example.kr", "MEMBER@example.kr", "Member@Example.KR")
        for index, email in enumerate(spellings):
            client = APIClient(REMOTE_ADDR=f"10.0.2.{index}")
            assert obtain(email, "wrong", client).status_code == 401

        response = obtain("member@example.kr", client=APIClient(REMOTE_ADDR="10.0.3.1"))

        assert_problem(response, 429, "throttled")

    def test_a_successful_login_clears_the_email_failure_count(self, world):
        email = world.users["member"].email
        for index in range(2):
            assert (
                obtain(email, "wrong", APIClient(REMOTE_ADDR=f"10.1.0.{index}")).status_code == 401
            )
        assert obtain(email, client=APIClient(REMOTE_ADDR="10.1.1.1")).status_code == 201
        for index in range(2):
            assert (
                obtain(email, "wrong", APIClient(REMOTE_ADDR=f"10.1.2.{index}")).status_code == 401
            )

        response = obtain(email, client=APIClient(REMOTE_ADDR="10.1.3.1"))

        assert response.status_code == 201

    def test_behind_a_proxy_the_lockout_counts_the_forwarded_client(self, world, settings):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        proxy = "10.0.0.1"
        attacker = APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
        victim = APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
        for index in range(3):
            assert obtain(f"guess{index}@example.kr", "wrong", attacker).status_code == 401

        response = obtain(world.users["member"].email, client=victim)

        assert response.status_code == 201

    def test_behind_a_proxy_the_forwarded_client_is_still_locked_out(self, world, settings):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        attacker = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
        for index in range(3):
            assert obtain(f"guess{index}@example.kr", "wrong", attacker).status_code == 401

        assert_problem(obtain(world.users["member"].email, client=attacker), 429, "throttled")
