"""Writes and state changes for the catalog. Every function runs in a transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Division, Organization, User
from common.errors import Conflict
from common.services import model_update

from ..models import (
    DATASET_METADATA_FIELDS,
    PREVIEW_FIELDS,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    ImportJob,
    VersionStatus,
)
from ..search import document_tokens
from ..signals import dataset_sensitivity_set
from .previews import preview_enqueue, preview_settings
from .revisions import changed_fields, dataset_comparable, dataset_revision_record

# Allowed dataset status transitions: target -> statuses it may come from.
DATASET_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DatasetStatus.PUBLISHED: (DatasetStatus.DRAFT, DatasetStatus.DEPRECATED),
    DatasetStatus.DEPRECATED: (DatasetStatus.PUBLISHED,),
    DatasetStatus.WITHDRAWN: (DatasetStatus.PUBLISHED, DatasetStatus.DEPRECATED),
}


def dataset_search_columns(
    dataset: Dataset, changes: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The token streams PostgreSQL derives the search vectors from, for `dataset` with
    `changes` applied."""
    changes = changes or {}

    def value(name: str) -> Any:
        return changes.get(name, getattr(dataset, name))

    return {
        "search_title": document_tokens(
            value("title_ko"), value("title_en"), " ".join(value("keywords") or [])
        ),
        "search_body": document_tokens(value("description_ko"), value("description_en")),
    }


def dataset_index(dataset: Dataset) -> None:
    """Refresh the token streams PostgreSQL derives the search vectors from."""
    for name, tokens in dataset_search_columns(dataset).items():
        setattr(dataset, name, tokens)


def unique_dataset_slug(base: str) -> str:
    base = (slugify(base) or "dataset")[:100].strip("-") or "dataset"
    slug = base
    while Dataset.objects.filter(slug=slug).exists():
        slug = f"{base}-{get_random_string(6, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
    return slug


@transaction.atomic
def dataset_create(
    *,
    publisher: Organization,
    division: Division,
    slug: str | None = None,
    changed_by: User | None = None,
    import_job: ImportJob | None = None,
    **fields: Any,
) -> Dataset:
    """A new draft, with its first revision (`changed_by`, `import_job`: who made it)."""
    dataset = Dataset(publisher=publisher, division=division, **fields)
    dataset.slug = slug or unique_dataset_slug(dataset.title_en or dataset.title_ko)
    dataset_index(dataset)
    dataset.full_clean()
    dataset.save()
    _announce_sensitivity(dataset)
    dataset_revision_record(
        dataset=dataset,
        changed=DATASET_METADATA_FIELDS,
        changed_by=changed_by,
        import_job=import_job,
    )
    return dataset


def _announce_sensitivity(dataset: Dataset) -> None:
    # The registry gives every dataset an access policy that follows its sensitivity
    # (restricted data always routes through the division lead); see datasets.signals.
    dataset_sensitivity_set.send(sender=Dataset, dataset=dataset)


@transaction.atomic
def dataset_update(
    *,
    dataset: Dataset,
    changed_by: User | None = None,
    import_job: ImportJob | None = None,
    **fields: Any,
) -> Dataset:
    """Change metadata; a change to any metadata field records a new revision."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if dataset.status == DatasetStatus.WITHDRAWN:
        raise Conflict(
            _("A withdrawn dataset can no longer be changed."),
            code="dataset_withdrawn",
            current_status=dataset.status,
        )
    sensitivity_before = dataset.sensitivity
    before = dataset_comparable(dataset)
    # The search columns change with the text they index: set, checked and saved together.
    model_update(instance=dataset, data={**fields, **dataset_search_columns(dataset, fields)})
    if dataset.sensitivity != sensitivity_before:
        _announce_sensitivity(dataset)
    dataset_revision_record(
        dataset=dataset,
        changed=changed_fields(before, dataset_comparable(dataset)),
        changed_by=changed_by,
        import_job=import_job,
    )
    return dataset


def _dataset_transition(dataset: Dataset, target: str) -> Dataset:
    sources = DATASET_TRANSITIONS[target]
    now = timezone.now()
    updates: dict[str, Any] = {"status": target, "modified_at": now}
    if target == DatasetStatus.PUBLISHED and dataset.published_at is None:
        updates["published_at"] = now
    # Conditional UPDATE: of two concurrent requests only one changes the row.
    changed = Dataset.objects.filter(pk=dataset.pk, status__in=sources).update(**updates)
    if not changed:
        current = Dataset.objects.values_list("status", flat=True).get(pk=dataset.pk)
        raise Conflict(
            _("A dataset in status '%(current)s' cannot become '%(target)s'.")
            % {"current": current, "target": target},
            code="invalid_transition",
            current_status=current,
            allowed_from=list(sources),
        )
    dataset.refresh_from_db()
    return dataset


@transaction.atomic
def dataset_publish(*, dataset: Dataset) -> Dataset:
    # Check the row as it is now, locked, not the caller's possibly stale copy.
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    missing = [
        name
        for name, ok in (
            ("description", bool(dataset.description_ko or dataset.description_en)),
            ("contact", bool(dataset.contact_email)),
        )
        if not ok
    ]
    if missing:
        raise Conflict(
            _("Fill in %(fields)s before publishing.") % {"fields": ", ".join(missing)},
            code="dataset_incomplete",
            missing=missing,
        )
    return _dataset_transition(dataset, DatasetStatus.PUBLISHED)


@transaction.atomic
def dataset_deprecate(*, dataset: Dataset) -> Dataset:
    return _dataset_transition(dataset, DatasetStatus.DEPRECATED)


@transaction.atomic
def dataset_withdraw(*, dataset: Dataset) -> Dataset:
    return _dataset_transition(dataset, DatasetStatus.WITHDRAWN)


@transaction.atomic
def dataset_delete(*, dataset: Dataset) -> None:
    files = list(
        Distribution.objects.filter(version__dataset_id=dataset.pk)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    deleted, _counts = Dataset.objects.filter(pk=dataset.pk, status=DatasetStatus.DRAFT).delete()
    if not deleted:
        raise Conflict(
            _("Only drafts can be deleted; withdraw a published dataset instead."),
            code="dataset_not_draft",
            current_status=dataset.status,
        )
    _delete_files_on_commit(files)


# --- versions ---------------------------------------------------------------------------------


def _delete_files_on_commit(names: list[str]) -> None:
    """Remove stored files once the rows are gone for good (never before: a rollback keeps them)."""
    names = [name for name in names if name]
    if names:
        storage = Distribution._meta.get_field("file").storage

        def delete() -> None:
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete)


def dataset_lock_writable(dataset_id: Any) -> Dataset:
    """Lock the dataset row and refuse changes to a withdrawn dataset's versions and files."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset_id)
    _ensure_dataset_writable(dataset)
    return dataset


def _ensure_dataset_writable(dataset: Dataset) -> None:
    if dataset.status == DatasetStatus.WITHDRAWN:
        raise Conflict(
            _("A withdrawn dataset can no longer be changed."),
            code="dataset_withdrawn",
            current_status=dataset.status,
        )


def version_ensure_draft(version: DatasetVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            _("A published version is immutable; create a new version instead."),
            code="version_immutable",
            current_status=version.status,
        )


@transaction.atomic
def version_create(*, dataset: Dataset, **fields: Any) -> DatasetVersion:
    _ensure_dataset_writable(dataset)
    if DatasetVersion.objects.filter(dataset=dataset, version=fields.get("version")).exists():
        raise Conflict(
            _("This dataset already has a version '%(version)s'.")
            % {"version": fields.get("version")},
            code="version_exists",
        )
    version = DatasetVersion(dataset=dataset, **fields)
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def version_update(*, version: DatasetVersion, fields: dict[str, Any]) -> DatasetVersion:
    """Change a draft version. `fields` is a dict: one of them is itself called `version`.

    The preview settings (PREVIEW_FIELDS) change on published versions too (they are not the
    release: a steward may hide a sensitive column at any time); a change makes the preview
    again through the workers."""
    dataset_lock_writable(version.dataset_id)
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    if not set(fields) <= set(PREVIEW_FIELDS):
        version_ensure_draft(version)
    before = preview_settings(version)
    model_update(instance=version, data=fields)
    if preview_settings(version) != before:
        preview_enqueue(version=version)
    return version


@transaction.atomic
def version_publish(*, version: DatasetVersion) -> DatasetVersion:
    # Lock the dataset so a concurrent withdrawal cannot slip between the check and the update.
    _ensure_dataset_writable(Dataset.objects.select_for_update().get(pk=version.dataset_id))
    now = timezone.now()
    changed = DatasetVersion.objects.filter(pk=version.pk, status=VersionStatus.DRAFT).update(
        status=VersionStatus.PUBLISHED, published_at=now, modified_at=now
    )
    if not changed:
        raise Conflict(
            _("This version is already published."),
            code="invalid_transition",
            current_status=VersionStatus.PUBLISHED,
        )
    # A new release is a change to the dataset for harvesters that poll `modified_after`.
    Dataset.objects.filter(pk=version.dataset_id).update(modified_at=now)
    version.refresh_from_db()
    return version


@transaction.atomic
def version_delete(*, version: DatasetVersion) -> None:
    dataset_lock_writable(version.dataset_id)
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    version_ensure_draft(version)
    files = list(version.distributions.exclude(file="").values_list("file", flat=True))
    version.delete()
    _delete_files_on_commit(files)


# --- distributions ----------------------------------------------------------------------------


def _digest(upload: File[Any]) -> tuple[str, int]:
    """SHA-256 and size, read chunk by chunk: never the whole file in memory."""
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


@transaction.atomic
def distribution_create(
    *, version: DatasetVersion, file: File[Any] | None = None, **fields: Any
) -> Distribution:
    dataset_lock_writable(version.dataset_id)
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    version_ensure_draft(version)
    distribution = Distribution(version=version, **fields)
    if file is not None:
        sha256, size = _digest(file)
        declared = fields.get("sha256")
        if declared and declared != sha256:
            raise Conflict(
                _("The file's SHA-256 does not match the declared one."),
                code="checksum_mismatch",
                declared_sha256=declared,
                actual_sha256=sha256,
            )
        distribution.sha256, distribution.byte_size = sha256, size
        distribution.file.save(file.name or "data", file, save=False)
    try:
        distribution.full_clean()
        distribution.save()
    except Exception:
        if distribution.file:
            distribution.file.delete(save=False)
        raise
    return distribution


@transaction.atomic
def distribution_update(*, distribution: Distribution, **fields: Any) -> Distribution:
    distribution = (
        Distribution.objects.select_related("version").select_for_update().get(pk=distribution.pk)
    )
    dataset_lock_writable(distribution.version.dataset_id)
    version_ensure_draft(distribution.version)
    model_update(instance=distribution, data=fields)
    return distribution


@transaction.atomic
def distribution_delete(*, distribution: Distribution) -> None:
    dataset_lock_writable(distribution.version.dataset_id)
    version_ensure_draft(distribution.version)
    files = [distribution.file.name] if distribution.file else []
    distribution.delete()
    _delete_files_on_commit(files)
