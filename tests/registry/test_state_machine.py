"""The sharing-request state machine: every state against every action, the three approval
routes, the policy check's reasons, timed release, expiry and the restricted-data rule.

States are reached through the API (a timed release keeps a request `approved`) and the expiry
sweep, never by writing the state column; the actions under test run through the API, or the
worker's task for the policy check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from datasets.models import Dataset, Sensitivity
from registry import tasks
from registry.models import (
    AccessPolicy,
    Agreement,
    ApprovalRoute,
    Grant,
    SharingRequest,
    SharingRequestEvent,
)
from registry.models import SharingRequestState as S
from registry.services import agreements, reminders
from tests.common.problems import assert_problem
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import World
from tests.sharing import REQUEST_BODY, act

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], APIClient]
Submit = Callable[..., SharingRequest]
SetRoute = Callable[..., AccessPolicy]
Capture = Any

# The Dataspace Protocol state each of ours must show, written out rather than imported.
EXPECTED_DSP = {
    S.SUBMITTED: "REQUESTED",
    S.AWAITING_PUBLISHER: "REQUESTED",
    S.AWAITING_DIVISION_LEAD: "OFFERED",
    S.APPROVED: "AGREED",
    S.ACTIVE: "FINALIZED",
    S.REJECTED: "TERMINATED",
    S.WITHDRAWN: "TERMINATED",
    S.EXPIRED: "TERMINATED",
    S.REVOKED: "TERMINATED",
}
ALL_STATES = list(EXPECTED_DSP)

CHECK_REJECTED = "Rejected by the policy check."
CHECK_APPROVED = "Approved automatically: eligible under the policy."
WINDOW_ENDED = "The agreement's validity window ended."

# (actor persona or None for the system, from_state, to_state, comment)
EventRow = tuple[str | None, str, str, str]


def event_rows(request: SharingRequest, world: World) -> list[EventRow]:
    names = {user.pk: name for name, user in world.users.items()}
    return [
        (names[e.actor_id] if e.actor_id else None, e.from_state, e.to_state, e.comment)
        for e in SharingRequestEvent.objects.filter(sharing_request=request).order_by("id")
    ]


def api_event_rows(body: dict[str, Any], world: World) -> list[EventRow]:
    names = {user.email: name for name, user in world.users.items()}
    return [
        (names[e["actor"]] if e["actor"] else None, e["from_state"], e["to_state"], e["comment"])
        for e in body["events"]
    ]


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Capture:
    return django_capture_on_commit_callbacks


@pytest.fixture
def reach(
    world: World,
    client_for: ClientFor,
    submit: Submit,
    set_route: SetRoute,
    shared_dataset: Dataset,
    capture: Capture,
) -> Callable[[str], SharingRequest]:
    """A request of other's member on the two-step route, brought into the given state through
    the API wherever the API gets there."""
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)

    def ok(response: Any) -> None:
        assert response.status_code == 200, response.json()

    def make(state: str) -> SharingRequest:
        if state == S.SUBMITTED:
            # The worker's check runs after commit; without running callbacks it never does.
            body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk)}
            response = client_for("outsider_member").post(
                reverse("sharing-request-list"), body, format="json"
            )
            assert response.status_code == 201, response.json()
            return SharingRequest.objects.get(pk=response.json()["id"])
        if state == S.APPROVED:
            # Timed release: approved, with its agreement and grant, until access begins.
            request = submit(start_at=(timezone.now() + timedelta(days=10)).isoformat())
        else:
            request = submit()
        assert request.state == S.AWAITING_PUBLISHER
        if state == S.REJECTED:
            ok(act(client_for("steward"), request, "reject", capture, reason="no"))
        elif state == S.WITHDRAWN:
            ok(act(client_for("outsider_member"), request, "withdraw", capture))
        elif state != S.AWAITING_PUBLISHER:
            ok(act(client_for("steward"), request, "approve", capture))
            if state != S.AWAITING_DIVISION_LEAD:
                ok(act(client_for("division_lead"), request, "approve", capture))
            if state == S.EXPIRED:
                assert agreements.grants_expire(now=timezone.now() + timedelta(days=365)) == 1
            elif state == S.REVOKED:
                ok(act(client_for("steward"), request, "revoke", capture, reason="breach"))
        request.refresh_from_db()
        assert request.state == state
        return request

    return make


# --- the table --------------------------------------------------------------------------------

ACTIONS = ("approve", "reject", "withdraw", "revoke", "check")
BODIES: dict[str, dict[str, str]] = {
    "approve": {"reason": "ok"},
    "reject": {"reason": "not now"},
    "withdraw": {"reason": "no longer needed"},
    "revoke": {"reason": "breach of terms"},
}

# (state, action) → the events the action adds. A pair not listed must answer 409
# invalid_transition (API actions), or change nothing (the worker's check, which is safe to run
# twice).
ALLOWED: dict[tuple[str, str], list[EventRow]] = {
    (S.SUBMITTED, "check"): [(None, S.SUBMITTED, S.AWAITING_PUBLISHER, "")],
    (S.SUBMITTED, "withdraw"): [("outsider_member", S.SUBMITTED, S.WITHDRAWN, "no longer needed")],
    (S.AWAITING_PUBLISHER, "approve"): [
        ("steward", S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD, "ok")
    ],
    (S.AWAITING_PUBLISHER, "reject"): [("steward", S.AWAITING_PUBLISHER, S.REJECTED, "not now")],
    (S.AWAITING_PUBLISHER, "withdraw"): [
        ("outsider_member", S.AWAITING_PUBLISHER, S.WITHDRAWN, "no longer needed")
    ],
    (S.AWAITING_DIVISION_LEAD, "approve"): [
        ("division_lead", S.AWAITING_DIVISION_LEAD, S.APPROVED, "ok"),
        ("division_lead", S.APPROVED, S.ACTIVE, ""),
    ],
    (S.AWAITING_DIVISION_LEAD, "reject"): [
        ("steward", S.AWAITING_DIVISION_LEAD, S.REJECTED, "not now")
    ],
    (S.AWAITING_DIVISION_LEAD, "withdraw"): [
        ("outsider_member", S.AWAITING_DIVISION_LEAD, S.WITHDRAWN, "no longer needed")
    ],
    (S.APPROVED, "revoke"): [("steward", S.APPROVED, S.REVOKED, "breach of terms")],
    (S.ACTIVE, "revoke"): [("steward", S.ACTIVE, S.REVOKED, "breach of terms")],
}


def actor_of(state: str, action: str) -> str:
    """Someone whose role allows the action, so that only the state decides."""
    if action == "withdraw":
        return "outsider_member"
    if action == "approve" and state == S.AWAITING_DIVISION_LEAD:
        return "division_lead"
    return "steward"


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a block in a savepoint and undo it, so one reached state serves every action."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _assert_action(
    state: str,
    action: str,
    request: SharingRequest,
    client_for: ClientFor,
    world: World,
    capture: Capture,
) -> None:
    before = event_rows(request, world)
    if action == "check":  # the worker's policy check
        expected = ALLOWED.get((state, action), [])
        target = expected[-1][2] if expected else state
        assert tasks.check_sharing_request(str(request.pk)) == target
        assert SharingRequest.objects.get(pk=request.pk).state == target
        assert event_rows(request, world) == [*before, *expected]
        return
    grant = Grant.objects.filter(agreement__sharing_request=request).first()
    response = act(client_for(actor_of(state, action)), request, action, capture, **BODIES[action])
    current = SharingRequest.objects.get(pk=request.pk)
    if (state, action) not in ALLOWED:
        body = assert_problem(response, 409, "invalid_transition")
        assert body["current_state"] == state
        assert body["dsp_state"] == EXPECTED_DSP[S(state)]
        assert body["allowed_from"]
        assert state not in body["allowed_from"]
        assert current.state == state
        assert event_rows(request, world) == before
        if grant is not None:  # nothing of a refused revocation stays behind
            assert Grant.objects.get(pk=grant.pk).revoked_at == grant.revoked_at
        return
    expected = ALLOWED[(state, action)]
    assert response.status_code == 200, response.json()
    body = response.json()
    target = expected[-1][2]
    assert (body["state"], body["dsp_state"]) == (target, EXPECTED_DSP[S(target)])
    assert current.state == target
    assert event_rows(request, world) == [*before, *expected]
    assert api_event_rows(body, world) == [*before, *expected]


@pytest.mark.parametrize("state", ALL_STATES)
def test_every_action_from_every_state(
    state: str,
    reach: Callable[[str], SharingRequest],
    client_for: ClientFor,
    world: World,
    capture: Capture,
    subtests: pytest.Subtests,
) -> None:
    """One request in `state`; each action runs on it in a savepoint that is then undone."""
    request = reach(state)
    with subtests.test("dsp_state in the API"):
        for persona in ("outsider_member", "steward", "secretariat"):
            detail = client_for(persona).get(
                reverse("sharing-request-detail", kwargs={"pk": request.pk})
            )
            assert detail.status_code == 200, detail.json()
            assert (detail.json()["state"], detail.json()["dsp_state"]) == (
                state,
                EXPECTED_DSP[S(state)],
            )
        listed = client_for("outsider_member").get(reverse("sharing-request-list"))
        assert [(r["id"], r["dsp_state"]) for r in listed.json()["results"]] == [
            (str(request.pk), EXPECTED_DSP[S(state)])
        ]
    for action in ACTIONS:
        with subtests.test(action=action), rolled_back():
            _assert_action(state, action, request, client_for, world, capture)


def test_lead_rejects_at_their_step(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, world: World, capture: Capture
) -> None:
    request = reach(S.AWAITING_DIVISION_LEAD)
    response = act(client_for("division_lead"), request, "reject", capture, reason="too broad")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == S.REJECTED
    assert response.json()["decided_at"] is not None
    assert event_rows(request, world)[-1] == (
        "division_lead",
        S.AWAITING_DIVISION_LEAD,
        S.REJECTED,
        "too broad",
    )


def test_lead_repeating_an_approval_gets_a_conflict(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, capture: Capture
) -> None:
    request = reach(S.AWAITING_DIVISION_LEAD)
    lead = client_for("division_lead")
    assert act(lead, request, "approve", capture).status_code == 200
    again = act(lead, request, "approve", capture)
    body = assert_problem(again, 409, "invalid_transition")
    assert (body["current_state"], body["dsp_state"]) == (S.ACTIVE, "FINALIZED")


def test_steward_repeating_an_approval_gets_a_conflict(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, capture: Capture
) -> None:
    """The steward-side twin of the lead's case above (two-step route)."""
    request = reach(S.AWAITING_PUBLISHER)
    steward = client_for("steward")
    assert act(steward, request, "approve", capture).status_code == 200
    again = act(steward, request, "approve", capture)
    body = assert_problem(again, 409, "invalid_transition")
    assert (body["current_state"], body["dsp_state"]) == (S.AWAITING_DIVISION_LEAD, "OFFERED")


def test_lead_deciding_after_the_steward_rejected_gets_a_conflict(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, capture: Capture
) -> None:
    request = reach(S.AWAITING_DIVISION_LEAD)
    rejected = act(client_for("steward"), request, "reject", capture, reason="no")
    assert rejected.status_code == 200, rejected.json()
    for verb, body in (("approve", {}), ("reject", {"reason": "no"})):
        response = act(client_for("division_lead"), request, verb, capture, **body)
        problem = assert_problem(response, 409, "invalid_transition")
        assert (problem["current_state"], problem["dsp_state"]) == (S.REJECTED, "TERMINATED")


def test_reject_needs_a_reason(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, capture: Capture
) -> None:
    request = reach(S.AWAITING_PUBLISHER)
    response = act(client_for("steward"), request, "reject", capture)
    assert_problem(response, 400, "validation_error")
    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER


def test_revoke_ends_the_grant(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, world: World, capture: Capture
) -> None:
    request = reach(S.ACTIVE)
    response = act(client_for("secretariat"), request, "revoke", capture, reason="audit finding")
    assert response.status_code == 200, response.json()
    grant = Grant.objects.get(agreement__sharing_request=request)
    assert grant.revoked_at is not None
    assert grant.revoked_by == world.users["secretariat"]
    assert grant.revocation_reason == "audit finding"
    links = client_for("outsider_member").post(
        reverse("grant-download-links", kwargs={"pk": grant.pk})
    )
    assert_problem(links, 409, "grant_not_valid")


def test_only_the_requesting_organisation_withdraws(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, capture: Capture
) -> None:
    request = reach(S.AWAITING_DIVISION_LEAD)  # visible to all three below
    for persona in ("steward", "secretariat", "division_lead"):
        response = act(client_for(persona), request, "withdraw", capture)
        assert_problem(response, 403, "permission_denied")
    request.refresh_from_db()
    assert request.state == S.AWAITING_DIVISION_LEAD


def test_another_member_of_the_requesting_organisation_withdraws(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, world: World, capture: Capture
) -> None:
    request = reach(S.AWAITING_PUBLISHER)
    response = act(client_for("outsider_steward"), request, "withdraw", capture)
    assert response.status_code == 200, response.json()
    assert event_rows(request, world)[-1] == (
        "outsider_steward",
        S.AWAITING_PUBLISHER,
        S.WITHDRAWN,
        "",
    )


# --- the worker's check -----------------------------------------------------------------------


def test_check_of_a_submitted_request_routes_it(
    reach: Callable[[str], SharingRequest], world: World
) -> None:
    request = reach(S.SUBMITTED)
    assert event_rows(request, world) == [("outsider_member", "", S.SUBMITTED, "")]
    assert tasks.check_sharing_request(str(request.pk)) == S.AWAITING_PUBLISHER
    assert tasks.check_sharing_request(str(request.pk)) == S.AWAITING_PUBLISHER  # twice: no-op
    assert event_rows(request, world) == [
        ("outsider_member", "", S.SUBMITTED, ""),
        (None, S.SUBMITTED, S.AWAITING_PUBLISHER, ""),
    ]


def test_withdrawn_before_the_check_stays_withdrawn(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, capture: Capture
) -> None:
    request = reach(S.SUBMITTED)
    assert act(client_for("outsider_member"), request, "withdraw", capture).status_code == 200
    assert tasks.check_sharing_request(str(request.pk)) == S.WITHDRAWN


# --- the three routes -------------------------------------------------------------------------


def _assert_granted(request: SharingRequest, world: World, period_days: int = 90) -> None:
    agreement = Agreement.objects.get(sharing_request=request)
    grant = Grant.objects.get(agreement=agreement)
    assert grant.organization == world.other
    assert grant.revoked_at is None
    assert grant.valid_until - grant.valid_from == timedelta(days=period_days)
    assert agreement.document["assignee"]["id"] == world.other.pk
    assert agreement.document["assigner"]["id"] == world.acme.pk
    assert agreement.document["approval_route"] == request.approval_route


def test_automatic_route_is_active_right_after_the_check(
    submit: Submit, set_route: SetRoute, client_for: ClientFor, world: World
) -> None:
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    assert request.state == S.ACTIVE
    assert request.approval_route == ApprovalRoute.AUTOMATIC
    assert request.decided_at is not None
    assert event_rows(request, world) == [
        ("outsider_member", "", S.SUBMITTED, ""),
        (None, S.SUBMITTED, S.APPROVED, CHECK_APPROVED),
        (None, S.APPROVED, S.ACTIVE, ""),
    ]
    _assert_granted(request, world)
    body = (
        client_for("outsider_member")
        .get(reverse("sharing-request-detail", kwargs={"pk": request.pk}))
        .json()
    )
    assert body["dsp_state"] == "FINALIZED"
    assert body["agreement"] is not None
    assert body["grant"] is not None


def test_publisher_route_is_active_after_the_steward(
    submit: Submit, set_route: SetRoute, client_for: ClientFor, world: World, capture: Capture
) -> None:
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    assert request.state == S.AWAITING_PUBLISHER
    assert not Agreement.objects.filter(sharing_request=request).exists()
    response = act(client_for("steward"), request, "approve", capture, reason="좋습니다")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == S.ACTIVE
    assert event_rows(request, world) == [
        ("outsider_member", "", S.SUBMITTED, ""),
        (None, S.SUBMITTED, S.AWAITING_PUBLISHER, ""),
        ("steward", S.AWAITING_PUBLISHER, S.APPROVED, "좋습니다"),
        ("steward", S.APPROVED, S.ACTIVE, ""),
    ]
    _assert_granted(request, world)


def test_two_step_route_waits_for_the_division_lead(
    submit: Submit, set_route: SetRoute, client_for: ClientFor, world: World, capture: Capture
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit(period_days=30)
    response = act(client_for("steward"), request, "approve", capture)
    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["dsp_state"]) == (
        S.AWAITING_DIVISION_LEAD,
        "OFFERED",
    )
    assert response.json()["decided_at"] is None
    assert not Agreement.objects.filter(sharing_request=request).exists()
    request.refresh_from_db()
    assert request.routed_to_division_lead_at is not None
    # The steward cannot take the lead's step.
    # The steward's step is done: approving again is a conflict, not a missing right.
    assert_problem(
        act(client_for("steward"), request, "approve", capture), 409, "invalid_transition"
    )
    response = act(client_for("division_lead"), request, "approve", capture, reason="승인")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == S.ACTIVE
    assert event_rows(request, world) == [
        ("outsider_member", "", S.SUBMITTED, ""),
        (None, S.SUBMITTED, S.AWAITING_PUBLISHER, ""),
        ("steward", S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD, ""),
        ("division_lead", S.AWAITING_DIVISION_LEAD, S.APPROVED, "승인"),
        ("division_lead", S.APPROVED, S.ACTIVE, ""),
    ]
    _assert_granted(request, world, period_days=30)


def test_route_is_frozen_when_the_request_is_made(
    submit: Submit, set_route: SetRoute, client_for: ClientFor, capture: Capture
) -> None:
    asked_under = set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    assert set_route(ApprovalRoute.PUBLISHER).revision == asked_under.revision + 1
    response = act(client_for("steward"), request, "approve", capture)
    assert response.json()["state"] == S.AWAITING_DIVISION_LEAD
    assert response.json()["policy_revision"] == asked_under.revision


# --- the policy check -------------------------------------------------------------------------


def _reason_codes(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reasons without their (translated) message, which must be there."""
    assert all(isinstance(r["message"], str) and r["message"] for r in reasons), reasons
    return [{k: v for k, v in r.items() if k != "message"} for r in reasons]


Terms = Callable[[World], dict[str, Any]]
Reasons = Callable[[World], list[dict[str, Any]]]

REJECTIONS: list[Any] = [
    pytest.param(
        lambda w: {"permitted_purposes": ["research", "education"]},
        {},
        lambda w: [
            {"code": "purpose_not_permitted", "permitted_purposes": ["education", "research"]}
        ],
        id="purpose",
    ),
    pytest.param(
        lambda w: {"max_period_days": 30},
        {"period_days": 31},
        lambda w: [{"code": "period_too_long", "max_period_days": 30}],
        id="period",
    ),
    pytest.param(
        lambda w: {"obligations": ["attribution", "delete_at_expiry", "usage_report"]},
        {"accepted_obligations": ["attribution"]},
        lambda w: [
            {
                "code": "obligations_not_accepted",
                "missing_obligations": ["delete_at_expiry", "usage_report"],
            }
        ],
        id="obligations",
    ),
    pytest.param(
        lambda w: {"denied_organization_ids": [w.other.pk]},
        {},
        lambda w: [{"code": "organization_denied"}],
        id="denied",
    ),
    pytest.param(
        lambda w: {
            "allowed_organization_ids": [w.other.pk],
            "denied_organization_ids": [w.other.pk],
        },
        {},
        lambda w: [{"code": "organization_denied"}],
        id="denied-beats-invited",
    ),
    pytest.param(
        lambda w: {"allowed_division_ids": [w.humanoids.pk]},
        {},
        lambda w: [{"code": "division_not_allowed", "allowed_division_ids": [w.humanoids.pk]}],
        id="division",
    ),
    pytest.param(
        lambda w: {"allowed_organization_kinds": ["university", "manufacturer"]},
        {},
        lambda w: [
            {
                "code": "organization_kind_not_allowed",
                "allowed_organization_kinds": ["manufacturer", "university"],
            }
        ],
        id="kind",
    ),
    pytest.param(
        lambda w: {"allowed_organization_ids": [w.acme.pk]},
        {},
        lambda w: [{"code": "organization_not_listed"}],
        id="not-listed",
    ),
    pytest.param(
        lambda w: {
            "allowed_division_ids": [w.humanoids.pk],
            "allowed_organization_kinds": ["manufacturer"],
            "permitted_purposes": ["research"],
            "max_period_days": 30,
        },
        {"accepted_obligations": []},
        lambda w: [
            {"code": "division_not_allowed", "allowed_division_ids": [w.humanoids.pk]},
            {
                "code": "organization_kind_not_allowed",
                "allowed_organization_kinds": ["manufacturer"],
            },
            {"code": "purpose_not_permitted", "permitted_purposes": ["research"]},
            {"code": "period_too_long", "max_period_days": 30},
            {
                "code": "obligations_not_accepted",
                "missing_obligations": ["attribution", "delete_at_expiry"],
            },
        ],
        id="every-failure-listed",
    ),
]


@pytest.mark.parametrize(("terms", "overrides", "reasons"), REJECTIONS)
def test_check_rejects_with_reasons(
    terms: Terms,
    overrides: dict[str, Any],
    reasons: Reasons,
    submit: Submit,
    set_route: SetRoute,
    client_for: ClientFor,
    shared_dataset: Dataset,
    world: World,
) -> None:
    set_route(ApprovalRoute.AUTOMATIC, **terms(world))
    request = submit(**overrides)
    assert request.state == S.REJECTED
    assert request.decided_at is not None
    assert _reason_codes(request.decision_reasons) == reasons(world)
    assert event_rows(request, world) == [
        ("outsider_member", "", S.SUBMITTED, ""),
        (None, S.SUBMITTED, S.REJECTED, CHECK_REJECTED),
    ]
    assert not Agreement.objects.filter(sharing_request=request).exists()
    body = (
        client_for("outsider_member")
        .get(reverse("sharing-request-detail", kwargs={"pk": request.pk}))
        .json()
    )
    assert (body["state"], body["dsp_state"]) == (S.REJECTED, "TERMINATED")
    assert body["decision_reasons"] == request.decision_reasons
    # The eligibility endpoint runs the same engine and gives the same reasons.
    ask = {**REQUEST_BODY, **overrides}
    ask.pop("justification")
    eligibility = client_for("outsider_member").post(
        reverse("dataset-eligibility", kwargs={"dataset": shared_dataset.pk}), ask, format="json"
    )
    assert eligibility.status_code == 200, eligibility.json()
    assert eligibility.json()["eligible"] is False
    assert eligibility.json()["reasons"] == request.decision_reasons


def test_check_rejects_a_request_for_your_own_dataset(
    submit: Submit, set_route: SetRoute, world: World
) -> None:
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit("member")
    assert request.state == S.REJECTED
    assert [r["code"] for r in request.decision_reasons] == ["own_dataset"]


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param(
            lambda w: {
                "allowed_organization_kinds": ["manufacturer"],
                "allowed_division_ids": [w.humanoids.pk],
                "allowed_organization_ids": [w.other.pk],
            },
            id="invited-organisation-skips-kind-and-division",
        ),
        pytest.param(
            lambda w: {"allowed_division_ids": [w.humanoids.pk, w.ai_factory.pk]},
            id="member-of-an-allowed-division",
        ),
        pytest.param(lambda w: {"allowed_organization_kinds": ["ai_company"]}, id="allowed-kind"),
    ],
)
def test_check_routes_an_eligible_request(
    terms: Terms, submit: Submit, set_route: SetRoute, world: World
) -> None:
    world.other.divisions.set([world.humanoids])
    set_route(ApprovalRoute.PUBLISHER, **terms(world))
    request = submit()
    assert request.state == S.AWAITING_PUBLISHER
    assert request.decision_reasons == []


# --- restricted data --------------------------------------------------------------------------


@pytest.fixture
def restricted_dataset(world: World) -> Dataset:
    dataset = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.RESTRICTED
    )
    DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    return dataset


def test_restricted_dataset_defaults_to_the_two_step_route(
    restricted_dataset: Dataset, client_for: ClientFor
) -> None:
    response = client_for("steward").get(
        reverse("access-policy", kwargs={"dataset": restricted_dataset.pk})
    )
    assert response.status_code == 200, response.json()
    assert response.json()["approval_route"] == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD
    assert response.json()["max_period_days"] == 180


@pytest.mark.parametrize("route", [ApprovalRoute.AUTOMATIC, ApprovalRoute.PUBLISHER])
def test_restricted_dataset_refuses_a_shorter_route(
    route: str, restricted_dataset: Dataset, client_for: ClientFor
) -> None:
    url = reverse("access-policy", kwargs={"dataset": restricted_dataset.pk})
    client = client_for("steward")
    body = assert_problem(
        client.patch(url, {"approval_route": route}, format="json"), 409, "route_not_allowed"
    )
    assert body["required_route"] == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD
    revisions = client.get(f"{url}revisions/").json()
    assert [(r["revision"], r["approval_route"]) for r in revisions] == [
        (1, ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    ]
    # Other terms may change; the route stays.
    kept = client.patch(url, {"max_period_days": 90}, format="json")
    assert kept.status_code == 200, kept.json()
    assert (kept.json()["revision"], kept.json()["approval_route"]) == (
        2,
        ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD,
    )
    same = client.patch(
        url, {"approval_route": ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD}, format="json"
    )
    assert same.status_code == 200, same.json()


def test_dataset_made_restricted_still_needs_the_division_lead(
    shared_dataset: Dataset,
    set_route: SetRoute,
    submit: Submit,
    client_for: ClientFor,
    capture: Capture,
) -> None:
    """Raising the sensitivity raises the route of the current policy with it."""
    set_route(ApprovalRoute.PUBLISHER)
    changed = client_for("steward").patch(
        reverse("dataset-detail", kwargs={"dataset": shared_dataset.pk}),
        {"sensitivity": Sensitivity.RESTRICTED},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    policy = (
        client_for("steward")
        .get(reverse("access-policy", kwargs={"dataset": shared_dataset.pk}))
        .json()
    )
    assert policy["approval_route"] == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD
    revisions = client_for("steward").get(
        reverse("access-policy-revisions", kwargs={"dataset": shared_dataset.pk})
    )
    assert [(r["revision"], r["approval_route"]) for r in revisions.json()] == [
        (3, ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD),  # added by the sensitivity change
        (2, ApprovalRoute.PUBLISHER),  # set_route's
        (1, ApprovalRoute.PUBLISHER),  # made with the dataset (members)
    ]
    request = submit()
    response = act(client_for("steward"), request, "approve", capture)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == S.AWAITING_DIVISION_LEAD


# --- escalation -------------------------------------------------------------------------------

ESCALATED_APPROVAL = "Approved by the division lead after escalation."


def _escalate() -> None:
    """Run the reminder sweep long after the request stopped moving."""
    assert reminders.approvals_remind(now=timezone.now() + timedelta(days=30))["escalated"] == 1


@pytest.mark.parametrize(
    ("verb", "body", "expected"),
    [
        (
            "approve",
            {},
            [
                ("division_lead", S.AWAITING_PUBLISHER, S.APPROVED, ESCALATED_APPROVAL),
                ("division_lead", S.APPROVED, S.ACTIVE, ""),
            ],
        ),
        (
            "reject",
            {"reason": "overdue and too broad"},
            [("division_lead", S.AWAITING_PUBLISHER, S.REJECTED, "overdue and too broad")],
        ),
    ],
)
def test_lead_decides_an_escalated_request(
    verb: str,
    body: dict[str, str],
    expected: list[EventRow],
    submit: Submit,
    set_route: SetRoute,
    client_for: ClientFor,
    world: World,
    capture: Capture,
) -> None:
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    lead = client_for("division_lead")
    assert_problem(act(lead, request, verb, capture, **body), 404, "not_found")
    _escalate()
    before = event_rows(request, world)
    response = act(lead, request, verb, capture, **body)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == expected[-1][2]
    assert event_rows(request, world) == [*before, *expected]


def test_escalation_never_skips_the_publisher_of_restricted_data(
    restricted_dataset: Dataset,
    submit: Submit,
    client_for: ClientFor,
    world: World,
    capture: Capture,
) -> None:
    """On the two-step route the escalated lead may not approve alone (the publisher still
    approves first, then the lead); the lead may reject it."""
    request = submit(dataset=str(restricted_dataset.pk))
    assert request.approval_route == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD
    assert request.state == S.AWAITING_PUBLISHER
    _escalate()
    before = event_rows(request, world)
    lead = client_for("division_lead")

    assert_problem(act(lead, request, "approve", capture), 403, "permission_denied")

    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER
    assert event_rows(request, world) == before
    assert not Agreement.objects.filter(sharing_request=request).exists()
    # The two steps still work: the steward, then the lead.
    steward_step = act(client_for("steward"), request, "approve", capture)
    assert steward_step.json()["state"] == S.AWAITING_DIVISION_LEAD
    lead_step = act(lead, request, "approve", capture)
    assert lead_step.json()["state"] == S.ACTIVE
    approvers = [
        row[0]
        for row in event_rows(request, world)
        if row[2] in (S.APPROVED, S.AWAITING_DIVISION_LEAD)
    ]
    assert approvers == ["steward", "division_lead"]


def test_lead_rejects_an_escalated_request_of_restricted_data(
    restricted_dataset: Dataset,
    submit: Submit,
    client_for: ClientFor,
    world: World,
    capture: Capture,
) -> None:
    request = submit(dataset=str(restricted_dataset.pk))
    _escalate()

    response = act(client_for("division_lead"), request, "reject", capture, reason="too broad")

    assert response.status_code == 200, response.json()
    assert event_rows(request, world)[-1] == (
        "division_lead",
        S.AWAITING_PUBLISHER,
        S.REJECTED,
        "too broad",
    )


# --- timed release and expiry -----------------------------------------------------------------

STARTED = "The agreed access period began."


def test_timed_release_starts_once(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, world: World
) -> None:
    request = reach(S.APPROVED)
    grant = Grant.objects.get(agreement__sharing_request=request)
    assert grant.valid_from > timezone.now() + timedelta(days=9)
    links = client_for("outsider_member").post(
        reverse("grant-download-links", kwargs={"pk": grant.pk})
    )
    assert_problem(links, 409, "grant_not_valid")
    before = event_rows(request, world)

    assert agreements.grants_start(now=grant.valid_from - timedelta(seconds=1)) == 0
    request.refresh_from_db()
    assert request.state == S.APPROVED

    assert agreements.grants_start(now=grant.valid_from) == 1
    assert agreements.grants_start(now=grant.valid_from + timedelta(hours=1)) == 0
    request.refresh_from_db()
    assert request.state == S.ACTIVE
    assert event_rows(request, world) == [*before, (None, S.APPROVED, S.ACTIVE, STARTED)]


def test_timed_release_revoked_before_it_starts_never_starts(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, capture: Capture
) -> None:
    request = reach(S.APPROVED)
    grant = Grant.objects.get(agreement__sharing_request=request)
    response = act(client_for("steward"), request, "revoke", capture, reason="changed our mind")
    assert response.status_code == 200, response.json()
    assert agreements.grants_start(now=grant.valid_from + timedelta(days=1)) == 0
    request.refresh_from_db()
    assert request.state == S.REVOKED
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_automatic_route_with_timed_release_waits_approved(
    submit: Submit, set_route: SetRoute, world: World
) -> None:
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit(start_at=(timezone.now() + timedelta(days=3)).isoformat())
    assert request.state == S.APPROVED
    assert event_rows(request, world)[-1] == (None, S.SUBMITTED, S.APPROVED, CHECK_APPROVED)
    grant = Grant.objects.get(agreement__sharing_request=request)
    assert grant.valid_until - grant.valid_from == timedelta(days=90)


# --- expiry -----------------------------------------------------------------------------------


def test_expiry_ends_an_active_request_once(
    reach: Callable[[str], SharingRequest], client_for: ClientFor, world: World
) -> None:
    request = reach(S.ACTIVE)
    grant = Grant.objects.get(agreement__sharing_request=request)
    before = event_rows(request, world)

    assert agreements.grants_expire(now=grant.valid_until - timedelta(seconds=1)) == 0
    request.refresh_from_db()
    assert request.state == S.ACTIVE

    assert agreements.grants_expire(now=grant.valid_until) == 1
    request.refresh_from_db()
    assert request.state == S.EXPIRED
    assert event_rows(request, world) == [*before, (None, S.ACTIVE, S.EXPIRED, WINDOW_ENDED)]

    assert agreements.grants_expire(now=grant.valid_until + timedelta(days=1)) == 0
    assert event_rows(request, world) == [*before, (None, S.ACTIVE, S.EXPIRED, WINDOW_ENDED)]
    body = (
        client_for("outsider_member")
        .get(reverse("sharing-request-detail", kwargs={"pk": request.pk}))
        .json()
    )
    assert (body["state"], body["dsp_state"]) == (S.EXPIRED, "TERMINATED")


def test_expiry_skips_revoked_requests(
    reach: Callable[[str], SharingRequest], world: World
) -> None:
    request = reach(S.REVOKED)
    before = event_rows(request, world)
    assert agreements.grants_expire(now=timezone.now() + timedelta(days=3650)) == 0
    request.refresh_from_db()
    assert request.state == S.REVOKED
    assert event_rows(request, world) == before


@pytest.mark.parametrize("action", ["get", "approve", "reject", "withdraw", "revoke"])
def test_a_malformed_sharing_request_id_is_404(client_for, action):
    # Not a UUID: no such request, as for any other id (it was a 400 from the UUID field).
    client = client_for("steward")
    if action == "get":
        response = client.get(reverse("sharing-request-detail", kwargs={"pk": "not-a-uuid"}))
    else:
        url = reverse(f"sharing-request-{action}", kwargs={"pk": "not-a-uuid"})
        response = client.post(url, {"reason": "x"}, format="json")

    assert_problem(response, 404, "not_found")
