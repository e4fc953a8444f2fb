"""/api/v1/divisions/: the alliance's ten divisions, public and read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.common.problems import assert_problem
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

URL = reverse("division-list")

# The codes are part of the API contract: clients filter by them.
DIVISIONS = [
    ("ai-factory", "AI 팩토리", "AI factory"),
    ("ai-manufacturing-services", "AI 제조서비스", "AI manufacturing services"),
    ("ai-logistics", "AI 유통·물류", "AI logistics"),
    ("autonomous-vehicles", "자율주행차", "Autonomous vehicles"),
    ("humanoids", "휴머노이드", "Humanoids"),
    ("autonomous-ships", "자율운항선박", "Autonomous ships"),
    ("ai-home-appliances", "AI 가전", "AI home appliances"),
    ("ai-defence", "AI 방산", "AI defence"),
    ("ai-bio", "AI 바이오", "AI bio"),
    ("ai-semiconductors", "AI 반도체", "AI semiconductors"),
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_lists_the_ten_divisions_in_order(client_for, persona):
    response = client_for(persona).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert [(d["code"], d["name_ko"], d["name_en"]) for d in body] == DIVISIONS
    for division in body:
        assert set(division) == {
            "id",
            "code",
            "name_ko",
            "name_en",
            "description_ko",
            "description_en",
        }


@pytest.mark.parametrize(("code", "name_ko", "name_en"), DIVISIONS)
def test_detail_by_code_is_public(client_for, code, name_ko, name_en):
    response = client_for("anonymous").get(reverse("division-detail", kwargs={"code": code}))

    assert response.status_code == 200
    assert response.json()["code"] == code
    assert response.json()["name_ko"] == name_ko
    assert response.json()["name_en"] == name_en


def test_detail_by_numeric_id_is_404(client_for, world):
    assert_problem(
        client_for("anonymous").get(
            reverse("division-detail", kwargs={"code": world.ai_factory.pk})
        ),
        404,
        "not_found",
    )


def test_unknown_code_is_404_problem(client_for):
    response = client_for("anonymous").get(
        reverse("division-detail", kwargs={"code": "no-such-division"})
    )

    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == reverse("division-detail", kwargs={"code": "no-such-division"})


@pytest.mark.parametrize("persona", ["anonymous", "secretariat"])
def test_divisions_cannot_be_created(client_for, persona):
    response = client_for(persona).post(URL, {"code": "ai-space", "name_ko": "AI 우주"})

    body = assert_problem(response, 405, "method_not_allowed")
    assert body["method"] == "POST"
    assert (
        client_for("anonymous")
        .get(reverse("division-detail", kwargs={"code": "ai-space"}))
        .status_code
        == 404
    )


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("persona", ["anonymous", "secretariat"])
def test_divisions_cannot_be_changed(client_for, persona, method):
    response = getattr(client_for(persona), method)(
        reverse("division-detail", kwargs={"code": "ai-factory"}), {"name_en": "Changed"}
    )

    body = assert_problem(response, 405, "method_not_allowed")
    assert body["method"] == method.upper()
    assert (
        client_for("anonymous")
        .get(reverse("division-detail", kwargs={"code": "ai-factory"}))
        .json()["name_en"]
        == "AI factory"
    )
