"""The summary as CSV (`/stats/?format=csv`): one flat table, the alliance, the divisions the
caller leads and the caller's organisations, as publisher and as consumer."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from stats.api.serializers import FiguresSerializer
from stats.csv import columns, safe_cell
from tests.common.problems import assert_problem
from tests.stats.helpers import StatsWorld

pytestmark = pytest.mark.django_db

URL = reverse("stats-summary")
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
LEADING = [
    "Scope",
    "Code",
    "Name (Korean)",
    "Name (English)",
    "Kind",
    "Side",
    "Publishes and consumes",
]


def read(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # Excel reads Korean right with it
    assert response["Content-Disposition"].startswith('attachment; filename="max-summary-')
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def cells(figures: dict[str, Any]) -> dict[str, str]:
    """The JSON figures as CSV cells under their English labels."""
    out = {}
    for column in columns(FiguresSerializer()):
        value: Any = figures
        for name in column.path:
            value = value.get(name) if isinstance(value, dict) else None
        out[column.label] = safe_cell(value)
    return out


def test_a_member_s_summary_is_the_alliance_and_their_organisation_twice(
    stats_world: StatsWorld, client_for
):
    client = client_for("steward")
    body = client.get(URL, **ENGLISH).json()

    rows = read(client.get(URL + "?format=csv", **ENGLISH))

    header = list(rows[0])
    figure_labels = [column.label for column in columns(FiguresSerializer())]
    assert header == LEADING + figure_labels
    assert [(r["Scope"], r["Code"], r["Side"]) for r in rows] == [
        ("alliance", "", ""),
        ("organization", "acme", "publisher"),
        ("organization", "acme", "consumer"),
    ]
    alliance, publisher, consumer = rows
    assert {k: alliance[k] for k in figure_labels} == cells(body["alliance"]["figures"])
    assert alliance["Datasets published"] == "4"
    [acme] = body["organizations"]
    assert {k: publisher[k] for k in figure_labels} == cells(acme["as_publisher"])
    assert {k: consumer[k] for k in figure_labels} == cells(acme["as_consumer"])
    assert publisher["Datasets published"] == "2"
    assert consumer["Datasets published"] == ""  # no catalog figures on the consumer side
    assert consumer["Sharing requests"] == "2"
    assert publisher["Member organisations"] == ""
    assert publisher["Name (English)"] == acme["organization"]["name_en"]
    assert publisher["Kind"] == acme["organization"]["kind"]
    expected = "yes" if acme["publishes_and_consumes"] else "no"
    assert publisher["Publishes and consumes"] == consumer["Publishes and consumes"] == expected


def test_a_division_lead_s_summary_has_their_division(stats_world: StatsWorld, client_for):
    client = client_for("division_lead")
    body = client.get(URL, **ENGLISH).json()

    rows = read(client.get(URL, HTTP_ACCEPT="text/csv", **ENGLISH))

    assert [(r["Scope"], r["Code"]) for r in rows] == [
        ("alliance", ""),
        ("division", "ai-factory"),
    ]
    figure_labels = [column.label for column in columns(FiguresSerializer())]
    assert {k: rows[1][k] for k in figure_labels} == cells(body["divisions"][0]["figures"])
    assert rows[1]["Name (Korean)"] == "AI 팩토리"
    assert rows[1]["Side"] == rows[1]["Publishes and consumes"] == ""


def test_an_unknown_format_is_406_and_errors_stay_problems(stats_world: StatsWorld, client_for):
    unknown = client_for("steward").get(URL + "?format=xlsx")
    not_acceptable = client_for("steward").get(URL, HTTP_ACCEPT="application/xml")
    anonymous = client_for("anonymous").get(URL + "?format=csv")

    body = assert_problem(unknown, 406, "not_acceptable")
    assert "csv" in body["detail"]
    assert_problem(not_acceptable, 406, "not_acceptable")
    assert_problem(anonymous, 401, "not_authenticated")


def test_json_stays_the_default(stats_world: StatsWorld, client_for):
    response = client_for("steward").get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"time_zone", "alliance", "divisions", "organizations"}
