"""Walk the audit chain and report every edited, reordered or deleted event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.chain import audit_chain_check


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exits 1 when it is broken."

    def handle(self, *args: Any, **options: Any) -> None:
        check = audit_chain_check()
        if not check.ok:
            for problem in check.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"audit chain broken: {len(check.problems)} problem(s) in {check.checked} events"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {check.checked} events"))
