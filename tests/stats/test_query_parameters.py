"""Query parameters: months (YYYY-MM, at most 60, not in the future), division, page, format."""

from __future__ import annotations

import pytest
from django.urls import reverse

from stats.months import Month
from tests.common.problems import assert_field_error, assert_problem

pytestmark = pytest.mark.django_db

MONTHLY = reverse("stats-monthly")
ACME_MONTHLY = reverse("stats-organization-monthly", kwargs={"slug": "acme"})


@pytest.fixture
def secretariat(world, client_for):
    return client_for("secretariat")


@pytest.mark.parametrize("url", [MONTHLY, ACME_MONTHLY])
@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("from=2025-13", "from", "invalid"),
        ("from=2025-1", "from", "invalid"),
        ("from=25-01", "from", "invalid"),
        ("from=2025-01-01", "from", "invalid"),
        ("from=march", "from", "invalid"),
        ("from=1999-12", "from", "invalid"),
        ("to=2025-00", "to", "invalid"),
        ("from=2025-06&to=2025-05", "from", "order"),
        ("from=2020-01&to=2025-01", "from", "range"),  # 61 months
        ("to=2999-01", "to", "future"),
        ("division=no-such-division", "division", "does_not_exist"),
    ],
)
def test_invalid(secretariat, url: str, query: str, field: str, code: str):
    response = secretariat.get(f"{url}?{query}")

    assert_field_error(response, field, code)


def test_sixty_months_are_allowed(secretariat):
    body = secretariat.get(f"{MONTHLY}?from=2020-02&to=2025-01").json()

    assert len(body["results"]) == 60
    assert (body["results"][0]["month"], body["results"][-1]["month"]) == ("2020-02", "2025-01")


def test_by_default_the_last_twelve_months(secretariat):
    current = Month.current()

    body = secretariat.get(MONTHLY).json()

    months = [row["month"] for row in body["results"]]
    assert months[-1] == str(current)
    assert months[0] == str(current.plus(-11))
    assert (body["from"], body["to"]) == (months[0], months[-1])


def test_to_alone_ends_the_twelve_months_there(secretariat):
    body = secretariat.get(f"{MONTHLY}?to=2025-03").json()

    assert (body["from"], body["to"]) == ("2024-04", "2025-03")


def test_from_alone_runs_to_this_month(secretariat):
    start = Month.current().plus(-2)

    body = secretariat.get(f"{MONTHLY}?from={start}").json()

    assert [row["month"] for row in body["results"]] == [
        str(start),
        str(start.plus(1)),
        str(start.plus(2)),
    ]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("page=0", "page", "min_value"),
        ("page=x", "page", "invalid"),
        ("page_size=501", "page_size", "max_value"),
        ("division=nope", "division", "does_not_exist"),
    ],
)
def test_invalid_organisation_table_parameters(secretariat, query: str, field: str, code: str):
    assert_field_error(secretariat.get(reverse("stats-organizations") + f"?{query}"), field, code)


def test_an_unknown_format_is_not_acceptable(secretariat):
    response = secretariat.get(reverse("stats-divisions") + "?format=xml")

    assert_problem(response, 406, "not_acceptable")


def test_a_member_gets_403_before_any_parameter_is_looked_at(world, client_for):
    response = client_for("member").get(f"{MONTHLY}?from=nonsense")

    assert_problem(response, 403, "permission_denied")
