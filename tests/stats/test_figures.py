"""The figures on the hand-built alliance of conftest.py, checked cell by cell."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.stats.helpers import EVIL_NAME, StatsWorld

pytestmark = pytest.mark.django_db

STATES = (
    "submitted",
    "awaiting_publisher",
    "awaiting_division_lead",
    "returned",
    "approved",
    "rejected",
    "withdrawn",
    "active",
    "expired",
    "revoked",
)


def states(**counts: int) -> dict[str, int]:
    return {state: counts.get(state, 0) for state in STATES}


def get(client_for: Callable[[str], APIClient], persona: str, url: str) -> dict[str, Any]:
    response = client_for(persona).get(url)
    assert response.status_code == 200, response.content
    return response.json()


ALLIANCE = {
    "datasets_published": 4,  # d1, d2, d5, d6: not the draft d3 nor the withdrawn d4
    "versions_published": 4,  # of listed datasets only: not d4's, nor d1's draft
    "validation_checks": 7,  # finished ones, the draft dataset's and the withdrawn one's included
    "validation_checks_passed": 4,
    "validation_pass_rate": 0.5714,
    "sharing_requests": 10,
    "sharing_requests_by_state": states(
        active=2,
        expired=1,
        revoked=1,
        rejected=2,
        withdrawn=1,
        awaiting_publisher=1,
        approved=1,
        submitted=1,
    ),
    "decisions": 7,
    "approvals": 5,
    "rejections": 2,
    "approval_rate": 0.7143,
    "median_hours_to_decision": 4.0,  # of 1, 2, 3, 4, 5, 6, 10
    "grants_active": 2,  # r1, r9: not expired r2, revoked r3, future r7
    "downloads": 6,
    "download_bytes": 1400,
    "organizations": 3,
    "organizations_publishing_and_consuming": 2,  # acme and other, not evil
}

AI_FACTORY = {
    "datasets_published": 3,
    "versions_published": 3,
    "validation_checks": 5,
    "validation_checks_passed": 3,
    "validation_pass_rate": 0.6,
    "sharing_requests": 8,
    "sharing_requests_by_state": states(
        active=1, expired=1, revoked=1, rejected=2, withdrawn=1, awaiting_publisher=1, approved=1
    ),
    "decisions": 6,
    "approvals": 4,
    "rejections": 2,
    "approval_rate": 0.6667,
    "median_hours_to_decision": 3.5,  # of 1, 2, 3, 4, 6, 10: between 3 and 4
    "grants_active": 1,
    "downloads": 5,
    "download_bytes": 400,
    "organizations": 1,  # acme is its only member
    # other publishes d6 here and holds grants on d1; evil holds one but publishes nothing
    "organizations_publishing_and_consuming": 1,
}

HUMANOIDS = {
    "datasets_published": 1,
    "versions_published": 1,
    "validation_checks": 2,
    "validation_checks_passed": 1,
    "validation_pass_rate": 0.5,
    "sharing_requests": 2,
    "sharing_requests_by_state": states(active=1, submitted=1),
    "decisions": 1,
    "approvals": 1,
    "rejections": 0,
    "approval_rate": 1.0,
    "median_hours_to_decision": 5.0,
    "grants_active": 1,
    "downloads": 1,
    "download_bytes": 1000,
    "organizations": 1,
    # other publishes d5 here, but its grants are on ai-factory's d1; acme's is the reverse
    "organizations_publishing_and_consuming": 0,
}

EMPTY_SHARING = {
    "sharing_requests": 0,
    "sharing_requests_by_state": states(),
    "decisions": 0,
    "approvals": 0,
    "rejections": 0,
    "approval_rate": None,
    "median_hours_to_decision": None,
    "grants_active": 0,
    "downloads": 0,
    "download_bytes": 0,
}
EMPTY_PUBLISHER = {
    "datasets_published": 0,
    "versions_published": 0,
    "validation_checks": 0,
    "validation_checks_passed": 0,
    "validation_pass_rate": None,
    **EMPTY_SHARING,
}

ACME_AS_PUBLISHER = {
    "datasets_published": 2,
    "versions_published": 3,
    "validation_checks": 6,  # d4 is withdrawn, but its check counts for its publisher
    "validation_checks_passed": 4,
    "validation_pass_rate": 0.6667,
    "sharing_requests": 8,
    "sharing_requests_by_state": AI_FACTORY["sharing_requests_by_state"],
    "decisions": 6,
    "approvals": 4,
    "rejections": 2,
    "approval_rate": 0.6667,
    "median_hours_to_decision": 3.5,
    "grants_active": 1,
    "downloads": 5,
    "download_bytes": 400,
}
ACME_AS_CONSUMER = {
    "sharing_requests": 2,
    "sharing_requests_by_state": states(active=1, submitted=1),
    "decisions": 1,
    "approvals": 1,
    "rejections": 0,
    "approval_rate": 1.0,
    "median_hours_to_decision": 5.0,
    "grants_active": 1,
    "downloads": 1,
    "download_bytes": 1000,
}
OTHER_AS_PUBLISHER = {
    "datasets_published": 2,
    "versions_published": 1,
    "validation_checks": 1,
    "validation_checks_passed": 0,
    "validation_pass_rate": 0.0,
    **ACME_AS_CONSUMER,
}
OTHER_AS_CONSUMER = {
    "sharing_requests": 6,
    "sharing_requests_by_state": states(
        active=1, expired=1, revoked=1, rejected=1, withdrawn=1, awaiting_publisher=1
    ),
    "decisions": 4,
    "approvals": 3,
    "rejections": 1,
    "approval_rate": 0.75,
    "median_hours_to_decision": 5.0,  # of 2, 4, 6, 10
    "grants_active": 1,
    "downloads": 5,
    "download_bytes": 400,
}
EVIL_AS_CONSUMER = {
    "sharing_requests": 2,
    "sharing_requests_by_state": states(approved=1, rejected=1),
    "decisions": 2,
    "approvals": 1,
    "rejections": 1,
    "approval_rate": 0.5,
    "median_hours_to_decision": 2.0,
    "grants_active": 0,  # its grant starts in ten days
    "downloads": 0,
    "download_bytes": 0,
}


def test_alliance_totals(stats_world: StatsWorld, client_for):
    body = get(client_for, "secretariat", reverse("stats-summary"))

    assert body["alliance"]["figures"] == ALLIANCE
    assert body["time_zone"] == "Asia/Seoul"
    assert body["divisions"] == []
    assert body["organizations"] == []


def test_every_division_has_a_row_and_the_figures_add_up(stats_world: StatsWorld, client_for):
    body = get(client_for, "secretariat", reverse("stats-divisions"))

    rows = {row["division"]["code"]: row["figures"] for row in body["results"]}
    assert len(rows) == 10
    assert rows["ai-factory"] == AI_FACTORY
    assert rows["humanoids"] == HUMANOIDS
    assert rows["ai-bio"] == {
        **EMPTY_PUBLISHER,
        "organizations": 0,
        "organizations_publishing_and_consuming": 0,
    }
    assert body["alliance"]["figures"] == ALLIANCE
    assert body["scope"] == {"divisions": None, "organizations": None}
    for name in ("datasets_published", "sharing_requests", "decisions", "downloads"):
        assert sum(row[name] for row in rows.values()) == ALLIANCE[name]


def test_one_division(stats_world: StatsWorld, client_for):
    body = get(client_for, "secretariat", reverse("stats-divisions") + "?division=humanoids")

    assert [row["division"]["code"] for row in body["results"]] == ["humanoids"]
    assert body["results"][0]["figures"] == HUMANOIDS
    assert body["scope"]["divisions"] == ["humanoids"]


def test_organisations_as_publisher_and_as_consumer(stats_world: StatsWorld, client_for):
    body = get(client_for, "secretariat", reverse("stats-organizations"))

    assert body["count"] == 3
    by_slug = {row["organization"]["slug"]: row for row in body["results"]}
    assert list(by_slug) == ["acme", "evil", "other"]  # by slug
    assert by_slug["acme"]["as_publisher"] == ACME_AS_PUBLISHER
    assert by_slug["acme"]["as_consumer"] == ACME_AS_CONSUMER
    assert by_slug["acme"]["publishes_and_consumes"] is True
    assert by_slug["other"]["as_publisher"] == OTHER_AS_PUBLISHER
    assert by_slug["other"]["as_consumer"] == OTHER_AS_CONSUMER
    assert by_slug["other"]["publishes_and_consumes"] is True
    assert by_slug["evil"]["as_publisher"] == EMPTY_PUBLISHER
    assert by_slug["evil"]["as_consumer"] == EVIL_AS_CONSUMER
    assert by_slug["evil"]["publishes_and_consumes"] is False
    assert by_slug["evil"]["organization"] == {
        "slug": "evil",
        "name_ko": EVIL_NAME,
        "name_en": "-2+3",
        "kind": "research_institute",
    }


def test_every_organisation_is_listed_even_without_activity(stats_world: StatsWorld, client_for):
    from tests.factories import OrganizationFactory

    OrganizationFactory.create(slug="silent")

    body = get(client_for, "secretariat", reverse("stats-organizations"))

    silent = next(row for row in body["results"] if row["organization"]["slug"] == "silent")
    assert silent["as_publisher"] == EMPTY_PUBLISHER
    assert silent["as_consumer"] == EMPTY_SHARING
    assert silent["publishes_and_consumes"] is False


def test_organisation_pages(stats_world: StatsWorld, client_for):
    first = get(client_for, "secretariat", reverse("stats-organizations") + "?page_size=2")
    second = client_for("secretariat").get(first["next"]).json()

    assert (first["count"], first["page"], first["page_size"]) == (3, 1, 2)
    assert [row["organization"]["slug"] for row in first["results"]] == ["acme", "evil"]
    assert first["previous"] is None
    assert [row["organization"]["slug"] for row in second["results"]] == ["other"]
    assert second["next"] is None
    assert second["previous"].endswith(reverse("stats-organizations") + "?page_size=2")
    beyond = get(client_for, "secretariat", reverse("stats-organizations") + "?page=9")
    assert beyond["results"] == []
    assert beyond["count"] == 3


def test_organisation_kinds(stats_world: StatsWorld, client_for):
    response = client_for("secretariat").get(
        reverse("stats-organization-kinds"), HTTP_ACCEPT_LANGUAGE="en"
    )

    rows = {row["kind"]: row for row in response.json()["results"]}
    assert len(rows) == 7  # every kind, zeros included
    assert rows["manufacturer"]["label"] == "Manufacturer"
    assert rows["manufacturer"]["organizations"] == 1
    assert rows["manufacturer"]["as_publisher"] == ACME_AS_PUBLISHER
    assert rows["manufacturer"]["as_consumer"] == ACME_AS_CONSUMER
    assert rows["manufacturer"]["organizations_publishing_and_consuming"] == 1
    assert rows["ai_company"]["as_publisher"] == OTHER_AS_PUBLISHER
    assert rows["ai_company"]["as_consumer"] == OTHER_AS_CONSUMER
    assert rows["research_institute"]["as_consumer"] == EVIL_AS_CONSUMER
    assert rows["research_institute"]["organizations_publishing_and_consuming"] == 0
    assert rows["university"]["organizations"] == 0
    assert rows["university"]["as_publisher"] == EMPTY_PUBLISHER


MONTHS: dict[str, dict[str, Any]] = {
    "2025-01": {},
    "2025-02": {"validation_checks": 1, "validation_checks_passed": 1},
    "2025-03": {
        "datasets_published": 1,  # d1; d2 was published on 1 April in Seoul
        "versions_published": 1,
        "validation_checks": 2,
        "validation_checks_passed": 1,
        "sharing_requests": 2,
        "sharing_requests_by_state": states(active=1, expired=1),
        "decisions": 2,
        "approvals": 2,
        "median_hours_to_decision": 3.0,
        "grants_active": 2,
        "downloads": 2,
        "download_bytes": 150,
    },
    "2025-04": {
        "datasets_published": 1,
        "versions_published": 2,
        "validation_checks": 2,
        "validation_checks_passed": 1,
        "sharing_requests": 3,
        "sharing_requests_by_state": states(revoked=1, rejected=1, withdrawn=1),
        "decisions": 2,
        "approvals": 1,
        "rejections": 1,
        "median_hours_to_decision": 8.0,
        "grants_active": 2,  # r1 and r3; r2 ended on the 20th
        "downloads": 2,  # one on 1 April UTC, 2 April in Seoul
        "download_bytes": 150,
    },
    "2025-05": {
        "datasets_published": 2,
        "versions_published": 1,
        "validation_checks": 2,
        "validation_checks_passed": 1,
        "sharing_requests": 2,  # r8 was made on 1 June in Seoul
        "sharing_requests_by_state": states(awaiting_publisher=1, approved=1),
        "decisions": 1,
        "approvals": 1,
        "median_hours_to_decision": 1.0,
        "grants_active": 1,  # r3 revoked on the 10th; r7 starts in the future
    },
    "2025-06": {
        "sharing_requests": 3,
        "sharing_requests_by_state": states(rejected=1, active=1, submitted=1),
        "decisions": 2,
        "approvals": 1,
        "rejections": 1,
        "median_hours_to_decision": 4.0,
        "grants_active": 2,
        "downloads": 2,
        "download_bytes": 1100,
    },
}


def _month(values: dict[str, Any]) -> dict[str, Any]:
    figures = {**EMPTY_PUBLISHER, **values}
    checks, passed = figures["validation_checks"], figures["validation_checks_passed"]
    figures["validation_pass_rate"] = round(passed / checks, 4) if checks else None
    decided = figures["decisions"]
    figures["approval_rate"] = round(figures["approvals"] / decided, 4) if decided else None
    return figures


def test_monthly_series(stats_world: StatsWorld, client_for):
    body = get(client_for, "secretariat", reverse("stats-monthly") + "?from=2025-01&to=2025-06")

    assert (body["from"], body["to"]) == ("2025-01", "2025-06")
    assert [row["month"] for row in body["results"]] == list(MONTHS)
    for row in body["results"]:
        assert row["figures"] == _month(MONTHS[row["month"]]), row["month"]


def test_the_current_month_counts_grants_in_force_now(stats_world: StatsWorld, client_for):
    body = get(client_for, "secretariat", reverse("stats-monthly"))

    assert len(body["results"]) == 12
    assert body["results"][-1]["figures"]["grants_active"] == ALLIANCE["grants_active"]


def test_monthly_series_of_one_division(stats_world: StatsWorld, client_for):
    body = get(
        client_for,
        "secretariat",
        reverse("stats-monthly") + "?from=2025-06&to=2025-06&division=humanoids",
    )

    june = body["results"][0]["figures"]
    assert june["sharing_requests"] == 2  # r9, r10; r8 is ai-factory's
    assert june["grants_active"] == 1
    assert june["downloads"] == 1


def test_an_organisation_s_months(stats_world: StatsWorld, client_for):
    body = get(
        client_for,
        "member",
        reverse("stats-organization-monthly", kwargs={"slug": "acme"}) + "?from=2025-05&to=2025-06",
    )

    assert body["organization"]["slug"] == "acme"
    may, june = body["results"]
    assert may["as_publisher"]["sharing_requests"] == 2  # r6, r7
    assert may["as_publisher"]["grants_active"] == 1
    assert may["as_consumer"]["sharing_requests"] == 0
    assert june["as_publisher"]["sharing_requests"] == 1  # r8 (1 June in Seoul)
    assert june["as_consumer"] == {
        **ACME_AS_CONSUMER,
        "grants_active": 1,
    }


# --- a division lead's view: every figure over the datasets of their divisions ----------------


def test_a_division_lead_reads_their_division(stats_world: StatsWorld, client_for):
    summary = get(client_for, "division_lead", reverse("stats-summary"))
    divisions = get(client_for, "division_lead", reverse("stats-divisions"))

    assert [row["division"]["code"] for row in summary["divisions"]] == ["ai-factory"]
    assert summary["divisions"][0]["figures"] == AI_FACTORY
    assert summary["alliance"]["figures"] == ALLIANCE
    assert [row["division"]["code"] for row in divisions["results"]] == ["ai-factory"]
    assert divisions["scope"] == {"divisions": ["ai-factory"], "organizations": None}


def test_a_division_lead_s_organisations_count_their_datasets_only(
    stats_world: StatsWorld, client_for
):
    body = get(client_for, "division_lead", reverse("stats-organizations"))

    by_slug = {row["organization"]["slug"]: row for row in body["results"]}
    # acme is a member of ai-factory; other publishes and asks there, evil asks there
    assert list(by_slug) == ["acme", "evil", "other"]
    acme = by_slug["acme"]
    assert acme["as_publisher"]["datasets_published"] == 2
    assert acme["as_publisher"]["validation_checks"] == 5  # not the humanoids dataset's
    assert acme["as_consumer"] == EMPTY_SHARING  # it asked for a humanoids dataset only
    assert acme["publishes_and_consumes"] is False
    assert by_slug["other"]["as_publisher"]["datasets_published"] == 1  # d6, not d5
    assert by_slug["other"]["as_consumer"] == OTHER_AS_CONSUMER
    assert by_slug["other"]["publishes_and_consumes"] is True
    assert by_slug["evil"]["as_consumer"] == EVIL_AS_CONSUMER


def test_a_division_lead_s_kinds_and_months(stats_world: StatsWorld, client_for):
    kinds = get(client_for, "division_lead", reverse("stats-organization-kinds"))
    months = get(client_for, "division_lead", reverse("stats-monthly") + "?from=2025-06&to=2025-06")

    rows = {row["kind"]: row for row in kinds["results"]}
    assert rows["manufacturer"]["organizations"] == 1  # acme, ai-factory's member
    assert rows["ai_company"]["organizations"] == 0  # other is a member of humanoids
    assert rows["ai_company"]["as_publisher"]["datasets_published"] == 1
    assert rows["manufacturer"]["as_consumer"] == EMPTY_SHARING
    june = months["results"][0]["figures"]
    assert june["sharing_requests"] == 1  # r8 only: r9 and r10 are humanoids'
    assert june["grants_active"] == 1  # r1


def test_a_member_reads_their_organisation_complete(stats_world: StatsWorld, client_for):
    summary = get(client_for, "steward", reverse("stats-summary"))
    table = get(client_for, "member", reverse("stats-organizations"))

    assert [row["organization"]["slug"] for row in summary["organizations"]] == ["acme"]
    assert summary["organizations"][0]["as_publisher"] == ACME_AS_PUBLISHER
    assert summary["organizations"][0]["as_consumer"] == ACME_AS_CONSUMER
    assert summary["divisions"] == []
    assert [row["organization"]["slug"] for row in table["results"]] == ["acme"]
    assert table["results"][0]["as_publisher"] == ACME_AS_PUBLISHER
    assert table["scope"] == {"divisions": None, "organizations": ["acme"]}


def test_a_member_may_narrow_their_own_figures_to_a_division(stats_world: StatsWorld, client_for):
    body = get(client_for, "member", reverse("stats-organizations") + "?division=humanoids")

    (acme,) = body["results"]
    assert acme["as_publisher"]["datasets_published"] == 0  # d4 is withdrawn
    assert acme["as_publisher"]["validation_checks"] == 1
    assert acme["as_consumer"] == ACME_AS_CONSUMER  # r9, r10 are for humanoids' d5


def test_a_division_lead_reads_an_organisation_s_months_over_their_divisions(
    stats_world: StatsWorld, client_for
):
    body = get(
        client_for,
        "division_lead",
        reverse("stats-organization-monthly", kwargs={"slug": "acme"}) + "?from=2025-06&to=2025-06",
    )

    (june,) = body["results"]
    assert body["scope"] == {"divisions": ["ai-factory"], "organizations": ["acme"]}
    assert june["as_consumer"]["sharing_requests"] == 0  # r9, r10 are for humanoids' d5
    assert june["as_publisher"]["sharing_requests"] == 1  # r8, for ai-factory's d2
