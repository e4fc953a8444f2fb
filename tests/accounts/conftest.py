"""Fixtures for real bearer-token flows (no force_authenticate)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User

__all__ = ["bearer", "issue_token"]


def bearer(secret: str) -> APIClient:
    """A client that sends `Authorization: Bearer <secret>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def issue_token(db: None) -> Callable[..., str]:
    """Create an API token for a user through the service and return its secret."""

    def make(user: User, name: str = "test") -> str:
        _token, secret = services.api_token_create(user=user, name=name)
        return secret

    return make
