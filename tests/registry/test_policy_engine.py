"""registry.policy.evaluate: a pure function, so these tests need no database.

Applicants are built from plain ids; the publisher is organisation 1 throughout.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from registry.models import ApprovalRoute
from registry.policy import Applicant, Ask, Decision, PolicyTerms, evaluate

PUBLISHER = 1
APPLICANT_ORG = 2
AI_FACTORY = 3
HUMANOIDS = 4
ALL_PURPOSES = frozenset({"ai_model_training", "research"})
OBLIGATIONS = frozenset({"attribution", "delete_at_expiry"})


def terms(**overrides: Any) -> PolicyTerms:
    """An open policy: any organisation, two purposes, two obligations, 365 days."""
    base = PolicyTerms(
        permitted_purposes=ALL_PURPOSES,
        obligations=OBLIGATIONS,
        max_period_days=365,
        approval_route=ApprovalRoute.PUBLISHER,
    )
    return replace(base, **overrides)


def applicant(**overrides: Any) -> Applicant:
    base = Applicant(
        organization_id=APPLICANT_ORG, kind="ai_company", division_ids=frozenset({AI_FACTORY})
    )
    return replace(base, **overrides)


def ask(**overrides: Any) -> Ask:
    base = Ask(purpose="ai_model_training", period_days=90, accepted_obligations=OBLIGATIONS)
    return replace(base, **overrides)


def run(
    policy: PolicyTerms | None = None,
    who: Applicant | None = None,
    what: Ask | None = None,
    **kwargs: Any,
) -> Decision:
    return evaluate(
        policy or terms(), who or applicant(), what or ask(), publisher_id=PUBLISHER, **kwargs
    )


def codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


# --- the baseline -----------------------------------------------------------------------------


def test_an_open_policy_admits_an_applicant_who_accepts_everything():
    decision = run()

    assert decision.eligible is True
    assert decision.reasons == ()
    assert decision.approval_route == ApprovalRoute.PUBLISHER


# --- each rule alone --------------------------------------------------------------------------


def test_the_publisher_cannot_ask_for_its_own_dataset():
    decision = run(who=applicant(organization_id=PUBLISHER))

    assert decision.eligible is False
    assert codes(decision) == ["own_dataset"]


def test_an_unavailable_dataset_cannot_be_asked_for():
    decision = run(dataset_available=False)

    assert decision.eligible is False
    assert codes(decision) == ["dataset_not_available"]


def test_a_denied_organisation_is_refused():
    decision = run(terms(denied_organization_ids=frozenset({APPLICANT_ORG})))

    assert codes(decision) == ["organization_denied"]


def test_the_deny_list_beats_the_allow_list():
    policy = terms(
        allowed_organization_ids=frozenset({APPLICANT_ORG}),
        denied_organization_ids=frozenset({APPLICANT_ORG}),
    )

    decision = run(policy)

    assert decision.eligible is False
    assert codes(decision) == ["organization_denied"]


def test_a_denied_organisation_gets_no_division_or_kind_reasons():
    """Denial is the whole story: listing the other constraints would only invite a retry."""
    policy = terms(
        denied_organization_ids=frozenset({APPLICANT_ORG}),
        allowed_division_ids=frozenset({HUMANOIDS}),
        allowed_organization_kinds=frozenset({"manufacturer"}),
    )

    assert codes(run(policy)) == ["organization_denied"]


def test_a_list_of_organisations_alone_admits_only_those_listed():
    policy = terms(allowed_organization_ids=frozenset({99}))

    assert codes(run(policy)) == ["organization_not_listed"]
    assert run(policy, applicant(organization_id=99)).eligible is True


def test_a_listed_organisation_is_invited_past_division_and_kind_constraints():
    policy = terms(
        allowed_organization_ids=frozenset({APPLICANT_ORG}),
        allowed_division_ids=frozenset({HUMANOIDS}),
        allowed_organization_kinds=frozenset({"manufacturer"}),
    )

    decision = run(policy, applicant(kind="university", division_ids=frozenset()))

    assert decision.eligible is True
    assert decision.reasons == ()


def test_with_constraints_an_unlisted_organisation_is_judged_by_them_not_by_the_list():
    policy = terms(
        allowed_organization_ids=frozenset({99}),
        allowed_division_ids=frozenset({AI_FACTORY}),
    )

    assert run(policy).eligible is True
    assert codes(run(policy, applicant(division_ids=frozenset({HUMANOIDS})))) == [
        "division_not_allowed"
    ]


def test_the_division_constraint_needs_one_shared_division():
    policy = terms(allowed_division_ids=frozenset({HUMANOIDS, 7}))

    refused = run(policy)
    admitted = run(policy, applicant(division_ids=frozenset({AI_FACTORY, HUMANOIDS})))

    assert codes(refused) == ["division_not_allowed"]
    assert refused.reasons[0].detail == {"allowed_division_ids": [4, 7]}
    assert admitted.eligible is True


def test_an_organisation_in_no_division_fails_a_division_constraint():
    policy = terms(allowed_division_ids=frozenset({AI_FACTORY}))

    assert codes(run(policy, applicant(division_ids=frozenset()))) == ["division_not_allowed"]


def test_the_kind_constraint():
    policy = terms(allowed_organization_kinds=frozenset({"manufacturer", "university"}))

    refused = run(policy)
    admitted = run(policy, applicant(kind="university"))

    assert codes(refused) == ["organization_kind_not_allowed"]
    assert refused.reasons[0].as_dict() == {
        "code": "organization_kind_not_allowed",
        "message": "Organisations of your kind may not ask.",
        "allowed_organization_kinds": ["manufacturer", "university"],
    }
    assert admitted.eligible is True


@pytest.mark.parametrize(
    ("kind", "divisions", "expected"),
    [
        ("ai_company", {HUMANOIDS}, []),
        ("manufacturer", {HUMANOIDS}, ["organization_kind_not_allowed"]),
        ("ai_company", {AI_FACTORY}, ["division_not_allowed"]),
        ("manufacturer", {AI_FACTORY}, ["division_not_allowed", "organization_kind_not_allowed"]),
    ],
)
def test_division_and_kind_constraints_must_both_hold(kind, divisions, expected):
    """ "AI companies in the humanoid division"."""
    policy = terms(
        allowed_division_ids=frozenset({HUMANOIDS}),
        allowed_organization_kinds=frozenset({"ai_company"}),
    )

    decision = run(policy, applicant(kind=kind, division_ids=frozenset(divisions)))

    assert codes(decision) == expected
    assert decision.eligible is (expected == [])


def test_a_purpose_outside_the_policy_is_refused():
    decision = run(what=ask(purpose="benchmarking"))

    assert codes(decision) == ["purpose_not_permitted"]
    assert decision.reasons[0].detail == {"permitted_purposes": ["ai_model_training", "research"]}


@pytest.mark.parametrize(("days", "eligible"), [(364, True), (365, True), (366, False)])
def test_the_period_may_reach_the_maximum_but_not_pass_it(days, eligible):
    decision = run(what=ask(period_days=days))

    assert decision.eligible is eligible
    assert codes(decision) == ([] if eligible else ["period_too_long"])
    if not eligible:
        assert decision.reasons[0].detail == {"max_period_days": 365}


def test_missing_obligations_are_listed_sorted():
    policy = terms(
        obligations=frozenset(
            {"usage_report", "attribution", "delete_at_expiry", "confidentiality_pledge"}
        )
    )

    decision = run(policy, what=ask(accepted_obligations=frozenset({"delete_at_expiry"})))

    assert codes(decision) == ["obligations_not_accepted"]
    assert decision.reasons[0].detail == {
        "missing_obligations": ["attribution", "confidentiality_pledge", "usage_report"]
    }


def test_accepting_more_obligations_than_required_is_fine():
    extra = OBLIGATIONS | {"usage_report"}

    assert run(what=ask(accepted_obligations=extra)).eligible is True


def test_a_policy_without_obligations_needs_none_accepted():
    policy = terms(obligations=frozenset())

    assert run(policy, what=ask(accepted_obligations=frozenset())).eligible is True


# --- several failures -------------------------------------------------------------------------


def test_every_failed_rule_gives_its_reason_in_a_fixed_order():
    policy = terms(
        allowed_division_ids=frozenset({HUMANOIDS}),
        allowed_organization_kinds=frozenset({"manufacturer"}),
    )

    decision = run(
        policy,
        applicant(organization_id=PUBLISHER),
        ask(purpose="education", period_days=1000, accepted_obligations=frozenset()),
        dataset_available=False,
    )

    assert decision.eligible is False
    assert codes(decision) == [
        "dataset_not_available",
        "own_dataset",
        "division_not_allowed",
        "organization_kind_not_allowed",
        "purpose_not_permitted",
        "period_too_long",
        "obligations_not_accepted",
    ]
    assert all(reason.message for reason in decision.reasons)


# --- determinism and the route ----------------------------------------------------------------


def test_the_same_input_gives_an_equal_decision():
    policy = terms(
        allowed_division_ids=frozenset({HUMANOIDS, 7, 5}),
        obligations=frozenset({"usage_report", "attribution", "confidentiality_pledge"}),
    )
    who = applicant(kind="university")
    what = ask(purpose="education", accepted_obligations=frozenset())

    first = run(policy, who, what)
    second = run(
        replace(policy, allowed_division_ids=frozenset([7, 5, HUMANOIDS])),
        replace(who),
        replace(what),
    )

    assert first == second
    assert [reason.as_dict() for reason in first.reasons] == [
        reason.as_dict() for reason in second.reasons
    ]


def test_allowed_division_ids_in_a_reason_are_in_numeric_order():
    policy = terms(allowed_division_ids=frozenset({10, HUMANOIDS}))

    decision = run(policy, applicant(division_ids=frozenset()))

    assert decision.reasons[0].detail == {"allowed_division_ids": [4, 10]}


@pytest.mark.parametrize(
    ("route", "automatic"),
    [
        (ApprovalRoute.AUTOMATIC, True),
        (ApprovalRoute.PUBLISHER, False),
        (ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD, False),
    ],
)
def test_only_an_eligible_ask_under_the_automatic_route_is_automatic(route, automatic):
    decision = run(terms(approval_route=route))

    assert decision.eligible is True
    assert decision.approval_route == route
    assert decision.automatic is automatic


def test_an_ineligible_ask_is_never_automatic():
    decision = run(terms(approval_route=ApprovalRoute.AUTOMATIC), what=ask(purpose="education"))

    assert decision.eligible is False
    assert decision.automatic is False
    assert decision.approval_route == ApprovalRoute.AUTOMATIC
