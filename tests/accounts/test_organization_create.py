"""POST /api/v1/organizations/: only the secretariat registers member organisations."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Organization
from tests.accounts.helpers import bearer
from tests.common.problems import assert_field_error, assert_problem

pytestmark = pytest.mark.django_db

URL = reverse("organization-list")

# Real, valid numbers: Samsung Electronics and Naver.
SAMSUNG = "124-81-00998"
NAVER = "2208162517"


def payload(**overrides: Any) -> dict[str, Any]:
    return {
        "slug": "hanbit",
        "name_ko": "한빛로보틱스",
        "name_en": "Hanbit Robotics",
        "kind": "manufacturer",
        "size": "startup",
        "business_registration_number": SAMSUNG,
        "divisions": ["humanoids", "ai-factory"],
        "website": "https://hanbit.example.kr",
        **overrides,
    }


STATUS = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 201,
}


@pytest.mark.parametrize(("persona", "expected"), STATUS.items())
def test_only_the_secretariat_creates(client_for, world, persona, expected):
    response = client_for(persona).post(URL, payload())

    assert response.status_code == expected
    created = Organization.objects.filter(slug="hanbit")
    if expected == 201:
        body = response.json()
        assert body["slug"] == "hanbit"
        assert body["name_ko"] == "한빛로보틱스"
        assert body["business_registration_number"] == "1248100998"
        assert [d["code"] for d in body["divisions"]] == ["ai-factory", "humanoids"]
        assert body["id"] == created.get().pk
    else:
        code = "not_authenticated" if expected == 401 else "permission_denied"
        assert_problem(response, expected, code)
        assert not created.exists()


def test_secretariat_creates_with_a_real_bearer_token(world, issue_token):
    response = bearer(issue_token(world.users["secretariat"])).post(URL, payload())

    assert response.status_code == 201
    organization = Organization.objects.get(slug="hanbit")
    assert set(organization.divisions.values_list("code", flat=True)) == {
        "ai-factory",
        "humanoids",
    }


def test_defaults_for_optional_fields(client_for, world):
    data = payload()
    for optional in ("name_en", "size", "divisions", "website"):
        del data[optional]

    response = client_for("secretariat").post(URL, data)

    assert response.status_code == 201
    assert response.json()["size"] == "sme"
    assert response.json()["divisions"] == []
    assert response.json()["name_en"] == ""


# --- business registration number --------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (SAMSUNG, "1248100998"),
        ("1248100998", "1248100998"),
        (NAVER, "2208162517"),
        ("220-81-62517", "2208162517"),
        ("220 81 62517", "2208162517"),
    ],
)
def test_valid_numbers_with_or_without_dashes_are_stored_as_ten_digits(
    client_for, world, given, stored
):
    response = client_for("secretariat").post(URL, payload(business_registration_number=given))

    assert response.status_code == 201
    assert response.json()["business_registration_number"] == stored
    assert Organization.objects.get(slug="hanbit").business_registration_number == stored


@pytest.mark.parametrize("given", ["124-81-00999", "1248100990", "220-81-62518"])
def test_a_wrong_check_digit_is_400_invalid_checksum(client_for, world, given):
    response = client_for("secretariat").post(URL, payload(business_registration_number=given))

    body = assert_field_error(response, "business_registration_number", "invalid_checksum")
    assert body["errors"][0]["field"] == "business_registration_number"
    assert body["errors"][0]["code"] == "invalid_checksum"
    assert not Organization.objects.filter(slug="hanbit").exists()


@pytest.mark.parametrize(
    "given", ["124-81-0099", "12481009981", "124-81-0099A", "abcdefghij", "--------"]
)
def test_a_wrong_length_or_non_digits_is_400_invalid_format(client_for, world, given):
    response = client_for("secretariat").post(URL, payload(business_registration_number=given))

    body = assert_field_error(response, "business_registration_number", "invalid_format")
    assert body["errors"][0]["field"] == "business_registration_number"
    assert body["errors"][0]["code"] == "invalid_format"
    assert not Organization.objects.filter(slug="hanbit").exists()


def test_a_duplicate_business_registration_number_is_400(client_for, world):
    acme_number = world.acme.business_registration_number
    dashed = f"{acme_number[:3]}-{acme_number[3:5]}-{acme_number[5:]}"

    response = client_for("secretariat").post(URL, payload(business_registration_number=dashed))

    assert_field_error(response, "business_registration_number", "unique")
    assert Organization.objects.filter(business_registration_number=acme_number).count() == 1


def test_a_duplicate_slug_is_400(client_for, world):
    response = client_for("secretariat").post(URL, payload(slug="acme"))

    assert_field_error(response, "slug", "unique")
    assert Organization.objects.get(slug="acme").name_ko == "에이씨엠이정밀"


# --- other fields ------------------------------------------------------------------------------


def test_missing_required_fields_are_400(client_for, world):
    response = client_for("secretariat").post(URL, {})

    body = assert_field_error(response, "slug", "required")
    assert {e["field"] for e in body["errors"] if e["code"] == "required"} == {
        "slug",
        "name_ko",
        "kind",
        "business_registration_number",
    }


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("kind", "bakery", "invalid_choice"),
        ("size", "huge", "invalid_choice"),
        ("divisions", ["no-such-division"], "does_not_exist"),
        ("slug", "한빛 로보틱스", "invalid"),
        ("website", "not a url", "invalid"),
    ],
)
def test_invalid_fields_are_400(client_for, world, field, value, code):
    response = client_for("secretariat").post(URL, payload(**{field: value}))

    assert_field_error(response, field, code)
    assert not Organization.objects.filter(slug="hanbit").exists()


def to_fullwidth(digits: str) -> str:
    """What a Korean IME types in full-width mode: U+FF10..U+FF19 instead of 0-9."""
    return digits.translate({ord("0") + n: 0xFF10 + n for n in range(10)})


def test_an_existing_number_in_full_width_digits_is_not_a_new_company(client_for, world):
    fullwidth = to_fullwidth(world.acme.business_registration_number)

    response = client_for("secretariat").post(URL, payload(business_registration_number=fullwidth))

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "business_registration_number"
    assert body["errors"][0]["code"] in {"unique", "invalid_format"}
    assert not Organization.objects.filter(slug="hanbit").exists()


@pytest.mark.parametrize(
    "digits", [to_fullwidth("2208162517"), "٢٢٠٨١٦٢٥١٧"], ids=["full-width", "arabic-indic"]
)
def test_non_ascii_digits_are_400_invalid_format(client_for, world, digits):
    response = client_for("secretariat").post(URL, payload(business_registration_number=digits))

    assert_field_error(response, "business_registration_number", "invalid_format")
    assert not Organization.objects.filter(slug="hanbit").exists()
