"""The figures page: the stats API's tables over the reader's scope, drawn as charts with
their numbers in tables and CSV links; who reads it, and the same numbers as the API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from datasets.models import DatasetStatus
from registry.models import SharingRequestState as S
from tests.personas import PERSONAS, World
from tests.stats.helpers import (
    at,
    make_dataset,
    make_download,
    make_grant,
    make_request,
    make_version,
)

pytestmark = pytest.mark.django_db

URL = reverse("console:figures")
YEAR = {"from": "2025-01", "to": "2025-12"}
CHARTS = [
    "datasets-by-division",
    "requests-by-state",
    "approval-rate",
    "median-decision",
    "downloads",
]


@pytest.fixture(autouse=True)
def _no_stats_cache(settings: Any) -> None:
    settings.STATS_CACHE_SECONDS = 0


@pytest.fixture
def scene(world: World) -> World:
    """acme publishes in ai-factory, other in humanoids; each asks for the other's data."""
    world.other.divisions.set([world.humanoids])
    d1 = make_dataset(world.acme, world.ai_factory, DatasetStatus.PUBLISHED, at(2025, 3, 10))
    d5 = make_dataset(world.other, world.humanoids, DatasetStatus.PUBLISHED, at(2025, 5, 20))
    v1 = make_version(d1, "1.0.0", at(2025, 3, 10))
    v5 = make_version(d5, "1.0.0", at(2025, 5, 20))
    asker = world.users["outsider_member"]
    r1 = make_request(d1, world.other, asker, S.ACTIVE, at(2025, 4, 1), 2)
    make_request(d1, world.other, asker, S.REJECTED, at(2025, 4, 2), 4)
    make_request(d1, world.other, asker, S.AWAITING_PUBLISHER, at(2025, 6, 2))
    r9 = make_request(d5, world.acme, world.users["member"], S.ACTIVE, at(2025, 6, 1), 5)
    g1 = make_grant(r1, v1, at(2025, 4, 1), at(2099, 1, 1))
    g9 = make_grant(r9, v5, at(2025, 6, 1), at(2099, 1, 1))
    make_download(g1, asker, at(2025, 4, 3), 100)
    make_download(g1, asker, at(2025, 5, 3), 100)
    make_download(g9, world.users["member"], at(2025, 6, 3), 100)
    return world


def page_client(world: World, persona: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def charts(response: Any) -> dict[str, Any]:
    """Each chart's data as figures.js reads it: from its json_script."""
    body = response.content.decode()
    found = {}
    for name in CHARTS:
        match = re.search(
            rf'<script id="chart-{name}-data" type="application/json">(.*?)</script>', body, re.S
        )
        assert match, name
        found[name] = json.loads(match.group(1))
    return found


STATUS = {
    "anonymous": 302,
    "member": 403,
    "steward": 403,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 200,
    "secretariat": 200,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_figures(scene: World, persona: str) -> None:
    response = page_client(scene, persona).get(URL, YEAR)
    assert response.status_code == STATUS[persona]
    if STATUS[persona] == 403:
        assert "Figures by division, by organisation kind and by month" in response.content.decode()


@pytest.mark.parametrize("persona", ["division_lead", "secretariat"])
def test_the_charts_hold_the_apis_numbers(scene: World, client_for, persona: str) -> None:
    response = page_client(scene, persona).get(URL, YEAR)
    drawn = charts(response)
    api = client_for(persona)
    divisions = api.get(reverse("stats-divisions")).json()["results"]
    months = api.get(reverse("stats-monthly"), YEAR).json()["results"]
    assert drawn["datasets-by-division"]["series"][0]["values"] == [
        row["figures"]["datasets_published"] for row in divisions
    ]
    assert len(drawn["datasets-by-division"]["labels"]) == len(divisions)
    assert drawn["requests-by-state"]["labels"] == [row["month"] for row in months]
    by_state = {s["label"]: s["values"] for s in drawn["requests-by-state"]["series"]}
    assert by_state[str(S.ACTIVE.label)] == [
        row["figures"]["sharing_requests_by_state"]["active"] for row in months
    ]
    for chart, key in (
        ("approval-rate", "approval_rate"),
        ("median-decision", "median_hours_to_decision"),
        ("downloads", "downloads"),
    ):
        assert drawn[chart]["series"][0]["values"] == [row["figures"][key] for row in months]


def test_a_division_lead_sees_their_division_only(scene: World) -> None:
    client = page_client(scene, "division_lead")
    drawn = charts(client.get(URL, YEAR))
    assert drawn["datasets-by-division"]["labels"] == [scene.ai_factory.name_en]
    # Only acme's dataset in ai-factory is asked for: other's dataset (humanoids) is not counted.
    assert sum(drawn["downloads"]["series"][0]["values"]) == 2
    assert client.get(URL, {**YEAR, "division": "humanoids"}).status_code == 403


def test_the_secretariat_narrows_to_a_division(scene: World) -> None:
    client = page_client(scene, "secretariat")
    everything = charts(client.get(URL, YEAR))
    assert sum(everything["downloads"]["series"][0]["values"]) == 3
    humanoids = charts(client.get(URL, {**YEAR, "division": "humanoids"}))
    assert sum(humanoids["downloads"]["series"][0]["values"]) == 1


def test_a_bad_month_is_said_on_its_field(scene: World) -> None:
    response = page_client(scene, "secretariat").get(URL, {"from": "2025-13"})
    assert response.status_code == 400
    assert "Use the form YYYY-MM" in response.content.decode()


def test_each_chart_has_its_numbers_and_its_csv(scene: World) -> None:
    client = page_client(scene, "secretariat")
    response = client.get(URL, YEAR)
    body = response.content.decode()
    assert body.count("<details>") == len(CHARTS)
    assert body.count("<canvas") == len(CHARTS)
    assert "chart.umd.min.js" in body
    assert "figures.js" in body
    links = set(re.findall(r'href="([^"]*format=csv[^"]*)"', body))
    assert len(links) == 2  # the divisions table and the monthly table
    for link in links:
        csv = client.get(link.replace("&amp;", "&"))
        assert csv.status_code == 200
        assert csv["Content-Type"].startswith("text/csv")


def test_chart_js_is_loaded_on_the_figures_page_only(scene: World) -> None:
    home = page_client(scene, "secretariat").get(reverse("console:home"))
    assert "chart.umd.min.js" not in home.content.decode()


def test_the_figures_page_costs_the_same_for_few_or_many_rows(scene: World) -> None:
    client = page_client(scene, "secretariat")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, YEAR).status_code == 200
        return len(queries)

    few = count()
    for i in range(20):
        dataset = make_dataset(
            scene.acme, scene.ai_factory, DatasetStatus.PUBLISHED, at(2025, 1 + i % 12, 1)
        )
        make_request(
            dataset, scene.other, scene.users["outsider_member"], S.REJECTED, at(2025, 2, 1), 1
        )
    assert count() == few
