"""The catalog in a real browser: search from the keyboard, tick a facet, page on, open a
result; live results with htmx and a URL that keeps the whole search."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from datasets.models import Sensitivity, Theme
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import World, build_world


@pytest.fixture
def shelf(console: str) -> World:
    world = build_world()
    for index in range(5):
        dataset = DatasetFactory.create(
            publisher=world.acme,
            division=world.ai_factory,
            title_ko=f"프레스 진동 데이터 {index}",
            title_en=f"Press vibration data {index}",
            formats=["csv"] if index % 2 == 0 else ["parquet"],
            sensitivity=Sensitivity.PUBLIC if index < 3 else Sensitivity.MEMBERS,
        )
        DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    DatasetFactory.create(
        publisher=world.other,
        division=world.humanoids,
        title_ko="로봇 궤적",
        title_en="Robot trajectories",
        keywords=["로봇"],
        description_ko="관절 각도",
        description_en="Joint angles.",
        theme=Theme.ROBOT_TRAJECTORIES,
        formats=["json"],
    )
    return world


def cards(page: Any) -> list[str]:
    return page.locator("#catalog-cards h3").all_inner_texts()


def test_search_tick_a_facet_page_on_and_open_a_result(
    console: str, shelf: World, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(shelf.users["member"], language="en")
    visit(page, "/datasets/?page_size=2", "catalog")
    assert page.locator("h1").inner_text() == "Catalog"
    assert "6 datasets" in page.locator("#catalog-status").inner_text()

    # Typing searches as one types (htmx), and the URL keeps the search.
    page.locator("#catalog-q").focus()
    page.keyboard.type("vibration")
    page.wait_for_url(re.compile(r"q=vibration"))
    page.wait_for_function("document.querySelector('#catalog-status').innerText.startsWith('5 ')")
    assert "page_size=2" in page.url
    assert all("vibration" in title for title in cards(page))

    # A facet, ticked from the keyboard: focus stays on it after the results change.
    csv = page.locator("#facet-format-csv")
    assert "(3)" in page.locator("label[for=facet-format-csv]").inner_text()
    csv.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"format=csv"))
    page.wait_for_function("document.querySelector('#catalog-status').innerText.startsWith('3 ')")
    assert page.locator("#facet-format-csv").is_checked()
    first_page = cards(page)
    assert len(first_page) == 2

    # Page 2 keeps the search, the facet and the page size.
    page.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"cursor="))
    for part in ("q=vibration", "format=csv", "page_size=2"):
        assert part in page.url
    page.wait_for_function("document.querySelectorAll('#catalog-cards h3').length === 1")
    second_page = cards(page)
    assert not set(second_page) & set(first_page)

    # The shared URL gives the same page without JavaScript's help.
    shared = page.url
    other = session_for(shelf.users["member"], language="en")
    other.goto(shared)
    assert cards(other) == second_page

    # Open a result.
    title = second_page[0]
    page.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(r"/datasets/[^/?]+/$"))
    assert page.locator("h1").inner_text() == title


def test_anonymous_readers_search_the_public_catalog_without_javascript(
    console: str, shelf: World, browser: Any
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(console + "/datasets/")
    assert len(cards(page)) == 3  # the public datasets only
    page.fill("#catalog-q", "진동")
    page.locator("#facet-format-csv").check()
    page.get_by_role("button", name=re.compile("검색|Search")).first.click()
    page.wait_for_url(re.compile(r"format=csv"))
    assert len(cards(page)) == 2
    context.close()
