"""`python -m tests.faults.worker worker|beat ...`: the project's Celery app, for the fault
tests, with slow spots where the tests kill the workers.

Each kind of job, once claimed, enters a slow spot: it appends `<kind> <key> <pid>` to the file
FAULT_MARKS and sleeps FAULT_DELAY seconds before doing its work, so a test knows which
process holds which job and kills it mid-job. A key containing "poison" kills its own process
instead (a job that kills every worker). The keys: a sample's file name, a request's dataset
slug, an email's recipient, a webhook delivery's id, an import record's identifier.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.faults.settings")
django.setup()

DELAY = float(os.environ.get("FAULT_DELAY", "0"))
MARKS = os.environ.get("FAULT_MARKS", "")


def mark(kind: str, key: str) -> None:
    if MARKS:
        with open(MARKS, "a") as marks:  # one short append: whole lines across processes
            marks.write(f"{kind} {key} {os.getpid()}\n")
    if "poison" in key:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(DELAY)


def slow(module: Any, name: str, kind: str, key: Callable[..., str]) -> None:
    """Make `module.name` enter a slow spot (`mark`) before it does its work."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark(kind, key(*args, **kwargs))
        return original(*args, **kwargs)

    setattr(module, name, wrapper)


def instrument() -> None:
    from common import outbound
    from datasets import validation as engine
    from datasets.imports import runner
    from registry.services import notifications, sharing_requests

    slow(engine, "validate_file", "validation", lambda path, **_: Path(path).name)
    slow(sharing_requests, "eligibility_evaluate", "check", lambda **kw: kw["dataset"].slug)
    slow(notifications, "email_message", "email", lambda notification: notification.recipient)
    slow(outbound, "post", "webhook", lambda url, **kw: kw["headers"]["X-MAX-Delivery"])
    slow(runner, "record_import", "import", lambda **kw: kw["record"].identifier)


if __name__ == "__main__":
    from config.celery import app

    instrument()
    app.start(sys.argv[1:])
