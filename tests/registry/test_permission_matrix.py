"""Who may call which sharing endpoint: one test per (endpoint, persona) cell, then leak checks.

The scene (the persona world of tests/personas.py and a third organisation, one dataset and
sharing requests in the states the endpoints act on) is built once for the module inside an
outer transaction; each cell runs in a savepoint that is rolled back, so a cell that approves
or revokes leaves the scene as it was.
That keeps about 250 cells to a few seconds.

Rules, as the code reads (registry/selectors.py, registry/permissions.py, registry/services/,
registry/api/views.py):
- members of the requesting organisation see its requests, agreements, grants and downloads;
- data stewards of the publisher (not its plain members or admins) see those for its datasets;
- a division lead sees requests routed to them (their approval step, or an escalation);
- the secretariat sees everything; for anyone else a request does not exist (404, not 403).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Division, MembershipRole, Organization, User
from accounts.selectors import actor_for
from datasets.models import Dataset, Distribution, Sensitivity
from registry.models import Agreement, ApprovalRoute, Grant, SharingRequest
from registry.models import SharingRequestState as S
from registry.services import downloads, policies, reminders, sharing_requests
from tests.common.problems import assert_problem
from tests.factories import (
    DatasetFactory,
    DatasetVersionFactory,
    DivisionLeadFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.personas import build_world, client_as

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "member",
    "steward",
    "org_admin",
    "outsider_member",
    "outsider_steward",
    "third_member",
    "third_steward",
    "division_lead",
    "secretariat",
)
OBLIGATIONS = ["attribution", "delete_at_expiry"]
# Text only the requesting organisation "other" and those who may see its requests know.
SECRET_JUSTIFICATION = "베어링 결함 예측 SECRET-JUSTIFICATION-7731"
THIRD_JUSTIFICATION = "third org asks too THIRD-JUSTIFICATION-5512"


@dataclass
class Scene:
    users: dict[str, User]
    acme: Organization
    other: Organization
    third: Organization
    dataset: Dataset
    active: SharingRequest  # two-step route, approved by steward and lead, one download
    awaiting_publisher: SharingRequest
    awaiting_lead: SharingRequest
    third_request: SharingRequest  # asked by the third organisation, awaiting the publisher
    agreement: Agreement
    grant: Grant
    ids: dict[str, str] = field(default_factory=dict)

    def client(self, persona: str) -> APIClient:
        return client_as(self.users, persona)

    def other_secrets(self) -> list[str]:
        """Strings that reveal other's requests; none may reach those who may not see them."""
        return [
            str(self.active.pk),
            str(self.awaiting_publisher.pk),
            str(self.awaiting_lead.pk),
            str(self.agreement.pk),
            str(self.grant.pk),
            SECRET_JUSTIFICATION,
            self.other.name_ko,
            self.other.name_en,
            self.users["outsider_member"].email,
        ]


def _build(media_root: Path) -> Scene:
    """The shared persona world (tests/personas.py), plus a third organisation that asks too
    and the lead of a division the dataset is not in."""
    world = build_world()
    ai_factory, humanoids, acme, other = world.ai_factory, world.humanoids, world.acme, world.other
    users = dict(world.users)
    third = OrganizationFactory.create(
        slug="third-works", name_ko="제삼공업", name_en="Third Works"
    )
    for name, role in (
        ("third_member", MembershipRole.MEMBER),
        ("third_steward", MembershipRole.DATA_STEWARD),
    ):
        users[name] = MembershipFactory.create(
            user=UserFactory.create(email=f"{name}@example.kr"), organization=third, role=role
        ).user
    users["humanoids_lead"] = DivisionLeadFactory.create(
        user=UserFactory.create(email="humanoids-lead@example.kr"), division=humanoids
    ).user

    def shared() -> tuple[Dataset, Distribution]:
        dataset = DatasetFactory.create(
            publisher=acme, division=ai_factory, sensitivity=Sensitivity.MEMBERS
        )
        version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
        distribution = Distribution(
            version=version, format="csv", media_type="text/csv", byte_size=9
        )
        with override_settings(MEDIA_ROOT=str(media_root)):
            distribution.file.save("data.csv", ContentFile(b"ts,value\n"), save=False)
        distribution.save()
        policies.policy_set(
            dataset=dataset,
            actor=users["steward"],
            approval_route=ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD,
        )
        return dataset, distribution

    # other's requests are for three datasets of acme: an organisation has one open request
    # per dataset.
    dataset, distribution = shared()
    second_dataset, _ = shared()
    third_dataset, _ = shared()
    unasked_dataset, _ = shared()  # nobody has asked for it yet
    steward = actor_for(users["steward"])
    lead = actor_for(users["division_lead"])

    def ask(
        persona: str, organization: Organization, justification: str, target: Dataset = dataset
    ) -> SharingRequest:
        request, created = sharing_requests.sharing_request_create(
            actor=actor_for(users[persona]),
            dataset=target,
            requester=organization,
            purpose="ai_model_training",
            justification=justification,
            period_days=90,
            accepted_obligations=OBLIGATIONS,
        )
        assert created
        request = sharing_requests.sharing_request_check(sharing_request_id=request.pk)
        assert request.state == S.AWAITING_PUBLISHER, request.decision_reasons
        return request

    with TestCase.captureOnCommitCallbacks(execute=True):
        active = ask("outsider_member", other, SECRET_JUSTIFICATION)
        active = sharing_requests.sharing_request_approve(actor=steward, sharing_request=active)
        active = sharing_requests.sharing_request_approve(actor=lead, sharing_request=active)
        assert active.state == S.ACTIVE
        awaiting_publisher = ask("outsider_member", other, SECRET_JUSTIFICATION, second_dataset)
        awaiting_lead = ask("outsider_member", other, SECRET_JUSTIFICATION, third_dataset)
        awaiting_lead = sharing_requests.sharing_request_approve(
            actor=steward, sharing_request=awaiting_lead
        )
        assert awaiting_lead.state == S.AWAITING_DIVISION_LEAD
        third_request = ask("third_member", third, THIRD_JUSTIFICATION)
        agreement = Agreement.objects.get(sharing_request=active)
        grant = Grant.objects.get(agreement=agreement)
        downloads.download_record(
            grant=grant,
            distribution=distribution,
            user=users["outsider_member"],
            byte_size=9,
            client_ip="203.0.113.7",
        )
    scene = Scene(
        users=users,
        acme=acme,
        other=other,
        third=third,
        dataset=dataset,
        active=active,
        awaiting_publisher=awaiting_publisher,
        awaiting_lead=awaiting_lead,
        third_request=third_request,
        agreement=agreement,
        grant=grant,
    )
    scene.ids = {
        "dataset": str(dataset.pk),
        "unasked_dataset": str(unasked_dataset.pk),
        "active": str(active.pk),
        "awaiting_publisher": str(awaiting_publisher.pk),
        "awaiting_lead": str(awaiting_lead.pk),
        "agreement": str(agreement.pk),
        "grant": str(grant.pk),
    }
    return scene


@pytest.fixture(scope="module")
def scene(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scene]:
    """Built once; rolled back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build(tmp_path_factory.mktemp("media"))
        transaction.set_rollback(True)


# --- the matrix -------------------------------------------------------------------------------

BODY_CREATE = {
    "purpose": "research",
    "justification": "matrix",
    "period_days": 30,
    "accepted_obligations": OBLIGATIONS,
}
BODY_ELIGIBILITY = {"purpose": "research", "period_days": 30}

DATASET = {"dataset": "{dataset}"}
# name: (method, URL name, URL kwargs, body, expected status for each persona in PERSONAS order:
#        anonymous, member, steward, org_admin, outsider_member, outsider_steward,
#        third_member, third_steward, division_lead, secretariat);
# "{...}" in the URL kwargs and the body are filled with the scene's ids.
ENDPOINTS: dict[str, tuple[str, str, dict[str, str], dict[str, Any] | None, tuple[int, ...]]] = {
    "sharing-requests list": (
        "get", "sharing-request-list", {}, None,
        (401, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "sharing-request detail": (
        "get", "sharing-request-detail", {"pk": "{active}"}, None,
        (401, 404, 200, 404, 200, 200, 404, 404, 200, 200),
    ),
    "sharing-request create": (
        "post", "sharing-request-list", {}, {**BODY_CREATE, "dataset": "{unasked_dataset}"},
        (401, 201, 201, 201, 201, 201, 201, 201, 403, 403),
    ),
    "approve at publisher step": (
        "post", "sharing-request-approve", {"pk": "{awaiting_publisher}"}, {},
        (401, 404, 200, 404, 403, 403, 404, 404, 404, 403),
    ),
    "approve at lead step": (
        "post", "sharing-request-approve", {"pk": "{awaiting_lead}"}, {},
        (401, 404, 409, 404, 403, 403, 404, 404, 200, 403),
    ),
    "reject at publisher step": (
        "post", "sharing-request-reject", {"pk": "{awaiting_publisher}"}, {"reason": "no"},
        (401, 404, 200, 404, 403, 403, 404, 404, 404, 403),
    ),
    "reject at lead step": (
        "post", "sharing-request-reject", {"pk": "{awaiting_lead}"}, {"reason": "no"},
        (401, 404, 200, 404, 403, 403, 404, 404, 200, 403),
    ),
    # Returning for changes: whoever may reject at the step.
    "return at publisher step": (
        "post", "sharing-request-return", {"pk": "{awaiting_publisher}"}, {"comment": "fix"},
        (401, 404, 200, 404, 403, 403, 404, 404, 404, 403),
    ),
    "return at lead step": (
        "post", "sharing-request-return", {"pk": "{awaiting_lead}"}, {"comment": "fix"},
        (401, 404, 200, 404, 403, 403, 404, 404, 200, 403),
    ),
    # Only a returned request is resubmitted (test_return_for_changes.py has who may): the
    # requester's members learn that much (409), the approvers may not (403).
    "resubmit a request not returned": (
        "post", "sharing-request-resubmit", {"pk": "{awaiting_publisher}"}, {},
        (401, 404, 403, 404, 409, 409, 404, 404, 404, 403),
    ),
    "withdraw": (
        "post", "sharing-request-withdraw", {"pk": "{awaiting_publisher}"}, {},
        (401, 404, 403, 404, 200, 200, 404, 404, 404, 403),
    ),
    "revoke": (
        "post", "sharing-request-revoke", {"pk": "{active}"}, {"reason": "breach"},
        (401, 404, 200, 404, 403, 403, 404, 404, 403, 200),
    ),
    "agreements list": (
        "get", "agreement-list", {}, None,
        (401, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "agreement detail": (
        "get", "agreement-detail", {"pk": "{agreement}"}, None,
        (401, 404, 200, 404, 200, 200, 404, 404, 200, 200),
    ),
    "agreement odrl": (
        "get", "agreement-odrl", {"pk": "{agreement}"}, None,
        (401, 404, 200, 404, 200, 200, 404, 404, 200, 200),
    ),
    "grants list": (
        "get", "grant-list", {}, None,
        (401, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "grant detail": (
        "get", "grant-detail", {"pk": "{grant}"}, None,
        (401, 404, 200, 404, 200, 200, 404, 404, 200, 200),
    ),
    "grant download-links": (
        "post", "grant-download-links", {"pk": "{grant}"}, None,
        (401, 404, 403, 404, 200, 200, 404, 404, 403, 403),
    ),
    "downloads list": (
        "get", "download-list", {}, None,
        (401, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "audit-events list": (
        "get", "audit-event-list", {}, None,
        (401, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    # The dataset is for members only: to an anonymous caller it does not exist.
    "policy get": (
        "get", "access-policy", DATASET, None,
        (404, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "policy patch": (
        "patch", "access-policy", DATASET, {"max_period_days": 200},
        (404, 403, 200, 403, 403, 403, 403, 403, 403, 403),
    ),
    "policy revisions": (
        "get", "access-policy-revisions", DATASET, None,
        (404, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    "policy odrl": (
        "get", "access-policy-odrl", DATASET, None,
        (404, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    ),
    # Acme's own members may ask (the engine then answers own_dataset); people who belong to
    # no organisation have nobody to ask for.
    "eligibility": (
        "post", "dataset-eligibility", DATASET, BODY_ELIGIBILITY,
        (401, 200, 200, 200, 200, 200, 200, 200, 403, 403),
    ),
}  # fmt: skip

ERROR_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    409: "invalid_transition",
}

# Cells where the code is wrong: (endpoint, persona) → reason. None known for status codes.
STATUS_BUGS: dict[tuple[str, str], str] = {}


def _cells() -> list[Any]:
    cells = []
    for name, (_method, _view, _kwargs, _body, statuses) in ENDPOINTS.items():
        assert len(statuses) == len(PERSONAS), name
        for persona, status in zip(PERSONAS, statuses, strict=True):
            bug = STATUS_BUGS.get((name, persona))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            cells.append(pytest.param(name, persona, status, id=f"{name}-{persona}", marks=marks))
    return cells


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def call(scene: Scene, persona: str, name: str) -> Any:
    method, view, kwargs, body, _statuses = ENDPOINTS[name]
    client = scene.client(persona)
    url = reverse(view, kwargs=_fill(kwargs, scene.ids))
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, _fill(body, scene.ids), format="json")


@pytest.mark.parametrize(("name", "persona", "status"), _cells())
def test_status(name: str, persona: str, status: int, scene: Scene) -> None:
    response = call(scene, persona, name)
    if status >= 400:
        assert_problem(response, status, ERROR_CODES[status])
    else:
        assert response.status_code == status, response.content


# --- who sees which request -------------------------------------------------------------------

# persona → the scene's requests that appear in their list
VISIBLE = {
    "member": set(),
    "steward": {"active", "awaiting_publisher", "awaiting_lead", "third_request"},
    "org_admin": set(),
    "outsider_member": {"active", "awaiting_publisher", "awaiting_lead"},
    "outsider_steward": {"active", "awaiting_publisher", "awaiting_lead"},
    "third_member": {"third_request"},
    "third_steward": {"third_request"},
    "division_lead": {"active", "awaiting_lead"},  # routed to the lead; the others are not
    "humanoids_lead": set(),
    "secretariat": {"active", "awaiting_publisher", "awaiting_lead", "third_request"},
}
SEES_THE_AGREEMENT = {persona for persona, visible in VISIBLE.items() if "active" in visible}


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {str(row["id"]) for row in response.json()["results"]}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_list_shows_exactly_the_visible_requests(persona: str, scene: Scene) -> None:
    client = scene.client(persona)
    names = ("active", "awaiting_publisher", "awaiting_lead", "third_request")
    by_id = {str(getattr(scene, name).pk): name for name in names}
    listed = _ids(client.get(reverse("sharing-request-list") + "?page_size=100"))
    assert {by_id[i] for i in listed} == VISIBLE[persona]
    sees = persona in SEES_THE_AGREEMENT
    assert _ids(client.get(reverse("agreement-list"))) == (
        {str(scene.agreement.pk)} if sees else set()
    )
    assert _ids(client.get(reverse("grant-list"))) == ({str(scene.grant.pk)} if sees else set())
    downloads = client.get(reverse("download-list")).json()["results"]
    assert [row["grant"] for row in downloads] == ([str(scene.grant.pk)] if sees else [])


def test_escalation_shows_the_request_to_the_division_lead(scene: Scene) -> None:
    lead = scene.client("division_lead")
    url = reverse("sharing-request-detail", kwargs={"pk": scene.awaiting_publisher.pk})
    assert_problem(lead.get(url), 404, "not_found")
    reminders.approvals_remind(now=timezone.now() + timedelta(days=30))
    assert lead.get(url).status_code == 200
    assert str(scene.awaiting_publisher.pk) in _ids(lead.get(reverse("sharing-request-list")))
    # A lead of another division still sees nothing and decides nothing.
    other_lead = scene.client("humanoids_lead")
    assert_problem(other_lead.get(url), 404, "not_found")
    assert_problem(other_lead.post(f"{url}approve/", {}, format="json"), 404, "not_found")
    # (What the lead may decide once a request is escalated: test_state_machine.py.)


# --- nothing leaks ----------------------------------------------------------------------------

LISTS = {
    "sharing-requests": reverse("sharing-request-list") + "?page_size=100",
    "agreements": reverse("agreement-list"),
    "grants": reverse("grant-list"),
    "downloads": reverse("download-list"),
    "audit-events": reverse("audit-event-list") + "?page_size=100",
}


def _leak_cells() -> list[Any]:
    return [
        pytest.param(persona, name, id=f"{name}-{persona}")
        for persona in ("member", "org_admin", "third_member", "third_steward", "humanoids_lead")
        for name in LISTS
    ]


@pytest.mark.parametrize(("persona", "name"), _leak_cells())
def test_lists_leak_nothing_of_other(persona: str, name: str, scene: Scene) -> None:
    """The audit log included: the publisher's plain members and admins do not read the
    sharing-request, agreement and download events, which name the publisher for its data
    stewards only (steward_organization_ids)."""
    response = scene.client(persona).get(LISTS[name])
    assert response.status_code == 200, response.content
    text = json.dumps(response.json(), ensure_ascii=False)
    leaked = [secret for secret in scene.other_secrets() if secret in text]
    assert leaked == []


@pytest.mark.parametrize("persona", ["steward", "outsider_member", "outsider_steward"])
def test_both_parties_read_the_events_of_their_requests(persona: str, scene: Scene) -> None:
    events = scene.client(persona).get(LISTS["audit-events"]).json()["results"]
    seen = {(e["object_type"], e["object_id"]) for e in events}
    for name in ("active", "awaiting_publisher", "awaiting_lead"):
        assert ("sharing_request", str(getattr(scene, name).pk)) in seen
    assert ("agreement", str(scene.agreement.pk)) in seen
    assert any(e["action"] == "download" for e in events)
    # The third organisation's request concerns acme (its stewards) and third only.
    third_seen = ("sharing_request", str(scene.third_request.pk)) in seen
    assert third_seen == (persona == "steward")


@pytest.mark.parametrize("persona", ["member", "org_admin", "third_member", "humanoids_lead"])
def test_hidden_objects_are_not_found(persona: str, scene: Scene) -> None:
    client = scene.client(persona)
    secrets = scene.other_secrets()
    for url in (
        reverse("sharing-request-detail", kwargs={"pk": scene.active.pk}),
        reverse("sharing-request-detail", kwargs={"pk": scene.awaiting_lead.pk}),
        reverse("agreement-detail", kwargs={"pk": scene.agreement.pk}),
        reverse("agreement-odrl", kwargs={"pk": scene.agreement.pk}),
        reverse("grant-detail", kwargs={"pk": scene.grant.pk}),
    ):
        body = assert_problem(client.get(url), 404, "not_found")
        assert not any(secret in body["detail"] for secret in secrets)
    for verb, payload in (
        ("approve", {}),
        ("reject", {"reason": "x"}),
        ("withdraw", {}),
        ("revoke", {"reason": "x"}),
    ):
        url = reverse(f"sharing-request-{verb}", kwargs={"pk": scene.awaiting_lead.pk})
        assert_problem(client.post(url, payload, format="json"), 404, "not_found")
    # Nothing changed.
    assert SharingRequest.objects.get(pk=scene.awaiting_lead.pk).state == S.AWAITING_DIVISION_LEAD


def test_requester_sees_nothing_of_another_requester(scene: Scene) -> None:
    client = scene.client("outsider_member")
    text = json.dumps([client.get(url).json() for url in LISTS.values()], ensure_ascii=False)
    for secret in (str(scene.third_request.pk), THIRD_JUSTIFICATION, "third_member@example.kr"):
        assert secret not in text
    assert_problem(
        client.get(reverse("sharing-request-detail", kwargs={"pk": scene.third_request.pk})),
        404,
        "not_found",
    )


# --- policies of a public dataset -------------------------------------------------------------


def test_public_policy_is_readable_but_not_writable_anonymously(scene: Scene) -> None:
    public = DatasetFactory.create(
        publisher=scene.acme,
        division=Division.objects.get(code="ai-factory"),
        sensitivity=Sensitivity.PUBLIC,
    )
    anonymous = scene.client("anonymous")
    got = anonymous.get(reverse("access-policy", kwargs={"dataset": public.pk}))
    assert got.status_code == 200, got.content
    assert got.json()["approval_route"] == ApprovalRoute.AUTOMATIC
    odrl = anonymous.get(reverse("access-policy-odrl", kwargs={"dataset": public.pk}))
    assert odrl.status_code == 200
    assert odrl["Content-Type"].startswith("application/ld+json")
    assert_problem(
        anonymous.patch(
            reverse("access-policy", kwargs={"dataset": public.pk}), {"max_period_days": 5}
        ),
        401,
        "not_authenticated",
    )
    assert_problem(
        anonymous.post(
            reverse("dataset-eligibility", kwargs={"dataset": public.pk}), BODY_ELIGIBILITY
        ),
        401,
        "not_authenticated",
    )
