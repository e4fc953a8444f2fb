"""Every error is an RFC 9457 problem document: Django-level, parsing, size and throttling."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from accounts.models import ApiToken
from tests.common.problems import PROBLEM_CONTENT_TYPE, assert_problem
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("token-obtain")


# --- Django-level handlers (DEBUG is False in tests) -------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/v1/organizations/acme/nope/", "/nowhere"]
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_url_is_a_404_problem(db, settings, path, method):
    assert settings.DEBUG is False

    response = getattr(APIClient(), method)(path)

    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == path
    assert "Traceback" not in response.content.decode()


def test_a_disallowed_host_is_a_400_problem(db):
    response = APIClient().get(reverse("division-list"), HTTP_HOST="evil.example")

    assert_problem(response, 400, "bad_request")


# --- request bodies ----------------------------------------------------------------------------


def test_a_body_over_the_upload_limit_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    body = json.dumps({"email": "member@example.kr", "password": PASSWORD, "name": "x" * 200})

    response = APIClient().post(TOKEN_URL, body, content_type="application/json")

    problem = assert_problem(response, 413, "payload_too_large")
    assert problem["limit_bytes"] == 200
    assert not ApiToken.objects.exists()


def test_a_body_under_the_upload_limit_is_processed(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    body = json.dumps({"email": "member@example.kr", "password": PASSWORD, "name": "x" * 50})
    assert len(body) < 200

    response = APIClient().post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 201


def test_the_limit_also_applies_to_signed_in_writes(client_for, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = client_for("secretariat").post(
        reverse("organization-list"), {"slug": "big", "name_ko": "큰" * 200}
    )

    assert assert_problem(response, 413, "payload_too_large")["limit_bytes"] == 100


def test_a_too_large_form_outside_the_api_is_413_too(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = APIClient().post(
        "/api-auth/login/",
        {"username": "member@example.kr", "password": "x" * 200},
        format="multipart",
    )

    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize("body", ['{"email": ', "not json", '{"email": "a@b.kr",}', "\x00"])
def test_malformed_json_is_400_parse_error(world, body):
    response = APIClient().post(TOKEN_URL, body, content_type="application/json")

    assert_problem(response, 400, "parse_error")
    assert "errors" not in response.json()


def test_an_unsupported_media_type_is_415(world):
    response = APIClient().post(TOKEN_URL, "email=a", content_type="text/plain")

    assert_problem(response, 415, "unsupported_media_type")


def test_a_form_encoded_login_works_too(world):
    response = APIClient().post(
        TOKEN_URL, {"email": "member@example.kr", "password": PASSWORD}, format="multipart"
    )

    assert response.status_code == 201


def test_validation_errors_list_field_code_and_detail(world):
    response = APIClient().post(TOKEN_URL, {"email": "not-an-email", "name": "x" * 101})

    body = assert_problem(response, 400, "validation_error")
    assert sorted((e["field"], e["code"]) for e in body["errors"]) == [
        ("email", "invalid"),
        ("name", "max_length"),
        ("password", "required"),
    ]
    assert all(isinstance(e["detail"], str) and e["detail"] for e in body["errors"])


# --- content negotiation -----------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_json_clients_get_problem_json(world, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    response = APIClient().get(reverse("me"), **headers)

    assert_problem(response, 401, "not_authenticated")


def test_the_browsable_api_renders_errors_as_html(world):
    response = APIClient().get(reverse("me"), HTTP_ACCEPT="text/html")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/html")
    assert not response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)


# --- throttling --------------------------------------------------------------------------------


def assert_throttled(response) -> None:
    body = assert_problem(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert body["retry_after_seconds"] == retry_after


def test_anonymous_callers_are_throttled(world, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = APIClient()

    assert client.get(reverse("division-list")).status_code == 200
    assert client.get(reverse("division-detail", kwargs={"code": "ai-factory"})).status_code == 200
    response = client.get(reverse("division-list"))

    assert_throttled(response)


def test_the_anonymous_throttle_counts_per_address(world, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "1/min")

    assert APIClient(REMOTE_ADDR="10.9.0.1").get(reverse("division-list")).status_code == 200
    assert_throttled(APIClient(REMOTE_ADDR="10.9.0.1").get(reverse("division-list")))
    assert APIClient(REMOTE_ADDR="10.9.0.2").get(reverse("division-list")).status_code == 200


def test_signed_in_callers_are_throttled_per_user(client_for, world, monkeypatch):
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "2/min")
    member = client_for("member")

    assert member.get(reverse("me")).status_code == 200
    assert member.get(reverse("organization-list")).status_code == 200
    assert_throttled(member.get(reverse("me")))
    assert client_for("steward").get(reverse("me")).status_code == 200


def test_logins_have_their_own_throttle(world, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "2/min")
    client = APIClient()
    credentials = {"email": "member@example.kr", "password": PASSWORD}

    assert client.post(TOKEN_URL, credentials).status_code == 201
    assert client.post(TOKEN_URL, credentials).status_code == 201
    response = client.post(TOKEN_URL, credentials)

    assert_throttled(response)
    assert ApiToken.objects.count() == 2
    # Other endpoints are not affected by the login throttle.
    assert client.get(reverse("division-list")).status_code == 200
