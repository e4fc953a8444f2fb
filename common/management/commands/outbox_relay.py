"""`manage.py outbox_relay`: publish the outbox messages left unsent (what beat does every
`JOBS_SWEEP_SECONDS` with `common.outbox_relay`), once or, with `--loop`, until stopped.

For an operator after a broker outage, or where beat does not run. Prints how many messages
were published and how many are still unsent; exits 1 when the broker refused some that were
due.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from common.jobs import outbox_relay
from common.models import OutboxMessage


class Command(BaseCommand):
    help = "Publish the Celery tasks recorded in the outbox and not sent yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=float, metavar="SECONDS", help="run again every SECONDS until stopped"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
            due = set(unsent.filter(available_at__lte=timezone.now()).values_list("pk", flat=True))
            published = 0
            while batch := outbox_relay():
                published += batch
            left = unsent.filter(pk__in=due)
            self.stdout.write(f"published {published}; unsent {unsent.count()}")
            if left.exists() and not options["loop"]:
                error = left.exclude(last_error="").values_list("last_error", flat=True).first()
                raise CommandError(f"{left.count()} due message(s) not published: {error}")
            if not options["loop"]:
                return
            time.sleep(options["loop"])
