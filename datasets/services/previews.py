"""Previews: the first rows of a version's checked file, what members see instead of the file.

The check makes the preview from the batches it reads (`validation._validation_check` hands
the engine a `PreviewCollector`), so a new checked file gets its preview with its report.
When only the version's preview settings change (`preview_rows`, `preview_excluded_columns`),
`preview_enqueue` promises a `datasets.preview_make` job (the outbox), which reads the first
rows again and nothing more. Both store through `preview_store`, which keeps a result only
while it is still the right one: made from the version's current checked file with its
current settings. So jobs may run twice, or out of order, and the stored preview stays right.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from common import jobs
from common.models import OutboxMessage

from ..models import DatasetVersion, Distribution, Preview, SchemaKind, ValidationReport

PREVIEW_TASK = "datasets.preview_make"


def checked_file(version: DatasetVersion) -> Distribution | None:
    """The file the version's newest check ran on (its `sample`), if it has one."""
    report = (
        ValidationReport.objects.filter(version_id=version.pk)
        .select_related("sample")
        .order_by("-created_at")
        .first()
    )
    if report is None or report.sample is None or not report.sample.file:
        return None
    return report.sample


def preview_settings(version: DatasetVersion) -> tuple[int, list[str]]:
    return version.preview_rows, list(version.preview_excluded_columns or [])


def preview_is_current(version: DatasetVersion, source: Distribution | None) -> bool:
    """Whether the stored preview (or its absence) already matches the file and settings."""
    preview = Preview.objects.filter(version_id=version.pk).first()
    rows, exclude = preview_settings(version)
    if source is None or rows == 0:
        return preview is None
    return (
        preview is not None
        and preview.source_id == source.pk
        and preview.max_rows == rows
        and list(preview.exclude) == exclude
    )


@transaction.atomic
def preview_store(
    *,
    version_id: Any,
    source_id: Any,
    made_with: tuple[int, list[str]],
    result: dict[str, Any] | None,
    report_id: Any = None,
) -> Preview | None:
    """Store a preview made from `source_id` with the settings `made_with`, or drop the
    stored one when `result` is None; nothing when the version's checked file or settings
    changed since (the job queued by that change makes the right one)."""
    version = DatasetVersion.objects.select_for_update().filter(pk=version_id).first()
    if version is None:
        return None
    if preview_settings(version) != made_with:
        return Preview.objects.filter(version=version).first()
    source = checked_file(version)
    if source is None or source.pk != source_id:
        return Preview.objects.filter(version=version).first()
    rows, exclude = made_with
    if result is None or rows == 0:
        Preview.objects.filter(version=version).delete()
        return None
    preview, _created = Preview.objects.update_or_create(
        version=version,
        defaults={
            "source_id": source_id,
            "report_id": report_id,
            "columns": result["columns"],
            "excluded_columns": result["excluded_columns"],
            "rows": result["rows"][:rows],
            "row_count": min(rows, len(result["rows"])),
            "max_rows": rows,
            "exclude": exclude,
            "made_at": timezone.now(),
        },
    )
    return preview


def preview_enqueue(*, version: DatasetVersion) -> OutboxMessage:
    """Promise the version's preview job in the caller's transaction."""
    return jobs.enqueue_on_commit(PREVIEW_TASK, str(version.pk))


def preview_make(*, version_id: Any) -> Preview | None:
    """Make the version's preview again from its checked file's first rows (the job behind a
    change of settings, and the backfill's). Safe to run twice: nothing happens when the
    stored preview is current."""
    from .. import validation as engine
    from .validation import TABULAR_FORMATS, local_copy

    version = DatasetVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    source = checked_file(version)
    made_with = preview_settings(version)
    if preview_is_current(version, source):
        return Preview.objects.filter(version=version).first()
    if source is None:
        Preview.objects.filter(version=version).delete()
        return None
    rows, exclude = made_with
    result = None
    if rows > 0:
        # Read as the last check read it (what it detected), else as the upload says.
        report = (
            ValidationReport.objects.filter(version=version, sample=source)
            .exclude(encoding="")
            .order_by("-created_at")
            .first()
        )
        limits = engine.Limits(**getattr(settings, "VALIDATION_LIMITS", {}))
        kind: Any = version.schema_kind or SchemaKind.TABLE_SCHEMA
        with local_copy(source, limits.max_bytes) as path:
            result = engine.preview_file(
                path,
                data_format=TABULAR_FORMATS.get(source.format, source.format),  # type: ignore[arg-type]
                max_rows=rows,
                exclude=exclude,
                schema=version.schema if kind == SchemaKind.TABLE_SCHEMA else None,
                schema_kind=kind,
                encoding=(report.encoding if report else "") or source.encoding or None,
                delimiter=(report.delimiter if report else "") or source.delimiter or None,
                limits=limits,
                sheet=source.sheet or None,
            )
    return preview_store(
        version_id=version.pk, source_id=source.pk, made_with=made_with, result=result
    )


def versions_without_preview() -> QuerySet[DatasetVersion]:
    """Versions that show a preview (rows > 0) and have a checked file but no preview."""
    checked = ValidationReport.objects.filter(
        version_id=OuterRef("pk"), sample__isnull=False
    ).exclude(sample__file="")
    return (
        DatasetVersion.objects.filter(preview_rows__gt=0, preview__isnull=True)
        .filter(Exists(checked))
        .order_by("created_at", "id")
    )


@transaction.atomic
def previews_backfill() -> list[Any]:
    """Promise a preview job for every version with a checked file and no preview, except
    those already promised and not yet sent; the ids queued. Running it again queues only
    what is still missing."""
    pending = OutboxMessage.objects.filter(task_name=PREVIEW_TASK, sent_at__isnull=True)
    promised = pending.values_list("args", flat=True)
    pending_ids = {args[0] for args in promised if isinstance(args, list) and args}
    queued = []
    for version in versions_without_preview().only("pk"):
        if str(version.pk) in pending_ids:
            continue
        preview_enqueue(version=version)
        queued.append(version.pk)
    return queued
