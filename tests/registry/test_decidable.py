"""`permissions.decidable_now` (the filter an approver's inbox uses) says what the predicates
`can_decide_as_publisher`, `can_decide_as_division_lead` and `can_decide_after_escalation`
say, request by request, for every persona and every decision step."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.selectors import actor_for
from registry.models import ApprovalRoute, SharingRequest
from registry.models import SharingRequestState as S
from registry.permissions import can_decide_now, decidable_now
from registry.selectors import sharing_request_awaiting_list
from tests.console.sharing_scene import approve, ask, published_dataset, revoke
from tests.factories import DivisionLeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_filter_and_the_predicates_agree(world):
    users = dict(world.users)
    users["humanoids_lead"] = DivisionLeadFactory.create(
        user=UserFactory.create(email="humanoids-lead@example.kr"), division=world.humanoids
    ).user
    steward, outsider = users["steward"], users["outsider_member"]
    two_steps = ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD

    def acme(division=world.ai_factory, route=ApprovalRoute.PUBLISHER):
        return published_dataset(publisher=world.acme, division=division, route=route)

    ask(outsider, world.other, acme())
    ask(outsider, world.other, acme(world.humanoids))
    approve(steward, ask(outsider, world.other, acme(route=two_steps)))
    approve(steward, ask(outsider, world.other, acme(world.humanoids, route=two_steps)))
    revoke(steward, approve(steward, ask(outsider, world.other, acme())))
    escalated = ask(outsider, world.other, acme())
    SharingRequest.objects.filter(pk=escalated.pk).update(
        escalated_at=timezone.now(), routed_to_division_lead_at=timezone.now()
    )
    ask(
        users["member"],
        world.acme,
        published_dataset(publisher=world.other, division=world.humanoids),
    )
    every = list(SharingRequest.objects.select_related("dataset"))
    assert {r.state for r in every} >= {
        S.AWAITING_PUBLISHER,
        S.AWAITING_DIVISION_LEAD,
        S.REVOKED,
    }

    for persona, user in users.items():
        actor = actor_for(user)
        by_predicate = {r.pk for r in every if can_decide_now(actor, r)}
        by_filter = set(
            SharingRequest.objects.filter(decidable_now(actor)).values_list("pk", flat=True)
        )
        listed = set(sharing_request_awaiting_list(actor=actor).values_list("pk", flat=True))
        assert by_filter == by_predicate == listed, persona
    lead = actor_for(users["division_lead"])
    assert escalated.pk in {r.pk for r in sharing_request_awaiting_list(actor=lead)}
