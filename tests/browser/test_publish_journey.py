"""A data steward publishes a plant's CP949 CSV through the wizard, the schema step from the
keyboard, and every page of the publish section passes axe in Korean and English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from datasets.models import Dataset, DatasetStatus, DatasetVersion, VersionStatus
from registry.models import AccessPolicy, PublishingDefaults
from tests.personas import build_world

STATES = ("정지", "가동")
CP949_CSV = (
    "설비,시각,온도,상태\n"
    + "".join(
        f"프레스-{n % 3},2025-10-0{1 + n % 9}T0{n % 10}:00:00,{20 + n % 7}.5,{STATES[n % 2]}\n"
        for n in range(60)
    )
).encode("cp949")


@pytest.fixture
def world(console: str) -> Any:
    world = build_world()
    PublishingDefaults.objects.create(
        organization=world.acme,
        license="CC-BY-4.0",
        contact_name="데이터 담당",
        contact_email="data@acme.example.kr",
        policy_preset="members",
    )
    return world


def test_a_steward_publishes_a_cp949_csv_through_the_wizard(
    console: str,
    world: Any,
    session_for: Callable[..., Any],
    visit: Callable[..., None],
    tmp_path: Path,
) -> None:
    data = tmp_path / "프레스_온도.csv"
    data.write_bytes(CP949_CSV)
    page = session_for(world.users["steward"], language="en")

    # 1. The file.
    visit(page, "/publish/", "publish")
    page.set_input_files("#id_file", str(data))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(f"{console}/publish/*/")
    dataset = Dataset.objects.get()
    draft_path = f"/publish/{dataset.pk}/"

    # 2. The check ran when the upload committed: the panel says so, live, to screen readers.
    status = page.get_by_role("status").filter(has_text="Check of the file")
    assert "Passed" in status.inner_text()
    assert "60 rows read" in status.inner_text()
    visit(page, draft_path, "publish-draft")

    # 6 (before): what is missing, named in words, above the button.
    missing = page.locator("#missing").inner_text()
    assert "Description (Korean)" in missing  # the title came from the Korean file name
    assert "Schema" in missing

    # 3. The schema, from the keyboard: 온도 becomes an optional number with a description.
    assert page.locator("#field-0-type").input_value() == "string"
    assert page.locator("#field-2-required").is_checked()  # no blank cell in the file
    page.locator("#field-2-type").focus()
    page.keyboard.press("Tab")  # to "required"
    page.keyboard.press("Space")  # blanks are allowed from now on
    page.keyboard.press("Tab")  # "unique"
    page.keyboard.press("Tab")  # allowed values
    page.keyboard.press("Tab")  # description
    page.keyboard.type("프레스 금형 온도 (섭씨)")
    page.locator("#field-2-type").focus()
    page.keyboard.press("n")  # "number"
    assert page.locator("#field-2-type").input_value() == "number"
    assert not page.locator("#field-2-required").is_checked()

    # 4. The metadata: the organisation's defaults are there already.
    assert page.locator("#id_license").input_value() == "CC-BY-4.0"
    assert page.locator("#id_contact_email").input_value() == "data@acme.example.kr"
    page.fill("#id_title_en", "Press temperatures")
    page.fill("#id_description_en", "Die temperatures of the press line, every hour.")

    # 5. The policy preset, described in words.
    assert page.locator("#preset-members").is_checked()
    assert "365 days" in page.locator("#preset-research_partners-terms").inner_text()
    page.locator("#preset-research_partners").focus()
    page.keyboard.press("Space")

    # 6. Publish: the edited schema is checked first; the worker publishes when it passes.
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_url(console + draft_path)
    assert "The dataset is published." in page.get_by_role("status").last.inner_text()
    link = page.get_by_role("link", name="Open the dataset's page").first
    assert link.get_attribute("href") == f"/datasets/{dataset.slug}/"

    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.PUBLISHED
    assert dataset.title_en == "Press temperatures"
    version = DatasetVersion.objects.get(dataset=dataset)
    assert version.status == VersionStatus.PUBLISHED
    assert version.schema is not None
    temperature = version.schema["fields"][2]
    assert temperature["name"] == "온도"
    assert temperature["type"] == "number"
    assert "constraints" not in temperature
    assert temperature["description"] == "프레스 금형 온도 (섭씨)"
    policy = AccessPolicy.objects.get(dataset=dataset, is_current=True)
    assert "usage_report" in policy.obligations

    # The other pages of the section.
    visit(page, f"/publish/{dataset.slug}/edit/", "publish-edit")
    visit(page, f"/publish/{dataset.slug}/versions/new/", "publish-version-new")
    visit(page, f"/publish/{dataset.slug}/versions/{version.pk}/waiver/", "publish-waiver")
