"""Point this process's Celery app at a real broker for one test, then put it back.

Everything else in the suite runs tasks eagerly; tests of publishing (the outbox, the fault
tests) need the app to publish, to a broker URL and a queue of their own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from config.celery import app as celery_app


def _reset_pools() -> None:
    # The app keeps its connection and producer pools for the broker it first used. They are
    # dropped, not closed: kombu keeps pools per broker URL for the whole process.
    celery_app._pool = None  # type: ignore[attr-defined]
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextlib.contextmanager
def publishing_to(broker_url: str, queue: str) -> Iterator[None]:
    """Publish (not run eagerly) to `broker_url`, on `queue`, inside the block."""
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_default_queue, conf.broker_url)
    _reset_pools()
    conf.update(task_always_eager=False, task_default_queue=queue, broker_url=broker_url)
    try:
        yield
    finally:
        _reset_pools()
        eager, default_queue, url = saved
        conf.update(task_always_eager=eager, task_default_queue=default_queue, broker_url=url)
