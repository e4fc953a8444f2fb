"""Text the registry stores in English and shows in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers


def stored_text(text: str | None) -> str:
    """One of the registry's own messages (written with gettext_noop, stored in English) in the
    current language; anything else (a person's words, a validator's English) as stored."""
    return gettext(str(text)) if text else ""


class LocalizedTextField(serializers.CharField):
    """A read-only text field whose registry messages come in the caller's language."""

    def to_representation(self, value: Any) -> str:
        return stored_text(value)
