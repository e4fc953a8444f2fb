"""Settings of the fault tests' worker and beat processes (tests/faults/test_faults.py): the
test settings, publishing to the test's own Redis, with leases and sweeps in seconds so that
recovery fits in a test, and emails written to files so that every process's count."""

import os
from datetime import timedelta

from config.settings.test import *  # noqa: F403
from config.settings.test import IMPORT_LIMITS

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["FAULT_BROKER_URL"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["FAULT_QUEUE"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["FAULT_EMAIL_DIR"]
WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

# Shared with the test process (FAULT_TIMINGS in test_faults.py).
JOB_LEASE_SECONDS = 3
JOB_REDELIVER_AFTER_SECONDS = 4
JOB_MAX_ATTEMPTS = 4
JOBS_SWEEP_SECONDS = 1
OUTBOX_RELAY_AFTER_SECONDS = 1
OUTBOX_RETRY_MAX_SECONDS = 2
IMPORT_LIMITS = {**IMPORT_LIMITS, "batch_size": 2}

CELERY_BEAT_SCHEDULE = {
    name: {"task": name, "schedule": timedelta(seconds=1), "options": {"expires": 1}}
    for name in (
        "common.outbox_relay",
        "datasets.validation_requeue_stuck",
        "datasets.import_job_requeue_stuck",
        "registry.sharing_request_requeue_unchecked",
        "registry.requeue_stuck_notifications",
    )
}
