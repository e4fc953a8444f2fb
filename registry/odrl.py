"""ODRL 2.2 in JSON-LD: a dataset's access policy as an Offer, an agreement as an Agreement.

Terms without an ODRL common-vocabulary action use the alliance's profile namespace (`max:`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Division, Organization

from .models import AccessPolicy, Agreement

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


def organization_uri(slug: str) -> str:
    return f"urn:max:organization:{slug}"


def _duration(days: int) -> dict[str, str]:
    return {"@value": f"P{days}D", "@type": "xsd:duration"}


@dataclass(frozen=True)
class OdrlLookups:
    """What policies name by id, resolved ahead: organisation slugs and division codes.

    `division_codes` keeps the divisions' own order (Division.Meta.ordering): the offer lists
    allowed divisions in that order, whatever order the policy stores their ids in.
    """

    organization_slugs: Mapping[int, str] = field(default_factory=dict)
    division_codes: Mapping[int, str] = field(default_factory=dict)


def policy_lookups(policies: Iterable[AccessPolicy]) -> OdrlLookups:
    """The slugs and codes these policies refer to, in at most two queries however many
    policies there are (a catalog page renders dozens of offers)."""
    organization_ids: set[int] = set()
    division_ids: set[int] = set()
    for policy in policies:
        organization_ids.update(policy.allowed_organization_ids)
        organization_ids.update(policy.denied_organization_ids)
        division_ids.update(policy.allowed_division_ids)
    slugs: dict[int, str] = {}
    codes: dict[int, str] = {}
    if organization_ids:
        slugs = dict(Organization.objects.filter(pk__in=organization_ids).values_list("pk", "slug"))
    if division_ids:
        codes = dict(Division.objects.filter(pk__in=division_ids).values_list("pk", "code"))
    return OdrlLookups(organization_slugs=slugs, division_codes=codes)


def _recipient_constraints(policy: AccessPolicy, lookups: OdrlLookups) -> list[dict[str, Any]]:
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


def policy_offer(policy: AccessPolicy, lookups: OdrlLookups | None = None) -> dict[str, Any]:
    """The policy as an ODRL Offer. Pass `lookups` (from `policy_lookups`) when rendering many
    policies; without it the slugs and codes are read for this one policy. The policy's
    dataset and its publisher are read from the policy (select or prefetch them)."""
    if lookups is None:
        lookups = policy_lookups([policy])
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
    agreement: Agreement, *, assigner_slug: str, assignee_slug: str
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
