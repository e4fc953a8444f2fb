"""CSV exports: the same tables as the JSON, whole, UTF-8 with BOM, safe in spreadsheets."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from stats.csv import safe_cell
from stats.months import Month
from tests.common.problems import assert_problem
from tests.stats.helpers import EVIL_NAME, StatsWorld

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def read(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # Excel reads Korean right only with the BOM
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_divisions_as_csv(stats_world: StatsWorld, client_for):
    response = client_for("secretariat").get(
        reverse("stats-divisions"), HTTP_ACCEPT="text/csv", **ENGLISH
    )

    rows = read(response)
    today = Month.current()  # the file is named after today's date in Seoul
    assert response["Content-Disposition"].startswith('attachment; filename="max-divisions-')
    assert str(today) in response["Content-Disposition"]
    assert len(rows) == 11  # ten divisions and the alliance total
    factory = next(row for row in rows if row["Division code"] == "ai-factory")
    assert factory["Division (Korean)"] == "AI 팩토리"
    assert factory["Datasets published"] == "3"
    assert factory["Validation pass rate"] == "0.6"
    assert factory["Median hours to a decision"] == "3.5"
    assert factory["Sharing requests by state: Rejected"] == "2"
    assert factory["Organisations publishing and consuming"] == "1"
    bio = next(row for row in rows if row["Division code"] == "ai-bio")
    assert bio["Approval rate"] == ""  # no decisions: no rate
    assert rows[-1]["Division code"] == "Alliance total"
    assert rows[-1]["Sharing requests"] == "10"
    assert rows[-1]["Median hours to a decision"] == "4.0"


def test_the_format_parameter_asks_for_csv_too(stats_world: StatsWorld, client_for):
    by_header = client_for("secretariat").get(reverse("stats-divisions"), HTTP_ACCEPT="text/csv")
    by_query = client_for("secretariat").get(reverse("stats-divisions") + "?format=csv")

    assert read(by_query) == read(by_header)


def test_headers_follow_the_caller_s_language(stats_world: StatsWorld, client_for):
    korean = client_for("secretariat").get(
        reverse("stats-divisions") + "?format=csv", HTTP_ACCEPT_LANGUAGE="ko"
    )

    header = korean.content.decode("utf-8-sig").splitlines()[0]
    assert "거절됨" in header  # the states' labels, from the registry's Korean catalog


def test_organisations_as_csv_are_the_whole_table_and_neutralise_formulas(
    stats_world: StatsWorld, client_for
):
    response = client_for("secretariat").get(
        reverse("stats-organizations") + "?format=csv&page_size=1", **ENGLISH
    )

    rows = read(response)
    assert [row["Organisation"] for row in rows] == ["acme", "evil", "other", "Alliance total"]
    evil = rows[1]
    assert evil["Name (Korean)"] == "'" + EVIL_NAME  # text, not a formula
    assert evil["Name (English)"] == "'-2+3"
    assert evil["As consumer: Sharing requests"] == "2"
    assert evil["Publishes and consumes"] == "no"
    acme = rows[0]
    assert acme["Name (Korean)"] == "에이씨엠이정밀"
    assert acme["As publisher: Datasets published"] == "2"
    assert acme["As publisher: Downloaded bytes"] == "400"
    assert acme["As consumer: Downloaded bytes"] == "1000"
    assert acme["Publishes and consumes"] == "yes"
    total = rows[-1]
    assert total["As publisher: Sharing requests"] == total["As consumer: Sharing requests"] == "10"
    assert total["Publishes and consumes"] == ""


def test_no_cell_starts_like_a_formula(stats_world: StatsWorld, client_for):
    text = client_for("secretariat").get(reverse("stats-organizations") + "?format=csv").content
    cells = [cell for row in csv.reader(io.StringIO(text.decode("utf-8-sig"))) for cell in row]

    assert cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_member_s_csv_holds_their_organisation_and_the_alliance_total(
    stats_world: StatsWorld, client_for
):
    rows = read(client_for("member").get(reverse("stats-organizations") + "?format=csv", **ENGLISH))

    assert [row["Organisation"] for row in rows] == ["acme", "Alliance total"]


def test_kinds_as_csv(stats_world: StatsWorld, client_for):
    rows = read(
        client_for("secretariat").get(
            reverse("stats-organization-kinds") + "?format=csv", **ENGLISH
        )
    )

    assert len(rows) == 8
    research = next(row for row in rows if row["Kind"] == "research_institute")
    assert research["Kind (label)"] == "Research institute"
    assert research["As consumer: Approval rate"] == "0.5"
    assert rows[-1]["Kind (label)"] == "Alliance total"
    assert rows[-1]["Member organisations"] == "3"


def test_monthly_as_csv(stats_world: StatsWorld, client_for):
    response = client_for("secretariat").get(
        reverse("stats-monthly") + "?from=2025-01&to=2025-06&format=csv", **ENGLISH
    )

    rows = read(response)
    assert [row["Month"] for row in rows] == [f"2025-0{m}" for m in range(1, 7)]  # no total
    assert rows[2]["Active grants"] == "2"
    assert "max-monthly-2025-01-2025-06-" in response["Content-Disposition"]


def test_an_organisation_s_months_as_csv(stats_world: StatsWorld, client_for):
    response = client_for("member").get(
        reverse("stats-organization-monthly", kwargs={"slug": "acme"})
        + "?from=2025-06&to=2025-06&format=csv",
        **ENGLISH,
    )

    (june,) = read(response)
    assert june["As consumer: Downloads"] == "1"
    assert "max-organization-monthly-acme-2025-06-2025-06-" in response["Content-Disposition"]


def test_errors_come_as_problem_documents_even_when_csv_was_asked(
    stats_world: StatsWorld, client_for
):
    forbidden = client_for("member").get(reverse("stats-divisions"), HTTP_ACCEPT="text/csv")
    invalid = client_for("secretariat").get(reverse("stats-monthly") + "?format=csv&from=x")
    anonymous = client_for("anonymous").get(reverse("stats-monthly") + "?format=csv")

    assert_problem(forbidden, 403, "permission_denied")
    assert_problem(invalid, 400, "validation_error")
    assert_problem(anonymous, 401, "not_authenticated")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+82-2-123", "'+82-2-123"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("한글 =", "한글 ="),
        (None, ""),
        (True, "yes"),
        (0.25, "0.25"),
        (12, "12"),
    ],
)
def test_safe_cell(value, cell, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        assert safe_cell(value) == cell


def test_every_cell_is_the_json_value(stats_world: StatsWorld, client_for):
    from stats.api.serializers import OrganizationRowSerializer
    from stats.csv import columns

    client = client_for("secretariat")
    json_rows = client.get(reverse("stats-organizations")).json()["results"]
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("stats-organizations") + "?format=csv").content.decode(
                    "utf-8-sig"
                )
            )
        )
    )[1:-1]  # no header, no total

    paths = [column.path for column in columns(OrganizationRowSerializer())]
    for json_row, csv_row in zip(json_rows, csv_rows, strict=True):
        for path, cell in zip(paths, csv_row, strict=True):
            value: object = json_row
            for name in path:
                value = value[name]  # type: ignore[index]
            assert cell == safe_cell(value), path


def test_a_format_in_the_url_wins_over_accept(stats_world: StatsWorld, client_for):
    response = client_for("secretariat").get(
        reverse("stats-divisions") + "?format=csv", HTTP_ACCEPT="application/json"
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
