"""Browser tests: the console in Debian's Chromium (/usr/bin/chromium), driven by Playwright for
Python with `executable_path`; never a downloaded browser. Without Chromium they are skipped,
and the run says so plainly at its end.

Every page a test visits through `visit` is checked with axe-core (vendored, no serious or
critical violations) and saved as a screenshot in both languages under .data/screenshots/."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / ".data" / "screenshots"
SKIP_REASON = (
    f"browser tests skipped: Debian's Chromium is not installed at {CHROMIUM} "
    "(apt-get install chromium chromium-driver; .ci/run installs it)"
)
# The flags the machine needs: no network calls of Chromium's own, no GPU, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
LANGUAGES = ("ko", "en")
BLOCKING_IMPACTS = ("serious", "critical")

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run while one
# is running unless told that this is safe (the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CHROMIUM.exists():
        terminalreporter.write_line(SKIP_REASON, yellow=True, bold=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def console(transactional_db: None, divisions_survive_the_flush: None, live_server: Any) -> str:
    """The live server's base URL; the database is real and committed, as in production."""
    return str(live_server.url)


class AxeViolations(AssertionError):
    pass


def axe_check(page: Any) -> None:
    """Run axe-core on the page; fail on any violation of serious or critical impact."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await window.axe.run(document)")
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
        if v.get("impact") in BLOCKING_IMPACTS
    ]
    if blocking:
        raise AxeViolations(f"{page.url}: " + "; ".join(blocking))


def screenshot(page: Any, name: str, language: str) -> Path:
    path = SCREENSHOTS / language / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def session_for(console: str, browser: Any) -> Iterator[Callable[..., Any]]:
    """A browser page signed in as `user` (through a session made by Django's test client: the
    sign-in form itself has its own tests), in Korean unless `language` says otherwise."""
    contexts: list[Any] = []

    def make(user: User | None, language: str = "ko") -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        contexts.append(context)
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": console}]
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": console})
        context.add_cookies(cookies)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def set_language(page: Any, base_url: str, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    )


@pytest.fixture
def visit(console: str) -> Callable[..., None]:
    """Open a path, check it with axe-core and save its screenshot, in Korean and English;
    the page is left on the path in the language it started in."""

    def go(page: Any, path: str, name: str) -> None:
        start = next(
            (c["value"] for c in page.context.cookies() if c["name"] == "django_language"), "ko"
        )
        for language in (*[lang for lang in LANGUAGES if lang != start], start):
            set_language(page, console, language)
            response = page.goto(console + path)
            assert response is not None
            assert response.status < 400, (path, response.status)
            assert page.locator("html").get_attribute("lang") == language
            axe_check(page)
            screenshot(page, name, language)

    return go
