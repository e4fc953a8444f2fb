"""Return for changes: an approver hands a request back with a comment instead of deciding it;
the requesting organisation resubmits it with changes (checked and routed as a new request) or
withdraws it. POST /api/v1/sharing-requests/{id}/return/ and .../resubmit/.

Who may return: whoever may reject at the request's step (the publisher's stewards at either
step, the division lead at theirs and once escalated). Who may resubmit: members of the
requesting organisation, who may ask for it. A returned request is open (one per organisation
and dataset) and waits for its requester, not for an approver.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import MembershipRole
from accounts.selectors import actor_for
from audit.chain import audit_verify
from audit.models import AuditEvent
from datasets.models import VersionStatus
from registry import tasks
from registry.models import (
    AccessPolicy,
    ApprovalRoute,
    EmailNotification,
    SharingRequest,
    WebhookDelivery,
)
from registry.models import SharingRequestState as S
from registry.services import reminders, sharing_requests, webhooks
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import (
    DatasetVersionFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.personas import World
from tests.sharing import REQUEST_BODY, act

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], APIClient]
Submit = Callable[..., SharingRequest]
SetRoute = Callable[..., AccessPolicy]
WHAT = "기간을 30일로 줄여 주세요 / please shorten the period to 30 days"


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


@pytest.fixture
def stranger(world: World) -> None:
    """`third_member`: a member of a third organisation, which neither asks nor publishes."""
    third = OrganizationFactory.create(slug="third-works", name_en="Third Works")
    world.users["third_member"] = MembershipFactory.create(
        user=UserFactory.create(email="third_member@example.kr"),
        organization=third,
        role=MembershipRole.MEMBER,
    ).user


def _return(client: APIClient, request: SharingRequest, capture: Any, **body: Any) -> Any:
    return act(client, request, "return", capture, **body)


def _resubmit(client: APIClient, request: SharingRequest, capture: Any, **body: Any) -> Any:
    return act(client, request, "resubmit", capture, **body)


def _returned(
    client_for: ClientFor, submit: Submit, capture: Any, *, at_lead: bool = False
) -> SharingRequest:
    """other's request, returned by the steward (or by the lead at their step)."""
    request = submit()
    if at_lead:
        act(client_for("steward"), request, "approve", capture)
    returner = "division_lead" if at_lead else "steward"
    response = _return(client_for(returner), request, capture, comment=WHAT)
    assert response.status_code == 200, response.json()
    request.refresh_from_db()
    assert request.state == S.RETURNED
    return request


def _seen(client_for: ClientFor, request: SharingRequest) -> dict[str, Any]:
    """The request as its requester sees it now (after the worker's check)."""
    response = client_for("outsider_member").get(
        reverse("sharing-request-detail", kwargs={"pk": request.pk})
    )
    assert response.status_code == 200, response.json()
    return dict(response.json())


def _moves(request: SharingRequest) -> list[tuple[str, str]]:
    return list(request.events.values_list("from_state", "to_state"))


# --- who may -----------------------------------------------------------------------------------

PERSONAS = (
    "anonymous",
    "member",  # acme's plain member: the publisher's, but no steward
    "steward",  # the publisher's steward
    "org_admin",
    "outsider_member",  # the requesting organisation's member
    "outsider_steward",  # ... and its steward
    "third_member",  # a member of a third organisation
    "division_lead",
    "secretariat",
)
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}

# persona → status, for a request at the publisher's step (publisher route)
RETURN_AT_PUBLISHER = dict(
    zip(PERSONAS, (401, 404, 200, 404, 403, 403, 404, 404, 403), strict=True)
)
# ... at the division lead's step (publisher, then division lead): the lead now sees it, and
# the publisher's steward may still refuse (as with reject)
RETURN_AT_LEAD = dict(zip(PERSONAS, (401, 404, 200, 404, 403, 403, 404, 200, 403), strict=True))
# persona → status, resubmitting a request the steward returned
RESUBMIT = dict(zip(PERSONAS, (401, 404, 403, 404, 200, 200, 404, 404, 403), strict=True))
# ... withdrawing it
WITHDRAW_RETURNED = dict(zip(PERSONAS, (401, 404, 403, 404, 200, 200, 404, 404, 403), strict=True))


def _expect(response: Any, status: int) -> None:
    if status >= 400:
        assert_problem(response, status, ERROR_CODES[status])
    else:
        assert response.status_code == status, response.json()


@pytest.mark.usefixtures("stranger")
@pytest.mark.parametrize(("persona", "status"), RETURN_AT_PUBLISHER.items())
def test_who_may_return_at_the_publishers_step(
    persona: str, status: int, client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()

    response = _return(client_for(persona), request, capture, comment=WHAT)

    _expect(response, status)
    request.refresh_from_db()
    assert request.state == (S.RETURNED if status == 200 else S.AWAITING_PUBLISHER)


@pytest.mark.usefixtures("stranger")
@pytest.mark.parametrize(("persona", "status"), RETURN_AT_LEAD.items())
def test_who_may_return_at_the_division_leads_step(
    persona: str,
    status: int,
    client_for: ClientFor,
    submit: Submit,
    set_route: SetRoute,
    capture: Any,
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    act(client_for("steward"), request, "approve", capture)

    response = _return(client_for(persona), request, capture, comment=WHAT)

    _expect(response, status)
    request.refresh_from_db()
    assert request.state == (S.RETURNED if status == 200 else S.AWAITING_DIVISION_LEAD)


@pytest.mark.usefixtures("stranger")
@pytest.mark.parametrize(("persona", "status"), RESUBMIT.items())
def test_who_may_resubmit(
    persona: str, status: int, client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)

    response = _resubmit(client_for(persona), request, capture, period_days=30)

    _expect(response, status)
    request.refresh_from_db()
    assert request.state == (S.AWAITING_PUBLISHER if status == 200 else S.RETURNED)


@pytest.mark.usefixtures("stranger")
@pytest.mark.parametrize(("persona", "status"), WITHDRAW_RETURNED.items())
def test_who_may_withdraw_a_returned_request(
    persona: str, status: int, client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)

    response = act(client_for(persona), request, "withdraw", capture, reason="never mind")

    _expect(response, status)
    request.refresh_from_db()
    assert request.state == (S.WITHDRAWN if status == 200 else S.RETURNED)


def test_the_escalated_lead_may_return_at_the_publishers_step(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()
    assert _return(client_for("division_lead"), request, capture, comment=WHAT).status_code == 404
    with capture(execute=True):
        reminders.approvals_remind(now=timezone.now() + timedelta(days=30))
    request.refresh_from_db()
    assert request.escalated_at is not None

    response = _return(client_for("division_lead"), request, capture, comment=WHAT)

    assert response.status_code == 200, response.json()
    assert response.json()["decision_reasons"] == [
        {"code": "returned_by_division_lead", "message": WHAT}
    ]


# --- what a return records ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at_lead", "code"),
    [(False, "returned_by_publisher"), (True, "returned_by_division_lead")],
)
def test_a_return_records_its_comment(
    at_lead: bool,
    code: str,
    client_for: ClientFor,
    submit: Submit,
    set_route: SetRoute,
    capture: Any,
) -> None:
    if at_lead:
        set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = _returned(client_for, submit, capture, at_lead=at_lead)

    body = (
        client_for("outsider_member")
        .get(reverse("sharing-request-detail", kwargs={"pk": request.pk}))
        .json()
    )

    assert body["state"] == "returned"
    assert body["dsp_state"] == "OFFERED"
    assert body["decision_reasons"][-1] == {"code": code, "message": WHAT}
    assert body["events"][-1]["to_state"] == "returned"
    assert body["events"][-1]["comment"] == WHAT
    assert body["decided_at"] is None  # not a decision
    audited = AuditEvent.objects.get(object_id=str(request.pk), action="sharing_request.returned")
    assert audited.data["comment"] == WHAT
    assert audited.actor_id == (
        request.events.last().actor_id  # type: ignore[union-attr]
    )


def test_a_steward_returning_at_the_leads_step_returns_as_the_publisher(
    client_for: ClientFor, submit: Submit, set_route: SetRoute, capture: Any
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    act(client_for("steward"), request, "approve", capture)

    response = _return(client_for("steward"), request, capture, comment=WHAT)

    assert response.json()["decision_reasons"][-1]["code"] == "returned_by_publisher"


@pytest.mark.parametrize("body", [{}, {"comment": ""}, {"comment": "   "}, {"reason": WHAT}])
def test_a_return_needs_a_comment(
    body: dict[str, Any], client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()

    response = _return(client_for("steward"), request, capture, **body)

    if "reason" in body:  # the comment is `comment`, not a decision's `reason`
        assert_field_error(response, "reason", "unknown_field")
    assert_field_error(response, "comment", "blank" if "comment" in body else "required")
    request.refresh_from_db()
    assert (request.state, request.decision_reasons) == (S.AWAITING_PUBLISHER, [])


def test_the_service_refuses_a_blank_comment_too(world: World, submit: Submit) -> None:
    from rest_framework.exceptions import ValidationError

    request = submit()
    with pytest.raises(ValidationError):
        sharing_requests.sharing_request_return(
            actor=actor_for(world.users["steward"]), sharing_request=request, comment="  "
        )


# --- moves that are not allowed ----------------------------------------------------------------


def test_return_only_from_a_decision_step(
    client_for: ClientFor, submit: Submit, set_route: SetRoute, capture: Any
) -> None:
    returned = _returned(client_for, submit, capture)
    again = _return(client_for("steward"), returned, capture, comment=WHAT)
    body = assert_problem(again, 409, "invalid_transition")
    assert body["current_state"] == "returned"
    assert body["dsp_state"] == "OFFERED"
    assert body["allowed_from"] == ["awaiting_publisher", "awaiting_division_lead"]

    act(client_for("outsider_member"), returned, "withdraw", capture)
    withdrawn = _return(client_for("steward"), returned, capture, comment=WHAT)
    assert assert_problem(withdrawn, 409, "invalid_transition")["current_state"] == "withdrawn"

    set_route(ApprovalRoute.AUTOMATIC)
    active = submit()
    assert active.state == S.ACTIVE
    refused = _return(client_for("steward"), active, capture, comment=WHAT)
    assert assert_problem(refused, 409, "invalid_transition")["current_state"] == "active"


def test_resubmit_only_from_returned(client_for: ClientFor, submit: Submit, capture: Any) -> None:
    request = submit()
    early = _resubmit(client_for("outsider_member"), request, capture, period_days=30)
    body = assert_problem(early, 409, "invalid_transition")
    assert (body["current_state"], body["allowed_from"]) == ("awaiting_publisher", ["returned"])

    _return(client_for("steward"), request, capture, comment=WHAT)
    assert _resubmit(client_for("outsider_member"), request, capture).status_code == 200
    twice = _resubmit(client_for("outsider_member"), request, capture)
    assert assert_problem(twice, 409, "invalid_transition")["current_state"] == (
        "awaiting_publisher"
    )


def test_approve_and_reject_are_refused_while_returned(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)

    for verb, body in (("approve", {}), ("reject", {"reason": "no"})):
        response = act(client_for("steward"), request, verb, capture, **body)
        assert assert_problem(response, 409, "invalid_transition")["current_state"] == "returned"
    request.refresh_from_db()
    assert request.state == S.RETURNED


# --- resubmitting --------------------------------------------------------------------------------


def test_a_resubmission_with_changes_is_checked_and_routed_again(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)

    response = _resubmit(
        client_for("outsider_steward"),
        request,
        capture,
        period_days=30,
        justification="30일이면 충분합니다 / 30 days will do",
        purpose="research",
        comment="기간을 줄였습니다 / shortened",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "submitted"  # then the worker's check
    body = _seen(client_for, request)
    assert body["state"] == "awaiting_publisher"
    assert (body["period_days"], body["purpose"]) == (30, "research")
    assert body["justification"] == "30일이면 충분합니다 / 30 days will do"
    assert body["accepted_obligations"] == REQUEST_BODY["accepted_obligations"]  # unchanged
    assert _moves(request) == [
        ("", "submitted"),
        ("submitted", "awaiting_publisher"),
        ("awaiting_publisher", "returned"),
        ("returned", "submitted"),
        ("submitted", "awaiting_publisher"),
    ]
    assert body["events"][3]["comment"] == "기간을 줄였습니다 / shortened"
    # The return's comment stays among the reasons; the resubmission adds none.
    assert body["decision_reasons"] == [{"code": "returned_by_publisher", "message": WHAT}]
    resubmitted = AuditEvent.objects.filter(
        object_id=str(request.pk), action="sharing_request.submitted"
    ).order_by("id")
    assert [event.data.get("changed") for event in resubmitted] == [
        None,
        {
            "period_days": 30,
            "purpose": "research",
            "justification": "30일이면 충분합니다 / 30 days will do",
        },
    ]
    assert [str(problem) for problem in audit_verify()] == []


def test_a_resubmission_follows_the_policy_in_force_now(
    client_for: ClientFor, submit: Submit, set_route: SetRoute, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)
    policy = set_route(ApprovalRoute.AUTOMATIC)

    response = _resubmit(client_for("outsider_member"), request, capture)

    assert response.status_code == 200, response.json()
    seen = _seen(client_for, request)
    assert seen["state"] == "active"
    assert seen["policy_revision"] == policy.revision
    assert seen["approval_route"] == ApprovalRoute.AUTOMATIC


def test_returned_at_the_leads_step_the_request_starts_over(
    client_for: ClientFor, submit: Submit, set_route: SetRoute, capture: Any
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = _returned(client_for, submit, capture, at_lead=True)

    _resubmit(client_for("outsider_member"), request, capture, period_days=30)

    assert _seen(client_for, request)["state"] == "awaiting_publisher"
    # The lead who returned it still sees what became of it.
    lead_view = client_for("division_lead").get(
        reverse("sharing-request-detail", kwargs={"pk": request.pk})
    )
    assert lead_view.status_code == 200
    act(client_for("steward"), request, "approve", capture)
    approved = act(client_for("division_lead"), request, "approve", capture)
    assert approved.json()["state"] == "active"


def test_an_ineligible_resubmission_is_rejected_with_reasons_as_a_new_request_is(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)

    response = _resubmit(client_for("outsider_member"), request, capture, period_days=400)

    assert response.status_code == 200, response.json()
    body = _seen(client_for, request)
    assert body["state"] == "rejected"
    codes = [reason["code"] for reason in body["decision_reasons"]]
    assert codes == ["returned_by_publisher", "period_too_long"]
    # The same request, new: the same reasons.
    with capture(execute=True):
        fresh = client_for("outsider_member").post(
            reverse("sharing-request-list"),
            {**REQUEST_BODY, "dataset": str(request.dataset_id), "period_days": 400},
            format="json",
        )
    fresh_reasons = SharingRequest.objects.get(pk=fresh.json()["id"]).decision_reasons
    assert [reason["code"] for reason in fresh_reasons] == ["period_too_long"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"purpose": "gossip"}, "purpose", "invalid_choice"),
        ({"period_days": 0}, "period_days", "min_value"),
        ({"accepted_obligations": ["nothing"]}, "accepted_obligations.0", "invalid_choice"),
        ({"justification": ""}, "justification", "blank"),
        ({"start_at": "2001-01-01T00:00:00Z"}, "start_at", "invalid"),
        ({"dataset": "another"}, "dataset", "unknown_field"),
        ({"organization": "acme"}, "organization", "unknown_field"),
    ],
)
def test_a_resubmission_takes_what_a_new_request_takes(
    body: dict[str, Any],
    field: str,
    code: str,
    client_for: ClientFor,
    submit: Submit,
    capture: Any,
) -> None:
    request = _returned(client_for, submit, capture)

    response = _resubmit(client_for("outsider_member"), request, capture, **body)

    assert_field_error(response, field, code)
    request.refresh_from_db()
    assert request.state == S.RETURNED


def test_a_resubmission_may_name_a_published_version_only(
    client_for: ClientFor, submit: Submit, capture: Any, world: World
) -> None:
    request = _returned(client_for, submit, capture)
    draft = DatasetVersionFactory.create(
        dataset=request.dataset, version="2.0.0", status=VersionStatus.DRAFT
    )

    for version in (str(draft.pk), "00000000-0000-0000-0000-000000000000"):
        response = _resubmit(client_for("outsider_member"), request, capture, version=version)
        assert_problem(response, 409, "version_not_available")
    published = request.dataset.versions.get(version="1.0.0")
    response = _resubmit(client_for("outsider_member"), request, capture, version=str(published.pk))
    assert response.json()["version"] == str(published.pk)


# --- one open request --------------------------------------------------------------------------


def test_a_returned_request_is_the_organisations_open_one(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)
    client = client_for("outsider_member")
    body = {**REQUEST_BODY, "dataset": str(request.dataset_id)}

    second = client.post(reverse("sharing-request-list"), body, format="json")

    problem = assert_problem(second, 409, "open_request_exists")
    assert (problem["open_request"], problem["open_request_state"]) == (
        str(request.pk),
        "returned",
    )
    eligibility = client.post(
        reverse("dataset-eligibility", kwargs={"dataset": request.dataset_id}),
        {"purpose": "research", "period_days": 30},
        format="json",
    ).json()
    assert eligibility["eligible"] is False
    assert eligibility["open_request"]["id"] == str(request.pk)

    act(client, request, "withdraw", capture)
    with capture(execute=True):
        third = client.post(reverse("sharing-request-list"), body, format="json")
    assert third.status_code == 201, third.json()


def test_the_database_holds_one_open_request_returned_or_not(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    from django.db import IntegrityError, transaction

    request = _returned(client_for, submit, capture)
    SharingRequest.objects.filter(pk=request.pk).update(state=S.AWAITING_PUBLISHER)
    other = SharingRequest.objects.get(pk=request.pk)
    other.pk = uuid.uuid4()
    other.state = S.RETURNED
    other.idempotency_key = ""
    with pytest.raises(IntegrityError, match="sharing_request_one_open"), transaction.atomic():
        other.save(force_insert=True)


# --- who is told -------------------------------------------------------------------------------


def test_the_requester_is_told_of_a_return_and_the_approvers_of_the_resubmission(
    world: World, client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()
    EmailNotification.objects.all().delete()
    for organization in (world.other, world.acme):
        webhooks.webhook_create(
            organization=organization, url="https://hooks.example.kr/max", events=[]
        )

    # Rows, not sends: the receivers are not there (test_webhooks.py sends).
    with capture(execute=False):
        sharing_requests.sharing_request_return(
            actor=actor_for(world.users["steward"]), sharing_request=request, comment=WHAT
        )
    told = EmailNotification.objects.get(event="sharing_request.returned")
    assert told.recipient == "outsider_member@example.kr"
    assert "Changes requested" in told.subject
    assert WHAT in told.body
    returned = WebhookDelivery.objects.filter(event="sharing_request.returned")
    assert {d.endpoint.organization_id for d in returned} == {world.other.pk, world.acme.pk}
    payload = returned.first().payload["sharing_request"]  # type: ignore[union-attr]
    assert (payload["state"], payload["dsp_state"]) == ("returned", "OFFERED")
    assert payload["decision_reasons"][-1]["message"] == WHAT

    with capture(execute=False):
        sharing_requests.sharing_request_resubmit(
            actor=actor_for(world.users["outsider_member"]),
            sharing_request=request,
            period_days=30,
        )
    resubmitted = WebhookDelivery.objects.filter(
        event="sharing_request.submitted", created_at__gte=told.created_at
    )
    assert {d.endpoint.organization_id for d in resubmitted} == {world.other.pk, world.acme.pk}
    with capture(execute=False):
        tasks.check_sharing_request(str(request.pk))  # the worker's check, as on submission
    asked = EmailNotification.objects.filter(event="sharing_request.awaiting_publisher")
    assert [row.recipient for row in asked] == ["steward@example.kr"]


def test_approvers_are_not_reminded_of_a_returned_request(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = _returned(client_for, submit, capture)

    with capture(execute=True):
        result = reminders.approvals_remind(now=timezone.now() + timedelta(days=60))

    assert result == {"reminded": 0, "escalated": 0}
    request.refresh_from_db()
    assert (request.reminded_at, request.escalated_at) == (None, None)


def test_a_resubmitted_request_waits_for_the_publisher_afresh(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    """An escalation belongs to a waiting that a return ended: the resubmission waits anew."""
    request = submit()
    with capture(execute=True):
        reminders.approvals_remind(now=timezone.now() + timedelta(days=30))
    _return(client_for("steward"), request, capture, comment=WHAT)

    _resubmit(client_for("outsider_member"), request, capture)

    request.refresh_from_db()
    assert (request.state, request.escalated_at, request.reminded_at) == (
        S.AWAITING_PUBLISHER,
        None,
        None,
    )
    refused = act(client_for("division_lead"), request, "approve", capture)
    assert refused.status_code == 403
