"""Read queries for the DCAT catalog.

Everything a catalog page renders comes in a fixed number of queries, whatever the page size:
the page of datasets (with division and publisher), their published versions, those versions'
distributions, the datasets' current policies, and the organisations and divisions the
policies name. Nothing is read per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)

from accounts.selectors import Actor
from datasets.models import (
    LISTED_STATUSES,
    Dataset,
    DatasetVersion,
    DistributionRole,
    Preview,
    VersionStatus,
)
from datasets.selectors import dataset_get, dataset_visibility, distribution_order
from interop.odrl import OdrlLookups

from ..models import AccessPolicy
from ..selectors import policy_odrl_lookups

# The catalog's order: oldest change first, so a harvester that walks every page and then
# asks again with `modified_since` sees each change; a dataset changed during the walk moves
# to the end (seen twice) instead of into pages already read (missed).
CATALOG_ORDERING = ("modified_at", "id")

_SEARCH_COLUMNS = ("search_title", "search_body", "search_vector", "search_title_vector")


def catalog_visibility(actor: Actor) -> Q:
    """The published catalog as the caller may see it: listed datasets only (never drafts or
    withdrawn ones, not even for their publisher); anonymous callers, public ones only."""
    return dataset_visibility(actor) & Q(status__in=LISTED_STATUSES)


def catalog_dataset_list(
    *, actor: Actor, modified_since: dt.datetime | None = None
) -> QuerySet[Dataset]:
    """Listed datasets with everything their DCAT description needs, prefetched.

    Each dataset gets `published_versions` (oldest first, each with `has_schema`,
    `has_preview` and `catalog_distributions`: the data, never the checked file) and
    `current_policies` (zero or one AccessPolicy).
    """
    versions = (
        DatasetVersion.objects.filter(status=VersionStatus.PUBLISHED)
        # The catalog links to the schema endpoint; the schema itself can be large.
        .defer("schema")
        .annotate(
            has_schema=ExpressionWrapper(Q(schema__isnull=False), output_field=BooleanField()),
            # The checked file is not in the catalog; its preview is (as adms:sample).
            has_preview=ExpressionWrapper(
                Q(preview_rows__gt=0) & Exists(Preview.objects.filter(version=OuterRef("pk"))),
                output_field=BooleanField(),
            ),
        )
        .order_by("published_at", "created_at", "id")
        .prefetch_related(
            Prefetch(
                "distributions",
                distribution_order().filter(role=DistributionRole.DATA),
                to_attr="catalog_distributions",
            )
        )
    )
    queryset = (
        Dataset.objects.filter(catalog_visibility(actor))
        .select_related("division", "publisher")
        .defer(*_SEARCH_COLUMNS)
        .prefetch_related(
            Prefetch("versions", versions, to_attr="published_versions"),
            Prefetch(
                "policies",
                AccessPolicy.objects.filter(is_current=True),
                to_attr="current_policies",
            ),
        )
    )
    if modified_since is not None:
        queryset = queryset.filter(modified_at__gte=modified_since)
    return queryset


def catalog_dataset_get(*, actor: Actor, key: str) -> Dataset | None:
    """One dataset of the catalog the caller sees, by its UUID or its slug (the API's
    dataset lookup first, then the catalog's prefetches for that one)."""
    dataset = dataset_get(actor=actor, key=key)
    if dataset is None:
        return None
    return catalog_dataset_list(actor=actor).filter(pk=dataset.pk).first()


def catalog_modified(*, actor: Actor) -> dt.datetime | None:
    """When the catalog the caller sees last changed: its newest dataset change."""
    result: dt.datetime | None = (
        Dataset.objects.filter(catalog_visibility(actor))
        .order_by()
        .aggregate(modified=Max("modified_at"))["modified"]
    )
    return result


def catalog_policy_lookups(datasets: Iterable[Dataset]) -> OdrlLookups:
    """The organisation slugs and division codes the page's policies name (two queries)."""
    return policy_odrl_lookups(
        policy for dataset in datasets for policy in getattr(dataset, "current_policies", [])
    )
