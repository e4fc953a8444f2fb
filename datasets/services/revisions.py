"""Dataset revisions: the metadata after each change, who made it, and which fields changed.

`dataset_create` writes revision 1 and `dataset_update` one more for every call that changes a
metadata field (the API, imports and the admin all go through them), in the same transaction
as the change. Status changes (publish, deprecate, withdraw) are the lifecycle, not metadata:
they write no revision. Datasets made before revisions existed start their history at their
first change after that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Max

from accounts.models import User

from ..models import DATASET_METADATA_FIELDS, Dataset, DatasetRevision, ImportJob


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return list(value)
    return value


def dataset_comparable(dataset: Dataset) -> dict[str, Any]:
    """The metadata as plain values, to tell what a change changed (no query: the
    division by id)."""
    values = {
        name: _json_value(getattr(dataset, name))
        for name in DATASET_METADATA_FIELDS
        if name != "division"
    }
    values["division"] = dataset.division_id
    return values


def dataset_snapshot(dataset: Dataset) -> dict[str, Any]:
    """The metadata as JSON, the division by its code."""
    snapshot = dataset_comparable(dataset)
    snapshot["division"] = dataset.division.code
    return {name: snapshot[name] for name in DATASET_METADATA_FIELDS}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in DATASET_METADATA_FIELDS if before.get(name) != after.get(name)]


def dataset_revision_record(
    *,
    dataset: Dataset,
    changed: Iterable[str],
    changed_by: User | None = None,
    import_job: ImportJob | None = None,
) -> DatasetRevision | None:
    """Append the dataset's next revision; nothing when no metadata field changed.

    Call inside the transaction of the change, with the dataset row locked (the services do),
    so two writers cannot take the same number; the unique constraint backs that up."""
    fields = [name for name in DATASET_METADATA_FIELDS if name in set(changed)]
    if not fields:
        return None
    last = DatasetRevision.objects.filter(dataset_id=dataset.pk).aggregate(last=Max("number"))
    return DatasetRevision.objects.create(
        dataset=dataset,
        number=(last["last"] or 0) + 1,
        snapshot=dataset_snapshot(dataset),
        changed_fields=fields,
        created_by=changed_by if changed_by is not None and changed_by.pk else None,
        import_job=import_job,
    )
