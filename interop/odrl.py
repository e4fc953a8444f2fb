"""ODRL 2.2 in JSON-LD: an access policy as an Offer, an agreement as an Agreement.

Model-free: the functions read the attributes named by the protocols below, so the registry's
models (or anything shaped like them) map without this module importing an app. Terms without
an ODRL common-vocabulary action use the alliance's profile namespace (`max:`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

PROFILE = "https://registry.max-alliance.kr/odrl/profile"
CONTEXT: list[Any] = [
    "http://www.w3.org/ns/odrl.jsonld",
    {"max": f"{PROFILE}#", "xsd": "http://www.w3.org/2001/XMLSchema#"},
]

PROHIBITION_RULES: dict[str, dict[str, Any]] = {
    "redistribution": {"action": "distribute"},
    "resale": {"action": "sell"},
    "reidentification": {"action": "max:reidentify"},
    "transfer_abroad": {
        "action": "use",
        "constraint": [{"leftOperand": "spatial", "operator": "neq", "rightOperand": "KR"}],
    },
    "publish_derived_data": {"action": "max:publishDerived"},
}
DUTY_ACTIONS = {
    "attribution": "attribute",
    "delete_at_expiry": "delete",
    "usage_report": "inform",
    "confidentiality_pledge": "max:acceptConfidentialityPledge",
}


class _Publisher(Protocol):
    @property
    def slug(self) -> str: ...


class _Dataset(Protocol):
    @property
    def pk(self) -> Any: ...
    @property
    def publisher(self) -> _Publisher: ...


class OfferedPolicy(Protocol):
    """What an Offer is made of (registry.models.AccessPolicy has it)."""

    @property
    def pk(self) -> Any: ...
    @property
    def dataset(self) -> _Dataset: ...
    @property
    def revision(self) -> int: ...
    @property
    def approval_route(self) -> str: ...
    @property
    def permitted_purposes(self) -> Sequence[str]: ...
    @property
    def max_period_days(self) -> int: ...
    @property
    def obligations(self) -> Sequence[str]: ...
    @property
    def prohibitions(self) -> Sequence[str]: ...
    @property
    def allowed_organization_ids(self) -> Sequence[int]: ...
    @property
    def denied_organization_ids(self) -> Sequence[int]: ...
    @property
    def allowed_division_ids(self) -> Sequence[int]: ...
    @property
    def allowed_organization_kinds(self) -> Sequence[str]: ...


class AgreedTerms(Protocol):
    """What an Agreement is made of (registry.models.Agreement has it)."""

    @property
    def identifier(self) -> str: ...
    @property
    def digest(self) -> str: ...
    @property
    def document(self) -> dict[str, Any]: ...


def organization_uri(slug: str) -> str:
    return f"urn:max:organization:{slug}"


def _duration(days: int) -> dict[str, str]:
    return {"@value": f"P{days}D", "@type": "xsd:duration"}


@dataclass(frozen=True)
class OdrlLookups:
    """What policies name by id, resolved ahead (registry.selectors.policy_odrl_lookups):
    organisation slugs and division codes.

    `division_codes` keeps the divisions' own order (Division.Meta.ordering): the offer lists
    allowed divisions in that order, whatever order the policy stores their ids in.
    """

    organization_slugs: Mapping[int, str] = field(default_factory=dict)
    division_codes: Mapping[int, str] = field(default_factory=dict)


def _recipient_constraints(policy: OfferedPolicy, lookups: OdrlLookups) -> list[dict[str, Any]]:
    slugs = lookups.organization_slugs
    constraints: list[dict[str, Any]] = []
    if policy.allowed_organization_ids:
        constraints.append(
            {
                "leftOperand": "recipient",
                "operator": "isAnyOf",
                "rightOperand": [
                    organization_uri(slugs[i])
                    for i in policy.allowed_organization_ids
                    if i in slugs
                ],
            }
        )
    if policy.allowed_division_ids:
        allowed = set(policy.allowed_division_ids)
        codes = [code for pk, code in lookups.division_codes.items() if pk in allowed]
        constraints.append(
            {"leftOperand": "industry", "operator": "isAnyOf", "rightOperand": codes}
        )
    if policy.allowed_organization_kinds:
        constraints.append(
            {
                "leftOperand": "max:organizationKind",
                "operator": "isAnyOf",
                "rightOperand": list(policy.allowed_organization_kinds),
            }
        )
    if policy.denied_organization_ids:
        constraints.append(
            {
                "leftOperand": "recipient",
                "operator": "isNoneOf",
                "rightOperand": [
                    organization_uri(slugs[i]) for i in policy.denied_organization_ids if i in slugs
                ],
            }
        )
    return constraints


def _duties(obligations: list[str]) -> list[dict[str, Any]]:
    return [{"action": DUTY_ACTIONS[o]} for o in obligations if o in DUTY_ACTIONS]


def _prohibitions(prohibitions: list[str], target: str) -> list[dict[str, Any]]:
    return [
        {"target": target, **PROHIBITION_RULES[p]} for p in prohibitions if p in PROHIBITION_RULES
    ]


def policy_offer(policy: OfferedPolicy, lookups: OdrlLookups) -> dict[str, Any]:
    """The policy as an ODRL Offer, with the slugs and codes it names resolved in `lookups`.
    The policy's dataset and its publisher are read from the policy (select or prefetch them)."""
    dataset = policy.dataset
    target = f"urn:uuid:{dataset.pk}"
    permission: dict[str, Any] = {
        "target": target,
        "assigner": organization_uri(dataset.publisher.slug),
        "action": "use",
        "constraint": [
            {
                "leftOperand": "purpose",
                "operator": "isAnyOf",
                "rightOperand": list(policy.permitted_purposes),
            },
            {
                "leftOperand": "elapsedTime",
                "operator": "lteq",
                "rightOperand": _duration(policy.max_period_days),
            },
            *_recipient_constraints(policy, lookups),
        ],
    }
    duties = _duties(list(policy.obligations))
    if duties:
        permission["duty"] = duties
    return {
        "@context": CONTEXT,
        "@type": "Offer",
        "uid": f"urn:uuid:{policy.pk}",
        "profile": PROFILE,
        "assigner": organization_uri(dataset.publisher.slug),
        "target": target,
        "max:revision": policy.revision,
        "max:approvalRoute": policy.approval_route,
        "permission": [permission],
        "prohibition": _prohibitions(list(policy.prohibitions), target),
    }


def agreement_document(
    agreement: AgreedTerms, *, assigner_slug: str, assignee_slug: str
) -> dict[str, Any]:
    terms = agreement.document
    target = f"urn:uuid:{terms['target']['version']}"
    permission: dict[str, Any] = {
        "target": target,
        "assigner": organization_uri(assigner_slug),
        "assignee": organization_uri(assignee_slug),
        "action": "use",
        "constraint": [
            {"leftOperand": "purpose", "operator": "eq", "rightOperand": terms["purpose"]},
            {
                "leftOperand": "dateTime",
                "operator": "gteq",
                "rightOperand": {"@value": terms["valid_from"], "@type": "xsd:dateTime"},
            },
            {
                "leftOperand": "dateTime",
                "operator": "lt",
                "rightOperand": {"@value": terms["valid_until"], "@type": "xsd:dateTime"},
            },
        ],
    }
    duties = _duties(terms["policy"]["obligations"])
    if duties:
        permission["duty"] = duties
    return {
        "@context": CONTEXT,
        "@type": "Agreement",
        "uid": agreement.identifier,
        "profile": PROFILE,
        "assigner": organization_uri(assigner_slug),
        "assignee": organization_uri(assignee_slug),
        "target": target,
        "max:digest": {"algorithm": "sha256", "value": agreement.digest},
        "max:policyRevision": terms["policy"]["revision"],
        "permission": [permission],
        "prohibition": _prohibitions(terms["policy"]["prohibitions"], target),
    }
