"""May the caller ask for a dataset at all (before choosing a purpose and a period)? The
policy engine's rules on who asks, for each organisation the caller belongs to, and no open
request: what the dataset page's Request access button follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.models import MembershipRole
from accounts.selectors import actor_for
from datasets.models import Dataset, DatasetStatus
from registry.models import ApprovalRoute
from registry.services.policies import asking_eligibility
from tests.factories import DatasetFactory, MembershipFactory
from tests.personas import World


def codes(world: World, persona: str, dataset: Dataset) -> list[object]:
    user = world.users.get(persona)
    result = asking_eligibility(actor=actor_for(user), dataset=dataset)
    assert result.may_ask == (not result.reasons)
    return [reason["code"] for reason in result.reasons]


def test_who_may_ask(world: World, shared_dataset: Dataset) -> None:
    assert codes(world, "anonymous", shared_dataset) == ["not_authenticated"]
    assert codes(world, "secretariat", shared_dataset) == ["no_organization"]
    assert codes(world, "division_lead", shared_dataset) == ["no_organization"]
    assert codes(world, "member", shared_dataset) == ["own_dataset"]
    assert codes(world, "outsider_member", shared_dataset) == []


def test_the_policys_rules_on_who_asks_apply_and_not_those_on_the_ask(
    world: World, shared_dataset: Dataset, set_route: Callable[..., Any]
) -> None:
    set_route(
        ApprovalRoute.PUBLISHER,
        permitted_purposes=["research"],
        max_period_days=1,
        obligations=["usage_report"],
        allowed_division_ids=[world.humanoids.pk],
    )
    assert codes(world, "outsider_member", shared_dataset) == ["division_not_allowed"]
    set_route(
        ApprovalRoute.PUBLISHER, allowed_division_ids=[], denied_organization_ids=[world.other.pk]
    )
    assert codes(world, "outsider_member", shared_dataset) == ["organization_denied"]


def test_an_open_request_is_a_reason_and_named(
    world: World, shared_dataset: Dataset, submit: Callable[..., Any]
) -> None:
    sharing_request = submit()
    result = asking_eligibility(
        actor=actor_for(world.users["outsider_member"]), dataset=shared_dataset
    )
    assert [reason["code"] for reason in result.reasons] == ["open_request_exists"]
    assert result.open_request is not None
    assert result.open_request.pk == sharing_request.pk


def test_a_member_of_two_organisations_may_ask_through_the_one_that_may(
    world: World, shared_dataset: Dataset
) -> None:
    MembershipFactory.create(
        user=world.users["member"], organization=world.other, role=MembershipRole.MEMBER
    )
    assert codes(world, "member", shared_dataset) == []


def test_nothing_to_ask_for_without_a_published_version(world: World) -> None:
    draft = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    assert codes(world, "outsider_member", draft) == ["dataset_not_available"]
