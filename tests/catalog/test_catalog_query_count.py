"""A catalog page costs a fixed number of SQL queries, however many datasets, versions,
distributions and policies it renders (no per-row policy lookups, as Eclipse EDC once did)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rdflib import URIRef
from rest_framework.test import APIClient

from accounts.services import api_token_create
from datasets.models import (
    Dataset,
    DatasetVersion,
    Distribution,
    DistributionRole,
    VersionStatus,
)
from interop.dcat import DCAT3, HYDRA, ODRL, RDF
from registry.models import AccessPolicy
from tests.catalog.helpers import CATALOG_URL, JSON_LD, TURTLE, local_path, parse, public_url
from tests.datasets.helpers import make_public_datasets
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

# Work queries: the bounded count, the page, versions, distributions, current policies, the
# organisations and divisions the policies name, the catalog's newest change. Signed-in
# callers add their roles; bearer tokens add the token.
BUDGET = {"anonymous": 8, "session": 9, "bearer": 10}


@pytest.fixture
def client_as(world, client_for) -> Callable[[str], APIClient]:
    def make(mode: str) -> APIClient:
        if mode == "anonymous":
            return client_for("anonymous")
        if mode == "session":
            return client_for("outsider_member")
        _token, secret = api_token_create(user=world.users["outsider_member"], name="harvester")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def catalog_of(world):
    """catalog_of(n): n public datasets, each with two published versions and a draft, two
    distributions and a sample per version, and a policy naming organisations and divisions."""
    allowed = [OrganizationFactory.create() for _ in range(3)]

    def build(count: int) -> None:
        Dataset.objects.filter(slug__startswith="dataset-").delete()
        datasets = make_public_datasets(world, count)
        versions = DatasetVersion.objects.bulk_create(
            DatasetVersion(
                dataset=dataset,
                version=number,
                status=status,
                published_at=timezone.now() if status == VersionStatus.PUBLISHED else None,
                schema={"fields": [{"name": "a", "type": "string"}]} if number == "1.0" else None,
                schema_kind="table_schema" if number == "1.0" else "",
            )
            for dataset in datasets
            for number, status in (
                ("1.0", VersionStatus.PUBLISHED),
                ("1.1", VersionStatus.PUBLISHED),
                ("2.0", VersionStatus.DRAFT),
            )
        )
        Distribution.objects.bulk_create(
            Distribution(
                version=version,
                format="csv",
                media_type="text/csv",
                access_url=f"https://data.example.kr/{version.pk}/{n}.csv",
                sha256="0" * 64,
                byte_size=10,
                role=role,
            )
            for version in versions
            for n, role in enumerate(
                (DistributionRole.DATA, DistributionRole.DATA, DistributionRole.SAMPLE)
            )
        )
        AccessPolicy.objects.bulk_create(
            AccessPolicy(
                dataset=dataset,
                revision=1,
                permitted_purposes=["research"],
                obligations=["attribution"],
                prohibitions=["resale"],
                max_period_days=90,
                approval_route="publisher",
                allowed_organization_ids=[allowed[n % 3].pk, world.other.pk],
                denied_organization_ids=[world.acme.pk],
                allowed_division_ids=[world.ai_factory.pk, world.humanoids.pk],
                allowed_organization_kinds=["ai_company"],
            )
            for n, dataset in enumerate(datasets)
        )

    return build


def queries(client: APIClient, path: str, params: dict | None = None, accept: str = JSON_LD):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path, params or {}, HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    return len(context), parse(response)


@pytest.mark.parametrize("mode", ["anonymous", "session", "bearer"])
@pytest.mark.parametrize("accept", [JSON_LD, TURTLE])
def test_a_page_costs_the_same_for_5_and_60_datasets(client_as, catalog_of, mode, accept):
    client = client_as(mode)
    catalog_of(5)
    queries(client, CATALOG_URL, {"page_size": 100})  # warm up: the token's last_used_at

    small, small_graph = queries(client, CATALOG_URL, {"page_size": 100}, accept)
    catalog_of(60)
    large, large_graph = queries(client, CATALOG_URL, {"page_size": 100}, accept)

    catalog = URIRef(public_url(CATALOG_URL))
    assert len(list(small_graph.objects(catalog, DCAT3.dataset))) == 5
    assert len(list(large_graph.objects(catalog, DCAT3.dataset))) == 60
    # Everything was rendered: 60 offers, 120 versions, 240 distributions; the 120 checked
    # files stay out of the catalog (they have no preview here to show instead).
    assert len(list(large_graph.subject_objects(ODRL.hasPolicy))) == 60
    assert len(list(large_graph.subject_objects(DCAT3.isVersionOf))) == 120
    assert len(set(large_graph.subjects(RDF.type, DCAT3.Distribution))) == 240
    assert small == large
    assert large <= BUDGET[mode]


def test_each_page_of_a_walk_costs_the_same(client_as, catalog_of):
    catalog_of(60)
    client = client_as("bearer")
    queries(client, CATALOG_URL)  # warm up

    count, graph = queries(client, CATALOG_URL, {"page_size": 20})
    counts = [count]
    catalog = URIRef(public_url(CATALOG_URL))
    while links := list(graph.objects(next(graph.objects(catalog, HYDRA.view)), HYDRA.next)):
        count, graph = queries(client, local_path(str(links[0])))
        counts.append(count)

    assert len(counts) == 3
    assert len(set(counts)) == 1
