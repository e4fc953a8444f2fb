"""System checks of the registry's own settings (run by `migrate`, `check` and `runserver`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

from .urls import public_base_url

# Backends that deliver nothing to a reader: links in their emails need no public address.
NON_DELIVERING_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)


@register()
def public_base_url_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Emails are written by workers, outside any request: without PUBLIC_BASE_URL their links
    are bare paths."""
    if public_base_url() or settings.EMAIL_BACKEND in NON_DELIVERING_EMAIL_BACKENDS:
        return []
    return [
        Warning(
            "PUBLIC_BASE_URL is not set: links in notification emails will be bare paths.",
            hint="Set PUBLIC_BASE_URL to the registry's public address, "
            "e.g. https://registry.example.kr.",
            id="common.W001",
        )
    ]
