"""DELETE /api/v1/organizations/<slug>/: the secretariat removes an organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, Organization, User
from datasets.models import Dataset
from tests.common.problems import assert_problem
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

URL = reverse("organization-list")

STATUS = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 204,
}


@pytest.mark.parametrize(("persona", "expected"), STATUS.items())
def test_only_the_secretariat_deletes(client_for, world, persona, expected):
    response = client_for(persona).delete(reverse("organization-detail", kwargs={"slug": "acme"}))

    assert response.status_code == expected
    if expected == 204:
        assert not response.content
        assert not Organization.objects.filter(slug="acme").exists()
        assert (
            client_for("member")
            .get(reverse("organization-detail", kwargs={"slug": "acme"}))
            .status_code
            == 404
        )
    else:
        code = "not_authenticated" if expected == 401 else "permission_denied"
        assert_problem(response, expected, code)
        assert Organization.objects.filter(slug="acme").exists()


def test_deleting_removes_its_memberships_and_nothing_else(client_for, world):
    assert (
        client_for("secretariat")
        .delete(reverse("organization-detail", kwargs={"slug": "acme"}))
        .status_code
        == 204
    )

    assert not Membership.objects.filter(organization_id=world.acme.pk).exists()
    assert Membership.objects.filter(organization=world.other).count() == 2
    assert User.objects.filter(email="member@example.kr", is_active=True).exists()


def test_an_organisation_that_publishes_datasets_cannot_be_deleted(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme)

    response = client_for("secretariat").delete(
        reverse("organization-detail", kwargs={"slug": "acme"})
    )

    assert_problem(response, 409, "organization_has_datasets")
    assert Organization.objects.filter(slug="acme").exists()
    assert Membership.objects.filter(organization=world.acme).count() == 3
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_a_draft_dataset_also_blocks_deletion(client_for, world):
    DatasetFactory.create(publisher=world.acme, status="draft")

    assert_problem(
        client_for("secretariat").delete(reverse("organization-detail", kwargs={"slug": "acme"})),
        409,
        "organization_has_datasets",
    )


def test_another_organisations_datasets_do_not_block_deletion(client_for, world):
    DatasetFactory.create(publisher=world.other)

    assert (
        client_for("secretariat")
        .delete(reverse("organization-detail", kwargs={"slug": "acme"}))
        .status_code
        == 204
    )


def test_deleting_an_unknown_slug_is_404(client_for, world):
    assert_problem(
        client_for("secretariat").delete(reverse("organization-detail", kwargs={"slug": "nope"})),
        404,
        "not_found",
    )


def test_deleting_twice_is_404_the_second_time(client_for, world):
    client = client_for("secretariat")

    assert client.delete(reverse("organization-detail", kwargs={"slug": "acme"})).status_code == 204
    assert_problem(
        client.delete(reverse("organization-detail", kwargs={"slug": "acme"})), 404, "not_found"
    )
