"""The console's guards: CSRF on forms, the API's login lockout, framing, the
Content-Security-Policy, cookie flags in production, Swagger UI from our own files."""

from __future__ import annotations

import importlib
import re
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "a-long-Pass-phrase-2026"


@pytest.fixture
def person(db: None):
    return UserFactory.create(email="person@example.kr", password=PASSWORD)


def test_sign_in_without_the_csrf_token_is_refused(person) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("console:login"), {"email": person.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_sign_in_with_the_form_token_signs_in(person) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("console:login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    response = client.post(
        reverse("console:login"),
        {"email": person.email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert client.session["_auth_user_id"] == str(person.pk)


def test_sign_out_is_a_post_with_csrf(person) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    assert client.get(reverse("console:logout")).status_code == 405
    assert client.post(reverse("console:logout")).status_code == 403
    assert "_auth_user_id" in client.session


def test_an_outside_next_address_is_not_followed(person, client: Client) -> None:
    response = client.post(
        reverse("console:login"),
        {"email": person.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("console:home")


def test_the_page_and_the_api_share_one_lockout(person, client: Client, settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(
            reverse("console:login"), {"email": person.email, "password": "wrong"}
        )
        assert response.status_code == 400
    # Locked: even the right password is refused, on the page and through the API.
    response = client.post(reverse("console:login"), {"email": person.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    api = client.post(
        reverse("token-obtain"),
        {"email": person.email, "password": PASSWORD, "name": "script"},
        content_type="application/json",
    )
    assert api.status_code == 429


def test_pages_refuse_framing_and_inline_script(client: Client, db: None) -> None:
    response = client.get(reverse("console:login"))
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "<script>" not in response.content.decode()  # only <script src=...>


def test_signed_in_pages_send_anonymous_readers_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("console:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:login") + "?next=/"


def test_session_cookie_flags(person, client: Client) -> None:
    response = client.post(reverse("console:login"), {"email": person.email, "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_sets_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DATABASE_URL", "postgres://localhost/x")
    sys.modules.pop("config.settings.production", None)
    production = importlib.import_module("config.settings.production")
    try:
        assert production.SESSION_COOKIE_SECURE is True
        assert production.SESSION_COOKIE_HTTPONLY is True
        assert production.SESSION_COOKIE_SAMESITE == "Lax"
        assert production.CSRF_COOKIE_SECURE is True
        assert production.X_FRAME_OPTIONS == "DENY"
        assert "common.middleware.ContentSecurityPolicyMiddleware" in production.MIDDLEWARE
        assert "whitenoise.middleware.WhiteNoiseMiddleware" in production.MIDDLEWARE
    finally:
        sys.modules.pop("config.settings.production", None)


def test_api_docs_load_nothing_from_another_site(client: Client, db: None) -> None:
    page = client.get(reverse("swagger-ui")).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert all(source.startswith("/") for source in sources), sources
    assert "<script>" not in page
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_pages_are_korean_unless_the_reader_chose_english(client: Client, db: None) -> None:
    page = client.get(reverse("console:login"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert '<html lang="ko">' in page.content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(reverse("console:login"))
    assert '<html lang="en">' in page.content.decode()


def test_the_api_still_follows_accept_language(client: Client, db: None) -> None:
    response = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_unknown_pages_answer_with_the_error_page(client: Client, db: None) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


def test_collectstatic_builds_the_production_manifest(tmp_path, settings) -> None:
    """The production storage hashes every file and follows its references (a vendored
    script's source map): a missing one would stop the image build."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command
    from django.utils.functional import empty

    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    staticfiles_storage._wrapped = empty  # type: ignore[attr-defined]  # re-read STORAGES
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        assert "console/console.css" in (tmp_path / "static" / "staticfiles.json").read_text()
    finally:
        staticfiles_storage._wrapped = empty  # type: ignore[attr-defined]
