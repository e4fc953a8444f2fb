"""Tables are cached per scope for STATS_CACHE_SECONDS: never per user, never across scopes."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stats import tables
from stats.scope import ALLIANCE
from tests.factories import DatasetFactory
from tests.stats.helpers import StatsWorld

pytestmark = pytest.mark.django_db

DIVISIONS = reverse("stats-divisions")


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.STATS_CACHE_SECONDS = 300


def queries(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def test_a_second_request_reads_the_cache(stats_world: StatsWorld, client_for):
    client = client_for("secretariat")
    cold, first = queries(client, DIVISIONS)
    DatasetFactory.create(publisher=stats_world.acme, division=stats_world.ai_factory)

    warm, second = queries(client, DIVISIONS)

    assert cold > 10
    assert warm == 1  # the caller's roles; the figures come from the cache
    assert second == first  # up to STATS_CACHE_SECONDS old, as generated_at says


def test_figures_are_recomputed_once_they_are_too_old(
    stats_world: StatsWorld, client_for, monkeypatch
):
    client = client_for("secretariat")
    first = client.get(DIVISIONS).json()
    DatasetFactory.create(publisher=stats_world.acme, division=stats_world.ai_factory)
    later = time.time() + 301
    monkeypatch.setattr(tables, "_clock", lambda: later)

    second = client.get(DIVISIONS).json()

    factory = {row["division"]["code"]: row for row in second["results"]}["ai-factory"]
    assert factory["figures"]["datasets_published"] == 4
    assert second["generated_at"] != first["generated_at"]


def test_while_one_caller_recomputes_the_others_get_the_older_figures(
    stats_world: StatsWorld, monkeypatch
):
    first = tables.division_table(ALLIANCE)
    DatasetFactory.create(publisher=stats_world.acme, division=stats_world.ai_factory)
    later = time.time() + 301
    monkeypatch.setattr(tables, "_clock", lambda: later)
    key = f"stats:v{tables.CACHE_VERSION}:divisions:{ALLIANCE.cache_key()}"
    cache.add(f"{key}:refresh", 1, timeout=60)  # someone else is recomputing

    with CaptureQueriesContext(connection) as captured:
        stale = tables.division_table(ALLIANCE)

    assert len(captured) == 0
    assert stale == first


def test_members_of_different_organisations_never_share_a_cached_table(
    stats_world: StatsWorld, client_for
):
    acme = client_for("member").get(reverse("stats-organizations")).json()
    other = client_for("outsider_member").get(reverse("stats-organizations")).json()
    acme_again = client_for("steward").get(reverse("stats-organizations")).json()

    assert [row["organization"]["slug"] for row in acme["results"]] == ["acme"]
    assert [row["organization"]["slug"] for row in other["results"]] == ["other"]
    assert acme_again["results"] == acme["results"]  # the same scope: the same cached table


def test_a_division_lead_and_the_secretariat_never_share_a_cached_table(
    stats_world: StatsWorld, client_for
):
    lead = client_for("division_lead").get(DIVISIONS).json()
    secretariat = client_for("secretariat").get(DIVISIONS).json()
    lead_again = client_for("division_lead").get(DIVISIONS).json()

    assert len(lead["results"]) == len(lead_again["results"]) == 1
    assert len(secretariat["results"]) == 10


def test_zero_seconds_turns_the_cache_off(stats_world: StatsWorld, client_for, settings):
    settings.STATS_CACHE_SECONDS = 0
    client = client_for("secretariat")
    cold, _ = queries(client, DIVISIONS)

    again, _ = queries(client, DIVISIONS)

    assert again == cold


def test_the_beat_task_keeps_the_alliance_tables_warm(stats_world: StatsWorld, client_for):
    from stats.tasks import refresh_stats

    client = client_for("secretariat")
    before = client.get(DIVISIONS).json()
    DatasetFactory.create(publisher=stats_world.acme, division=stats_world.ai_factory)

    refresh_stats()  # as beat does, before the cached table goes stale
    warm, after = queries(client, DIVISIONS)
    summary_warm, _summary = queries(client, reverse("stats-summary"))

    assert warm == 1  # the caller's roles only: nobody waits for the aggregates
    assert summary_warm <= 2
    factory = {row["division"]["code"]: row for row in after["results"]}["ai-factory"]
    before_factory = {row["division"]["code"]: row for row in before["results"]}["ai-factory"]
    assert factory["figures"]["datasets_published"] == (
        before_factory["figures"]["datasets_published"] + 1
    )
