"""Celery tasks of the outbox (common.jobs): the relay and the cleanup, both on beat."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(name="common.outbox_relay", time_limit=120, soft_time_limit=100)
def outbox_relay() -> int:
    return jobs.outbox_relay()


@shared_task(name="common.outbox_cleanup", time_limit=600, soft_time_limit=540)
def outbox_cleanup() -> int:
    return jobs.outbox_cleanup()
