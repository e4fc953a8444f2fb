"""Development: `make run`. Safe only on a developer's machine."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-insecure-secret-key-change-me")
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
