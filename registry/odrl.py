"""ODRL 2.2 in JSON-LD: a dataset's access policy as an Offer, an agreement as an Agreement.

Terms without an ODRL common-vocabulary action use the alliance's profile namespace (`max:`).
"""

from __future__ import annotations

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


def _recipient_constraints(policy: AccessPolicy) -> list[dict[str, Any]]:
    slugs = dict(
        Organization.objects.filter(
            pk__in=[*policy.allowed_organization_ids, *policy.denied_organization_ids]
        ).values_list("pk", "slug")
    )
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
        codes = list(
            Division.objects.filter(pk__in=policy.allowed_division_ids).values_list(
                "code", flat=True
            )
        )
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


def policy_offer(policy: AccessPolicy) -> dict[str, Any]:
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
            *_recipient_constraints(policy),
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
