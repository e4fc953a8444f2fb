"""`manage.py previews_backfill`: give every checked file a preview.

Versions checked before previews existed have a checked file and no preview. This promises a
`datasets.preview_make` job (through the outbox) for each of them, and for any other version
whose preview is missing; the workers make them. Safe to run again: a version that has its
preview, or whose job is promised and not yet sent, is left alone.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from datasets.services.previews import previews_backfill


class Command(BaseCommand):
    help = "Queue a preview for every version with a checked file and no preview."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = previews_backfill()
        self.stdout.write(f"{len(queued)} preview job(s) queued.")
