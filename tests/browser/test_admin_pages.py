"""The organisation, figures and audit pages in a real browser: each visited by its persona
(axe-core and screenshots in both languages); an API token created and copied from the
keyboard, a webhook added and pinged, charts drawn with their CSV, the chain verified."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from registry.models import WebhookEndpoint
from tests.personas import World, build_world


@pytest.fixture
def scene(console: str) -> World:
    return build_world()


class Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A webhook receiver on 127.0.0.1 answering 204 (private networks allowed for it)."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Accepting)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/max"
    finally:
        server.shutdown()
        server.server_close()


def test_an_admin_manages_tokens_and_webhooks(
    console: str,
    scene: World,
    receiver: str,
    session_for: Callable[..., Any],
    visit: Callable[..., None],
) -> None:
    page = session_for(scene.users["org_admin"], language="en")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console)
    page.goto(console + "/organization/")
    page.wait_for_url(console + "/organization/acme/")
    visit(page, "/organization/acme/", "organization")
    assert page.locator("#members tbody tr").count() == 3

    # A token from the keyboard: name, Tab past the expiry, Enter; then copy it with Space.
    visit(page, "/organization/tokens/", "api-tokens")
    page.locator("#id_name").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("nightly export")
    page.keyboard.press("Enter")
    secret = page.locator("#new-token-secret")
    secret.wait_for()
    value = secret.inner_text().strip()
    assert value.startswith("maxr_")
    page.locator("#copy-token").focus()
    page.keyboard.press("Space")
    assert page.evaluate("navigator.clipboard.readText()") == value
    # Shown once: a reload of the page (a GET) no longer holds it.
    page.goto(console + "/organization/tokens/")
    assert value not in page.content()
    assert "nightly export" in page.locator("#tokens").inner_text()

    # A webhook: added (its secret shown once), pinged through the outbox, logged.
    page.goto(console + "/organization/acme/")
    page.fill("#id_webhook_url", receiver)
    page.get_by_role("button", name="Add webhook").click()
    page.locator("#new-webhook-secret").wait_for()
    endpoint = WebhookEndpoint.objects.get(organization=scene.acme)
    visit(page, f"/organization/acme/webhooks/{endpoint.pk}/", "webhook")
    page.get_by_role("button", name="Send a test ping").click()
    page.locator("#delivery-log tbody tr").first.wait_for()
    log = page.locator("#delivery-log").inner_text()
    assert "ping" in log
    assert "delivered" in log
    assert "204" in log


def test_the_secretariat_picks_an_organisation(
    console: str, scene: World, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(scene.users["secretariat"], language="en")
    visit(page, "/organization/", "organizations")
    page.fill("#id_q", "acme")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="에이씨엠이정밀 · Acme Precision").click()
    page.wait_for_url(console + "/organization/acme/")


def test_figures_draw_their_charts_with_csv(
    console: str, scene: World, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(scene.users["secretariat"], language="en")
    visit(page, "/figures/", "figures")
    page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length === 5")
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".map(c => !!window.Chart.getChart(c))"
    )
    assert drawn == [True] * 5
    link = page.locator("a.csv-link").first
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".csv")
    response = page.request.get(console + str(link.get_attribute("href")))
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    # A division lead's page too.
    lead = session_for(scene.users["division_lead"], language="en")
    visit(lead, "/figures/", "figures-division-lead")


def test_the_secretariat_verifies_the_chain(
    console: str, scene: World, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(scene.users["secretariat"], language="en")
    page.goto(console + "/organization/tokens/")
    page.fill("#id_name", "audited")
    page.get_by_role("button", name="Create token").click()  # one audit event
    visit(page, "/audit/", "audit")
    assert "api_token.created" in page.locator("#audit-events").inner_text()
    page.locator("#verify-button").focus()
    page.keyboard.press("Enter")
    result = page.locator("#verify-result [data-result]")
    result.wait_for()
    assert result.get_attribute("data-result") == "ok"
    assert "ok" in result.inner_text()


def test_an_invitee_joins_from_the_emails_link(
    console: str,
    scene: World,
    session_for: Callable[..., Any],
    visit: Callable[..., None],
    mailoutbox: list[Any],
) -> None:
    from playwright.sync_api import expect

    admin = session_for(scene.users["org_admin"], language="en")
    admin.goto(console + "/organization/acme/")
    admin.fill("#id_invitation_email", "newcomer@example.kr")
    admin.select_option("#id_invitation_role", "data_steward")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.locator("#invitations")).to_contain_text("newcomer@example.kr")
    assert mailoutbox
    found = re.search(r"(/invitations/[A-Za-z0-9_-]+/)", mailoutbox[-1].body)
    assert found is not None
    path = found.group(1)

    invitee = session_for(None, language="en")
    visit(invitee, path, "invitation-accept")
    assert "newcomer@example.kr" in invitee.locator("main").inner_text()
    # From the keyboard: name, password twice, Enter.
    invitee.locator("#id_full_name").focus()
    invitee.keyboard.type("New Steward")
    invitee.keyboard.press("Tab")
    invitee.keyboard.type("12345678")
    invitee.keyboard.press("Tab")
    invitee.keyboard.type("12345678")
    invitee.keyboard.press("Enter")
    # Waits for the answer: the page comes back with the validators' words.
    expect(invitee.locator("main")).to_contain_text("This password is too common.")
    invitee.fill("#id_password", "a-long-Pass-phrase-2026")
    invitee.fill("#id_password_again", "a-long-Pass-phrase-2026")
    invitee.locator("#id_password_again").press("Enter")
    invitee.wait_for_url(console + "/")
    assert "newcomer@example.kr" in invitee.locator("header").inner_text()
