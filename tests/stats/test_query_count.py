"""Each table costs the same number of queries however many rows it aggregates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Division
from registry.models import SharingRequestState as S
from tests.factories import OrganizationFactory
from tests.stats.helpers import (
    StatsWorld,
    make_check,
    make_dataset,
    make_download,
    make_grant,
    make_request,
    make_version,
)

pytestmark = pytest.mark.django_db

URLS = {
    "secretariat": [
        reverse("stats-summary"),
        reverse("stats-divisions"),
        reverse("stats-organization-kinds"),
        reverse("stats-organizations"),
        reverse("stats-organizations") + "?format=csv",
        reverse("stats-monthly") + "?from=2025-01&to=2025-12",
        reverse("stats-organization-monthly", kwargs={"slug": "acme"}) + "?from=2025-01&to=2025-12",
    ],
    "division_lead": [
        reverse("stats-summary"),
        reverse("stats-divisions"),
        reverse("stats-organizations"),
        reverse("stats-monthly"),
    ],
    "member": [reverse("stats-summary"), reverse("stats-organizations")],
}
CALLS = [(persona, url) for persona, urls in URLS.items() for url in urls]
# Alliance totals (8), a table (up to 13) and the caller's roles (1).
MOST_QUERIES = 22


def grow(scene: StatsWorld, factor: int) -> None:
    """Many more rows of every kind, in every division, for new and existing organisations."""
    now = timezone.now()
    user = scene.world.users["outsider_member"]
    divisions = list(Division.objects.all())
    for index in range(factor):
        publisher = OrganizationFactory.create()
        publisher.divisions.set(divisions[index % 3 : index % 3 + 2])
        moment = dt.datetime(2025, 1 + index % 12, 3, tzinfo=dt.UTC)
        dataset = make_dataset(publisher, divisions[index % 10], "published", moment)
        version = make_version(dataset, "1.0.0", moment)
        make_check(version, "passed", moment)
        make_check(version, "failed", moment)
        for state, hours in ((S.ACTIVE, 3), (S.REJECTED, 7), (S.AWAITING_PUBLISHER, None)):
            request = make_request(dataset, scene.other, user, state, moment, hours)
            if state == S.ACTIVE:
                grant = make_grant(request, version, moment, now + dt.timedelta(days=9))
                make_download(grant, user, moment + dt.timedelta(days=1), 10)
                make_download(grant, user, moment + dt.timedelta(days=2), 10)


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize(("persona", "url"), CALLS, ids=[f"{p} {u}" for p, u in CALLS])
def test_the_same_queries_for_few_and_many_rows(stats_world: StatsWorld, client_for, persona, url):
    client = client_for(persona)
    few = count(client, url)

    grow(stats_world, factor=12)
    many = count(client, url)

    assert few == many
    assert few <= MOST_QUERIES
