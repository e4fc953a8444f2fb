"""Every decision takes `reason`; a person's reason lands in `decision_reasons`, the history, the
audit chain and the requester's email. Reject and revoke need one; approve and withdraw may
have one. (Who may take each decision in each state: test_permission_matrix.py and
test_state_machine.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from registry.models import AccessPolicy, ApprovalRoute, Grant, SharingRequest
from registry.models import SharingRequestState as S
from tests.common.problems import assert_field_error
from tests.sharing import act

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], APIClient]
Submit = Callable[..., SharingRequest]
SetRoute = Callable[..., AccessPolicy]
WHY = "목적이 너무 넓습니다 / the purpose is too broad"


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def _reasons(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.json()
    return list(response.json()["decision_reasons"])


@pytest.mark.parametrize("persona", ["steward", "division_lead"])
def test_a_rejection_records_its_reason(
    persona: str,
    client_for: ClientFor,
    submit: Submit,
    set_route: SetRoute,
    capture: Any,
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    if persona == "division_lead":  # the lead decides at their own step
        act(client_for("steward"), request, "approve", capture)
    response = act(client_for(persona), request, "reject", capture, reason=WHY)

    code = "rejected_by_publisher" if persona == "steward" else "rejected_by_division_lead"
    assert _reasons(response) == [{"code": code, "message": WHY}]
    assert response.json()["state"] == S.REJECTED
    assert response.json()["events"][-1]["comment"] == WHY
    audited = AuditEvent.objects.get(object_id=str(request.pk), action="sharing_request.rejected")
    assert audited.data["comment"] == WHY
    # The requester reads it, in every view of the request and in the email.
    requester_view = client_for("outsider_member").get(
        reverse("sharing-request-detail", kwargs={"pk": request.pk})
    )
    assert requester_view.json()["decision_reasons"] == [{"code": code, "message": WHY}]
    rejected_mail = [m for m in mail.outbox if "Request rejected" in m.subject]
    assert rejected_mail
    assert WHY in rejected_mail[-1].body


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_rejection_needs_a_reason(
    body: dict[str, Any], client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()
    response = act(client_for("steward"), request, "reject", capture, **body)

    assert_field_error(response, "reason", "required" if not body else "blank")
    request.refresh_from_db()
    assert (request.state, request.decision_reasons) == (S.AWAITING_PUBLISHER, [])


def test_comment_is_no_longer_a_field_of_reject(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()
    response = act(client_for("steward"), request, "reject", capture, comment=WHY)

    assert_field_error(response, "comment", "unknown_field")
    assert_field_error(response, "reason", "required")
    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER


@pytest.mark.parametrize(
    ("persona", "code"),
    [("steward", "revoked_by_publisher"), ("secretariat", "revoked_by_secretariat")],
)
def test_a_revocation_records_its_reason(
    persona: str, code: str, client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()
    act(client_for("steward"), request, "approve", capture)
    response = act(client_for(persona), request, "revoke", capture, reason="terms breached")

    assert _reasons(response) == [{"code": code, "message": "terms breached"}]
    assert response.json()["state"] == S.REVOKED
    grant = Grant.objects.get(agreement__sharing_request=request)
    assert grant.revocation_reason == "terms breached"


def test_a_revocation_needs_a_reason(client_for: ClientFor, submit: Submit, capture: Any) -> None:
    request = submit()
    act(client_for("steward"), request, "approve", capture)
    response = act(client_for("steward"), request, "revoke", capture, reason=" ")

    assert_field_error(response, "reason", "blank")
    request.refresh_from_db()
    assert request.state == S.ACTIVE


def test_withdraw_and_approve_record_a_reason_when_given(
    client_for: ClientFor, submit: Submit, set_route: SetRoute, capture: Any
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    withdrawn = submit()
    response = act(
        client_for("outsider_member"), withdrawn, "withdraw", capture, reason="found another"
    )
    assert _reasons(response) == [{"code": "withdrawn_by_requester", "message": "found another"}]

    # Reasons add up over the steps: the publisher's approval, then the lead's refusal (a new
    # request: the withdrawn one is closed).
    request = submit()
    approved = act(client_for("steward"), request, "approve", capture, reason="fine by us")
    assert _reasons(approved) == [{"code": "approved_by_publisher", "message": "fine by us"}]
    rejected = act(client_for("division_lead"), request, "reject", capture, reason=WHY)
    assert _reasons(rejected) == [
        {"code": "approved_by_publisher", "message": "fine by us"},
        {"code": "rejected_by_division_lead", "message": WHY},
    ]


def test_an_approval_without_a_reason_adds_none(
    client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    request = submit()
    response = act(client_for("steward"), request, "approve", capture)

    assert _reasons(response) == []
    assert response.json()["state"] == S.ACTIVE


@pytest.mark.parametrize("verb", ["approve", "reject", "withdraw", "revoke"])
def test_a_person_who_may_not_decide_records_nothing(
    verb: str, client_for: ClientFor, submit: Submit, capture: Any
) -> None:
    """The bystanders who see the request: the requester cannot approve, reject or revoke; the
    publisher cannot withdraw."""
    request = submit()
    persona = "steward" if verb == "withdraw" else "outsider_member"
    response = act(client_for(persona), request, verb, capture, reason="mine")

    assert response.status_code == 403, response.json()
    request.refresh_from_db()
    assert (request.state, request.decision_reasons) == (S.AWAITING_PUBLISHER, [])
