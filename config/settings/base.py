"""Settings shared by every environment. Everything that differs comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "common",
    "audit",
    "accounts",
    "datasets",
    "registry",
    "stats",
    "demo",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (the console's CSS and vendored scripts, Swagger UI, the admin) from the app
    # server in every environment: nothing comes from a CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "console.middleware.ConsoleLocaleMiddleware",
    # A NUL (%00) in the path, the query string or a header is a 400 before any view
    # (common.parsers guards bodies): PostgreSQL refuses NUL in text.
    "common.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "console.context_processors.navigation",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_settings(url: str) -> dict[str, Any]:
    """The database from its URL. With `DB_POOL_MAX_SIZE` above 0, each process keeps a psycopg
    pool of at most that many connections (sizing in docs/operations.md); a request that waits
    longer than `DB_POOL_TIMEOUT` for one gets 503 with Retry-After. Django's pool needs
    CONN_MAX_AGE=0 (the pool keeps the connections), and with health checks on it checks each
    connection it hands out."""
    pool_max_size = env_int("DB_POOL_MAX_SIZE", 0)
    database: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            conn_max_age=0 if pool_max_size else env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    )
    options: dict[str, Any] = {
        **database.get("OPTIONS", {}),
        "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 5),
    }
    if pool_max_size:
        options["pool"] = {
            "min_size": min(env_int("DB_POOL_MIN_SIZE", 1), pool_max_size),
            "max_size": pool_max_size,
            "timeout": env_float("DB_POOL_TIMEOUT", 10.0),
        }
    database["OPTIONS"] = options
    return database


DATABASES = {
    "default": database_settings(
        env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/max_registry")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# The cache fails open (common.cache): when Redis is unreachable or silent past the timeouts,
# rate limits, login lockouts and cached figures are skipped, not turned into 500s; after a
# failure Redis is left alone for CACHE_RETRY_SECONDS. See docs/operations.md.
CACHES = {
    "default": {
        "BACKEND": "common.cache.DegradingRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "maxr"),
        "OPTIONS": {
            "socket_connect_timeout": env_float("CACHE_SOCKET_CONNECT_TIMEOUT", 0.5),
            "socket_timeout": env_float("CACHE_SOCKET_TIMEOUT", 0.5),
            "retry_seconds": env_float("CACHE_RETRY_SECONDS", 5.0),
        },
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"

# The console's session cookie: HttpOnly always, Secure in production (production.py), and
# SameSite=Lax so a link from an email opens a signed-in page while other sites cannot post.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
# No inline script and nothing from another origin (common.middleware). Swagger UI runs from
# the sidecar's files with its settings in a separate script (SpectacularSwaggerSplitView);
# 'data:' images are Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Without collectstatic (make run, tests) WhiteNoise serves straight from the apps' static/.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files on any S3-compatible object store (MinIO, AWS, NCP...) instead of local disk.
if env_str("STORAGE_BACKEND", "local") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "access_key": env_str("S3_ACCESS_KEY"),
            "secret_key": env_str("S3_SECRET_KEY"),
            "region_name": env_str("S3_REGION", "ap-northeast-2"),
            "addressing_style": "path",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }

# Request body caps: Django refuses larger non-file bodies with 413 (see common.exceptions).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "registry@max-alliance.kr")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # DRF's parsers, refusing JSON nested over 100 levels and NUL characters with a 400.
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",
        "common.parsers.FormParser",
        "common.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.CursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "common.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.exceptions.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "120/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        "login": env_str("THROTTLE_LOGIN", "30/min"),
    },
    # 0: the client is REMOTE_ADDR and X-Forwarded-For is ignored (DRF trusts it all on None).
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # `?format=` is the dataset format filter, not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}

# Failed-login lockout: after this many failures for one email (or one client address)
# within the window, further attempts get 429 until the window passes.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
API_TOKEN_MAX_PER_USER = env_int("API_TOKEN_MAX_PER_USER", 50)
# How long an invitation by email stays open (accounts.Invitation).
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)

SPECTACULAR_SETTINGS = {
    "TITLE": "M.AX Data Exchange Registry API",
    "DESCRIPTION": (
        "Dataset catalog and data-sharing registry of the M.AX manufacturing AI alliance. "
        "Authenticate with `Authorization: Bearer <token>` (see `POST /api/v1/auth/token/`). "
        "Every error is an RFC 9457 problem document (`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI from the drf-spectacular-sidecar package's files: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.add_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DatasetStatusEnum": "datasets.models.DatasetStatus",
        "DataFormatEnum": "datasets.models.DataFormat",
        "VersionStatusEnum": "datasets.models.VersionStatus",
        "MembershipRoleEnum": "accounts.models.MembershipRole",
        "InvitationStatusEnum": "accounts.models.InvitationStatus",
        "OrganizationKindEnum": "accounts.models.OrganizationKind",
        "ObligationEnum": "registry.models.Obligation",
        "ProhibitionEnum": "registry.models.Prohibition",
        "PurposeEnum": "registry.models.Purpose",
        "SharingRequestStateEnum": "registry.models.SharingRequestState",
        "ApprovalRouteEnum": "registry.models.ApprovalRoute",
        "ImportStatusEnum": "datasets.models.ImportStatus",
        "ImportFormatEnum": "datasets.models.ImportFormat",
        "SchemaKindEnum": "datasets.models.SchemaKind",
        "ValidationStatusEnum": "datasets.models.ValidationStatus",
        "PolicyPresetEnum": "registry.models.PolicyPreset",
        # The formats a checked file may have (sample upload, dataset from a file).
        "SampleFormatEnum": "registry.api.publishing.sample_format_choices",
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Time limits stay below the visibility timeout so a slow task is never handed out twice.
# Socket timeouts make a publish (`.delay()`) to a stopped or silent Redis fail within a few
# seconds instead of hanging; the read timeout stays above kombu's 1 s BRPOP wait.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": env_float("BROKER_SOCKET_CONNECT_TIMEOUT", 1.0),
    "socket_timeout": env_float("BROKER_SOCKET_TIMEOUT", 2.0),
}
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("BROKER_SOCKET_CONNECT_TIMEOUT", 1.0)
# A publish that fails is tried again this many times, quickly, then raises.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env_int("BROKER_PUBLISH_RETRIES", 1),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_TIME_LIMIT = 900
CELERY_TASK_SOFT_TIME_LIMIT = 840
# Jobs (docs/operations.md, "Jobs and the outbox" and "Dead workers"). A worker's claim on a
# job lasts JOB_LEASE_SECONDS and is renewed a third of that apart while it works; a job whose
# lease ran out is queued again by the sweeps, every JOBS_SWEEP_SECONDS. A job handed to the
# broker and not taken by a worker within JOB_REDELIVER_AFTER_SECONDS (the broker lost it) is
# handed out again; a job claimed JOB_MAX_ATTEMPTS times without finishing fails for good.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 90)
JOB_REDELIVER_AFTER_SECONDS = env_int("JOB_REDELIVER_AFTER_SECONDS", 90)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 8)
JOBS_SWEEP_SECONDS = env_int("JOBS_SWEEP_SECONDS", 30)
# The outbox: the relay publishes a message not sent on commit after this many seconds, and
# retries with a backoff of at most OUTBOX_RETRY_MAX_SECONDS; sent messages are kept this long.
OUTBOX_RELAY_AFTER_SECONDS = env_int("OUTBOX_RELAY_AFTER_SECONDS", 10)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 300)
OUTBOX_KEEP_SECONDS = env_int("OUTBOX_KEEP_SECONDS", 7 * 24 * 3600)
# A worker that dies mid-task gives its message back, so the job runs again (with acks_late);
# the job rows' attempt counts stop a job that kills every worker from looping.
CELERY_TASK_REJECT_ON_WORKER_LOST = True


def _sweep(task: str, seconds: int = JOBS_SWEEP_SECONDS) -> dict[str, object]:
    """A beat entry for a sweep; a run not started within its interval is dropped (the next
    one does the same work), so sweeps never pile up while the workers are away."""
    return {"task": task, "schedule": timedelta(seconds=seconds), "options": {"expires": seconds}}


CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "accounts.purge_expired_api_tokens": {
        "task": "accounts.purge_expired_api_tokens",
        "schedule": timedelta(hours=6),
    },
    "common.outbox_relay": _sweep("common.outbox_relay"),
    "common.outbox_cleanup": _sweep("common.outbox_cleanup", 3600),
    "datasets.validation_requeue_stuck": _sweep("datasets.validation_requeue_stuck"),
    "datasets.import_job_requeue_stuck": _sweep("datasets.import_job_requeue_stuck"),
    "registry.sharing_request_requeue_unchecked": _sweep(
        "registry.sharing_request_requeue_unchecked"
    ),
    "registry.requeue_stuck_notifications": _sweep("registry.requeue_stuck_notifications"),
    "registry.expire_grants": {"task": "registry.expire_grants", "schedule": timedelta(minutes=5)},
    "registry.start_grants": {"task": "registry.start_grants", "schedule": timedelta(minutes=5)},
    "registry.remind_expiring_grants": {
        "task": "registry.remind_expiring_grants",
        "schedule": timedelta(hours=1),
    },
    "registry.remind_approvers": {
        "task": "registry.remind_approvers",
        "schedule": timedelta(hours=1),
    },
    # A little more often than STATS_CACHE_SECONDS, so the alliance's tables never go stale.
    "stats.refresh_stats": {
        "task": "stats.refresh_stats",
        "schedule": timedelta(minutes=4),
    },
}

# Upload size limits per file kind (bytes); larger uploads get 413 with the limit.
UPLOAD_LIMITS = {
    "schema": env_int("UPLOAD_LIMIT_SCHEMA", 5 * 1024 * 1024),
    "sample": env_int("UPLOAD_LIMIT_SAMPLE", 1024 * 1024 * 1024),
    "data": env_int("UPLOAD_LIMIT_DATA", 20 * 1024 * 1024 * 1024),
    # Catalog imports (upload or harvest, CKAN pages together).
    "import": env_int("UPLOAD_LIMIT_IMPORT", 50 * 1024 * 1024),
}
# Catalog imports (datasets.imports.limits.ImportLimits has them all, with their reasons).
IMPORT_LIMITS = {
    # JSON and RDF documents are parsed whole: bounded below the upload limit (CSV streams).
    "document_max_bytes": env_int("IMPORT_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024),
    "max_records": env_int("IMPORT_MAX_RECORDS", 10_000),
    "batch_size": env_int("IMPORT_BATCH_SIZE", 100),
    "fetch_timeout_seconds": env_int("IMPORT_FETCH_TIMEOUT_SECONDS", 30),
}
# The alliance's figures (/api/v1/stats/): seconds a computed table is served before it is
# recomputed (0: always compute). Beat recomputes the alliance-wide tables every 4 minutes.
STATS_CACHE_SECONDS = env_int("STATS_CACHE_SECONDS", 300)

# The registry's public address (scheme, host and port, e.g. https://registry.example.kr), the
# base of every absolute link when set. Empty: links follow the host each request came to, and
# work outside a request (emails by the workers) has none: set it wherever mail is sent.
# `make run` sets it from its port (common.urls).
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")

# Sharing workflow.
DOWNLOAD_LINK_MAX_AGE_SECONDS = env_int("DOWNLOAD_LINK_MAX_AGE_SECONDS", 600)
GRANT_EXPIRY_NOTICE_DAYS = env_int("GRANT_EXPIRY_NOTICE_DAYS", 14)
APPROVAL_REMINDER_DAYS = env_int("APPROVAL_REMINDER_DAYS", 3)
APPROVAL_ESCALATION_DAYS = env_int("APPROVAL_ESCALATION_DAYS", 7)
# Webhooks to private or loopback addresses are refused (SSRF) unless this is set.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
