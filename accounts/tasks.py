"""Celery tasks for accounts: thin wrappers around services."""

from celery import shared_task

from . import services


@shared_task(name="accounts.purge_expired_api_tokens", time_limit=300, soft_time_limit=240)
def purge_expired_api_tokens() -> int:
    return services.api_token_purge_expired()
