"""The dataset page in a real browser: as an anonymous reader, a member of another organisation
and the publisher's data steward; switching versions from the keyboard; the DCAT and Data
Package links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from datasets.models import Dataset, DatasetVersion, Sensitivity
from tests.console.test_dataset_page import checked
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory
from tests.personas import World, build_world


@dataclass
class Scene:
    world: World
    dataset: Dataset
    older: DatasetVersion
    newer: DatasetVersion


@pytest.fixture
def scene(console: str) -> Scene:
    world = build_world()
    dataset = DatasetFactory.create(
        publisher=world.acme,
        division=world.ai_factory,
        sensitivity=Sensitivity.PUBLIC,
        slug="spindle-vibration",
    )
    older = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    checked(older, DistributionFactory.create(version=older))
    newer = DatasetVersionFactory.create(dataset=dataset, version="2.0.0")
    DistributionFactory.create(version=newer)
    return Scene(world, dataset, older, newer)


PATH = "/datasets/spindle-vibration/"


def test_anonymous_reader_switches_version_from_the_keyboard_and_follows_the_links(
    console: str, scene: Scene, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(None, language="en")
    visit(page, PATH, "dataset")
    assert page.locator("h1").inner_text() == scene.dataset.title_en
    # The latest published version is shown without JS's help.
    assert page.locator("#version-heading").inner_text() == "Version 2.0.0"
    assert page.locator("#request-access").count() == 0
    assert "Sign in to ask for this dataset." in page.locator("#ask-reasons").inner_text()

    # Keyboard: Tab from the newest version's link to the older one, Enter.
    page.locator(f"#version-link-{scene.newer.pk}").focus()
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("document.activeElement.id")
    if focused != f"version-link-{scene.older.pk}":
        page.locator(f"#version-link-{scene.older.pk}").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(console + f"{PATH}versions/{scene.older.pk}/")
    heading = page.locator("#version-heading")
    heading.wait_for()
    assert heading.inner_text() == "Version 1.0.0"
    assert page.locator("#version-announce").inner_text() == "Showing version 1.0.0"
    assert page.locator(f"#version-link-{scene.older.pk}").get_attribute("aria-current") == "true"
    assert page.locator("#schema-table tbody tr").count() == 3
    assert page.locator("#errors-table tbody tr").count() == 100
    assert "preview-cell-1.5" in page.locator("#preview-table").inner_text()
    assert page.locator("#cells-hidden").count() == 1

    # The machine-readable descriptions answer, in their own media types.
    dcat = page.locator("#dcat-link").get_attribute("href")
    package = page.locator("#datapackage-link").get_attribute("href")
    assert dcat is not None
    assert package is not None
    answer = page.request.get(console + dcat)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    assert str(scene.dataset.pk) in answer.text()
    answer = page.request.get(console + package)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["version"] == "1.0.0"  # the version shown


def test_a_member_of_another_organisation_may_ask(
    console: str, scene: Scene, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(scene.world.users["outsider_member"], language="en")
    visit(page, PATH, "dataset-outsider")
    button = page.get_by_role("link", name="Request access")
    assert button.get_attribute("href") == f"{PATH}request/"
    assert "Any member organisation" in page.locator("#policy-who").inner_text()


def test_the_publishers_steward_sees_the_cells_and_why_they_may_not_ask(
    console: str, scene: Scene, session_for: Callable[..., Any], visit: Callable[..., None]
) -> None:
    page = session_for(scene.world.users["steward"], language="en")
    visit(page, f"{PATH}versions/{scene.older.pk}/", "dataset-steward")
    page.locator(".report-errors summary").press("Enter")
    assert "quoted-cell-2" in page.locator("#errors-table").inner_text()
    assert "secret-min-cell" in page.locator("#profile-table").inner_text()
    assert "Your organisation publishes this dataset." in page.locator("#ask-reasons").inner_text()
