"""Who may read which figures: one cell per (endpoint, persona), then leak checks on bodies.

Rules (stats/scope.py): anonymous callers get 401; everyone signed in reads the
alliance-wide totals; members read their own organisations' figures and nothing grouped over
others (403); a division lead reads everything over their divisions' datasets; the
secretariat reads everything. An unknown organisation is 404.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.common.problems import assert_problem
from tests.stats.helpers import EVIL_NAME, StatsWorld

pytestmark = pytest.mark.django_db

SUMMARY = reverse("stats-summary")
DIVISIONS = reverse("stats-divisions")
KINDS = reverse("stats-organization-kinds")
ORGANIZATIONS = reverse("stats-organizations")
MONTHLY = reverse("stats-monthly")
ACME_MONTHLY = reverse("stats-organization-monthly", kwargs={"slug": "acme"})
OTHER_MONTHLY = reverse("stats-organization-monthly", kwargs={"slug": "other"})
NO_SUCH_MONTHLY = reverse("stats-organization-monthly", kwargs={"slug": "no-such-org"})
HUMANOIDS = "?division=humanoids"

ACME = ("member", "steward", "org_admin")
OTHER = ("outsider_member", "outsider_steward")
EVERYONE = (*ACME, *OTHER, "division_lead", "secretariat", "nobody")


def expect(default: int, **by_persona: int) -> dict[str, int]:
    table = dict.fromkeys(EVERYONE, default)
    table.update(by_persona)
    table["anonymous"] = 401
    return table


def only(status: int, *personas: str, otherwise: int = 403) -> dict[str, int]:
    return expect(otherwise, **dict.fromkeys(personas, status))


MATRIX: dict[str, dict[str, int]] = {
    SUMMARY: expect(200),
    DIVISIONS: only(200, "division_lead", "secretariat"),
    DIVISIONS + HUMANOIDS: only(200, "secretariat"),  # the lead leads ai-factory only
    KINDS: only(200, "division_lead", "secretariat"),
    KINDS + HUMANOIDS: only(200, "secretariat"),
    ORGANIZATIONS: expect(200, nobody=403),
    ORGANIZATIONS + HUMANOIDS: expect(200, nobody=403, division_lead=403),
    MONTHLY: only(200, "division_lead", "secretariat"),
    MONTHLY + HUMANOIDS: only(200, "secretariat"),
    ACME_MONTHLY: only(200, *ACME, "division_lead", "secretariat"),
    OTHER_MONTHLY: only(200, *OTHER, "division_lead", "secretariat"),
    NO_SUCH_MONTHLY: expect(404),
}
CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
CELLS = [(url, persona, status) for url, row in MATRIX.items() for persona, status in row.items()]


@pytest.fixture
def client_as(stats_world: StatsWorld, client_for, no_role_user):
    def make(persona: str) -> APIClient:
        if persona == "nobody":
            client = APIClient()
            client.force_authenticate(no_role_user)
            return client
        return client_for(persona)

    return make


@pytest.mark.parametrize(("url", "persona", "status"), CELLS, ids=[f"{u} {p}" for u, p, _ in CELLS])
def test_status(client_as, url: str, persona: str, status: int):
    response = client_as(persona).get(url)

    if status == 200:
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json"
    else:
        assert_problem(response, status, CODES[status])


def test_anonymous_callers_are_told_how_to_authenticate(client_as):
    response = client_as("anonymous").get(SUMMARY)

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_403_says_where_a_member_s_figures_are(client_as):
    body = assert_problem(client_as("member").get(DIVISIONS), 403, "permission_denied")

    assert "/stats/organizations/" in body["detail"]


# --- leaks ------------------------------------------------------------------------------------

ACME_MARKS = ('"acme"', "에이씨엠이정밀", "Acme Precision")
OTHER_MARKS = ('"other"', "다른AI", "Other AI")
EVIL_MARKS = ('"evil"', "HYPERLINK")
MEMBER_URLS = (SUMMARY, ORGANIZATIONS, ORGANIZATIONS + HUMANOIDS, DIVISIONS, KINDS, MONTHLY)


def _bodies(client: APIClient, urls: tuple[str, ...]) -> str:
    texts = []
    for url in urls:
        response = client.get(url)
        texts.append(response.content.decode())
        csv = client.get(url, HTTP_ACCEPT="text/csv")
        texts.append(csv.content.decode("utf-8", errors="replace"))
    return "\n".join(texts)


@pytest.mark.parametrize("persona", ACME)
def test_acme_s_members_read_nothing_of_other_organisations(client_as, persona: str):
    text = _bodies(client_as(persona), (*MEMBER_URLS, ACME_MONTHLY, OTHER_MONTHLY))

    for mark in (*OTHER_MARKS, *EVIL_MARKS):
        assert mark not in text, mark
    assert '"acme"' in text  # their own organisation is there


@pytest.mark.parametrize("persona", OTHER)
def test_other_s_members_read_nothing_of_other_organisations(client_as, persona: str):
    text = _bodies(client_as(persona), (*MEMBER_URLS, ACME_MONTHLY, OTHER_MONTHLY))

    for mark in (*ACME_MARKS, *EVIL_MARKS):
        assert mark not in text, mark
    assert '"other"' in text


def test_a_member_s_figures_are_their_organisation_s_only(client_as):
    # other's figures differ from acme's on every side: a member never gets them, not even
    # summed into their own row
    acme = client_as("member").get(ORGANIZATIONS).json()["results"]
    other = client_as("outsider_member").get(ORGANIZATIONS).json()["results"]

    assert [row["organization"]["slug"] for row in acme] == ["acme"]
    assert [row["organization"]["slug"] for row in other] == ["other"]
    assert acme[0]["as_consumer"]["sharing_requests"] == 2
    assert other[0]["as_consumer"]["sharing_requests"] == 6


def test_a_signed_in_user_without_organisation_reads_the_alliance_only(client_as):
    body = client_as("nobody").get(SUMMARY).json()

    assert body["alliance"]["figures"]["sharing_requests"] == 10
    assert body["divisions"] == []
    assert body["organizations"] == []
    text = json.dumps(body, ensure_ascii=False)
    for mark in (*ACME_MARKS, *OTHER_MARKS, *EVIL_MARKS):
        assert mark not in text


def test_a_division_lead_reads_nothing_of_other_divisions(client_as):
    text = _bodies(client_as("division_lead"), (SUMMARY, DIVISIONS, KINDS, MONTHLY))

    assert "humanoids" not in text
    assert "휴머노이드" not in text
    assert "ai-factory" in text


def test_a_division_lead_who_is_also_a_member_keeps_their_organisation_complete(
    stats_world: StatsWorld, client_as
):
    from accounts.models import MembershipRole
    from tests.factories import MembershipFactory

    lead = stats_world.world.users["division_lead"]
    MembershipFactory.create(user=lead, organization=stats_world.acme, role=MembershipRole.MEMBER)
    client = client_as("division_lead")

    summary = client.get(SUMMARY).json()
    series = client.get(ACME_MONTHLY + "?from=2025-06&to=2025-06").json()

    assert [row["organization"]["slug"] for row in summary["organizations"]] == ["acme"]
    # acme's request for a humanoids dataset is in its own figures, outside ai-factory
    assert summary["organizations"][0]["as_consumer"]["sharing_requests"] == 2
    assert series["results"][0]["as_consumer"]["sharing_requests"] == 2
    assert series["scope"]["divisions"] is None


def test_evil_names_do_not_reach_members_of_the_organisations_it_asked(client_as):
    text = _bodies(client_as("steward"), (SUMMARY, ORGANIZATIONS))

    assert EVIL_NAME not in text
