"""An organisation's publishing defaults: its members read them, its admins set them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from registry.models import PublishingDefaults
from tests.common.problems import assert_problem

pytestmark = pytest.mark.django_db


def url(slug: str = "acme") -> str:
    return reverse("publishing-defaults", kwargs={"slug": slug})


DEFAULTS = {
    "division": "humanoids",
    "theme": "energy",
    "license": "CC-BY-4.0",
    "sensitivity": "members",
    "contact_name": "Kim",
    "contact_email": "kim@acme.example.kr",
    "policy_preset": "members",
}

READ_BY_PERSONA = {
    "anonymous": 401,
    "member": 200,
    "steward": 200,
    "org_admin": 200,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 200,
}
WRITE_BY_PERSONA = {
    "anonymous": 401,
    "member": 403,
    "steward": 403,
    "org_admin": 200,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 200,
}


@pytest.mark.parametrize(("persona", "expected"), READ_BY_PERSONA.items())
def test_who_may_read_the_defaults(client_for, world, persona, expected):
    PublishingDefaults.objects.create(organization=world.acme, contact_email="kim@acme.example.kr")

    response = client_for(persona).get(url())

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["contact_email"] == "kim@acme.example.kr"
    else:
        assert "kim@acme" not in response.content.decode()


@pytest.mark.parametrize(("persona", "expected"), WRITE_BY_PERSONA.items())
@pytest.mark.parametrize("method", ["put", "patch"])
def test_who_may_set_the_defaults(client_for, world, persona, expected, method):
    response = getattr(client_for(persona), method)(url(), DEFAULTS, format="json")

    assert response.status_code == expected, response.content
    saved = PublishingDefaults.objects.filter(organization=world.acme).first()
    if expected == 200:
        assert response.json() == {
            **DEFAULTS,
            "organization": "acme",
            "modified_at": response.json()["modified_at"],
        }
        assert saved is not None
        assert saved.division == world.humanoids
        assert AuditEvent.objects.filter(action="publishing_defaults.changed").exists()
    else:
        assert saved is None


def test_an_organisation_without_defaults_reads_empty_ones(client_for, world):
    body = client_for("member").get(url()).json()

    assert body["division"] is None
    assert body["policy_preset"] == ""


def test_patch_keeps_what_it_leaves_out_and_put_clears_it(client_for, world):
    client = client_for("org_admin")
    client.put(url(), DEFAULTS, format="json")

    client.patch(url(), {"theme": "logistics"}, format="json")
    assert client.get(url()).json()["license"] == "CC-BY-4.0"

    client.put(url(), {"theme": "logistics"}, format="json")
    body = client.get(url()).json()
    assert (body["theme"], body["license"], body["division"]) == ("logistics", "", None)


def test_a_preset_that_cannot_serve_the_sensitivity_is_refused(client_for, world):
    response = client_for("org_admin").put(
        url(), {"sensitivity": "restricted", "policy_preset": "open"}, format="json"
    )

    body = assert_problem(response, 409, "preset_not_allowed")
    assert body["field"] == "policy_preset"


def test_an_unknown_organisation_is_404(client_for, world):
    assert_problem(client_for("secretariat").get(url("nobody")), 404, "not_found")


def test_codes_are_checked(client_for, world):
    response = client_for("org_admin").patch(url(), {"theme": "nonsense"}, format="json")

    assert response.status_code == 400


def test_the_presets_are_a_vocabulary(client_for):
    body = client_for("anonymous").get(reverse("vocabulary-detail", args=["policy_preset"]))

    assert [term["code"] for term in body.json()] == [
        "open",
        "members",
        "research_partners",
        "restricted",
    ]
