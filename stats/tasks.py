"""Celery tasks of the alliance's figures."""

from __future__ import annotations

from celery import shared_task

from .tables import stats_refresh


@shared_task(name="stats.refresh_stats", time_limit=600, soft_time_limit=540)
def refresh_stats() -> list[str]:
    """Keep the alliance-wide figures warm; safe to run twice (it only recomputes a cache)."""
    return stats_refresh()
