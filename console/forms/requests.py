"""Forms of the console's requests section. Field names are the API's (the services' and the
input serializers' errors land on them by name); the choices come from the dataset's policy as
the API shows it, and every rule is the services' (the form only shapes the input)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from registry.models import AccessPolicy, Obligation, Purpose

# The API's own bounds (registry.api.serializers.EligibilityInputSerializer and
# SharingRequestCreateSerializer): the form says the same before the service does.
PERIOD_MAX_DAYS = 36600
TEXT_MAX_LENGTH = 5000


def in_reader_language(korean: str, english: str) -> str:
    """A text stored in both languages, in the reader's (Korean when no English is given), as
    the API's readers pick `title_ko` or `title_en`."""
    return english if get_language() == "en" and english else korean


def _in_vocabulary_order(choices: Any, values: Iterable[str]) -> list[tuple[str, str]]:
    wanted = set(values)
    return [(value, label) for value, label in choices if value in wanted]


class SharingRequestForm(forms.Form):
    """Ask for a dataset: what `POST /api/v1/sharing-requests/` takes, with the idempotency
    key the page made when it drew the form (a second send of the same form is the same
    request)."""

    organization = forms.ChoiceField(label=_("Asking for"), required=False)
    purpose = forms.ChoiceField(label=_("Purpose"))
    period_days = forms.IntegerField(
        label=_("Period (days)"), min_value=1, max_value=PERIOD_MAX_DAYS
    )
    justification = forms.CharField(
        label=_("Justification"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the data is for: the publisher reads it."),
    )
    accepted_obligations = forms.MultipleChoiceField(
        label=_("Obligations of the policy I accept"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def __init__(
        self,
        *args: Any,
        policy: AccessPolicy,
        organizations: list[Organization],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", str(uuid.uuid4()))
        kwargs["initial"].setdefault("period_days", min(90, policy.max_period_days))
        super().__init__(*args, **kwargs)
        self.purposes = _in_vocabulary_order(Purpose.choices, policy.permitted_purposes)
        self._choice_field("purpose").choices = self.purposes
        self._choice_field("accepted_obligations").choices = _in_vocabulary_order(
            Obligation.choices, policy.obligations
        )
        self.fields["period_days"].help_text = _("At most %(days)d days under the policy.") % {
            "days": policy.max_period_days
        }
        if len(organizations) > 1:
            # Several organisations: name the one asked for (acting_organization's rule).
            self.fields["organization"].required = True
            self._choice_field("organization").choices = [("", "—")] + [
                (o.slug, in_reader_language(o.name_ko, o.name_en)) for o in organizations
            ]
        else:
            del self.fields["organization"]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def first_purpose(self) -> str:
        return self.purposes[0][0] if self.purposes else ""


class ResubmitForm(forms.Form):
    """A returned request, submitted again with changes (`POST .../resubmit/`)."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    period_days = forms.IntegerField(
        label=_("Period (days)"), min_value=1, max_value=PERIOD_MAX_DAYS
    )
    justification = forms.CharField(
        label=_("Justification"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    accepted_obligations = forms.MultipleChoiceField(
        label=_("Obligations I accept"),
        required=False,
        choices=Obligation.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("What you changed (optional)"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, policy: AccessPolicy, **kwargs: Any) -> None:
        """The purposes and obligations of the dataset's current policy, which the check
        applies to the resubmitted request."""
        super().__init__(*args, **kwargs)
        purpose, obligations = self.fields["purpose"], self.fields["accepted_obligations"]
        assert isinstance(purpose, forms.ChoiceField)
        assert isinstance(obligations, forms.ChoiceField)
        purpose.choices = _in_vocabulary_order(Purpose.choices, policy.permitted_purposes)
        obligations.choices = _in_vocabulary_order(Obligation.choices, policy.obligations)
        self.fields["period_days"].help_text = _("At most %(days)d days under the policy.") % {
            "days": policy.max_period_days
        }


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
