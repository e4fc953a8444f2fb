"""interop.odrl.policy_offer with lookups resolved ahead (registry.selectors.policy_odrl_lookups):
the same offer, no queries."""

from __future__ import annotations

import pytest

from interop.odrl import OdrlLookups, policy_offer
from registry.models import AccessPolicy
from registry.selectors import policy_odrl_lookups
from registry.services import policies as registry_policies
from tests.factories import DatasetFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policies(world):
    from accounts.models import Division

    divisions = list(Division.objects.order_by("-sort_order")[:3])  # stored out of order
    extra = OrganizationFactory.create(slug="zeta")
    made = []
    for n in range(3):
        dataset = DatasetFactory.create(publisher=world.acme, sensitivity="members")
        made.append(
            registry_policies.policy_set(
                dataset=dataset,
                actor=None,
                allowed_division_ids=[d.pk for d in divisions[n:]],
                allowed_organization_ids=[extra.pk, world.other.pk][n % 2 :],
                denied_organization_ids=[world.acme.pk] if n else [],
                allowed_organization_kinds=["ai_company"] if n == 2 else [],
            )
        )
    return made


def _fresh(policy: AccessPolicy) -> AccessPolicy:
    return AccessPolicy.objects.select_related("dataset__publisher").get(pk=policy.pk)


def test_lookups_give_the_same_offer_as_per_policy_queries(policies):
    fresh = [_fresh(p) for p in policies]
    lookups = policy_odrl_lookups(fresh)

    for policy in fresh:
        one = _fresh(policy)
        assert policy_offer(policy, lookups) == policy_offer(one, policy_odrl_lookups([one]))


def test_divisions_keep_the_divisions_order(policies):
    from accounts.models import Division

    offer = policy_offer(_fresh(policies[0]), policy_odrl_lookups([_fresh(policies[0])]))

    [industry] = [c for c in offer["permission"][0]["constraint"] if c["leftOperand"] == "industry"]
    expected = list(
        Division.objects.filter(pk__in=policies[0].allowed_division_ids).values_list(
            "code", flat=True
        )
    )
    assert industry["rightOperand"] == expected
    assert len(expected) == 3


def test_lookups_for_many_policies_take_two_queries(policies, django_assert_num_queries):
    fresh = [_fresh(p) for p in policies]

    with django_assert_num_queries(2):
        lookups = policy_odrl_lookups(fresh)
    with django_assert_num_queries(0):
        offers = [policy_offer(policy, lookups) for policy in fresh]

    assert len(offers) == 3


def test_no_names_no_queries(world, django_assert_num_queries):
    policy = _fresh(
        registry_policies.policy_set(
            dataset=DatasetFactory.create(publisher=world.acme), actor=None
        )
    )

    with django_assert_num_queries(0):
        lookups = policy_odrl_lookups([policy])
        policy_offer(policy, lookups)

    assert lookups == OdrlLookups()


def test_a_deleted_organisation_is_left_out_as_before(policies, world):
    policy = _fresh(policies[1])
    policy.allowed_organization_ids = [*policy.allowed_organization_ids, 987654321]

    offer = policy_offer(policy, policy_odrl_lookups([policy]))

    [recipients] = [
        c
        for c in offer["permission"][0]["constraint"]
        if c["leftOperand"] == "recipient" and c["operator"] == "isAnyOf"
    ]
    assert recipients["rightOperand"] == ["urn:max:organization:other"]
