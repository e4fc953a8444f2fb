"""Races on real parallel connections: each thread has its own PostgreSQL connection.

The races commit (transaction=True), so Django empties every table afterwards, the divisions
made by the data migration included; a module fixture recreates them after each flush so that
later tests (and the next `--reuse-db` run) still find them. The stale-read tests need no second
connection and run in an ordinary test transaction.

Where a race is forced into one interleaving, the run holding the lock waits until the other
connection is seen blocked on that lock (pg_locks), so the test shows that the two really
overlapped and that the second one waited rather than read a stale state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import MembershipRole, User
from accounts.selectors import actor_for
from audit.chain import audit_verify
from audit.models import AuditEvent
from datasets.models import Dataset
from registry import selectors, tasks
from registry.models import (
    AccessPolicy,
    Agreement,
    ApprovalRoute,
    Grant,
    SharingRequest,
    SharingRequestEvent,
)
from registry.models import SharingRequestState as S
from registry.services import agreements, policies, sharing_requests
from tests.common.problems import assert_problem
from tests.factories import MembershipFactory, UserFactory
from tests.personas import World
from tests.sharing import REQUEST_BODY, act, dataset_without_policy

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("divisions_survive_the_flush"),
]

Submit = Callable[..., SharingRequest]
SetRoute = Callable[..., AccessPolicy]


def run_together(calls: list[Callable[[], Any]], timeout: float = 30) -> list[Any]:
    """Start every call at the same moment, each in its own thread and database connection;
    return each call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def _post(user: User, url: str, body: dict[str, Any]) -> Callable[[], Any]:
    def call() -> Any:
        client = APIClient()
        client.force_authenticate(user)
        return client.post(url, body, format="json")

    return call


def _stewards(world: World, count: int) -> list[User]:
    extra = [
        MembershipFactory.create(
            user=UserFactory.create(email=f"steward{n}@example.kr"),
            organization=world.acme,
            role=MembershipRole.DATA_STEWARD,
        ).user
        for n in range(count - 1)
    ]
    return [world.users["steward"], *extra]


def _to_states(request: SharingRequest) -> list[str]:
    return list(
        SharingRequestEvent.objects.filter(sharing_request=request)
        .order_by("id")
        .values_list("to_state", flat=True)
    )


def _no_chain_problems() -> None:
    assert [str(problem) for problem in audit_verify()] == []


def _wait_until_blocked_on_my_locks(timeout: float = 10) -> bool:
    """From inside the transaction that holds a lock: wait until another connection is waiting
    for one of this connection's locks. False when none did within `timeout`."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # pg_locks is read live (pg_stat_activity would be a per-transaction snapshot).
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks "
                "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


# --- approvals --------------------------------------------------------------------------------


def test_many_stewards_approve_at_once_one_wins(
    world: World, submit: Submit, set_route: SetRoute
) -> None:
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    assert request.state == S.AWAITING_PUBLISHER
    url = reverse("sharing-request-approve", kwargs={"pk": request.pk})

    responses = run_together([_post(user, url, {}) for user in _stewards(world, 8)])

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7
    for response in responses:
        if response.status_code == 409:
            body = assert_problem(response, 409, "invalid_transition")
            assert (body["current_state"], body["dsp_state"]) == (S.ACTIVE, "FINALIZED")
    request.refresh_from_db()
    assert request.state == S.ACTIVE
    assert Agreement.objects.filter(sharing_request=request).count() == 1
    assert Grant.objects.filter(agreement__sharing_request=request).count() == 1
    assert _to_states(request) == [S.SUBMITTED, S.AWAITING_PUBLISHER, S.APPROVED, S.ACTIVE]
    winner = next(r for r in responses if r.status_code == 200).json()
    assert winner["state"] == S.ACTIVE
    _no_chain_problems()


def test_lead_and_steward_decide_at_once_one_wins(
    world: World,
    submit: Submit,
    set_route: SetRoute,
    client_for: Callable[[str], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)
    kwargs = {"pk": request.pk}

    responses = run_together(
        [
            _post(
                world.users["division_lead"], reverse("sharing-request-approve", kwargs=kwargs), {}
            ),
            _post(
                world.users["steward"],
                reverse("sharing-request-reject", kwargs=kwargs),
                {"reason": "wait"},
            ),
            _post(
                world.users["outsider_member"],
                reverse("sharing-request-withdraw", kwargs=kwargs),
                {},
            ),
        ]
    )

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    assert sorted(r.status_code for r in responses).count(200) == 1
    for loser in responses:
        if loser.status_code != 200:
            # The lead too: once the request left their step it is a conflict, not a 403.
            assert_problem(loser, 409, "invalid_transition")
    winner = next(r for r in responses if r.status_code == 200).json()
    request.refresh_from_db()
    assert request.state == winner["state"]
    after_lead_step = _to_states(request)[3:]
    assert after_lead_step in ([S.APPROVED, S.ACTIVE], [S.REJECTED], [S.WITHDRAWN])
    assert after_lead_step[-1] == request.state
    has_agreement = Agreement.objects.filter(sharing_request=request).exists()
    assert has_agreement == (request.state == S.ACTIVE)
    _no_chain_problems()


# --- revocations ------------------------------------------------------------------------------


def test_two_revocations_at_once_one_wins(
    world: World, submit: Submit, set_route: SetRoute
) -> None:
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    assert request.state == S.ACTIVE
    url = reverse("sharing-request-revoke", kwargs={"pk": request.pk})

    responses = run_together(
        [
            _post(world.users["steward"], url, {"reason": "steward says"}),
            _post(world.users["secretariat"], url, {"reason": "secretariat says"}),
        ]
    )

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert assert_problem(loser, 409, "invalid_transition")["current_state"] == S.REVOKED
    revoked = SharingRequestEvent.objects.filter(sharing_request=request, to_state=S.REVOKED)
    assert revoked.count() == 1
    event = revoked.get()
    grant = Grant.objects.get(agreement__sharing_request=request)
    # The grant names the same revoker and reason as the one event.
    assert (grant.revoked_by_id, grant.revocation_reason) == (event.actor_id, event.comment)
    _no_chain_problems()


def test_expiry_and_revocation_at_once_end_the_request_once(
    world: World, submit: Submit, set_route: SetRoute
) -> None:
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    grant = Grant.objects.get(agreement__sharing_request=request)
    url = reverse("sharing-request-revoke", kwargs={"pk": request.pk})

    results = run_together(
        [
            lambda: agreements.grants_expire(now=grant.valid_until),
            _post(world.users["steward"], url, {"reason": "breach"}),
        ]
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    request.refresh_from_db()
    assert request.state in (S.EXPIRED, S.REVOKED)
    assert _to_states(request)[-2:] == [S.ACTIVE, request.state]
    grant.refresh_from_db()
    assert (grant.revoked_at is not None) == (request.state == S.REVOKED)


# --- the worker's check, delivered twice ------------------------------------------------------


def test_check_run_twice_at_once_is_a_no_op_for_the_second(
    world: World,
    shared_dataset: Dataset,
    set_route: SetRoute,
    client_for: Callable[[str], APIClient],
) -> None:
    set_route(ApprovalRoute.AUTOMATIC)
    with mock.patch.object(tasks.check_sharing_request, "apply_async"):  # stays queued
        created = client_for("outsider_member").post(
            reverse("sharing-request-list"),
            {**REQUEST_BODY, "dataset": str(shared_dataset.pk)},
            format="json",
        )
    assert created.status_code == 201, created.json()
    request_id = created.json()["id"]
    assert SharingRequest.objects.get(pk=request_id).state == S.SUBMITTED

    # Two deliveries at once: the first run, while evaluating, waits until the second is
    # blocked on the request's row; the second then finds it checked and returns it as it is.
    evaluate = policies.eligibility_evaluate
    waited: list[bool] = []

    def evaluate_while_the_other_waits(**kwargs: Any) -> Any:
        waited.append(_wait_until_blocked_on_my_locks())
        return evaluate(**kwargs)

    with mock.patch.object(
        sharing_requests, "eligibility_evaluate", evaluate_while_the_other_waits
    ):
        results = run_together(
            [
                lambda: sharing_requests.sharing_request_check(sharing_request_id=request_id)
                for _ in range(2)
            ]
        )

    assert [type(r).__name__ for r in results] == ["SharingRequest", "SharingRequest"], results
    assert waited == [True]  # one evaluation, during which the other run waited for the lock
    assert sorted(r.state for r in results) == [S.ACTIVE, S.ACTIVE]
    request = SharingRequest.objects.get(pk=request_id)
    assert _to_states(request) == [S.SUBMITTED, S.APPROVED, S.ACTIVE]
    assert Agreement.objects.filter(sharing_request=request).count() == 1
    _no_chain_problems()


# --- a decision made on a stale read ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "verb"), [("steward", "reject"), ("outsider_member", "withdraw")]
)
def test_event_records_the_state_actually_left(
    persona: str,
    verb: str,
    world: World,
    submit: Submit,
    set_route: SetRoute,
    client_for: Callable[[str], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The event records the state the move left (read under the row lock), not the state the
    caller loaded before another decision landed."""
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    actor = actor_for(world.users[persona])
    # What the reject/withdraw view loaded before the other decision committed.
    stale = selectors.sharing_request_get(actor=actor, pk=str(request.pk))
    assert stale is not None
    assert stale.state == S.AWAITING_PUBLISHER
    moved = act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)
    assert moved.json()["state"] == S.AWAITING_DIVISION_LEAD

    if verb == "reject":
        sharing_requests.sharing_request_reject(actor=actor, sharing_request=stale, reason="no")
    else:
        sharing_requests.sharing_request_withdraw(actor=actor, sharing_request=stale)

    last = SharingRequestEvent.objects.filter(sharing_request=request).order_by("id").last()
    assert last is not None
    assert (last.from_state, last.to_state) == (
        S.AWAITING_DIVISION_LEAD,
        S.REJECTED if verb == "reject" else S.WITHDRAWN,
    )


# --- idempotent create, retried while the first is still running -----------------------------


def _create_with_key(user: User, body: dict[str, Any], key: str) -> Callable[[], Any]:
    def call() -> Any:
        client = APIClient()
        client.force_authenticate(user)
        return client.post(
            reverse("sharing-request-list"), body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )

    return call


def test_twenty_retries_at_once_all_answer_the_one_request(
    world: World, shared_dataset: Dataset, set_route: SetRoute
) -> None:
    set_route(ApprovalRoute.PUBLISHER)
    body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk)}
    user = world.users["outsider_member"]

    responses = run_together([_create_with_key(user, body, "retry-20")] * 20)

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    request = SharingRequest.objects.get(requested_by=user)
    statuses = sorted(r.status_code for r in responses)
    # One made it; every other call answers with it, none with a conflict.
    assert statuses == [200] * 19 + [201], [r.json() for r in responses]
    assert {r.json()["id"] for r in responses} == {str(request.pk)}
    assert _to_states(request)[0] == S.SUBMITTED
    assert _to_states(request).count(S.SUBMITTED) == 1


def test_a_retry_waits_for_the_first_call_then_answers_with_its_request(
    world: World, shared_dataset: Dataset, set_route: SetRoute
) -> None:
    set_route(ApprovalRoute.PUBLISHER)
    body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk)}
    user = world.users["outsider_member"]
    # The call that goes on to create holds it back until the other connection is seen blocked
    # on its locks: the retry overlaps the first call and waits instead of looking up too soon.
    entered: list[bool] = []
    policy_ensure = policies.policy_ensure

    def policy_once_the_retry_waits(**kwargs: Any) -> Any:
        entered.append(_wait_until_blocked_on_my_locks())
        return policy_ensure(**kwargs)

    with mock.patch.object(sharing_requests, "policy_ensure", policy_once_the_retry_waits):
        responses = run_together([_create_with_key(user, body, "retry-1")] * 2)

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    assert entered == [True]  # only one call went on to create, and the other was waiting
    request = SharingRequest.objects.get(requested_by=user)
    assert sorted(r.status_code for r in responses) == [200, 201]
    assert {r.json()["id"] for r in responses} == {str(request.pk)}


def test_two_requests_of_one_organisation_at_once_make_one(
    world: World, shared_dataset: Dataset, set_route: SetRoute
) -> None:
    """Two colleagues ask for the same dataset at the same moment, past the check for an open
    request: the database's constraint lets one win, the other gets 409 naming it."""
    set_route(ApprovalRoute.PUBLISHER)
    body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk)}
    both_looked = threading.Barrier(2, timeout=20)
    policy_ensure = policies.policy_ensure

    def policy_after_both_looked(**kwargs: Any) -> Any:
        both_looked.wait()
        return policy_ensure(**kwargs)

    def create_as(persona: str) -> Callable[[], Any]:
        def create() -> Any:
            client = APIClient()
            client.force_authenticate(world.users[persona])
            return client.post(reverse("sharing-request-list"), body, format="json")

        return create

    with mock.patch.object(sharing_requests, "policy_ensure", policy_after_both_looked):
        responses = run_together([create_as("outsider_member"), create_as("outsider_steward")])

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    request = SharingRequest.objects.get(requester=world.other)
    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409)
    problem = assert_problem(loser, 409, "open_request_exists")
    assert problem["open_request"] == str(request.pk)


# --- the first use of a dataset's policy -------------------------------------------------------


def test_first_policy_uses_at_once_make_one_policy(world: World) -> None:
    # A dataset from before every dataset got a policy at creation: reads show its defaults
    # unsaved; the first writes that need the row (policy_ensure: sharing requests) save it.
    dataset = dataset_without_policy(publisher=world.acme, division=world.ai_factory)
    # Both find no policy; the first to lock the dataset writes revision 1 while the other
    # waits for the lock, and the other then returns that revision instead of writing.
    policy_set = policies.policy_set
    waited: list[bool] = []

    def policy_set_while_the_other_waits(**kwargs: Any) -> AccessPolicy:
        waited.append(_wait_until_blocked_on_my_locks())
        return policy_set(**kwargs)

    def ensure() -> AccessPolicy:
        return policies.policy_ensure(dataset=dataset)

    with mock.patch.object(policies, "policy_set", policy_set_while_the_other_waits):
        results = run_together([ensure, ensure])

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert waited == [True]  # one write, during which the other waited for the lock
    assert results[0].pk == results[1].pk
    assert results[0].revision == 1
    assert AccessPolicy.objects.filter(dataset=dataset).count() == 1
    events = AuditEvent.objects.filter(action="policy.changed", object_id=str(dataset.pk))
    assert [(e.actor_id, e.data["revision"]) for e in events] == [(None, 1)]
    _no_chain_problems()
