"""Which datasets the catalog shows to whom: the listed catalog, narrowed for anonymous callers.

Drafts and withdrawn datasets never appear, not even for their publisher or the secretariat;
members see members-only, confidential and restricted metadata (the data stays behind
agreements); anonymous harvesters see public datasets only.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rdflib import URIRef

from datasets.models import DatasetStatus, Distribution
from interop.dcat import DCAT3
from tests.catalog.helpers import local_path, public_url
from tests.factories import DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db

SIGNED_IN = (
    "member",
    "steward",
    "org_admin",
    "outsider_member",
    "outsider_steward",
    "division_lead",
    "secretariat",
)


@pytest.fixture
def scene(world):
    def make(name, organization, sensitivity, status):
        return DatasetFactory.create(
            slug=name,
            publisher=organization,
            sensitivity=sensitivity,
            status=status,
            title_en=name,
        )

    published = DatasetStatus.PUBLISHED
    return {
        "public": make("public", world.acme, "public", published),
        "members": make("members", world.acme, "members", published),
        "confidential_deprecated": make(
            "confidential-deprecated", world.acme, "confidential", DatasetStatus.DEPRECATED
        ),
        "restricted": make("restricted", world.acme, "restricted", published),
        "public_deprecated": make(
            "public-deprecated", world.other, "public", DatasetStatus.DEPRECATED
        ),
        "draft": make("draft", world.acme, "public", DatasetStatus.DRAFT),
        "withdrawn": make("withdrawn", world.acme, "public", DatasetStatus.WITHDRAWN),
        "other_draft": make("other-draft", world.other, "members", DatasetStatus.DRAFT),
    }


def listed(graph) -> set[str]:
    catalog = URIRef(public_url(reverse("catalog")))
    return {str(o).rstrip("/").rsplit("/", 1)[-1] for o in graph.objects(catalog, DCAT3.dataset)}


def ids(scene, *names) -> set[str]:
    return {str(scene[name].pk) for name in names}


def test_anonymous_harvesters_see_public_listed_datasets_only(scene, client_for, read_catalog):
    graph = read_catalog(client_for("anonymous"))

    assert listed(graph) == ids(scene, "public", "public_deprecated")
    for hidden in ("members", "confidential_deprecated", "restricted", "draft", "withdrawn"):
        assert (
            URIRef(public_url(reverse("dataset-detail", kwargs={"dataset": scene[hidden].pk}))),
            None,
            None,
        ) not in (graph)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_signed_in_members_see_every_listed_dataset_and_no_draft(
    scene, client_for, read_catalog, persona
):
    graph = read_catalog(client_for(persona))

    assert listed(graph) == ids(
        scene, "public", "members", "confidential_deprecated", "restricted", "public_deprecated"
    )


@pytest.mark.parametrize("persona", ["steward", "outsider_steward", "secretariat"])
def test_drafts_and_withdrawn_never_appear_even_for_their_publisher(
    scene, client_for, read_catalog, persona
):
    graph = read_catalog(client_for(persona))

    for name in ("draft", "withdrawn", "other_draft"):
        node = URIRef(public_url(reverse("dataset-detail", kwargs={"dataset": scene[name].pk})))
        assert (node, None, None) not in graph
        assert (None, None, node) not in graph


def test_restricted_metadata_is_visible_while_its_data_stays_restricted(
    scene, client_for, read_catalog
):
    version = DatasetVersionFactory.create(dataset=scene["restricted"])
    distribution = Distribution.objects.create(
        version=version,
        format="csv",
        media_type="text/csv",
        file=ContentFile(b"a,b\n1,2\n", name="secret.csv"),
    )
    outsider = client_for("outsider_member")

    graph = read_catalog(outsider)

    node = URIRef(
        public_url(
            reverse(
                "distribution-detail",
                kwargs={
                    "dataset": scene["restricted"].pk,
                    "version": version.pk,
                    "pk": distribution.pk,
                },
            )
        )
    )
    [download] = graph.objects(node, DCAT3.downloadURL)
    response = outsider.get(local_path(str(download)))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
