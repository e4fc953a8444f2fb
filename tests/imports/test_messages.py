"""Report messages are stored in English and shown in the caller's language, as the registry
does with the reasons it stores."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from datasets.imports import records
from tests.imports.helpers import job_url, upload

pytestmark = pytest.mark.django_db

KOREAN = {
    "unknown theme '%(value)s'": "알 수 없는 주제 '%(value)s'",
    "no title": "제목 없음",
    "Columns not used: %(columns)s.": "쓰지 않는 열: %(columns)s.",
    "The CSV header lacks required columns: %(missing)s. Required: identifier, "
    "title_ko or title_en, theme, license; see docs/imports.md for the others.": (
        "CSV 머리글에 필수 열이 없습니다: %(missing)s."
    ),
}


@pytest.fixture
def korean_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stands for the Korean message catalog, for these messages."""

    def gettext(message: str) -> str:
        if translation.get_language() == "ko":
            return KOREAN.get(message, message)
        return message

    monkeypatch.setattr(records, "gettext", gettext)


def client(world: Any, language: str) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    api.force_authenticate(world.users["steward"])
    return api


def test_the_report_is_stored_in_english_and_shown_in_the_callers_language(
    world, korean_catalog, run_import
):
    body = (
        b"identifier,title_ko,theme,license,colour\nx,,documents,CC0-1.0,red\ny,A,nope,CC0-1.0,\n"
    )
    with translation.override("ko"):  # the worker's language does not matter
        job = run_import("one.csv", body)

    assert [e["reasons"][0]["message"] for e in job.report] == ["no title", "unknown theme 'nope'"]

    korean = client(world, "ko").get(job_url(job.pk)).json()
    english = client(world, "en").get(job_url(job.pk)).json()

    assert [e["reasons"][0]["message"] for e in korean["report"]] == [
        "제목 없음",
        "알 수 없는 주제 'nope'",
    ]
    assert [e["reasons"][0]["message"] for e in english["report"]] == [
        "no title",
        "unknown theme 'nope'",
    ]
    assert korean["warnings"] == [{"code": "unused_columns", "message": "쓰지 않는 열: colour."}]
    assert "template" not in korean["report"][0]["reasons"][0]
    assert "params" not in korean["report"][1]["reasons"][0]
    assert korean["report"][1]["reasons"][0]["code"] == english["report"][1]["reasons"][0]["code"]


def test_upload_problems_answer_in_the_callers_language(world, korean_catalog):
    response = client(world, "ko").post(
        reverse("import-list"),
        {"file": upload("a.csv", b"identifier,title_ko\nx,y\n")},
        format="multipart",
    )

    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["detail"] == "CSV 머리글에 필수 열이 없습니다: theme, license."
    )


def test_a_translation_with_other_placeholders_falls_back_to_english(monkeypatch):
    stored = records.stored_message("x", "unknown theme '%(value)s'", value="nope")
    monkeypatch.setattr(records, "gettext", lambda message: "%(missing)s")  # a broken catalog

    assert records.localize(stored) == {"code": "x", "message": "unknown theme 'nope'"}
