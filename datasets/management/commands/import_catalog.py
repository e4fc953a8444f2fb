"""`manage.py import_catalog FILE_OR_URL --organization SLUG`: import catalog metadata inline.

The same service as the API (a job row, its report and revisions, the audit event), run here
without Celery. Prints the totals and every rejected record with its reasons; exits 1 when
the source cannot be read at all (a failed job), 0 otherwise, even with rejected records.

The output is English, like the other management commands: it is read by operators and
scripts, and the job's messages are stored in English anyway (the API shows them in the
reader's language).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from accounts.models import Division, Organization, User
from datasets.imports import SourceError
from datasets.imports.fetch import TransientFetchError, fetch_error
from datasets.imports.jobs import import_job_create, import_job_fail
from datasets.imports.records import localize
from datasets.imports.runner import import_job_run
from datasets.models import ImportFormat, ImportJob, ImportStatus


class Command(BaseCommand):
    verbosity = 1
    help = "Import dataset metadata (DCAT JSON-LD/Turtle, CKAN JSON, CSV) into an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="a file path, or an http(s) URL to harvest")
        parser.add_argument("--organization", required=True, help="slug of the organisation")
        parser.add_argument("--division", help="division code for records that name none")
        parser.add_argument("--format", choices=ImportFormat.values, dest="data_format")
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument("--user", help="email of the user the changes are recorded for")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        organization = self._get(Organization, "organization", slug=options["organization"])
        division = (
            self._get(Division, "division", code=options["division"])
            if options["division"]
            else None
        )
        user = self._get(User, "user", email__iexact=options["user"]) if options["user"] else None
        source: str = options["source"]
        is_url = source.lower().startswith(("http://", "https://"))
        path = None if is_url else Path(source)
        if path is not None and not path.is_file():
            raise CommandError(f"{source}: no such file")
        job: ImportJob | None = None
        try:
            job = import_job_create(
                organization=organization,
                created_by=user,
                url=source if is_url else "",
                source_name="" if is_url else path.name if path else "",
                data_format=options["data_format"] or "",
                dry_run=options["dry_run"],
                division=division,
                enqueue=False,
            )
            job = import_job_run(job_id=job.pk, path=path)
        except SourceError as exc:
            raise CommandError(exc.localized()) from exc
        except TransientFetchError as exc:
            # No worker retries a command's job: it ends here, failed.
            if job is not None:
                import_job_fail(job_id=job.pk, error=fetch_error(exc))
            raise CommandError(f"cannot fetch {source}: {exc}") from exc
        self._print(job)
        if job.status == ImportStatus.FAILED:
            raise CommandError(localize(job.error or {}).get("detail") or "the import failed")

    def _get(self, model: Any, label: str, **lookup: Any) -> Any:
        try:
            return model.objects.get(**lookup)
        except model.DoesNotExist as exc:
            value = next(iter(lookup.values()))
            raise CommandError(f"no {label} '{value}'") from exc

    def _print(self, job: ImportJob) -> None:
        if job.status == ImportStatus.FAILED and not job.records_processed:
            self.stdout.write(f"job {job.pk}")  # nothing was read: the error says why
            return
        totals = job.totals
        prefix = "dry run: " if job.dry_run else ""
        self.stdout.write(
            f"{prefix}{job.records_processed} records ({job.format or 'unknown format'}): "
            f"{totals.get('created', 0)} created, {totals.get('updated', 0)} updated, "
            f"{totals.get('unchanged', 0)} unchanged, {totals.get('rejected', 0)} rejected"
        )
        for warning in job.warnings:
            self.stdout.write(f"warning: {localize(warning)['message']}")
        for entry in job.report:
            where = f"line {entry['line']}" if "line" in entry else f"record {entry['index']}"
            label = entry.get("identifier") or "(no identifier)"
            if entry["outcome"] == "rejected":
                reasons = "; ".join(
                    localize(reason)["message"] for reason in entry.get("reasons", [])
                )
                self.stdout.write(f"rejected {where} {label}: {reasons}")
            elif entry["outcome"] == "updated" and self.verbosity > 1:
                self.stdout.write(
                    f"updated {where} {label}: {', '.join(entry.get('changed_fields', []))}"
                )
        if job.report_truncated:
            self.stdout.write("(the report was cut short; the totals count every record)")
        self.stdout.write(f"job {job.pk}")
