"""What the wizard says in words: the policy presets' terms, and what publishing still
misses, named by the labels a steward reads rather than the API's field names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from datasets.models import Dataset, Sensitivity
from registry import policy_presets
from registry.models import ApprovalRoute, Obligation, PolicyPreset, Prohibition, Purpose

PRESET_SUMMARIES = {
    PolicyPreset.OPEN: _(
        "Any member organisation may use the data for any purpose; requests are approved "
        "automatically."
    ),
    PolicyPreset.MEMBERS: _(
        "Member organisations may use the data for any purpose once your organisation approves "
        "each request; no redistribution."
    ),
    PolicyPreset.RESEARCH_PARTNERS: _(
        "For research, testing, benchmarking and education only, approved by your "
        "organisation; users report how they used the data."
    ),
    PolicyPreset.RESTRICTED: _(
        "For research, testing and process improvement only; your organisation and then the "
        "division lead approve each request; every prohibition and obligation applies."
    ),
}

# The steps `missing` may name besides dataset fields.
STEP_LABELS = {
    "schema": _("Schema"),
    "check": _("Check of the file"),
    "file": _("Data file"),
    "version": _("Version"),
    "policy": _("Access policy"),
}


@dataclass(frozen=True)
class Preset:
    value: str
    label: str
    summary: str
    terms: list[tuple[Any, str]]
    sensitivities: str
    allowed: bool


def _labels(choices: Any, values: list[str]) -> str:
    names = dict(choices.choices)
    return ", ".join(str(names.get(value, value)) for value in values)


def presets(sensitivity: str) -> list[Preset]:
    """Each preset with its terms in words, and whether it suits the dataset's sensitivity."""
    result = []
    for value, label in PolicyPreset.choices:
        terms = policy_presets.preset_terms(value)
        result.append(
            Preset(
                value=value,
                label=str(label),
                summary=str(PRESET_SUMMARIES.get(PolicyPreset(value), "")),
                terms=[
                    (_("Approval"), _labels(ApprovalRoute, [terms["approval_route"]])),
                    (_("Purposes"), _labels(Purpose, terms["permitted_purposes"])),
                    (_("Prohibited"), _labels(Prohibition, terms["prohibitions"])),
                    (_("Obligations"), _labels(Obligation, terms["obligations"])),
                    (
                        _("Longest access"),
                        str(_("%(days)s days") % {"days": terms["max_period_days"]}),
                    ),
                ],
                sensitivities=_labels(
                    Sensitivity,
                    [s for s in Sensitivity.values if policy_presets.preset_allowed(value, s)],
                ),
                allowed=policy_presets.preset_allowed(value, sensitivity),
            )
        )
    return result


# The API's detail for these codes names what a script sends; the wizard says what to click.
PAGE_DETAILS = {
    "no_schema": _(
        "The version has no schema yet: review the columns the check proposed (step 3); "
        "saving the draft or publishing accepts them."
    ),
}


def missing_in_words(missing: list[dict[str, str]]) -> list[dict[str, str]]:
    """`missing` with a `label`: the field's name as the forms show it; and, where the API's
    words are for scripts, the wizard's own `detail`."""
    names = {
        field.name: field.verbose_name
        for field in Dataset._meta.get_fields()
        if hasattr(field, "verbose_name")
    }
    return [
        {
            **entry,
            **(
                {"detail": str(PAGE_DETAILS[entry["code"]])}
                if entry.get("code") in PAGE_DETAILS
                else {}
            ),
            "label": capfirst(
                str(STEP_LABELS.get(entry["field"]) or names.get(entry["field"]) or entry["field"])
            ),
        }
        for entry in missing
    ]
