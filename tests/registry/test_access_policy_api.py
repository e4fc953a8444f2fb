"""/api/v1/datasets/{id}/policy/: defaults, revisions, validation, permissions and ODRL."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from audit.chain import canonical_json
from audit.models import AuditEvent
from datasets.models import DatasetStatus, Sensitivity
from registry.models import AccessPolicy, Agreement, ApprovalRoute, SharingRequest
from registry.models import SharingRequestState as S
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import DatasetFactory, OrganizationFactory
from tests.sharing import REQUEST_BODY, act, dataset_without_policy

pytestmark = pytest.mark.django_db

ALL_PURPOSES = [
    "ai_model_training",
    "benchmarking",
    "education",
    "process_improvement",
    "product_development",
    "research",
    "testing_and_validation",
]
OUTPUT_FIELDS = {
    "id",
    "dataset",
    "revision",
    "is_current",
    "allowed_divisions",
    "allowed_organization_kinds",
    "allowed_organizations",
    "denied_organizations",
    "permitted_purposes",
    "prohibitions",
    "obligations",
    "max_period_days",
    "approval_route",
    "created_at",
    "created_by",
}


POLICY_VIEWS = {
    "": "access-policy",
    "revisions/": "access-policy-revisions",
    "odrl/": "access-policy-odrl",
}


def url(dataset, suffix=""):
    return reverse(POLICY_VIEWS[suffix], kwargs={"dataset": dataset.pk})


@pytest.fixture
def draft(world):
    return DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, status=DatasetStatus.DRAFT
    )


# --- defaults ---------------------------------------------------------------------------------


DEFAULTS_BY_SENSITIVITY = pytest.mark.parametrize(
    ("sensitivity", "route", "max_days"),
    [
        (Sensitivity.PUBLIC, ApprovalRoute.AUTOMATIC, 730),
        (Sensitivity.MEMBERS, ApprovalRoute.PUBLISHER, 365),
        (Sensitivity.CONFIDENTIAL, ApprovalRoute.PUBLISHER, 365),
        (Sensitivity.RESTRICTED, ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD, 180),
    ],
)


def assert_default_revision_1(body, dataset, route, max_days):
    assert set(body) == OUTPUT_FIELDS
    assert body["dataset"] == str(dataset.pk)
    assert body["revision"] == 1
    assert body["is_current"] is True
    assert body["approval_route"] == route
    assert body["max_period_days"] == max_days
    assert sorted(body["permitted_purposes"]) == ALL_PURPOSES
    assert body["prohibitions"] == ["redistribution", "resale", "reidentification"]
    assert body["obligations"] == ["attribution", "delete_at_expiry"]
    assert body["allowed_divisions"] == []
    assert body["allowed_organization_kinds"] == []
    assert body["allowed_organizations"] == []
    assert body["denied_organizations"] == []
    assert body["created_by"] is None


@DEFAULTS_BY_SENSITIVITY
def test_a_new_dataset_has_the_defaults_of_its_sensitivity_as_revision_1(
    world, client_for, sensitivity, route, max_days
):
    dataset = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=sensitivity
    )
    # Made with the dataset, before anyone read it.
    [policy] = AccessPolicy.objects.filter(dataset=dataset)
    [event] = AuditEvent.objects.filter(action="policy.changed", object_id=str(dataset.pk))
    assert (event.actor_id, event.data["revision"]) == (None, 1)
    assert event.data["terms"]["approval_route"] == route

    response = client_for("outsider_member").get(url(dataset))

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == str(policy.pk)
    assert_default_revision_1(response.json(), dataset, route, max_days)
    assert AccessPolicy.objects.filter(dataset=dataset).count() == 1


@DEFAULTS_BY_SENSITIVITY
def test_a_dataset_without_a_policy_gets_the_defaults_of_its_sensitivity(
    world, client_for, sensitivity, route, max_days
):
    """Only a row written without the service (from before policies came with the dataset)."""
    dataset = dataset_without_policy(
        publisher=world.acme, division=world.ai_factory, sensitivity=sensitivity
    )

    response = client_for("outsider_member").get(url(dataset))

    assert response.status_code == 200, response.json()
    assert_default_revision_1(response.json(), dataset, route, max_days)


def test_reading_the_defaults_twice_writes_nothing(world, client_for):
    """A GET never writes: the defaults are shown unsaved (so with no stored id), until a write
    that needs the policy saves them as revision 1."""
    dataset = dataset_without_policy(publisher=world.acme, division=world.ai_factory)
    client = client_for("outsider_member")

    first = client.get(url(dataset)).json()
    second = client.get(url(dataset)).json()

    assert {**first, "id": None} == {**second, "id": None}
    assert not AccessPolicy.objects.filter(dataset=dataset).exists()


@pytest.mark.parametrize("suffix", ["", "revisions/", "odrl/"])
def test_reading_the_policy_writes_nothing(world, client_for, shared_dataset, suffix):
    legacy = dataset_without_policy(publisher=world.acme, division=world.ai_factory)
    rows = (AccessPolicy.objects.count(), AuditEvent.objects.count())

    for dataset in (shared_dataset, legacy):
        response = client_for("outsider_member").get(url(dataset, suffix))
        assert response.status_code == 200, response.json()

    assert (AccessPolicy.objects.count(), AuditEvent.objects.count()) == rows
    assert not AccessPolicy.objects.filter(dataset=legacy).exists()


def test_the_revisions_of_a_dataset_without_a_policy_are_its_defaults(world, client_for):
    dataset = dataset_without_policy(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.RESTRICTED
    )

    [revision] = client_for("outsider_member").get(url(dataset, "revisions/")).json()

    assert_default_revision_1(revision, dataset, ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD, 180)


def test_checking_eligibility_writes_nothing(world, client_for):
    dataset = dataset_without_policy(publisher=world.acme, division=world.ai_factory)
    ask = {
        "purpose": "ai_model_training",
        "period_days": 90,
        "accepted_obligations": ["attribution", "delete_at_expiry"],
    }

    response = client_for("outsider_member").post(
        reverse("dataset-eligibility", kwargs={"dataset": dataset.pk}) + "/", ask, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["policy_revision"] == 1
    assert not AccessPolicy.objects.filter(dataset=dataset).exists()


def test_the_first_sharing_request_saves_the_defaults(world, client_for):
    dataset = dataset_without_policy(publisher=world.acme, division=world.ai_factory)
    shown = client_for("outsider_member").get(url(dataset)).json()

    response = client_for("outsider_member").post(
        reverse("sharing-request-list"), {**REQUEST_BODY, "dataset": str(dataset.pk)}, format="json"
    )

    assert response.status_code == 201, response.json()
    [policy] = AccessPolicy.objects.filter(dataset=dataset)
    assert (policy.revision, policy.is_current, policy.created_by) == (1, True, None)
    assert SharingRequest.objects.get(pk=response.json()["id"]).policy == policy
    saved = client_for("outsider_member").get(url(dataset)).json()
    assert {**saved, "id": None, "created_at": None} == {**shown, "id": None}


def test_anonymous_reads_the_policy_of_a_public_dataset_only(world, client_for, shared_dataset):
    public = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.PUBLIC
    )
    anonymous = client_for("anonymous")

    assert anonymous.get(url(public)).status_code == 200
    assert_problem(anonymous.get(url(shared_dataset)), 404, "not_found")


# --- changing it ------------------------------------------------------------------------------


def test_a_steward_patch_adds_a_revision_and_keeps_the_first(world, client_for, shared_dataset):
    first = client_for("steward").get(url(shared_dataset)).json()

    response = client_for("steward").patch(
        url(shared_dataset), {"max_period_days": 30, "approval_route": "automatic"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["revision"] == 2
    assert body["is_current"] is True
    assert body["max_period_days"] == 30
    assert body["approval_route"] == "automatic"
    assert body["created_by"] == "steward@example.kr"
    assert body["id"] != first["id"]

    revisions = client_for("outsider_member").get(url(shared_dataset, "revisions/"))
    assert revisions.status_code == 200
    listed = revisions.json()
    assert [r["revision"] for r in listed] == [2, 1]
    assert [r["is_current"] for r in listed] == [True, False]
    assert {**listed[1], "is_current": True} == first  # revision 1 itself is unchanged
    assert client_for("outsider_member").get(url(shared_dataset)).json() == body


def test_fields_left_out_of_a_patch_keep_their_value(world, client_for, shared_dataset):
    steward = client_for("steward")
    steward.patch(
        url(shared_dataset),
        {
            "permitted_purposes": ["research", "education"],
            "obligations": ["usage_report"],
            "prohibitions": ["transfer_abroad"],
            "allowed_organization_kinds": ["ai_company"],
            "max_period_days": 200,
        },
        format="json",
    )

    body = steward.patch(url(shared_dataset), {"max_period_days": 100}, format="json").json()

    assert body["revision"] == 3  # 1 came with the dataset, 2 and 3 are the patches
    assert body["max_period_days"] == 100
    assert body["permitted_purposes"] == ["education", "research"]
    assert body["obligations"] == ["usage_report"]
    assert body["prohibitions"] == ["transfer_abroad"]
    assert body["allowed_organization_kinds"] == ["ai_company"]
    assert body["approval_route"] == "publisher"


def test_divisions_and_organisations_round_trip_as_codes_and_slugs(
    world, client_for, shared_dataset
):
    third = OrganizationFactory.create(slug="third")
    payload = {
        "allowed_divisions": ["humanoids", "ai-factory"],
        "allowed_organizations": ["third", "other"],
        "denied_organizations": ["third"],
    }

    response = client_for("steward").patch(url(shared_dataset), payload, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    by_id = sorted([world.ai_factory, world.humanoids], key=lambda d: d.pk)
    assert body["allowed_divisions"] == [d.code for d in by_id]
    assert body["allowed_organizations"] == ["other", "third"]
    assert body["denied_organizations"] == ["third"]
    policy = AccessPolicy.objects.get(dataset=shared_dataset, is_current=True)
    assert policy.allowed_division_ids == sorted(d.pk for d in by_id)
    assert policy.allowed_organization_ids == sorted([world.other.pk, third.pk])
    assert policy.denied_organization_ids == [third.pk]
    # Read back through GET as well.
    assert client_for("outsider_member").get(url(shared_dataset)).json() == body


def test_a_policy_change_is_audited(world, client_for, shared_dataset):
    client_for("steward").patch(url(shared_dataset), {"max_period_days": 10}, format="json")

    event = AuditEvent.objects.filter(action="policy.changed").order_by("-id").first()
    assert event is not None
    assert event.object_type == "dataset"
    assert event.object_id == str(shared_dataset.pk)
    assert event.actor_email == "steward@example.kr"
    # The publisher's side: only acme's data stewards read it.
    assert event.organization_ids == []
    assert event.steward_organization_ids == [world.acme.pk]
    assert event.data["revision"] == 2
    assert event.data["terms"]["max_period_days"] == 10


def test_put_adds_a_revision(world, client_for, shared_dataset):
    steward = client_for("steward")
    steward.patch(url(shared_dataset), {"max_period_days": 20}, format="json")

    response = steward.put(
        url(shared_dataset),
        {"approval_route": "automatic", "max_period_days": 40, "permitted_purposes": ["research"]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["revision"] == 3
    assert body["approval_route"] == "automatic"
    assert body["max_period_days"] == 40
    assert body["permitted_purposes"] == ["research"]


def test_put_replaces_the_policy_so_fields_left_out_get_the_defaults(
    world, client_for, shared_dataset
):
    steward = client_for("steward")
    steward.patch(
        url(shared_dataset),
        {"max_period_days": 20, "prohibitions": ["transfer_abroad"]},
        format="json",
    )

    response = steward.put(url(shared_dataset), {"approval_route": "automatic"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["revision"] == 3
    assert body["approval_route"] == "automatic"
    assert body["max_period_days"] == 365
    assert body["prohibitions"] == ["redistribution", "resale", "reidentification"]
    assert body["obligations"] == ["attribution", "delete_at_expiry"]
    assert sorted(body["permitted_purposes"]) == ALL_PURPOSES


# --- validation -------------------------------------------------------------------------------


def test_an_unknown_purpose_is_a_field_error(world, client_for, shared_dataset):
    response = client_for("steward").patch(
        url(shared_dataset), {"permitted_purposes": ["research", "mining"]}, format="json"
    )

    assert_field_error(response, "permitted_purposes.1", "invalid_choice")
    # No revision beyond the one the dataset was made with.
    assert [p.revision for p in AccessPolicy.objects.filter(dataset=shared_dataset)] == [1]


def test_no_purpose_at_all_is_a_field_error(world, client_for, shared_dataset):
    response = client_for("steward").patch(
        url(shared_dataset), {"permitted_purposes": []}, format="json"
    )

    assert_field_error(response, "permitted_purposes", "empty")


@pytest.mark.parametrize("field", ["allowed_organizations", "denied_organizations"])
def test_an_unknown_organisation_slug_is_a_field_error(world, client_for, shared_dataset, field):
    response = client_for("steward").patch(
        url(shared_dataset), {field: ["other", "no-such-org"]}, format="json"
    )

    assert_field_error(response, field, "does_not_exist")


def test_an_unknown_division_code_is_a_field_error(world, client_for, shared_dataset):
    response = client_for("steward").patch(
        url(shared_dataset), {"allowed_divisions": ["space-mining"]}, format="json"
    )

    assert_field_error(response, "allowed_divisions", "does_not_exist")


@pytest.mark.parametrize(("days", "code"), [(0, "min_value"), (3661, "max_value")])
def test_the_period_is_bounded(world, client_for, shared_dataset, days, code):
    response = client_for("steward").patch(
        url(shared_dataset), {"max_period_days": days}, format="json"
    )

    assert_field_error(response, "max_period_days", code)


def test_restricted_data_keeps_the_two_step_route(world, client_for):
    restricted = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.RESTRICTED
    )

    response = client_for("steward").patch(
        url(restricted), {"approval_route": "automatic"}, format="json"
    )

    body = assert_problem(response, 409, "route_not_allowed")
    assert body["required_route"] == "publisher_then_division_lead"
    assert not AccessPolicy.objects.filter(dataset=restricted, approval_route="automatic").exists()


# --- who may change it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("anonymous", 404, "not_found"),
        ("member", 403, "permission_denied"),
        ("org_admin", 403, "permission_denied"),
        ("outsider_member", 403, "permission_denied"),
        ("outsider_steward", 403, "permission_denied"),
        ("division_lead", 403, "permission_denied"),
        ("secretariat", 403, "permission_denied"),
    ],
)
def test_only_the_publishers_stewards_may_patch(
    world, client_for, shared_dataset, persona, status, code
):
    response = client_for(persona).patch(url(shared_dataset), {"max_period_days": 1}, format="json")

    assert_problem(response, status, code)
    assert not AccessPolicy.objects.filter(dataset=shared_dataset, max_period_days=1).exists()


def test_anonymous_patch_of_a_public_dataset_is_401(world, client_for):
    public = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.PUBLIC
    )

    response = client_for("anonymous").patch(url(public), {"max_period_days": 1}, format="json")

    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize("suffix", ["", "revisions/", "odrl/"])
def test_an_outsider_does_not_learn_of_a_draft(world, client_for, draft, suffix):
    assert_problem(client_for("outsider_member").get(url(draft, suffix)), 404, "not_found")
    assert_problem(
        client_for("outsider_steward").patch(url(draft), {"max_period_days": 1}, format="json"),
        404,
        "not_found",
    )


def test_the_publisher_may_set_the_policy_of_its_draft(world, client_for, draft):
    response = client_for("steward").patch(url(draft), {"max_period_days": 7}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["revision"], response.json()["max_period_days"]) == (2, 7)


# --- ODRL -------------------------------------------------------------------------------------


def test_the_policy_as_an_odrl_offer(world, client_for, shared_dataset):
    client_for("steward").patch(
        url(shared_dataset),
        {
            "permitted_purposes": ["research", "ai_model_training"],
            "obligations": ["attribution", "usage_report"],
            "prohibitions": ["resale", "transfer_abroad"],
            "max_period_days": 120,
            "allowed_divisions": ["ai-factory"],
            "allowed_organization_kinds": ["ai_company"],
            "allowed_organizations": ["other"],
        },
        format="json",
    )
    policy = AccessPolicy.objects.get(dataset=shared_dataset, is_current=True)

    response = client_for("outsider_member").get(url(shared_dataset, "odrl/"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    offer = response.json()
    target = f"urn:uuid:{shared_dataset.pk}"
    assert offer["@context"][0] == "http://www.w3.org/ns/odrl.jsonld"
    assert offer["@type"] == "Offer"
    assert offer["uid"] == f"urn:uuid:{policy.pk}"
    assert offer["assigner"] == "urn:max:organization:acme"
    assert offer["target"] == target
    assert offer["max:revision"] == 2
    assert offer["max:approvalRoute"] == "publisher"
    [permission] = offer["permission"]
    assert permission["action"] == "use"
    assert permission["target"] == target
    assert permission["assigner"] == "urn:max:organization:acme"
    constraints = permission["constraint"]
    assert {
        "leftOperand": "purpose",
        "operator": "isAnyOf",
        "rightOperand": ["ai_model_training", "research"],
    } in constraints
    assert {
        "leftOperand": "elapsedTime",
        "operator": "lteq",
        "rightOperand": {"@value": "P120D", "@type": "xsd:duration"},
    } in constraints
    assert {
        "leftOperand": "recipient",
        "operator": "isAnyOf",
        "rightOperand": ["urn:max:organization:other"],
    } in constraints
    assert {
        "leftOperand": "industry",
        "operator": "isAnyOf",
        "rightOperand": ["ai-factory"],
    } in constraints
    assert {
        "leftOperand": "max:organizationKind",
        "operator": "isAnyOf",
        "rightOperand": ["ai_company"],
    } in constraints
    assert permission["duty"] == [{"action": "attribute"}, {"action": "inform"}]
    assert offer["prohibition"] == [
        {"target": target, "action": "sell"},
        {
            "target": target,
            "action": "use",
            "constraint": [{"leftOperand": "spatial", "operator": "neq", "rightOperand": "KR"}],
        },
    ]


def test_the_default_offer_has_no_recipient_constraints(world, client_for, shared_dataset):
    offer = client_for("outsider_member").get(url(shared_dataset, "odrl/")).json()

    [permission] = offer["permission"]
    assert [c["leftOperand"] for c in permission["constraint"]] == ["purpose", "elapsedTime"]
    assert permission["duty"] == [{"action": "attribute"}, {"action": "delete"}]
    assert [p["action"] for p in offer["prohibition"]] == ["distribute", "sell", "max:reidentify"]


def test_a_denied_organisation_appears_as_isnoneof(world, client_for, shared_dataset):
    client_for("steward").patch(
        url(shared_dataset), {"denied_organizations": ["other"]}, format="json"
    )

    offer = client_for("member").get(url(shared_dataset, "odrl/")).json()

    assert {
        "leftOperand": "recipient",
        "operator": "isNoneOf",
        "rightOperand": ["urn:max:organization:other"],
    } in offer["permission"][0]["constraint"]


# --- agreements are frozen --------------------------------------------------------------------


def test_a_policy_edit_after_an_agreement_leaves_the_agreement_alone(
    world, client_for, submit, set_route, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER)  # revision 2; the request is made under it
    request = submit()
    approved = act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)
    assert approved.json()["state"] == S.ACTIVE
    agreement = Agreement.objects.get(sharing_request=request)
    before = (
        client_for("outsider_member")
        .get(reverse("agreement-detail", kwargs={"pk": agreement.pk}))
        .json()
    )

    response = client_for("steward").patch(
        url(request.dataset),
        {"max_period_days": 5, "permitted_purposes": ["education"], "obligations": []},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["revision"] == 3

    after = (
        client_for("outsider_member")
        .get(reverse("agreement-detail", kwargs={"pk": agreement.pk}))
        .json()
    )
    assert after == before
    assert after["document"]["policy"]["revision"] == 2
    assert after["document"]["policy"]["max_period_days"] == 365
    assert after["digest"] == hashlib.sha256(canonical_json(after["document"]).encode()).hexdigest()
    request.refresh_from_db()
    assert request.policy.revision == 2
