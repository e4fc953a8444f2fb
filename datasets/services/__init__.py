"""Writes and state changes of the catalog, by sub-domain; every function runs in a transaction.

`catalog`: datasets, versions, distributions. `validation`: schemas, their validation (the
sample check) by the workers, and the rule that decides when a version may be published.
`revisions`: the history of a dataset's metadata.
"""

from .catalog import (
    DATASET_TRANSITIONS,
    dataset_create,
    dataset_delete,
    dataset_deprecate,
    dataset_index,
    dataset_publish,
    dataset_update,
    dataset_withdraw,
    distribution_create,
    distribution_delete,
    distribution_update,
    version_create,
    version_delete,
    version_publish,
    version_update,
)

__all__ = [
    "DATASET_TRANSITIONS",
    "dataset_create",
    "dataset_delete",
    "dataset_deprecate",
    "dataset_index",
    "dataset_publish",
    "dataset_update",
    "dataset_withdraw",
    "distribution_create",
    "distribution_delete",
    "distribution_update",
    "version_create",
    "version_delete",
    "version_publish",
    "version_update",
]
