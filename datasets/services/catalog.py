"""Writes and state changes for the catalog. Every function runs in a transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Division, Organization, User
from audit.chain import audit_append
from common.errors import Conflict
from common.services import model_update
from interop.dcat import MEDIA_TYPES

from ..models import (
    DATASET_METADATA_FIELDS,
    PREVIEW_FIELDS,
    RESERVED_SLUGS,
    DataFormat,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    ImportJob,
    VersionStatus,
)
from ..search import document_tokens
from ..selectors import dataset_publication_missing
from ..signals import dataset_sensitivity_set
from ..validation.sniff import format_conflict, format_detect
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
    while slug in RESERVED_SLUGS or Dataset.objects.filter(slug=slug).exists():
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
def dataset_publish(
    *, dataset: Dataset, version: DatasetVersion | None = None, actor: User | None = None
) -> Dataset:
    """Publish the dataset, and `version` (a draft) with it, when the publication rules allow
    (datasets.selectors.dataset_publication_missing); otherwise 409 `dataset_incomplete` with
    `missing`. With `version`, a dataset already published gets only the new version."""
    # Check the row as it is now, locked, not the caller's possibly stale copy.
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if version is None and dataset.status not in DATASET_TRANSITIONS[DatasetStatus.PUBLISHED]:
        return _dataset_transition(dataset, DatasetStatus.PUBLISHED)  # 409 invalid_transition
    missing = dataset_publication_missing(dataset, publishing=version)
    if missing:
        raise Conflict(
            _("This dataset cannot be published yet: %(fields)s (see `missing`).")
            % {"fields": ", ".join(dict.fromkeys(entry["field"] for entry in missing))},
            code="dataset_incomplete",
            missing=missing,
        )
    if version is not None:
        version = version_publish(version=version)
        audit_append(
            actor=actor,
            action="version.published",
            object_type="dataset_version",
            object_id=version.pk,
            steward_organization_ids=[dataset.publisher_id],
            data={"dataset": str(dataset.pk), "version": version.version},
        )
        if dataset.status == DatasetStatus.PUBLISHED:
            dataset.refresh_from_db()
            return dataset
    dataset = _dataset_transition(dataset, DatasetStatus.PUBLISHED)
    audit_append(
        actor=actor,
        action="dataset.published",
        object_type="dataset",
        object_id=dataset.pk,
        steward_organization_ids=[dataset.publisher_id],
        data={"slug": dataset.slug},
    )
    return dataset


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
    _carry_previous(version, given=fields)
    version.full_clean()
    version.save()
    return version


# What a new version takes from the previous one unless given: its schema and the settings of
# its preview, where the model has them (the release itself, notes and files, is new).
CARRIED_VERSION_FIELDS = ("schema", "schema_kind", "preview_rows", "preview_excluded_columns")


def _carry_previous(version: DatasetVersion, given: Collection[str]) -> None:
    """A new version starts from the previous version's schema and preview settings (the
    newest published version, else the newest one); its file is checked against that schema
    when uploaded."""
    names = {field.name for field in DatasetVersion._meta.get_fields()}
    carried = [name for name in CARRIED_VERSION_FIELDS if name in names and name not in given]
    if not carried:
        return
    previous = (
        DatasetVersion.objects.filter(dataset_id=version.dataset_id)
        .order_by(
            models.Case(models.When(status=VersionStatus.PUBLISHED, then=0), default=1),
            "-created_at",
            "-id",
        )
        .values(*carried)
        .first()
    )
    for name, value in (previous or {}).items():
        setattr(version, name, value)


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
def _format_name(data_format: str) -> str:
    try:
        return str(DataFormat(data_format).label)
    except ValueError:
        return data_format.upper()


def data_format_resolve(
    *,
    filename: str,
    head: bytes,
    declared: str | None,
    allowed: tuple[str, ...] | None = None,
) -> str:
    """The format of an upload: the declared one unless its content contradicts it, or the one
    its name and content show. A ValidationError on `format` (400) when it cannot be told
    (`format_undetected`), is contradicted (`format_mismatch`), or is not in `allowed`
    (`format_unsupported`)."""
    detected = format_detect(filename, head)
    if declared:
        if format_conflict(declared, detected):
            raise ValidationError(
                {
                    "format": ValidationError(
                        _("The file's content is %(detected)s, not %(declared)s.")
                        % {
                            "detected": _format_name(detected or ""),
                            "declared": _format_name(declared),
                        },
                        code="format_mismatch",
                    )
                }
            )
        return declared
    if detected is None:
        raise ValidationError(
            {
                "format": ValidationError(
                    _(
                        "The format could not be told from the file's name or content; "
                        "give `format`."
                    ),
                    code="format_undetected",
                )
            }
        )
    if allowed is not None and detected not in allowed:
        raise ValidationError(
            {
                "format": ValidationError(
                    _("The file is %(detected)s; a sample must be one of: %(allowed)s.")
                    % {
                        "detected": _format_name(detected),
                        "allowed": ", ".join(_format_name(value) for value in allowed),
                    },
                    code="format_unsupported",
                )
            }
        )
    return detected


def file_head(file: File[Any], size: int = 64 * 1024) -> bytes:
    """The first bytes of an upload, leaving it at its start."""
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head if isinstance(head, bytes) else str(head).encode()


def distribution_create(
    *, version: DatasetVersion, file: File[Any] | None = None, **fields: Any
) -> Distribution:
    """Add a file or an access URL to a draft version. With no `format`, the file's name and
    first bytes (or the URL's path) tell it; with no `media_type`, the format does."""
    if file is not None:
        fields["format"] = data_format_resolve(
            filename=file.name or "", head=file_head(file), declared=fields.get("format")
        )
    elif not fields.get("format") and fields.get("access_url"):
        fields["format"] = data_format_resolve(
            filename=urlsplit(fields["access_url"]).path, head=b"", declared=None
        )
    if not fields.get("media_type") and fields.get("format"):
        fields["media_type"] = MEDIA_TYPES.get(fields["format"], "application/octet-stream")
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
