"""Template filters for sharing requests as the API serialises them (state codes, ISO times)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils.dateparse import parse_datetime

from registry.models import SharingRequestState

register = template.Library()

_STATE_LABELS = dict(SharingRequestState.choices)


@register.filter
def state_label(code: str) -> str:
    """A state's name in the reader's language (`awaiting_publisher`: 'Waiting for the
    publisher'); an empty code (a request's first event comes from nowhere) stays empty."""
    return str(_STATE_LABELS.get(code, code)) if code else ""


@register.filter
def as_datetime(value: Any) -> datetime | Any:
    """An ISO 8601 time from an API representation as a datetime, for the `date` filter."""
    if isinstance(value, str):
        return parse_datetime(value) or value
    return value
