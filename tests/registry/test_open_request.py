"""One open request per requesting organisation and dataset: a second one answers 409
`open_request_exists` naming the first, and eligibility says so beforehand. Open means
undecided: submitted or awaiting a decision. Once decided (approved, active, or ended) the
organisation may ask again, e.g. to renew before its grant ends. (Two at once, and the
Idempotency-Key: test_concurrency.py, test_idempotency.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from datasets.models import Dataset
from registry.models import AccessPolicy, ApprovalRoute, SharingRequest
from registry.models import SharingRequestState as S
from registry.services import agreements
from tests.common.problems import assert_problem
from tests.factories import DatasetFactory, DatasetVersionFactory, MembershipFactory, UserFactory
from tests.personas import World
from tests.sharing import REQUEST_BODY, act

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], APIClient]
Submit = Callable[..., SharingRequest]
SetRoute = Callable[..., AccessPolicy]
URL = reverse("sharing-request-list")
OPEN = [S.SUBMITTED, S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD]
DECIDED = [S.ACTIVE, S.REJECTED, S.WITHDRAWN, S.EXPIRED, S.REVOKED]


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def _ask(client: APIClient, dataset: Dataset, capture: Any, run_check: bool = True) -> Any:
    with capture(execute=run_check):
        return client.post(URL, {**REQUEST_BODY, "dataset": str(dataset.pk)}, format="json")


@pytest.fixture
def bring(
    client_for: ClientFor,
    submit: Submit,
    set_route: SetRoute,
    shared_dataset: Dataset,
    capture: Any,
) -> Callable[[str], SharingRequest]:
    """other's first request for the shared dataset, brought into `state` through the API and
    the sweeps."""
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)

    def make(state: str) -> SharingRequest:
        if state == S.SUBMITTED:  # the worker's check never runs
            response = _ask(client_for("outsider_member"), shared_dataset, capture, False)
            return SharingRequest.objects.get(pk=response.json()["id"])
        starts = {"start_at": (timezone.now() + timedelta(days=10)).isoformat()}
        request = submit(**(starts if state == S.APPROVED else {}))
        if state == S.REJECTED:
            act(client_for("steward"), request, "reject", capture, reason="no")
        elif state == S.WITHDRAWN:
            act(client_for("outsider_member"), request, "withdraw", capture)
        elif state != S.AWAITING_PUBLISHER:
            act(client_for("steward"), request, "approve", capture)
            if state != S.AWAITING_DIVISION_LEAD:
                act(client_for("division_lead"), request, "approve", capture)
            if state == S.EXPIRED:
                agreements.grants_expire(now=timezone.now() + timedelta(days=365))
            elif state == S.REVOKED:
                act(client_for("steward"), request, "revoke", capture, reason="breach")
        request.refresh_from_db()
        assert request.state == state
        return request

    return make


@pytest.mark.parametrize("state", OPEN)
@pytest.mark.parametrize("persona", ["outsider_member", "outsider_steward"])
def test_a_second_request_while_one_is_open_is_refused(
    state: str,
    persona: str,
    bring: Callable[[str], SharingRequest],
    client_for: ClientFor,
    shared_dataset: Dataset,
    capture: Any,
) -> None:
    """Whoever of the organisation asks (the same member or a colleague)."""
    first = bring(state)
    response = _ask(client_for(persona), shared_dataset, capture)

    problem = assert_problem(response, 409, "open_request_exists")
    assert problem["open_request"] == str(first.pk)
    assert problem["open_request_state"] == state
    assert problem["open_request_url"] == reverse("sharing-request-detail", kwargs={"pk": first.pk})
    assert str(first.pk) in problem["detail"]
    assert SharingRequest.objects.filter(dataset=shared_dataset).count() == 1


@pytest.mark.parametrize("state", DECIDED)
def test_a_new_request_once_the_first_is_decided(
    state: str,
    bring: Callable[[str], SharingRequest],
    client_for: ClientFor,
    shared_dataset: Dataset,
    capture: Any,
) -> None:
    first = bring(state)
    response = _ask(client_for("outsider_member"), shared_dataset, capture)

    assert response.status_code == 201, response.json()
    assert response.json()["id"] != str(first.pk)


def test_other_organisations_and_other_datasets_are_not_held_up(
    world: World,
    bring: Callable[[str], SharingRequest],
    client_for: ClientFor,
    shared_dataset: Dataset,
    capture: Any,
) -> None:
    bring(S.AWAITING_PUBLISHER)
    another = DatasetFactory.create(publisher=world.acme, division=world.ai_factory)
    DatasetVersionFactory.create(dataset=another, version="1.0.0")

    # acme's own member asks for its dataset; other asks for another dataset.
    assert _ask(client_for("member"), shared_dataset, capture).status_code == 201
    assert _ask(client_for("outsider_member"), another, capture).status_code == 201


# --- eligibility says so beforehand -------------------------------------------------------------


def _eligibility(client: APIClient, dataset: Dataset) -> Any:
    url = reverse("dataset-eligibility", kwargs={"dataset": dataset.slug})
    body = {key: REQUEST_BODY[key] for key in ("purpose", "period_days", "accepted_obligations")}
    return client.post(url, body, format="json")


@pytest.mark.parametrize("persona", ["outsider_member", "outsider_steward"])
def test_eligibility_names_the_open_request(
    persona: str,
    bring: Callable[[str], SharingRequest],
    client_for: ClientFor,
    shared_dataset: Dataset,
) -> None:
    first = bring(S.AWAITING_PUBLISHER)
    response = _eligibility(client_for(persona), shared_dataset)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["eligible"] is False
    assert [reason["code"] for reason in body["reasons"]] == ["open_request_exists"]
    assert body["open_request"] == {
        "id": str(first.pk),
        "state": S.AWAITING_PUBLISHER,
        "url": reverse("sharing-request-detail", kwargs={"pk": first.pk}),
    }


def test_eligibility_of_another_organisation_is_not_affected(
    world: World, bring: Callable[[str], SharingRequest], shared_dataset: Dataset
) -> None:
    bring(S.ACTIVE)
    third = MembershipFactory.create(user=UserFactory.create(email="third@example.kr")).user
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(third)

    body = _eligibility(client, shared_dataset).json()

    assert (body["eligible"], body["reasons"], body["open_request"]) == (True, [], None)


def test_eligibility_after_the_request_closed(
    bring: Callable[[str], SharingRequest], client_for: ClientFor, shared_dataset: Dataset
) -> None:
    bring(S.WITHDRAWN)
    body = _eligibility(client_for("outsider_member"), shared_dataset).json()

    assert body["open_request"] is None
    assert body["eligible"] is True
