"""Hand work to the Celery workers by task name.

Services queue work through here instead of importing their app's `tasks` module, so the
import graph stays one way (tasks -> services, never back): a task is a thin wrapper that
loads by id and calls a service.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


def enqueue(task_name: str, *args: Any) -> None:
    """Queue `task_name` now (honours `CELERY_TASK_ALWAYS_EAGER`, unlike `send_task`)."""
    current_app.tasks[task_name].delay(*args)


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Queue `task_name` once the surrounding transaction commits, so the worker reads
    committed rows; nothing is queued if it rolls back."""
    transaction.on_commit(lambda: enqueue(task_name, *args))
