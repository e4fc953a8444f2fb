"""Base models shared by the apps."""

from __future__ import annotations

import os
import time
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 v7): new rows land at the end of the primary-key index."""
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A Celery task promised by a transaction: written with the state it concerns, published
    to the broker after commit, and by the relay if that publish did not happen (common.jobs).
    """

    id = models.BigAutoField(primary_key=True)
    task_name = models.CharField(_("task name"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The relay takes an unsent message from this time on: a little after the commit (the
    # on-commit publish goes first), then later after each failed attempt (backoff).
    available_at = models.DateTimeField(_("available at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_unsent",
                condition=models.Q(sent_at__isnull=True),
            ),
            models.Index(
                fields=["sent_at"], name="outbox_sent", condition=models.Q(sent_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)!r} ({'sent' if self.sent_at else 'unsent'})"
