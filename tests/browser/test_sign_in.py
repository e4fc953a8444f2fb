"""Signing in and out, and the language switch, in a real browser, from the keyboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

PASSWORD = "a-long-Pass-phrase-2026"


@pytest.fixture
def person(console: str) -> Any:
    return UserFactory.create(email="steward@example.kr", password=PASSWORD)


def test_sign_in_from_the_keyboard_then_out(
    console: str, person: Any, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(None)
    visit(page, "/login/", "sign-in")
    # Korean by default, whatever the browser's own language (en-US here).
    assert page.locator("h1").inner_text() == "로그인"
    page.locator("#id_email").focus()
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(console + "/")
    assert person.email in page.locator("header").inner_text()
    page.get_by_role("button", name="로그아웃").click()
    page.wait_for_url(console + "/login/")
    page.goto(console + "/")
    assert page.url.startswith(console + "/login/?next=/")


def test_a_wrong_password_says_so_and_keeps_the_reader_out(
    console: str, person: Any, session_for: Callable[..., Any]
) -> None:
    page = session_for(None, language="en")
    page.goto(console + "/login/")
    page.fill("#id_email", person.email)
    page.fill("#id_password", "wrong")
    page.get_by_role("button", name="Sign in").last.click()
    assert "Wrong email or password." in page.locator("[role=alert]").inner_text()
    assert page.url == console + "/login/"


def test_the_language_switch_is_remembered(
    console: str, person: Any, session_for: Callable[..., Any]
) -> None:
    page = session_for(person)
    page.goto(console + "/")
    assert page.locator("html").get_attribute("lang") == "ko"
    page.select_option("#language-select", "en")
    page.get_by_role("button", name="변경").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(console + "/")
    assert page.locator("html").get_attribute("lang") == "en"


def test_pages_run_no_inline_script(
    console: str, person: Any, session_for: Callable[..., Any]
) -> None:
    page = session_for(person)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    response = page.goto(console + "/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.htmx") == "object"  # our own script files do run
    assert [text for text in violations if "Content Security Policy" in text] == []
