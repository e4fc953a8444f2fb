"""Approvers in a real browser: a request through both approvals (the publisher's steward
with the mouse, the division lead from the keyboard), a rejection with its reason that the
requester then reads, and the inbox, decision and home pages of every persona checked with
axe-core in both languages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.models import ApprovalRoute, SharingRequest
from registry.models import SharingRequestState as S
from tests.personas import World
from tests.sharing import CSV_BYTES


def test_a_request_through_both_approvals_to_a_downloaded_file(
    console: str,
    world: World,
    set_route: Callable[..., Any],
    submit: Callable[..., SharingRequest],
    session_for: Callable[..., Any],
    visit: Callable[..., None],
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    item = f"/inbox/{request.pk}/"

    # The steward: from the home page's count to the inbox, the request, Approve.
    steward = session_for(world.users["steward"], language="en")
    visit(steward, "/", "home-steward")
    steward.locator('[data-tile="inbox"] a').click()
    steward.wait_for_url(console + "/inbox/")
    visit(steward, "/inbox/", "inbox-steward")
    eligibility = steward.locator(".eligibility").inner_text()
    assert "Eligible under the current policy" in eligibility
    steward.locator(f'a[href="{item}"]').click()
    steward.wait_for_url(console + item)
    visit(steward, item, "inbox-item-steward")
    steward.get_by_role("button", name="Approve").click()
    steward.wait_for_url(console + "/inbox/")
    assert steward.get_by_role("status").inner_text() == "Approved."
    request.refresh_from_db()
    assert request.state == S.AWAITING_DIVISION_LEAD

    # The division lead, from the keyboard: Tab to the request, Enter; Tab to Approve, Space.
    lead = session_for(world.users["division_lead"], language="en")
    lead.goto(console + "/inbox/")
    link = lead.locator(f'a[href="{item}"]')
    for _ in range(30):
        lead.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the request's link is not reachable with Tab")
    lead.keyboard.press("Enter")
    lead.wait_for_url(console + item)
    visit(lead, item, "inbox-item-division-lead")
    approve = lead.get_by_role("button", name="Approve")
    lead.locator("#id_approve-reason").focus()
    lead.keyboard.type("Fine for model training.")
    lead.keyboard.press("Tab")
    assert approve.evaluate("element => element === document.activeElement")
    lead.keyboard.press("Space")
    lead.wait_for_url(console + "/inbox/")
    assert lead.get_by_role("status").inner_text() == "Approved."
    request.refresh_from_db()
    assert request.state == S.ACTIVE
    assert "Nothing waits for your decision." in lead.locator("main").inner_text()

    # The requester: the grant on their request's page, and the file through a fresh link.
    from playwright.sync_api import expect

    requester = session_for(world.users["outsider_member"], language="en")
    requester.goto(console + f"/sharing-requests/{request.pk}/")
    expect(requester.locator("#request-state")).to_have_text("Active")
    requester.get_by_role("button", name="Get download links").click()
    link = requester.locator("#download-links a", has_text="vibration.csv")
    with requester.expect_download() as download_info:
        link.click()
    assert Path(download_info.value.path()).read_bytes() == CSV_BYTES


def test_a_rejection_with_its_reason_reaches_the_requester(
    console: str,
    world: World,
    set_route: Callable[..., Any],
    submit: Callable[..., SharingRequest],
    session_for: Callable[..., Any],
) -> None:
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    steward = session_for(world.users["steward"], language="en")
    steward.goto(console + f"/inbox/{request.pk}/")

    # Without a reason the browser asks for one before anything is sent.
    steward.get_by_role("button", name="Reject").click()
    assert steward.url == console + f"/inbox/{request.pk}/"
    assert steward.locator("#id_reject-reason").evaluate("element => !element.validity.valid")
    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER

    steward.fill("#id_reject-reason", "Resale is not permitted for this data.")
    steward.get_by_role("button", name="Reject").click()
    steward.wait_for_url(console + "/inbox/")
    request.refresh_from_db()
    assert request.state == S.REJECTED

    requester = session_for(world.users["outsider_member"], language="en")
    requester.goto(console + f"/sharing-requests/{request.pk}/")
    assert "Resale is not permitted for this data." in requester.locator("main").inner_text()


# Who may open the decision page of a request waiting for the publisher (the API's 404s aside).
SEES_THE_REQUEST = ("steward", "outsider_member", "outsider_steward", "secretariat")


@pytest.mark.parametrize(
    "persona",
    [
        "member",
        "steward",
        "org_admin",
        "outsider_member",
        "outsider_steward",
        "division_lead",
        "secretariat",
    ],
)
def test_every_page_of_the_inbox_and_home_by_persona(
    console: str,
    world: World,
    set_route: Callable[..., Any],
    submit: Callable[..., SharingRequest],
    session_for: Callable[..., Any],
    visit: Callable[..., None],
    persona: str,
) -> None:
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    page = session_for(world.users[persona])
    name = persona.replace("_", "-")

    visit(page, "/", f"home-{name}")
    visit(page, "/inbox/", f"inbox-{name}")
    if persona in SEES_THE_REQUEST:
        visit(page, f"/inbox/{request.pk}/", f"inbox-item-{name}")
    else:
        response = page.goto(console + f"/inbox/{request.pk}/")
        assert response is not None
        assert response.status == 404


def test_a_return_for_changes_and_a_resubmission(
    console: str,
    world: World,
    set_route: Callable[..., Any],
    submit: Callable[..., SharingRequest],
    session_for: Callable[..., Any],
    visit: Callable[..., None],
) -> None:
    """The steward returns the request from its decision page; the requester reads the comment
    on their request's page, edits it and sends it again; it is back in the steward's inbox."""
    from playwright.sync_api import expect

    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    item = f"/inbox/{request.pk}/"
    steward = session_for(world.users["steward"], language="en")
    steward.goto(console + item)
    steward.fill("#id_return-comment", "Name the models you will train.")
    steward.get_by_role("button", name="Return for changes").click()
    steward.wait_for_url(console + "/inbox/")
    assert steward.get_by_role("status").inner_text() == "Returned to the requester for changes."
    request.refresh_from_db()
    assert request.state == S.RETURNED
    assert f'a[href="{item}"]' not in steward.content()

    requester = session_for(world.users["outsider_member"], language="en")
    requester.goto(console + f"/sharing-requests/{request.pk}/")
    assert "Name the models you will train." in requester.locator("#returned-comment").inner_text()
    requester.locator("#resubmit-form #id_justification").fill("Defect detection on press line 3.")
    requester.get_by_role("button", name="Submit again").click()
    expect(requester.locator("#request-state")).to_have_text("Waiting for the publisher")
    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER
    assert request.justification == "Defect detection on press line 3."

    steward.goto(console + "/inbox/")
    assert steward.locator(f'a[href="{item}"]').count() == 1
    visit(steward, item, "inbox-item-resubmitted")
    assert "Name the models you will train." in steward.locator("main").inner_text()
