"""Date-time query parameters PostgreSQL would refuse are a 400 naming the parameter, never a 500.

PostgreSQL refuses UTC offsets of 16:00 and more ("time zone displacement out of range"), and
Python holds no year outside 1 to 9999; anything else is PostgreSQL's to read, extreme
instants included. Every date-time filter goes through
`common.filters.BoundedDateTimeFilter` (the catalog's `modified_since` through
`database_datetime`), so one table covers them all.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.filters import BoundedDateTimeField, database_datetime
from datasets.models import Sensitivity
from tests.common.problems import assert_field_error
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

# (persona, URL, parameter): every date-time parameter of the API.
PARAMETERS = [
    ("anonymous", reverse("dataset-list"), "created_after"),
    ("anonymous", reverse("dataset-list"), "created_before"),
    ("anonymous", reverse("dataset-list"), "modified_after"),
    ("anonymous", reverse("dataset-list"), "modified_before"),
    ("anonymous", reverse("catalog"), "modified_since"),
    ("member", reverse("sharing-request-list"), "created_after"),
    ("member", reverse("sharing-request-list"), "created_before"),
    ("member", reverse("grant-list"), "valid_at"),
    ("member", reverse("audit-event-list"), "occurred_after"),
    ("member", reverse("audit-event-list"), "occurred_before"),
]

# (value, the error code): moments PostgreSQL or Python would refuse, and malformed ones.
REFUSED = [
    ("2020-01-01T00:00:00+22:45", "offset_out_of_range"),
    ("2020-01-01T00:00:00-16:00", "offset_out_of_range"),
    ("2020-01-01T00:00:00+16:00", "offset_out_of_range"),
    ("0000-01-01T00:00:00", "invalid"),
    ("10000-01-01T00:00:00", "invalid"),
    ("99999-01-01", "invalid"),
]

# The catalog's parameter keeps its own, stricter grammar (its "invalid" for malformed input).
ACCEPTED = [
    "2020-01-01T00:00:00+15:59",
    "2020-01-01T00:00:00-15:59",
    "2020-01-01T00:00:00-12:00",
    "2020-01-01T00:00:00Z",
    "2020-01-01",
    "0001-01-01",  # in Asia/Seoul's local mean time then: +08:27:52
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC, which PostgreSQL holds
    "9999-12-31T23:59:59-15:00",  # year 10000 in UTC
]


@pytest.mark.parametrize(("persona", "url", "parameter"), PARAMETERS)
@pytest.mark.parametrize(("value", "code"), REFUSED)
def test_a_refused_moment_is_400_naming_the_parameter(
    client_for, persona, url, parameter, value, code
):
    response = client_for(persona).get(url, {parameter: value})

    assert_field_error(response, parameter, code)


@pytest.mark.parametrize(("persona", "url", "parameter"), PARAMETERS)
@pytest.mark.parametrize("value", ACCEPTED)
def test_a_moment_postgresql_takes_is_accepted(client_for, persona, url, parameter, value):
    response = client_for(persona).get(url, {parameter: value})

    assert response.status_code == 200, response.content


def test_an_offset_still_means_the_same_instant(world, client_for):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    created = dataset.created_at.astimezone(dt.timezone(dt.timedelta(hours=15, minutes=59)))
    client = client_for("anonymous")

    def listed(**query: str) -> list[str]:
        response = client.get(reverse("dataset-list"), query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    just_before = (created - dt.timedelta(seconds=1)).isoformat()
    just_after = (created + dt.timedelta(seconds=1)).isoformat()
    assert listed(created_after=just_before) == [str(dataset.pk)]
    assert listed(created_after=just_after) == []
    assert listed(created_before=just_after) == [str(dataset.pk)]


def test_the_field_keeps_the_offset_it_was_given():
    value = BoundedDateTimeField().clean("2020-01-01T09:00:00+09:00")

    assert value == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(hours=9)


def test_a_fractional_offset_reaches_the_database_in_utc():
    # Python reads fractions of a second in an offset; PostgreSQL's input syntax does not.
    offset = dt.timezone(dt.timedelta(hours=5, seconds=30, microseconds=500_000))
    moment = dt.datetime(2020, 1, 1, tzinfo=offset)

    assert database_datetime(moment).utcoffset() == dt.timedelta(0)
    assert database_datetime(moment) == moment


def test_a_fractional_offset_that_leaves_the_years_1_to_9999_is_refused():
    offset = dt.timezone(dt.timedelta(hours=1, microseconds=1))

    with pytest.raises(ValidationError) as raised:
        database_datetime(dt.datetime(1, 1, 1, tzinfo=offset))

    assert raised.value.code == "out_of_range"


@pytest.mark.parametrize("parameter", ["created_after", "created_before"])
def test_a_fractional_offset_is_accepted_by_the_filters(client_for, parameter):
    response = client_for("anonymous").get(
        reverse("dataset-list"), {parameter: "2020-01-01T00:00:00+05:30:45.5"}
    )

    assert response.status_code == 200, response.content
