"""Who sees which dataset: one row per persona, for lists and for details."""

from __future__ import annotations

import pytest
from django.urls import reverse

from datasets.models import DatasetStatus, Sensitivity
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(world):
    return {
        "acme_draft": DatasetFactory(publisher=world.acme, status=DatasetStatus.DRAFT),
        "acme_public": DatasetFactory(publisher=world.acme, sensitivity=Sensitivity.PUBLIC),
        "acme_members": DatasetFactory(publisher=world.acme, sensitivity=Sensitivity.MEMBERS),
        "acme_restricted": DatasetFactory(publisher=world.acme, sensitivity=Sensitivity.RESTRICTED),
        "acme_withdrawn": DatasetFactory(publisher=world.acme, status=DatasetStatus.WITHDRAWN),
        "other_draft": DatasetFactory(publisher=world.other, status=DatasetStatus.DRAFT),
        "other_deprecated": DatasetFactory(publisher=world.other, status=DatasetStatus.DEPRECATED),
    }


VISIBLE = {
    "anonymous": {"acme_public"},
    "member": {
        "acme_draft",
        "acme_public",
        "acme_members",
        "acme_restricted",
        "acme_withdrawn",
        "other_deprecated",
    },
    "steward": {
        "acme_draft",
        "acme_public",
        "acme_members",
        "acme_restricted",
        "acme_withdrawn",
        "other_deprecated",
    },
    "outsider_member": {
        "acme_public",
        "acme_members",
        "acme_restricted",
        "other_draft",
        "other_deprecated",
    },
    "division_lead": {"acme_public", "acme_members", "acme_restricted", "other_deprecated"},
    "secretariat": {
        "acme_draft",
        "acme_public",
        "acme_members",
        "acme_restricted",
        "acme_withdrawn",
        "other_draft",
        "other_deprecated",
    },
}


@pytest.mark.parametrize(("persona", "expected"), VISIBLE.items())
def test_list_shows_exactly_what_the_persona_may_see(client_for, catalog, persona, expected):
    response = client_for(persona).get(reverse("dataset-list"), {"page_size": 100})

    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["results"]}
    assert ids == {str(catalog[name].pk) for name in expected}
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(("persona", "expected"), VISIBLE.items())
def test_detail_is_404_for_what_the_persona_may_not_see(client_for, catalog, persona, expected):
    client = client_for(persona)
    for name, dataset in catalog.items():
        response = client.get(reverse("dataset-detail", kwargs={"dataset": dataset.pk}))
        assert response.status_code == (200 if name in expected else 404), name
        if response.status_code == 404:
            body = response.json()
            assert body["code"] == "not_found"
            assert dataset.title_ko not in response.content.decode()


def test_detail_by_slug(client_for, catalog):
    dataset = catalog["acme_public"]
    response = client_for("anonymous").get(
        reverse("dataset-detail", kwargs={"dataset": dataset.slug})
    )
    assert response.status_code == 200
    assert response.json()["id"] == str(dataset.pk)
