"""`Authorization: Bearer <token>`: what authenticates, what is refused, what is ignored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.accounts.helpers import bearer
from tests.common.problems import assert_problem

pytestmark = pytest.mark.django_db

ME = reverse("me")
PUBLIC = reverse("division-list")


def with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


# A WSGI server hands headers over as latin-1 text; this is how UTF-8 bytes arrive.
NON_ASCII_TOKEN = "maxr_토큰".encode().decode("latin-1")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer", id="keyword-only"),
        pytest.param("Bearer ", id="keyword-and-space"),
        pytest.param("Bearer a b", id="two-tokens"),
        pytest.param(f"Bearer {NON_ASCII_TOKEN}", id="non-ascii"),
        pytest.param("Bearer maxr_unknown", id="unknown-token"),
        pytest.param("Bearer " + "x" * 500, id="long-garbage"),
    ],
)
@pytest.mark.parametrize("url", [ME, PUBLIC])
def test_a_bad_bearer_header_is_401_problem_even_on_public_endpoints(world, header, url):
    response = with_header(header).get(url)

    assert_problem(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header", ["Token xyz", "Basic bWVtYmVyQGV4YW1wbGUua3I6cGFzc3dvcmQ=", "Bearerxyz"]
)
def test_other_schemes_are_ignored_and_the_caller_is_anonymous(world, header):
    client = with_header(header)

    public = client.get(PUBLIC)
    private = client.get(ME)

    assert public.status_code == 200
    assert len(public.json()) == 10
    assert_problem(private, 401, "not_authenticated")
    assert private["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_keyword_is_case_insensitive(world, issue_token):
    secret = issue_token(world.users["member"])

    response = with_header(f"bearer {secret}").get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == "member@example.kr"


def test_a_valid_token_authenticates_as_its_owner_only(world, issue_token):
    member = bearer(issue_token(world.users["member"]))
    outsider = bearer(issue_token(world.users["outsider_member"]))

    assert member.get(ME).json()["email"] == "member@example.kr"
    assert outsider.get(ME).json()["email"] == "outsider_member@example.kr"


def test_a_token_with_a_wrong_character_is_refused(world, issue_token):
    secret = issue_token(world.users["member"])
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    assert_problem(bearer(tampered).get(ME), 401, "authentication_failed")


def test_the_token_of_a_deactivated_user_is_refused(world, issue_token):
    user = world.users["member"]
    client = bearer(issue_token(user))
    assert client.get(ME).status_code == 200

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_problem(client.get(ME), 401, "authentication_failed")


def test_a_revoked_token_is_refused(world, issue_token):
    client = bearer(issue_token(world.users["member"]))
    ApiToken.objects.update(revoked_at=timezone.now())

    assert_problem(client.get(ME), 401, "authentication_failed")


def test_an_expired_token_is_refused_and_a_future_expiry_is_not(world, issue_token):
    client = bearer(issue_token(world.users["member"]))

    ApiToken.objects.update(expires_at=timezone.now() + timedelta(minutes=1))
    assert client.get(ME).status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(client.get(ME), 401, "authentication_failed")


def test_use_records_last_used_at(world, issue_token):
    client = bearer(issue_token(world.users["member"]))
    assert ApiToken.objects.get().last_used_at is None

    before = timezone.now()
    assert client.get(ME).status_code == 200

    last_used_at = ApiToken.objects.get().last_used_at
    assert last_used_at is not None
    assert last_used_at >= before


def test_last_used_at_is_written_at_most_every_five_minutes(world, issue_token):
    client = bearer(issue_token(world.users["member"]))
    recent = timezone.now() - timedelta(minutes=1)
    stale = timezone.now() - timedelta(minutes=6)

    ApiToken.objects.update(last_used_at=recent)
    assert client.get(ME).status_code == 200
    assert ApiToken.objects.get().last_used_at == recent

    ApiToken.objects.update(last_used_at=stale)
    assert client.get(ME).status_code == 200
    last_used_at = ApiToken.objects.get().last_used_at
    assert last_used_at is not None
    assert last_used_at > recent
