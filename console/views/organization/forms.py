"""Forms of the organisation pages: the same fields, names and limits as the API's inputs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import MembershipRole


class OrganizationSearchForm(forms.Form):
    q = forms.CharField(label=_("Organisation name"), required=False, max_length=100)


class MembershipCreateForm(forms.Form):
    """As `MembershipCreateSerializer`: an existing user's email and a role."""

    email = forms.EmailField(label=_("Email of an existing user"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER
    )


class MembershipUpdateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)


class ApiTokenCreateForm(forms.Form):
    """As the token endpoint's `name` and `expires_at`."""

    name = forms.CharField(label=_("Name"), max_length=100, initial="api")
    expires_at = forms.DateTimeField(
        label=_("Expires at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for a token that does not expire."),
    )


class WebhookEndpointCreateForm(forms.Form):
    """As `WebhookEndpointInputSerializer`: an http(s) URL and the event types to send."""

    url = forms.URLField(
        label=_("URL"),
        max_length=1000,
        validators=[URLValidator(schemes=["http", "https"])],
        assume_scheme="https",
    )
    events = forms.CharField(
        label=_("Event types (optional)"),
        required=False,
        max_length=3000,
        help_text=_("Separated by spaces or commas; empty sends every event."),
    )

    def clean_events(self) -> list[str]:
        value: str = self.cleaned_data.get("events") or ""
        names = [name for name in value.replace(",", " ").split() if name]
        if len(names) > 50:
            raise forms.ValidationError(_("At most 50 event types."))
        if any(len(name) > 60 for name in names):
            raise forms.ValidationError(_("An event type has at most 60 characters."))
        return list(dict.fromkeys(names))

    def as_input(self) -> dict[str, Any]:
        return {"url": self.cleaned_data["url"], "events": self.cleaned_data["events"]}
