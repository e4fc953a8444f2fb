"""The approver's decisions, as forms: the fields of the API's decision inputs
(DecisionInputSerializer, RejectInputSerializer, ReturnInputSerializer).

Whether a reason or comment may be left empty is the service's rule (it answers with its own
words, which land on the field); the browser is told `required` so it asks before sending."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_TEXT = 5000


def _text(
    label: StrOrPromise, *, required_in_browser: bool, help_text: StrOrPromise = ""
) -> forms.CharField:
    attrs = {"rows": "3"}
    if required_in_browser:
        attrs |= {"required": "required", "aria-required": "true"}
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea(attrs=attrs),
    )


class ApproveForm(forms.Form):
    prefix = "approve"
    reason = _text(
        _("Note (optional)"),
        required_in_browser=False,
        help_text=_("Recorded in the decision reasons and the history."),
    )


class RejectForm(forms.Form):
    prefix = "reject"
    reason = _text(
        _("Reason for rejecting"),
        required_in_browser=True,
        help_text=_("Required: the requester reads it."),
    )


class ReturnForm(forms.Form):
    prefix = "return"
    comment = _text(
        _("What to change"),
        required_in_browser=True,
        help_text=_("Required: the requester reads it, changes the request and resubmits it."),
    )
