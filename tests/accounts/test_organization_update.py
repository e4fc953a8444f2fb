"""PATCH /api/v1/organizations/<slug>/: an organisation's admins and the secretariat edit it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Organization
from tests.accounts.helpers import bearer
from tests.common.problems import assert_field_error, assert_problem

pytestmark = pytest.mark.django_db

URL = reverse("organization-list")

# Every signed-in persona can read every organisation, so refusals are 403, not 404.
ACME = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 200,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 200,
}
OTHER = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 200,
}


@pytest.mark.parametrize(
    ("slug", "persona", "expected"),
    [("acme", p, s) for p, s in ACME.items()] + [("other", p, s) for p, s in OTHER.items()],
)
def test_who_may_patch(client_for, world, slug, persona, expected):
    before = Organization.objects.get(slug=slug)

    response = client_for(persona).patch(
        reverse("organization-detail", kwargs={"slug": slug}), {"name_en": "Renamed Ltd"}
    )

    assert response.status_code == expected
    after = Organization.objects.get(slug=slug)
    if expected == 200:
        assert response.json()["name_en"] == "Renamed Ltd"
        assert after.name_en == "Renamed Ltd"
        assert after.modified_at > before.modified_at
    else:
        code = "not_authenticated" if expected == 401 else "permission_denied"
        assert_problem(response, expected, code)
        assert "Renamed" not in response.content.decode()
        assert after.name_en == before.name_en
        assert after.modified_at == before.modified_at


def test_org_admin_patches_with_a_real_bearer_token(world, issue_token):
    client = bearer(issue_token(world.users["org_admin"]))

    assert (
        client.patch(
            reverse("organization-detail", kwargs={"slug": "acme"}),
            {"website": "https://acme.example.kr"},
        ).status_code
        == 200
    )
    assert (
        client.patch(
            reverse("organization-detail", kwargs={"slug": "other"}),
            {"website": "https://evil.example"},
        ).status_code
        == 403
    )

    assert Organization.objects.get(slug="acme").website == "https://acme.example.kr"
    assert Organization.objects.get(slug="other").website == ""


def test_patch_changes_only_the_fields_sent(client_for, world):
    before = Organization.objects.get(slug="acme")

    response = client_for("org_admin").patch(
        reverse("organization-detail", kwargs={"slug": "acme"}), {"size": "midsize"}
    )

    assert response.status_code == 200
    after = Organization.objects.get(slug="acme")
    assert after.size == "midsize"
    assert after.name_ko == before.name_ko
    assert after.business_registration_number == before.business_registration_number
    assert list(after.divisions.values_list("code", flat=True)) == ["ai-factory"]


def test_patch_replaces_the_divisions(client_for, world):
    response = client_for("org_admin").patch(
        reverse("organization-detail", kwargs={"slug": "acme"}),
        {"divisions": ["humanoids", "ai-bio"]},
    )

    assert response.status_code == 200
    assert {d["code"] for d in response.json()["divisions"]} == {"humanoids", "ai-bio"}
    assert set(world.acme.divisions.values_list("code", flat=True)) == {"humanoids", "ai-bio"}


def test_patch_normalises_the_business_registration_number(client_for, world):
    response = client_for("org_admin").patch(
        reverse("organization-detail", kwargs={"slug": "acme"}),
        {"business_registration_number": "220-81-62517"},
    )

    assert response.status_code == 200
    assert response.json()["business_registration_number"] == "2208162517"
    assert Organization.objects.get(slug="acme").business_registration_number == "2208162517"


@pytest.mark.parametrize(
    ("given", "code"), [("124-81-00999", "invalid_checksum"), ("124-81", "invalid_format")]
)
def test_patch_validates_the_business_registration_number(client_for, world, given, code):
    before = world.acme.business_registration_number

    response = client_for("org_admin").patch(
        reverse("organization-detail", kwargs={"slug": "acme"}),
        {"business_registration_number": given},
    )

    body = assert_field_error(response, "business_registration_number", code)
    assert body["errors"][0]["field"] == "business_registration_number"
    assert Organization.objects.get(slug="acme").business_registration_number == before


def test_patch_to_another_organisations_number_is_400(client_for, world):
    response = client_for("org_admin").patch(
        reverse("organization-detail", kwargs={"slug": "acme"}),
        {"business_registration_number": world.other.business_registration_number},
    )

    assert_field_error(response, "business_registration_number", "unique")
    assert (
        Organization.objects.get(slug="acme").business_registration_number
        == world.acme.business_registration_number
    )


def test_patch_to_another_organisations_slug_is_400(client_for, world):
    response = client_for("secretariat").patch(
        reverse("organization-detail", kwargs={"slug": "other"}), {"slug": "acme"}
    )

    assert_field_error(response, "slug", "unique")
    assert Organization.objects.filter(slug="other").exists()


def test_patch_keeping_its_own_slug_and_number_is_fine(client_for, world):
    response = client_for("org_admin").patch(
        reverse("organization-detail", kwargs={"slug": "acme"}),
        {"slug": "acme", "business_registration_number": world.acme.business_registration_number},
    )

    assert response.status_code == 200


def test_patch_of_an_unknown_slug_is_404(client_for, world):
    assert_problem(
        client_for("secretariat").patch(
            reverse("organization-detail", kwargs={"slug": "nope"}), {"name_en": "X"}
        ),
        404,
        "not_found",
    )


def test_put_is_not_allowed(client_for, world):
    response = client_for("secretariat").put(
        reverse("organization-detail", kwargs={"slug": "acme"}), {"name_en": "Replaced"}
    )

    body = assert_problem(response, 405, "method_not_allowed")
    assert body["method"] == "PUT"
    assert Organization.objects.get(slug="acme").name_en == "Acme Precision"
