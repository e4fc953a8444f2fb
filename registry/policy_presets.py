"""Policy presets: a few named sets of terms, so a steward publishes without writing a policy.

Pure, like the engine beside it (registry/policy.py): a preset is a function of nothing but its
name, and the sensitivities it suits. The terms start from the engine's defaults
(`default_terms`) and differ where the name says so. Restricted data always routes through the
division lead (policies._validate_route), so only `restricted` suits it; `open` approves
automatically, which suits only data the publisher already shows to every member.
"""

from __future__ import annotations

from typing import Any

from .models import ApprovalRoute, Obligation, PolicyPreset, Prohibition, Purpose

ALL_PURPOSES = [purpose.value for purpose in Purpose]

PRESET_TERMS: dict[str, dict[str, Any]] = {
    PolicyPreset.OPEN: {
        "permitted_purposes": ALL_PURPOSES,
        "prohibitions": [Prohibition.RESALE.value, Prohibition.REIDENTIFICATION.value],
        "obligations": [Obligation.ATTRIBUTION.value],
        "max_period_days": 730,
        "approval_route": ApprovalRoute.AUTOMATIC.value,
    },
    PolicyPreset.MEMBERS: {
        "permitted_purposes": ALL_PURPOSES,
        "prohibitions": [
            Prohibition.REDISTRIBUTION.value,
            Prohibition.RESALE.value,
            Prohibition.REIDENTIFICATION.value,
        ],
        "obligations": [Obligation.ATTRIBUTION.value, Obligation.DELETE_AT_EXPIRY.value],
        "max_period_days": 365,
        "approval_route": ApprovalRoute.PUBLISHER.value,
    },
    PolicyPreset.RESEARCH_PARTNERS: {
        "permitted_purposes": [
            Purpose.RESEARCH.value,
            Purpose.TESTING_AND_VALIDATION.value,
            Purpose.BENCHMARKING.value,
            Purpose.EDUCATION.value,
        ],
        "prohibitions": [
            Prohibition.REDISTRIBUTION.value,
            Prohibition.RESALE.value,
            Prohibition.REIDENTIFICATION.value,
            Prohibition.PUBLISH_DERIVED_DATA.value,
        ],
        "obligations": [
            Obligation.ATTRIBUTION.value,
            Obligation.DELETE_AT_EXPIRY.value,
            Obligation.USAGE_REPORT.value,
        ],
        "max_period_days": 365,
        "approval_route": ApprovalRoute.PUBLISHER.value,
    },
    PolicyPreset.RESTRICTED: {
        "permitted_purposes": [
            Purpose.RESEARCH.value,
            Purpose.TESTING_AND_VALIDATION.value,
            Purpose.PROCESS_IMPROVEMENT.value,
        ],
        "prohibitions": [prohibition.value for prohibition in Prohibition],
        "obligations": [obligation.value for obligation in Obligation],
        "max_period_days": 180,
        "approval_route": ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD.value,
    },
}

# The sensitivities each preset suits.
PRESET_SENSITIVITIES: dict[str, frozenset[str]] = {
    PolicyPreset.OPEN: frozenset({"public", "members"}),
    PolicyPreset.MEMBERS: frozenset({"public", "members", "confidential"}),
    PolicyPreset.RESEARCH_PARTNERS: frozenset({"public", "members", "confidential"}),
    PolicyPreset.RESTRICTED: frozenset({"public", "members", "confidential", "restricted"}),
}


def preset_terms(preset: str) -> dict[str, Any]:
    """The full terms of a preset (a copy: callers may change it)."""
    return {
        key: list(value) if isinstance(value, list) else value
        for key, value in PRESET_TERMS[preset].items()
    }


def preset_allowed(preset: str, sensitivity: str) -> bool:
    return sensitivity in PRESET_SENSITIVITIES[preset]


def presets_allowed(sensitivity: str) -> list[str]:
    return [preset for preset in PolicyPreset.values if preset_allowed(preset, sensitivity)]
