"""/api/v1/auth/tokens/: list, read and revoke your own API tokens."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.accounts.helpers import bearer
from tests.common.problems import assert_problem
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

URL = reverse("api-token-list")
SIGNED_IN = [persona for persona in PERSONAS if persona != "anonymous"]
OUTPUT_FIELDS = {
    "id",
    "name",
    "prefix",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "is_active",
}


@pytest.fixture
def secrets(world, issue_token):
    """Two tokens for every signed-in persona, named after their owner."""
    return {
        persona: [issue_token(world.users[persona], name=f"{persona}-{n}") for n in (1, 2)]
        for persona in SIGNED_IN
    }


def test_anonymous_gets_401(world):
    response = APIClient().get(URL)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_anonymous_cannot_read_or_revoke_a_token(world, secrets):
    token = ApiToken.objects.filter(user=world.users["member"]).first()
    assert token is not None
    client = APIClient()

    assert_problem(
        client.get(reverse("api-token-detail", kwargs={"pk": token.pk})), 401, "not_authenticated"
    )
    assert_problem(
        client.delete(reverse("api-token-detail", kwargs={"pk": token.pk})),
        401,
        "not_authenticated",
    )
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_list_shows_only_your_own_tokens_and_no_secret(world, secrets, persona):
    response = bearer(secrets[persona][0]).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {item["name"] for item in body["results"]} == {f"{persona}-1", f"{persona}-2"}
    for item in body["results"]:
        assert set(item) == OUTPUT_FIELDS
    content = response.content.decode()
    for other_secret in (s for values in secrets.values() for s in values):
        assert other_secret not in content
    for key_hash in ApiToken.objects.values_list("key_hash", flat=True):
        assert key_hash not in content


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_another_users_token_is_404(world, secrets, persona):
    client = bearer(secrets[persona][0])
    foreign = ApiToken.objects.exclude(user=world.users[persona])

    for token in foreign:
        assert_problem(
            client.get(reverse("api-token-detail", kwargs={"pk": token.pk})), 404, "not_found"
        )
        assert_problem(
            client.delete(reverse("api-token-detail", kwargs={"pk": token.pk})), 404, "not_found"
        )
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


@pytest.mark.parametrize("lookup", ["abc", "0", "99999999"])
def test_a_malformed_or_missing_id_is_404(world, secrets, lookup):
    client = bearer(secrets["member"][0])

    assert_problem(client.get(reverse("api-token-detail", kwargs={"pk": lookup})), 404, "not_found")
    assert_problem(
        client.delete(reverse("api-token-detail", kwargs={"pk": lookup})), 404, "not_found"
    )


def test_detail_of_your_own_token(world, secrets):
    token = ApiToken.objects.get(name="member-2")

    response = bearer(secrets["member"][0]).get(
        reverse("api-token-detail", kwargs={"pk": token.pk})
    )

    assert response.status_code == 200
    assert response.json()["id"] == token.pk
    assert response.json()["prefix"] == secrets["member"][1][:11]
    assert set(response.json()) == OUTPUT_FIELDS


def test_revoke_makes_the_token_stop_working(world, secrets):
    revoked_secret = secrets["member"][1]
    token = ApiToken.objects.get(name="member-2")
    client = bearer(secrets["member"][0])
    assert bearer(revoked_secret).get(reverse("me")).status_code == 200

    response = client.delete(reverse("api-token-detail", kwargs={"pk": token.pk}))

    assert response.status_code == 204
    refused = bearer(revoked_secret).get(reverse("me"))
    assert_problem(refused, 401, "authentication_failed")
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    # The revoked token stays listed, marked inactive; the other one still works.
    listed = {item["name"]: item for item in client.get(URL).json()["results"]}
    assert listed["member-2"]["is_active"] is False
    assert listed["member-2"]["revoked_at"] is not None
    assert listed["member-1"]["is_active"] is True
    assert client.get(reverse("me")).status_code == 200


def test_a_token_can_revoke_itself(world, secrets):
    secret = secrets["member"][0]
    token = ApiToken.objects.get(name="member-1")
    client = bearer(secret)

    assert client.delete(reverse("api-token-detail", kwargs={"pk": token.pk})).status_code == 204

    assert_problem(client.get(URL), 401, "authentication_failed")


def test_revoking_twice_keeps_the_first_revocation_time(world, secrets):
    token = ApiToken.objects.get(name="member-2")
    client = bearer(secrets["member"][0])
    assert client.delete(reverse("api-token-detail", kwargs={"pk": token.pk})).status_code == 204
    token.refresh_from_db()
    first_revoked_at = token.revoked_at
    assert first_revoked_at is not None
    assert first_revoked_at <= timezone.now()

    response = client.delete(reverse("api-token-detail", kwargs={"pk": token.pk}))

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at == first_revoked_at


def test_revoking_one_users_token_leaves_everyone_elses_working(world, secrets):
    token = ApiToken.objects.get(name="member-1")
    assert (
        bearer(secrets["member"][0])
        .delete(reverse("api-token-detail", kwargs={"pk": token.pk}))
        .status_code
        == 204
    )

    for persona, values in secrets.items():
        for index, secret in enumerate(values):
            expected = 401 if (persona, index) == ("member", 0) else 200
            assert bearer(secret).get(reverse("me")).status_code == expected, (persona, index)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_tokens_cannot_be_edited(world, secrets, method):
    token = ApiToken.objects.get(name="member-1")

    response = getattr(bearer(secrets["member"][0]), method)(
        reverse("api-token-detail", kwargs={"pk": token.pk}),
        {"name": "renamed", "expires_at": None},
    )

    body = assert_problem(response, 405, "method_not_allowed")
    assert body["method"] == method.upper()
    token.refresh_from_db()
    assert token.name == "member-1"


def test_tokens_are_not_created_here(world, secrets):
    response = bearer(secrets["member"][0]).post(URL, {"name": "sneaky"})

    assert_problem(response, 405, "method_not_allowed")
    assert not ApiToken.objects.filter(name="sneaky").exists()
