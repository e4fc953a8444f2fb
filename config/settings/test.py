"""Test settings: the real PostgreSQL and Redis, fast password hashing."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = "maxr-test"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Links follow the test client's host (http://testserver); tests of PUBLIC_BASE_URL set it.
PUBLIC_BASE_URL = ""
# The worker integration test hands its MEDIA_ROOT to the worker process through the environment.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / ".data" / "test-media")  # noqa: F405
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # Tests that exercise throttling set their own rates; the rest must not trip over them.
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min", "login": "100000/min"},
}

# Tasks queued with on_commit run inline in tests; the worker integration test starts a real one.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
