"""Real bearer-token flows (no force_authenticate)."""

from __future__ import annotations

from rest_framework.test import APIClient


def bearer(secret: str) -> APIClient:
    """A client that sends `Authorization: Bearer <secret>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client
