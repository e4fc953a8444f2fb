"""GET /api/v1/organizations/ and its detail: who may read, filters and cursor pagination."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.filters import OrganizationFilter
from accounts.models import Organization, OrganizationKind, OrganizationSize
from tests.accounts.helpers import bearer
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import OrganizationFactory
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

URL = reverse("organization-list")
SIGNED_IN = [persona for persona in PERSONAS if persona != "anonymous"]
OUTPUT_FIELDS = {
    "id",
    "slug",
    "name_ko",
    "name_en",
    "kind",
    "size",
    "business_registration_number",
    "divisions",
    "website",
    "created_at",
    "modified_at",
}


@pytest.fixture
def orgs(world):
    """acme (manufacturer, SME, ai-factory) and other (AI company, SME) plus two more."""
    hanbit = OrganizationFactory.create(
        slug="hanbit",
        name_ko="한빛로보틱스",
        name_en="Hanbit Robotics",
        kind=OrganizationKind.MANUFACTURER,
        size=OrganizationSize.STARTUP,
    )
    hanbit.divisions.set([world.humanoids])
    snu = OrganizationFactory.create(
        slug="snu",
        name_ko="서울대학교",
        name_en="Seoul National University",
        kind=OrganizationKind.UNIVERSITY,
        size=OrganizationSize.NOT_APPLICABLE,
    )
    snu.divisions.set([world.ai_factory, world.humanoids])
    return {"acme": world.acme, "other": world.other, "hanbit": hanbit, "snu": snu}


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


# --- who may read ------------------------------------------------------------------------------


def test_anonymous_may_not_list(world):
    response = APIClient().get(URL)

    assert_problem(response, 401, "not_authenticated")
    assert "acme" not in response.content.decode()


def test_anonymous_may_not_read_a_detail(world):
    response = APIClient().get(reverse("organization-detail", kwargs={"slug": "acme"}))

    assert_problem(response, 401, "not_authenticated")
    assert world.acme.name_ko not in response.content.decode()


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_signed_in_persona_lists_all_organisations(client_for, orgs, persona):
    response = client_for(persona).get(URL)

    assert slugs(response) == ["acme", "hanbit", "other", "snu"]
    assert response.json()["count"] == 4
    assert response.json()["count_is_capped"] is False
    for item in response.json()["results"]:
        assert set(item) == OUTPUT_FIELDS


@pytest.mark.parametrize("persona", SIGNED_IN)
@pytest.mark.parametrize("slug", ["acme", "other"])
def test_every_signed_in_persona_reads_any_organisation(client_for, world, persona, slug):
    organization = Organization.objects.get(slug=slug)

    response = client_for(persona).get(reverse("organization-detail", kwargs={"slug": slug}))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == organization.pk
    assert body["name_ko"] == organization.name_ko
    assert body["business_registration_number"] == organization.business_registration_number
    assert set(body) == OUTPUT_FIELDS


def test_detail_lists_the_divisions(client_for, world):
    body = client_for("member").get(reverse("organization-detail", kwargs={"slug": "acme"})).json()

    assert body["divisions"] == [
        {
            "id": world.ai_factory.pk,
            "code": "ai-factory",
            "name_ko": "AI 팩토리",
            "name_en": "AI factory",
        }
    ]


def test_unknown_slug_is_404_problem(client_for, world):
    assert_problem(
        client_for("secretariat").get(reverse("organization-detail", kwargs={"slug": "nope"})),
        404,
        "not_found",
    )


def test_a_real_bearer_token_lists_organisations(world, issue_token):
    response = bearer(issue_token(world.users["outsider_member"])).get(URL)

    assert slugs(response) == ["acme", "other"]


# --- filters: one test per filter --------------------------------------------------------------


def test_filter_kind(client_for, orgs):
    client = client_for("member")

    assert slugs(client.get(URL, {"kind": "manufacturer"})) == ["acme", "hanbit"]
    assert slugs(client.get(URL, {"kind": ["ai_company", "university"]})) == ["other", "snu"]
    assert slugs(client.get(URL, {"kind": "public_agency"})) == []
    assert_field_error(client.get(URL, {"kind": "bakery"}), "kind", "invalid_choice")


def test_filter_size(client_for, orgs):
    client = client_for("member")

    assert slugs(client.get(URL, {"size": "sme"})) == ["acme", "other"]
    assert slugs(client.get(URL, {"size": ["startup", "not_applicable"]})) == ["hanbit", "snu"]
    assert slugs(client.get(URL, {"size": "large"})) == []
    assert_field_error(client.get(URL, {"size": "huge"}), "size", "invalid_choice")


def test_filter_division_by_code(client_for, orgs):
    client = client_for("member")

    assert slugs(client.get(URL, {"division": "humanoids"})) == ["hanbit", "snu"]
    # snu is in both divisions and still appears once.
    both = client.get(URL, {"division": ["ai-factory", "humanoids"]})
    assert slugs(both) == ["acme", "hanbit", "snu"]
    assert both.json()["count"] == 3
    assert slugs(client.get(URL, {"division": "ai-bio"})) == []
    assert slugs(client.get(URL, {"division": "no-such-division"})) == []


def test_filter_division_id(client_for, world, orgs):
    client = client_for("member")

    assert slugs(client.get(URL, {"division_id": world.humanoids.pk})) == ["hanbit", "snu"]
    both = client.get(URL, {"division_id": [world.ai_factory.pk, world.humanoids.pk]})
    assert slugs(both) == ["acme", "hanbit", "snu"]
    assert both.json()["count"] == 3
    assert_field_error(client.get(URL, {"division_id": "humanoids"}), "division_id", "invalid")


def test_filter_q_matches_korean_and_english_names(client_for, orgs):
    client = client_for("member")

    assert slugs(client.get(URL, {"q": "한빛"})) == ["hanbit"]
    assert slugs(client.get(URL, {"q": "대학"})) == ["snu"]
    assert slugs(client.get(URL, {"q": "ROBOTICS"})) == ["hanbit"]
    assert slugs(client.get(URL, {"q": "precision"})) == ["acme"]
    assert slugs(client.get(URL, {"q": "  "})) == ["acme", "hanbit", "other", "snu"]
    assert slugs(client.get(URL, {"q": "삼성"})) == []


def test_every_filter_has_a_test_above():
    assert set(OrganizationFilter.base_filters) == {"kind", "size", "division", "division_id", "q"}


def test_filters_combine(client_for, world, orgs):
    response = client_for("member").get(
        URL, {"kind": "manufacturer", "division": "humanoids", "q": "한빛"}
    )

    assert slugs(response) == ["hanbit"]


def test_ordering(client_for, orgs):
    client = client_for("member")

    assert slugs(client.get(URL, {"ordering": "-slug"})) == ["snu", "other", "hanbit", "acme"]
    assert slugs(client.get(URL, {"ordering": "not_a_field"})) == [
        "acme",
        "hanbit",
        "other",
        "snu",
    ]


# --- cursor pagination -------------------------------------------------------------------------


def test_next_links_walk_every_organisation_once(client_for, orgs):
    client = client_for("member")
    seen: list[str] = []
    response = client.get(URL, {"page_size": 3})
    pages = 0

    while True:
        pages += 1
        body = response.json()
        assert body["count"] == 4
        seen += slugs(response)
        if body["next"] is None:
            break
        assert "page_size=3" in body["next"]
        response = client.get(body["next"])

    assert pages == 2
    assert seen == ["acme", "hanbit", "other", "snu"]


def test_previous_link_goes_back(client_for, orgs):
    client = client_for("member")
    first = client.get(URL, {"page_size": 2})
    second = client.get(first.json()["next"])

    assert first.json()["previous"] is None
    assert slugs(second) == ["other", "snu"]
    assert slugs(client.get(second.json()["previous"])) == ["acme", "hanbit"]


def test_page_size_defaults_to_25_and_is_capped_at_100(client_for, world):
    Organization.objects.bulk_create(OrganizationFactory.build_batch(103))
    client = client_for("member")

    default = client.get(URL)
    capped = client.get(URL, {"page_size": 1000})

    assert len(default.json()["results"]) == 25
    assert len(capped.json()["results"]) == 100
    assert capped.json()["count"] == 105
    assert capped.json()["next"] is not None
    rest = client.get(capped.json()["next"])
    assert len(rest.json()["results"]) == 5
    assert rest.json()["next"] is None


def test_an_invalid_cursor_is_404_problem(client_for, world):
    response = client_for("member").get(URL, {"cursor": "not-a-cursor"})

    assert_problem(response, 404, "not_found")
