"""Fixtures for real bearer-token flows (no force_authenticate)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts import services
from accounts.models import User


@pytest.fixture
def issue_token(db: None) -> Callable[..., str]:
    """Create an API token for a user through the service and return its secret."""

    def make(user: User, name: str = "test") -> str:
        _token, secret = services.api_token_create(user=user, name=name)
        return secret

    return make
