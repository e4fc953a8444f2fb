"""An AI company's member asks for a dataset in a real browser: the form filled from the
keyboard while the eligibility answer follows, a double click that makes one request, the
grant after approval, a file downloaded through a fresh link, the list, a withdrawal."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from accounts.selectors import actor_for
from datasets.models import Dataset, Distribution, Sensitivity
from registry.models import SharingRequest
from registry.models import SharingRequestState as S
from registry.services import sharing_requests
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import World, build_world
from tests.sharing import CSV_BYTES


@pytest.fixture
def scene(console: str) -> tuple[World, Dataset]:
    world = build_world()
    dataset = DatasetFactory.create(
        publisher=world.acme,
        division=world.ai_factory,
        sensitivity=Sensitivity.MEMBERS,
        title_en="Press vibration",
    )
    version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    distribution = Distribution(
        version=version, format="csv", media_type="text/csv", byte_size=len(CSV_BYTES)
    )
    distribution.file.save("vibration.csv", ContentFile(CSV_BYTES), save=False)
    distribution.save()
    return world, dataset


def test_an_ai_company_asks_gets_a_grant_downloads_and_withdraws(
    console: str,
    scene: tuple[World, Dataset],
    session_for: Callable[..., Any],
    visit: Callable[..., None],
) -> None:
    from playwright.sync_api import expect

    world, dataset = scene
    asker = world.users["outsider_member"]
    page = session_for(asker, language="en")
    # The form, and its eligibility answer before anything is sent.
    visit(page, f"/datasets/{dataset.slug}/request/", "sharing-request-new")
    result = page.locator("#eligibility-result")
    expect(result).to_have_attribute("data-eligible", "false")
    expect(page.locator('#eligibility [data-code="obligations_not_accepted"]')).to_be_visible()

    # Filled from the keyboard: the period, the justification, each obligation (Space).
    page.locator("#id_period_days").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("400")  # longer than the policy's 365 days
    expect(page.locator('#eligibility [data-code="period_too_long"]')).to_be_visible()
    page.keyboard.press("Control+A")
    page.keyboard.type("120")
    expect(page.locator('#eligibility [data-code="period_too_long"]')).to_have_count(0)
    page.keyboard.press("Tab")
    page.keyboard.type("Training a predictive maintenance model for press line 3.")
    for box in page.locator("input[name=accepted_obligations]").all():
        box.focus()
        page.keyboard.press("Space")
    expect(result).to_have_attribute("data-eligible", "true")

    # A double click sends one request.
    page.locator("#submit-request").dblclick()
    page.wait_for_url(re.compile(r".*/sharing-requests/[0-9a-f-]{36}/$"))
    made = SharingRequest.objects.filter(dataset=dataset)
    assert made.count() == 1
    sharing_request = made.get()
    assert sharing_request.period_days == 120
    assert sharing_request.state == S.AWAITING_PUBLISHER  # the check ran on commit

    # The publisher approves (through the service); the page shows the grant.
    sharing_requests.sharing_request_approve(
        actor=actor_for(world.users["steward"]), sharing_request=sharing_request
    )
    visit(page, f"/sharing-requests/{sharing_request.pk}/", "sharing-request")
    expect(page.locator("#request-state")).to_have_text("Active")
    expect(page.locator("#grant-valid-until")).to_be_visible()
    expect(page.locator("#agreement-digest")).to_have_text(sharing_request.agreement.digest)
    assert page.locator("a[href*='/api/v1/download-links/']").count() == 0

    page.get_by_role("button", name="Get download links").click()
    link = page.locator("#download-links a", has_text="vibration.csv")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "vibration.csv"
    assert Path(download.path()).read_bytes() == CSV_BYTES

    # The list shows it.
    visit(page, "/sharing-requests/", "sharing-requests")
    expect(page.locator(f'tr[data-id="{sharing_request.pk}"]')).to_contain_text("Active")

    # Another request, withdrawn from its page (the confirmation accepted).
    other_dataset = DatasetFactory.create(publisher=world.acme, division=world.ai_factory)
    DatasetVersionFactory.create(dataset=other_dataset)
    second, _created = sharing_requests.sharing_request_create(
        actor=actor_for(asker),
        dataset=other_dataset,
        requester=world.other,
        purpose="research",
        justification="Benchmarking our models.",
        period_days=30,
        accepted_obligations=["attribution", "delete_at_expiry"],
    )
    second.refresh_from_db()
    assert second.state == S.AWAITING_PUBLISHER  # checked on commit
    page.goto(f"{console}/sharing-requests/{second.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw the request").click()
    expect(page.locator("#request-state")).to_have_text("Withdrawn")
    second.refresh_from_db()
    assert second.state == S.WITHDRAWN


def test_a_returned_request_is_resubmitted_from_its_page(
    console: str,
    scene: tuple[World, Dataset],
    session_for: Callable[..., Any],
    visit: Callable[..., None],
) -> None:
    from playwright.sync_api import expect

    world, dataset = scene
    asker = world.users["outsider_member"]
    sharing_request, _created = sharing_requests.sharing_request_create(
        actor=actor_for(asker),
        dataset=dataset,
        requester=world.other,
        purpose="research",
        justification="Models.",
        period_days=30,
        accepted_obligations=["attribution", "delete_at_expiry"],
    )
    sharing_requests.sharing_request_check(sharing_request_id=sharing_request.pk)
    sharing_request.refresh_from_db()
    sharing_requests.sharing_request_return(
        actor=actor_for(world.users["steward"]),
        sharing_request=sharing_request,
        comment="Which models? Name them.",
    )
    page = session_for(asker, language="en")
    visit(page, f"/sharing-requests/{sharing_request.pk}/", "sharing-request-returned")
    expect(page.locator("#returned-comment")).to_have_text("Which models? Name them.")
    page.locator("#resubmit-form #id_justification").fill("Models for press line 3.")
    page.get_by_role("button", name="Submit again").click()
    expect(page.locator("#request-state")).to_have_text("Waiting for the publisher")
    sharing_request.refresh_from_db()
    assert sharing_request.justification == "Models for press line 3."
