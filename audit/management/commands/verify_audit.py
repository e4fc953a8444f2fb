"""Walk the audit chain and report every edited, reordered or deleted event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.chain import audit_verify
from audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exits 1 when it is broken."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(audit_verify())
        total = AuditEvent.objects.count()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"audit chain broken: {len(problems)} problem(s) in {total} events")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {total} events"))
