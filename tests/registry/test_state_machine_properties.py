"""Properties of the sharing-request state machine, under any sequence of actions by anyone.

Hypothesis drives a RuleBasedStateMachine: the personas of tests/conftest.py submit requests for
a members-only and a restricted dataset of acme, approve, reject, withdraw and revoke them
through the API, return them for changes and resubmit them (with changes, checked again), the
worker's check runs (late, twice, or after a withdrawal), the publisher
changes the approval route, and time passes for the beat sweeps (reminders, escalation, timed
release, expiry). Refusals (401, 403, 404, 409, 400) are expected outcomes; a 5xx never is.
Bounded: 50 examples of up to 12 steps, about 40 s.

After every step, for every request the example made:

- its events form one chain from "" to its current state, each move one the workflow allows
  (`MOVES`), made by someone allowed to make it, and never out of a final state;
- the audit chain holds (`audit_verify` finds nothing) and carries one
  `sharing_request.<state>` event per move, in the same order;
- it has an agreement and a grant exactly when it was approved (at most one of each, ever),
  the grant revoked exactly when the request is;
- a two-step route was approved by the steward and then by the division lead since the request
  was last submitted (a resubmission starts over, under the policy in force then), and a
  restricted dataset's requests are on the two-step route;
- a refused call wrote nothing, and a request once seen in a final state never changes.

Each example runs in a savepoint that its teardown rolls back, so examples never see each
other's rows; the personas and datasets, made once per test, are shared by all of them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from psycopg import sql
from rest_framework.test import APIClient

from audit.chain import audit_verify
from audit.models import AuditEvent
from datasets.models import Dataset, Distribution, Sensitivity
from registry import tasks
from registry.models import (
    FINAL_STATES,
    OPEN_REQUEST_STATES,
    Agreement,
    ApprovalRoute,
    Grant,
    Purpose,
    SharingRequest,
    SharingRequestEvent,
)
from registry.models import SharingRequestState as S
from registry.services import agreements, policies, reminders
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import PERSONAS, World

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], APIClient]

# Every move the workflow allows: (from, to) -> who may make it. "system" is the worker's check
# or a beat sweep; "approver" is whoever made the approval the activation follows.
REQUESTERS = "requester"  # a member of the requesting organisation
MOVES: dict[tuple[str, str], frozenset[str]] = {
    ("", S.SUBMITTED): frozenset({REQUESTERS}),
    (S.SUBMITTED, S.AWAITING_PUBLISHER): frozenset({"system"}),
    (S.SUBMITTED, S.REJECTED): frozenset({"system"}),
    (S.SUBMITTED, S.APPROVED): frozenset({"system"}),
    (S.SUBMITTED, S.WITHDRAWN): frozenset({REQUESTERS}),
    (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD): frozenset({"steward"}),
    (S.AWAITING_PUBLISHER, S.APPROVED): frozenset({"steward", "division_lead"}),
    (S.AWAITING_PUBLISHER, S.REJECTED): frozenset({"steward", "division_lead"}),
    (S.AWAITING_PUBLISHER, S.WITHDRAWN): frozenset({REQUESTERS}),
    (S.AWAITING_DIVISION_LEAD, S.APPROVED): frozenset({"division_lead"}),
    (S.AWAITING_DIVISION_LEAD, S.REJECTED): frozenset({"steward", "division_lead"}),
    (S.AWAITING_DIVISION_LEAD, S.WITHDRAWN): frozenset({REQUESTERS}),
    (S.AWAITING_PUBLISHER, S.RETURNED): frozenset({"steward", "division_lead"}),
    (S.AWAITING_DIVISION_LEAD, S.RETURNED): frozenset({"steward", "division_lead"}),
    (S.RETURNED, S.SUBMITTED): frozenset({REQUESTERS}),
    (S.RETURNED, S.WITHDRAWN): frozenset({REQUESTERS}),
    (S.APPROVED, S.ACTIVE): frozenset({"system", "approver"}),
    (S.APPROVED, S.REVOKED): frozenset({"steward", "secretariat"}),
    (S.ACTIVE, S.REVOKED): frozenset({"steward", "secretariat"}),
    (S.ACTIVE, S.EXPIRED): frozenset({"system"}),
}
AGREED_STATES = frozenset({S.APPROVED, S.ACTIVE, S.EXPIRED, S.REVOKED})
# What an API call may answer; anything else (a 5xx above all) fails the example.
EXPECTED_STATUSES = frozenset({200, 201, 400, 401, 403, 404, 409})
COUNTED = (SharingRequest, SharingRequestEvent, Agreement, Grant, AuditEvent)

# The organisation each persona belongs to (tests/conftest.py's world).
ORGANISATION_OF = {
    "member": "acme",
    "steward": "acme",
    "org_admin": "acme",
    "outsider_member": "other",
    "outsider_steward": "other",
}

# Every persona acts. A quarter of the time it is "entitled", the persona whose role fits the
# action in the request's current state (as a real approver would be), so that sequences reach
# the later states; a quarter of the time a "bystander", who sees the request but whose role
# does not fit the action (the requester approving, the publisher withdrawing), so that
# permission checks are put to the test in every state; otherwise any persona. A request mostly
# asks for what the policy allows.
ENTITLED, BYSTANDER = "entitled", "bystander"
personas = st.sampled_from([ENTITLED, BYSTANDER]) | st.sampled_from(PERSONAS)
requesters = st.sampled_from(PERSONAS) | st.sampled_from(["outsider_member", "outsider_steward"])
comments = st.sampled_from(["", "ok", "검토 완료 / reviewed"])
ELIGIBLE_OBLIGATIONS = ["attribution", "delete_at_expiry"]
# What a resubmission changes (terms left out stay as they were).
changes = st.fixed_dictionaries(
    {},
    optional={
        "period_days": st.sampled_from([30, 90, 400]),
        "purpose": st.sampled_from([p.value for p in Purpose]),
        "accepted_obligations": st.sampled_from([ELIGIBLE_OBLIGATIONS, []]),
    },
)
# A few requests per example, so that its steps go into taking them far rather than into
# making many.
MAX_REQUESTS = 3


@dataclass
class Context:
    world: World
    client_for: ClientFor
    capture: Any  # django_capture_on_commit_callbacks
    members_dataset: Dataset
    restricted_dataset: Dataset


def _published_dataset(world: World, sensitivity: str) -> Dataset:
    dataset = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=sensitivity
    )
    version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    distribution = Distribution(version=version, format="csv", media_type="text/csv", byte_size=9)
    distribution.file.save("sample.csv", ContentFile(b"ts,value\n"), save=False)
    distribution.save()
    return dataset


class SharingRequestMachine(RuleBasedStateMachine):
    sharing_requests = Bundle("sharing_requests")

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context
        self.world = context.world
        self.persona_of = {user.pk: name for name, user in context.world.users.items()}
        self.days_passed = 0
        self.time_jumps = 0
        self.policy_revisions = 0
        self.created: list[str] = []
        self.unchecked: list[str] = []  # submitted, their check's message lost
        self.returned: list[str] = []  # returned for changes (and maybe moved on since)
        self.final_seen: dict[str, tuple[str, int]] = {}
        # One savepoint per example, rolled back in teardown().
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------------

    def counts(self) -> tuple[Any, ...]:
        """What a refused call must leave as it was, in one query: the row counts of the
        workflow's tables, the revoked grants, and every request's state."""
        count = sql.SQL("(SELECT count(*) FROM {})")
        columns = [count.format(sql.Identifier(model._meta.db_table)) for model in COUNTED]
        columns += [
            sql.SQL("(SELECT count(*) FROM {} WHERE revoked_at IS NOT NULL)").format(
                sql.Identifier(Grant._meta.db_table)
            ),
            sql.SQL("(SELECT array_agg(id::text || ':' || state ORDER BY id) FROM {})").format(
                sql.Identifier(SharingRequest._meta.db_table)
            ),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("SELECT {}").format(sql.SQL(", ").join(columns)))
            row = cursor.fetchone()
        return tuple(row or ())

    def expect(self, response: Any, before: tuple[Any, ...]) -> None:
        """An answer the API may give (never a 5xx); a refusal leaves the database as it was."""
        assert response.status_code in EXPECTED_STATUSES, (
            response.status_code,
            response.content[:500],
        )
        if response.status_code >= 400:
            assert self.counts() == before, f"a {response.status_code} wrote to the database"

    def entitled(self, request: SharingRequest, verb: str, other: bool) -> str:
        """Who the workflow lets take `verb` on `request` in its current state (of two such
        personas, the second when `other`)."""
        if verb in ("withdraw", "resubmit"):
            if request.requester_id == self.world.other.pk:
                return "outsider_steward" if other else "outsider_member"
            return "org_admin" if other else "member"
        if verb == "approve" and request.state == S.AWAITING_DIVISION_LEAD:
            return "division_lead"
        if verb in ("reject", "return") and request.state == S.AWAITING_DIVISION_LEAD and other:
            return "division_lead"
        if verb == "revoke" and other:
            return "secretariat"
        return "steward"

    def bystander(self, request: SharingRequest, verb: str, other: bool) -> str:
        """Someone who sees `request` (or may) but whose role does not let them take `verb`."""
        requester = "outsider_member" if request.requester_id == self.world.other.pk else "member"
        if verb in ("withdraw", "resubmit"):
            return "division_lead" if other else "steward"
        if verb == "revoke":
            return "division_lead" if other else requester
        return "secretariat" if other else requester

    def now(self) -> Any:
        return timezone.now() + timedelta(days=self.days_passed)

    # --- rules ------------------------------------------------------------------------------

    def _submit(self, persona: str, body: dict[str, Any], key: str, worker_runs: bool) -> Any:
        """POST a request; the worker's check runs after commit unless its message is lost
        (`worker_runs` false), in which case only `worker_checks_again` delivers it."""
        headers = {"Idempotency-Key": key} if key else {}
        before = self.counts()
        with self.context.capture(execute=worker_runs):
            response = self.context.client_for(persona).post(
                reverse("sharing-request-list"), body, format="json", headers=headers
            )
        self.expect(response, before)
        if response.status_code == 200:  # a retry with the same key: the first request
            assert key
            assert self.counts() == before, "a retried submission wrote to the database"
        if response.status_code == 409 and response.json()["code"] == "open_request_exists":
            # A second open request of the organisation for the dataset: the answer names the
            # open one, which is of the same organisation and dataset and not final.
            named = SharingRequest.objects.get(pk=response.json()["open_request"])
            assert named.dataset_id == uuid.UUID(body["dataset"])
            assert named.state in OPEN_REQUEST_STATES
            organization = {"acme": self.world.acme, "other": self.world.other}[
                ORGANISATION_OF[persona]
            ]
            assert named.requester_id == organization.pk
        if response.status_code != 201:
            return multiple()
        pk = response.json()["id"]
        assert pk not in self.created
        self.created.append(pk)
        if not worker_runs:
            self.unchecked.append(pk)
        return pk

    @initialize(
        target=sharing_requests,
        restricted=st.booleans(),
        route=st.sampled_from([route.value for route in ApprovalRoute]),
        starts_later=st.booleans(),
        returned_at_once=st.booleans(),
    )
    def first_request(
        self, restricted: bool, route: str, starts_later: bool, returned_at_once: bool
    ) -> Any:
        """An eligible request by other's member, so that every example has one to act on;
        half the time the steward returns it for changes at once (if it waits for them), so
        that examples go on from a returned request too."""
        if not restricted:
            self.publisher_changes_the_policy(route=route, max_period_days=365)
        first = self.submit(
            persona="outsider_member",
            restricted=restricted,
            purpose=Purpose.AI_MODEL_TRAINING,
            period_days=90,
            obligations=ELIGIBLE_OBLIGATIONS,
            starts_later=starts_later,
            idempotency_key="",
            worker_runs=True,
        )
        pk = self.created[-1]  # the first request is always made
        if (
            returned_at_once
            and SharingRequest.objects.filter(pk=pk, state=S.AWAITING_PUBLISHER).exists()
        ):
            self.return_for_changes(
                pk, "steward", "기간을 줄여 주세요 / shorter, please", False, False
            )
            assert SharingRequest.objects.get(pk=pk).state == S.RETURNED
        return first

    @precondition(lambda self: len(self.created) < MAX_REQUESTS)
    @rule(
        target=sharing_requests,
        persona=requesters,
        restricted=st.booleans(),
        purpose=st.sampled_from([p.value for p in Purpose]),
        period_days=st.sampled_from([1, 30, 90, 180, 365, 400]) | st.just(90),
        obligations=st.just(ELIGIBLE_OBLIGATIONS) | st.sampled_from([["attribution"], []]),
        starts_later=st.booleans(),
        idempotency_key=st.sampled_from(["", "", "retry-1"]),
        worker_runs=st.just(True) | st.booleans(),
    )
    def submit(
        self,
        persona: str,
        restricted: bool,
        purpose: str,
        period_days: int,
        obligations: list[str],
        starts_later: bool,
        idempotency_key: str,
        worker_runs: bool,
    ) -> Any:
        dataset = self.context.restricted_dataset if restricted else self.context.members_dataset
        body: dict[str, Any] = {
            "dataset": str(dataset.pk),
            "purpose": purpose,
            "justification": "예지보전 모델 학습 / predictive maintenance",
            "period_days": period_days,
            "accepted_obligations": obligations,
        }
        if starts_later:  # timed release: approved, then active when the sweep starts it
            body["start_at"] = (timezone.now() + timedelta(days=10)).isoformat()
        return self._submit(persona, body, idempotency_key, worker_runs)

    def _act(
        self,
        verb: str,
        sharing_request: str,
        persona: str,
        text: str,
        other: bool,
        body: dict[str, Any] | None = None,
        worker_runs: bool = True,
    ) -> Any:
        """An API decision (each takes a `reason`, a return its `comment`, a resubmission
        `body`); `other` picks the second entitled persona where there are two."""
        request = SharingRequest.objects.get(pk=sharing_request)
        before = request.state
        if persona == ENTITLED:
            persona = self.entitled(request, verb, other)
        elif persona == BYSTANDER:
            persona = self.bystander(request, verb, other)
        if body is None:
            body = {"comment" if verb == "return" else "reason": text}
        counts = self.counts()
        with self.context.capture(execute=worker_runs):
            response = self.context.client_for(persona).post(
                f"/api/v1/sharing-requests/{sharing_request}/{verb}/", body, format="json"
            )
        self.expect(response, counts)
        after = SharingRequest.objects.get(pk=sharing_request).state
        if response.status_code == 200:
            assert after != before
            # A resubmission answers `submitted`; the worker's check moves it on after commit.
            expected = S.SUBMITTED if verb == "resubmit" else after
            assert response.json()["state"] == expected
        if verb in ("reject", "revoke", "return") and not text:
            assert response.status_code != 200, f"{verb} needs a reason"
        return response

    # One rule per decision (rather than one with the verb as an argument), so that decisions
    # take most of the steps.
    decision = rule(
        sharing_request=sharing_requests, persona=personas, text=comments, other=st.booleans()
    )

    @decision
    def approve(self, sharing_request: str, persona: str, text: str, other: bool) -> None:
        self._act("approve", sharing_request, persona, text, other)

    @decision
    def reject(self, sharing_request: str, persona: str, text: str, other: bool) -> None:
        self._act("reject", sharing_request, persona, text, other)

    @decision
    def withdraw(self, sharing_request: str, persona: str, text: str, other: bool) -> None:
        self._act("withdraw", sharing_request, persona, text, other)

    @rule(
        sharing_request=sharing_requests,
        persona=st.just(ENTITLED) | personas,
        text=comments,
        other=st.booleans(),
        a_waiting_one=st.booleans(),
    )
    def return_for_changes(
        self, sharing_request: str, persona: str, text: str, other: bool, a_waiting_one: bool
    ) -> None:
        """Half the time for a request of the example at a decision step, if there is one, and
        mostly by someone entitled, so that returned requests are common enough to be
        resubmitted."""
        waiting = SharingRequest.objects.filter(
            pk__in=self.created, state__in=(S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)
        )
        if a_waiting_one and waiting.exists():
            sharing_request = str(waiting.values_list("pk", flat=True).first())
        before = SharingRequest.objects.get(pk=sharing_request).state
        self._act("return", sharing_request, persona, text, other)
        after = SharingRequest.objects.get(pk=sharing_request).state
        if after != before:
            assert before in (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)
            assert after == S.RETURNED
            self.returned.append(sharing_request)

    @rule(
        sharing_request=sharing_requests,
        persona=personas,
        other=st.booleans(),
        changes=changes,
        worker_runs=st.just(True) | st.booleans(),
    )
    def resubmit(
        self,
        sharing_request: str,
        persona: str,
        other: bool,
        changes: dict[str, Any],
        worker_runs: bool,
    ) -> None:
        """The requester resubmits a returned request, with changes; the check runs after
        commit unless its message is lost."""
        before = SharingRequest.objects.get(pk=sharing_request).state
        response = self._act(
            "resubmit", sharing_request, persona, "", other, body=changes, worker_runs=worker_runs
        )
        if response.status_code != 200:
            return
        assert before == S.RETURNED
        request = SharingRequest.objects.get(pk=sharing_request)
        for name, value in changes.items():
            assert getattr(request, name) == value, name
        if not worker_runs:
            assert request.state == S.SUBMITTED
            self.unchecked.append(sharing_request)

    @precondition(lambda self: self.returned)
    @rule(
        data=st.data(),
        persona=st.just(ENTITLED) | personas,
        other=st.booleans(),
        changes=changes,
        worker_runs=st.just(True) | st.booleans(),
    )
    def resubmit_a_returned_one(
        self,
        data: st.DataObject,
        persona: str,
        other: bool,
        changes: dict[str, Any],
        worker_runs: bool,
    ) -> None:
        """The same, for a request the example returned (few are, and few of the requests
        `resubmit` draws are returned ones)."""
        sharing_request = data.draw(st.sampled_from(self.returned), label="returned")
        self.returned.remove(sharing_request)
        self.resubmit(sharing_request, persona, other, changes, worker_runs)

    @decision
    def revoke(self, sharing_request: str, persona: str, text: str, other: bool) -> None:
        before = SharingRequest.objects.get(pk=sharing_request).state
        self._act("revoke", sharing_request, persona, text, other)
        after = SharingRequest.objects.get(pk=sharing_request).state
        if after != before:
            assert (before, after) in ((S.APPROVED, S.REVOKED), (S.ACTIVE, S.REVOKED))

    @precondition(lambda self: self.unchecked)
    @rule(sharing_request=sharing_requests, lost=st.data())
    def worker_checks_again(self, sharing_request: str, lost: st.DataObject) -> None:
        """The check delivered late (its first message lost) or again (a retry, a sweep): a
        no-op unless the request is still submitted."""
        if lost.draw(st.booleans(), label="the lost one"):
            sharing_request = self.unchecked.pop()
        before = SharingRequest.objects.get(pk=sharing_request).state
        with self.context.capture(execute=True):
            state = tasks.check_sharing_request(sharing_request)
        assert state == SharingRequest.objects.get(pk=sharing_request).state
        if before != S.SUBMITTED:
            assert state == before

    @precondition(lambda self: self.policy_revisions < 3)
    @rule(
        route=st.sampled_from([route.value for route in ApprovalRoute]),
        max_period_days=st.sampled_from([90, 365]),
    )
    def publisher_changes_the_policy(self, route: str, max_period_days: int) -> None:
        """Requests already made keep the route and terms they were made under."""
        self.policy_revisions += 1
        with self.context.capture(execute=True):
            policies.policy_set(
                dataset=self.context.members_dataset,
                actor=self.world.users["steward"],
                approval_route=route,
                max_period_days=max_period_days,
            )

    def waiting(self) -> bool:
        """Some request for which time matters (a decision due, a release or an expiry), and
        time has not jumped thrice already: the steps go to decisions."""
        return (
            self.time_jumps < 3
            and SharingRequest.objects.filter(
                pk__in=self.created,
                state__in=(S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD, S.APPROVED, S.ACTIVE),
            ).exists()
        )

    @precondition(waiting)
    @rule(days=st.sampled_from([1, 4, 8, 30, 120, 400]))
    def time_passes(self, days: int) -> None:
        """Beat's sweeps, `days` later: reminders and escalation, timed release, expiry."""
        self.days_passed += days
        self.time_jumps += 1
        with self.context.capture(execute=True):
            reminders.approvals_remind(now=self.now())
            reminders.grants_remind_expiring(now=self.now())
            agreements.grants_start(now=self.now())
            agreements.grants_expire(now=self.now())

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def one_open_request_per_organisation_and_dataset(self) -> None:
        pairs = [
            (request.requester_id, request.dataset_id)
            for request in SharingRequest.objects.filter(state__in=OPEN_REQUEST_STATES)
        ]
        assert len(pairs) == len(set(pairs)), pairs

    @invariant()
    def audit_chain_holds(self) -> None:
        assert [str(problem) for problem in audit_verify()] == []

    @invariant()
    def every_request_keeps_the_rules(self) -> None:
        for pk in self.created:
            self._check(pk)

    def _check(self, pk: str) -> None:
        request = SharingRequest.objects.select_related("dataset").get(pk=pk)
        events = list(SharingRequestEvent.objects.filter(sharing_request=request))
        moves = [(e.from_state, e.to_state) for e in events]

        # One chain of allowed moves from "" to the current state, none out of a final state.
        assert moves, "a request without its submission event"
        assert moves[0] == ("", S.SUBMITTED)
        for (_, previous_to), (from_state, _) in itertools.pairwise(moves):
            assert from_state == previous_to, moves
        assert moves[-1][1] == request.state, (moves, request.state)
        # A submission starts a round: its moves run under the route it was made under.
        rounds = list(itertools.accumulate(to == S.SUBMITTED for _, to in moves))
        for index, row in enumerate(events):
            move = (row.from_state, row.to_state)
            assert move in MOVES, f"not a move of the workflow: {move}"
            assert row.from_state not in FINAL_STATES, f"moved out of a final state: {move}"
            self._check_actor(request, row, events[index - 1] if index else None)

        # The audit chain carries one sharing_request.<state> event per move, in order, and
        # at most one escalation per submission (a resubmission waits afresh).
        actions = list(
            AuditEvent.objects.filter(object_type="sharing_request", object_id=pk)
            .order_by("id")
            .values_list("action", flat=True)
        )
        audited = [action for action in actions if action != "sharing_request.escalated"]
        assert audited == [f"sharing_request.{to_state}" for _, to_state in moves]
        escalated_rounds: list[bool] = []  # per submission: escalated while it waited
        for action in actions:
            if action == "sharing_request.submitted":
                escalated_rounds.append(False)
            elif action == "sharing_request.escalated":
                assert not escalated_rounds[-1], "escalated twice in one submission"
                escalated_rounds[-1] = True
        assert escalated_rounds[-1] == (request.escalated_at is not None)

        # An agreement and a grant exactly when approved; revoked together.
        agreement_list = list(Agreement.objects.filter(sharing_request=request))
        grant_list = list(Grant.objects.filter(agreement__sharing_request=request))
        agreed = request.state in AGREED_STATES
        assert len(agreement_list) == len(grant_list) == (1 if agreed else 0), (
            request.state,
            len(agreement_list),
            len(grant_list),
        )
        if agreed:
            assert (grant_list[0].revoked_at is not None) == (request.state == S.REVOKED)
            assert (
                AuditEvent.objects.filter(
                    action="agreement.created", object_id=str(agreement_list[0].pk)
                ).count()
                == 1
            )
            assert S.APPROVED in {to for _, to in moves}
            assert request.decided_at is not None

        # Two-step routes need both approvers; restricted data is always on one.
        if request.dataset.sensitivity == Sensitivity.RESTRICTED:
            assert request.approval_route == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD
        last_round = [move for move, n in zip(moves, rounds, strict=True) if n == rounds[-1]]
        if request.approval_route == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD and agreed:
            assert (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD) in last_round
            assert (S.AWAITING_DIVISION_LEAD, S.APPROVED) in last_round
        if request.approval_route != ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD:
            assert S.AWAITING_DIVISION_LEAD not in {to for _, to in last_round}

        # The lead decides alone at the publisher's step only once that submission escalated.
        alone = {(S.AWAITING_PUBLISHER, to) for to in (S.APPROVED, S.REJECTED, S.RETURNED)}
        for row, n in zip(events, rounds, strict=True):
            by_lead = self.persona_of.get(row.actor_id or 0) == "division_lead"
            if by_lead and (row.from_state, row.to_state) in alone:
                assert escalated_rounds[n - 1], (row.from_state, row.to_state)

        # Seen final once, final for good: no state change, no event.
        if request.state in FINAL_STATES:
            seen = self.final_seen.setdefault(pk, (request.state, len(events)))
            assert seen == (request.state, len(events)), "a final state changed"

    def _check_actor(
        self, request: SharingRequest, move_row: SharingRequestEvent, previous: Any
    ) -> None:
        allowed = MOVES[(move_row.from_state, move_row.to_state)]
        if move_row.actor_id is None:
            assert "system" in allowed, (
                f"{move_row.from_state} -> {move_row.to_state} by the system"
            )
            return
        persona = self.persona_of[move_row.actor_id]
        requester = {"acme": self.world.acme, "other": self.world.other}.get(
            ORGANISATION_OF.get(persona, "")
        )
        roles = {persona}
        if requester is not None and requester.pk == request.requester_id:
            roles.add(REQUESTERS)
        if previous is not None and previous.actor_id == move_row.actor_id:
            roles.add("approver")
        assert roles & allowed, f"{move_row.from_state} -> {move_row.to_state} by {persona}"
        if (move_row.from_state, move_row.to_state) == (S.AWAITING_PUBLISHER, S.APPROVED):
            # The lead approves alone only an escalated request (see _check) on the
            # publisher-only route.
            assert request.approval_route == ApprovalRoute.PUBLISHER


SETTINGS = settings(
    max_examples=50,
    stateful_step_count=12,
    deadline=None,
    # No example database: nothing is saved under .hypothesis/ between runs (CI starts clean
    # anyway); a failure prints its steps, and `print_blob` the blob that reproduces it.
    database=None,
    print_blob=True,
    # Explaining a failure re-runs it many times over; the steps and the blob are enough.
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)


def test_any_sequence_keeps_the_rules(
    world: World, client_for: ClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    context = Context(
        world=world,
        client_for=client_for,
        capture=django_capture_on_commit_callbacks,
        members_dataset=_published_dataset(world, Sensitivity.MEMBERS),
        restricted_dataset=_published_dataset(world, Sensitivity.RESTRICTED),
    )

    class Machine(SharingRequestMachine):
        def __init__(self) -> None:
            super().__init__(context)

    run_state_machine_as_test(Machine, settings=SETTINGS)
