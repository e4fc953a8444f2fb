"""Agreements: frozen terms with a SHA-256 digest, visible to both parties, refused changes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse

from accounts.models import MembershipRole
from audit.chain import canonical_json
from audit.models import AuditEvent
from registry.models import Agreement, ApprovalRoute, Grant
from registry.models import SharingRequestState as S
from tests.common.problems import assert_problem
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.sharing import REQUEST_BODY, act

pytestmark = pytest.mark.django_db

OUTPUT_FIELDS = {"id", "identifier", "sharing_request", "digest", "document", "created_at"}


@pytest.fixture
def agreement(world, client_for, submit, set_route, django_capture_on_commit_callbacks):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    response = act(
        client_for("steward"), request, "approve", django_capture_on_commit_callbacks, reason="ok"
    )
    assert response.json()["state"] == S.ACTIVE
    return Agreement.objects.select_related("sharing_request").get(sharing_request=request)


@pytest.fixture
def unrelated(world, client_for):
    """A steward of a third organisation, party to nothing."""
    user = UserFactory.create(email="unrelated@example.kr")
    MembershipFactory.create(
        user=user,
        organization=OrganizationFactory.create(slug="third"),
        role=MembershipRole.DATA_STEWARD,
    )
    world.users["unrelated"] = user
    return client_for("unrelated")


def test_approval_creates_an_agreement_with_a_digest_of_its_document(world, agreement):
    document = agreement.document

    assert agreement.digest == hashlib.sha256(canonical_json(document).encode()).hexdigest()
    assert len(agreement.digest) == 64
    assert agreement.identifier == f"urn:uuid:{agreement.pk}"


def test_the_document_records_parties_target_terms_and_window(world, agreement, shared_dataset):
    request = agreement.sharing_request
    version = shared_dataset.versions.get()
    grant = Grant.objects.get(agreement=agreement)
    document = agreement.document

    assert document["sharing_request"] == str(request.pk)
    assert document["assigner"] == {"id": world.acme.pk, "name": "에이씨엠이정밀"}
    assert document["assignee"] == {"id": world.other.pk, "name": "다른AI"}
    assert document["target"] == {
        "dataset": str(shared_dataset.pk),
        "dataset_title_ko": shared_dataset.title_ko,
        "dataset_title_en": shared_dataset.title_en,
        "version": str(version.pk),
        "version_string": "1.0.0",
    }
    assert document["purpose"] == REQUEST_BODY["purpose"]
    assert document["justification"] == REQUEST_BODY["justification"]
    assert document["accepted_obligations"] == ["attribution", "delete_at_expiry"]
    assert document["approval_route"] == "publisher"
    assert document["policy"]["id"] == str(request.policy_id)
    assert document["policy"]["revision"] == 2  # set_route's; 1 came with the dataset
    assert document["policy"]["approval_route"] == "publisher"
    assert document["policy"]["obligations"] == ["attribution", "delete_at_expiry"]
    valid_from = datetime.fromisoformat(document["valid_from"])
    valid_until = datetime.fromisoformat(document["valid_until"])
    assert REQUEST_BODY["period_days"] == 90
    assert valid_until - valid_from == timedelta(days=90)
    assert (grant.valid_from, grant.valid_until) == (valid_from, valid_until)
    assert grant.organization_id == world.other.pk
    assert grant.version_id == version.pk


def test_the_agreement_creation_is_audited(world, agreement):
    event = AuditEvent.objects.get(action="agreement.created")
    assert event.object_type == "agreement"
    assert event.object_id == str(agreement.pk)
    assert event.data["digest"] == agreement.digest
    # Every member of the requester reads it; of the publisher, only the data stewards.
    assert event.organization_ids == [world.other.pk]
    assert event.steward_organization_ids == [world.acme.pk]


@pytest.mark.parametrize(
    "persona", ["outsider_member", "outsider_steward", "steward", "secretariat"]
)
def test_both_parties_read_the_agreement(world, client_for, agreement, persona):
    response = client_for(persona).get(reverse("agreement-detail", kwargs={"pk": agreement.pk}))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == OUTPUT_FIELDS
    assert body["id"] == str(agreement.pk)
    assert body["identifier"] == f"urn:uuid:{agreement.pk}"
    assert body["sharing_request"] == str(agreement.sharing_request_id)
    assert body["digest"] == agreement.digest
    assert body["document"] == agreement.document
    assert hashlib.sha256(canonical_json(body["document"]).encode()).hexdigest() == body["digest"]


@pytest.mark.parametrize("persona", ["outsider_member", "steward"])
def test_both_parties_list_the_agreement(world, client_for, agreement, persona):
    response = client_for(persona).get(reverse("agreement-list"))

    assert response.status_code == 200
    assert [a["id"] for a in response.json()["results"]] == [str(agreement.pk)]


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("unrelated", 404, "not_found"),
        # acme's plain members and admins are not its data stewards; the publisher route
        # never reaches the division lead.
        ("member", 404, "not_found"),
        ("org_admin", 404, "not_found"),
        ("division_lead", 404, "not_found"),
    ],
)
def test_others_do_not_see_the_agreement(
    world, client_for, unrelated, agreement, persona, status, code
):
    client = unrelated if persona == "unrelated" else client_for(persona)

    assert_problem(
        client.get(reverse("agreement-detail", kwargs={"pk": agreement.pk})), status, code
    )
    assert_problem(client.get(reverse("agreement-odrl", kwargs={"pk": agreement.pk})), status, code)
    listed = client.get(reverse("agreement-list"))
    if status == 404:
        assert listed.status_code == 200
        assert listed.json()["results"] == []


def test_a_malformed_id_is_404(world, client_for, agreement):
    assert_problem(
        client_for("steward").get(reverse("agreement-detail", kwargs={"pk": "not-a-uuid"})),
        404,
        "not_found",
    )


@pytest.mark.parametrize("persona", ["outsider_member", "steward"])
def test_the_agreement_in_odrl(world, client_for, agreement, persona):
    response = client_for(persona).get(reverse("agreement-odrl", kwargs={"pk": agreement.pk}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    body = response.json()
    document = agreement.document
    target = f"urn:uuid:{document['target']['version']}"
    assert body["@type"] == "Agreement"
    assert body["uid"] == f"urn:uuid:{agreement.pk}"
    assert body["assigner"] == "urn:max:organization:acme"
    assert body["assignee"] == "urn:max:organization:other"
    assert body["target"] == target
    assert body["max:digest"] == {"algorithm": "sha256", "value": agreement.digest}
    assert body["max:policyRevision"] == 2
    [permission] = body["permission"]
    assert permission["assigner"] == "urn:max:organization:acme"
    assert permission["assignee"] == "urn:max:organization:other"
    assert permission["action"] == "use"
    assert permission["constraint"] == [
        {"leftOperand": "purpose", "operator": "eq", "rightOperand": "ai_model_training"},
        {
            "leftOperand": "dateTime",
            "operator": "gteq",
            "rightOperand": {"@value": document["valid_from"], "@type": "xsd:dateTime"},
        },
        {
            "leftOperand": "dateTime",
            "operator": "lt",
            "rightOperand": {"@value": document["valid_until"], "@type": "xsd:dateTime"},
        },
    ]
    assert permission["duty"] == [{"action": "attribute"}, {"action": "delete"}]
    assert [p["action"] for p in body["prohibition"]] == ["distribute", "sell", "max:reidentify"]
    assert all(p["target"] == target for p in body["prohibition"])


def test_a_rejected_request_has_no_agreement(
    world, client_for, submit, set_route, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()

    response = act(
        client_for("steward"), request, "reject", django_capture_on_commit_callbacks, reason="no"
    )

    assert response.json()["state"] == S.REJECTED
    assert response.json()["agreement"] is None
    assert not Agreement.objects.exists()


def test_an_automatic_approval_also_makes_an_agreement(world, submit, set_route):
    set_route(ApprovalRoute.AUTOMATIC)

    request = submit()

    request.refresh_from_db()
    assert request.state == S.ACTIVE
    agreement = Agreement.objects.get(sharing_request=request)
    assert agreement.document["approval_route"] == "automatic"
    assert (
        agreement.digest == hashlib.sha256(canonical_json(agreement.document).encode()).hexdigest()
    )


# --- the database refuses changes -------------------------------------------------------------


def test_the_database_refuses_to_update_an_agreement(world, agreement):
    with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(digest="0" * 64)

    agreement.refresh_from_db()
    assert agreement.digest != "0" * 64


def test_the_database_refuses_to_update_an_agreements_document(world, agreement):
    with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(document={"purpose": "resale"})

    agreement.refresh_from_db()
    assert agreement.document["purpose"] == "ai_model_training"


def test_the_database_refuses_to_delete_an_agreement(world, agreement):
    with (
        pytest.raises((IntegrityError, InternalError), match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM registry_agreement WHERE id = %s", [agreement.pk])

    assert Agreement.objects.filter(pk=agreement.pk).exists()
