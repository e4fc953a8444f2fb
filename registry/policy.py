"""The policy engine: a pure, deterministic function from (policy, applicant, ask) to a decision.

No database access here, so the same inputs always give the same answer, and the eligibility
endpoint, the worker's check and the tests all share one implementation.

Who may ask, when the policy lists anything:
- an organisation on `allowed_organization_ids` always qualifies (an explicit invitation);
- otherwise `allowed_division_ids` and `allowed_organization_kinds` are constraints that must
  each hold when set (e.g. "AI companies in the humanoid division");
- `denied_organization_ids` beats everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_noop

from .models import ApprovalRoute, Purpose

# Defaults by dataset sensitivity: public data flows automatically, restricted data always
# needs the publisher and the division lead.
DEFAULT_ROUTE = {
    "public": ApprovalRoute.AUTOMATIC,
    "members": ApprovalRoute.PUBLISHER,
    "confidential": ApprovalRoute.PUBLISHER,
    "restricted": ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD,
}
DEFAULT_MAX_PERIOD_DAYS = {"public": 730, "members": 365, "confidential": 365, "restricted": 180}


def default_terms(sensitivity: str) -> dict[str, Any]:
    """The terms of a dataset's first policy revision, by its sensitivity."""
    return {
        "permitted_purposes": [p.value for p in Purpose],
        "prohibitions": ["redistribution", "resale", "reidentification"],
        "obligations": ["attribution", "delete_at_expiry"],
        "max_period_days": DEFAULT_MAX_PERIOD_DAYS[sensitivity],
        "approval_route": DEFAULT_ROUTE[sensitivity].value,
    }


@dataclass(frozen=True)
class PolicyTerms:
    permitted_purposes: frozenset[str]
    obligations: frozenset[str]
    max_period_days: int
    approval_route: str
    allowed_division_ids: frozenset[int] = frozenset()
    allowed_organization_kinds: frozenset[str] = frozenset()
    allowed_organization_ids: frozenset[int] = frozenset()
    denied_organization_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Applicant:
    organization_id: int
    kind: str
    division_ids: frozenset[int]


@dataclass(frozen=True)
class Ask:
    purpose: str
    period_days: int
    accepted_obligations: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    """A failed rule. `message` is the English text (stored as is in decision_reasons); the API
    shows it in the caller's language (registry.api.serializers.localized_reasons)."""

    code: str
    message: str
    detail: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, **self.detail}


@dataclass(frozen=True)
class Decision:
    eligible: bool
    reasons: tuple[Reason, ...]
    approval_route: str

    @property
    def automatic(self) -> bool:
        return self.eligible and self.approval_route == ApprovalRoute.AUTOMATIC


def _sorted(values: Iterable[Any]) -> list[Any]:
    return sorted(values)


def evaluate(
    terms: PolicyTerms,
    applicant: Applicant,
    ask: Ask,
    *,
    publisher_id: int,
    dataset_available: bool = True,
) -> Decision:
    """Every rule that fails gives a reason; eligible only when none does."""
    reasons = [
        *applicant_reasons(
            terms, applicant, publisher_id=publisher_id, dataset_available=dataset_available
        ),
        *ask_reasons(terms, ask),
    ]
    return Decision(
        eligible=not reasons, reasons=tuple(reasons), approval_route=terms.approval_route
    )


def applicant_reasons(
    terms: PolicyTerms, applicant: Applicant, *, publisher_id: int, dataset_available: bool = True
) -> list[Reason]:
    """The rules on who asks (and whether there is anything to ask for), whatever the ask:
    whether an organisation may ask at all."""
    reasons: list[Reason] = []
    if not dataset_available:
        reasons.append(
            Reason(
                "dataset_not_available",
                gettext_noop("The dataset has no published version to ask for."),
            )
        )
    if applicant.organization_id == publisher_id:
        reasons.append(
            Reason("own_dataset", gettext_noop("Your organisation publishes this dataset."))
        )
    if applicant.organization_id in terms.denied_organization_ids:
        reasons.append(
            Reason(
                "organization_denied",
                gettext_noop("The publisher does not share with your organisation."),
            )
        )
    elif applicant.organization_id not in terms.allowed_organization_ids:
        listed_only = terms.allowed_organization_ids and not (
            terms.allowed_division_ids or terms.allowed_organization_kinds
        )
        if listed_only:
            reasons.append(
                Reason(
                    "organization_not_listed",
                    gettext_noop("Only organisations named by the publisher may ask."),
                )
            )
        if terms.allowed_division_ids and not (terms.allowed_division_ids & applicant.division_ids):
            reasons.append(
                Reason(
                    "division_not_allowed",
                    gettext_noop("Only members of the listed divisions may ask."),
                    {"allowed_division_ids": _sorted(terms.allowed_division_ids)},
                )
            )
        if (
            terms.allowed_organization_kinds
            and applicant.kind not in terms.allowed_organization_kinds
        ):
            reasons.append(
                Reason(
                    "organization_kind_not_allowed",
                    gettext_noop("Organisations of your kind may not ask."),
                    {"allowed_organization_kinds": _sorted(terms.allowed_organization_kinds)},
                )
            )
    return reasons


def ask_reasons(terms: PolicyTerms, ask: Ask) -> list[Reason]:
    """The rules on what is asked: the purpose, the period and the obligations accepted."""
    reasons: list[Reason] = []
    if ask.purpose not in terms.permitted_purposes:
        reasons.append(
            Reason(
                "purpose_not_permitted",
                gettext_noop("The policy does not permit this purpose."),
                {"permitted_purposes": _sorted(terms.permitted_purposes)},
            )
        )
    if ask.period_days > terms.max_period_days:
        reasons.append(
            Reason(
                "period_too_long",
                gettext_noop("The requested period is longer than the policy allows."),
                {"max_period_days": terms.max_period_days},
            )
        )
    missing = terms.obligations - ask.accepted_obligations
    if missing:
        reasons.append(
            Reason(
                "obligations_not_accepted",
                gettext_noop("Every obligation of the policy must be accepted."),
                {"missing_obligations": _sorted(missing)},
            )
        )
    return reasons
