"""Read queries for the catalog. Every query starts from what the caller may see."""

from __future__ import annotations

import re
import uuid

from django.contrib.postgres.search import SearchRank
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast

from accounts.selectors import Actor

from .models import (
    LISTED_STATUSES,
    Dataset,
    DatasetVersion,
    Distribution,
    Sensitivity,
    VersionStatus,
)
from .search import search_query

RELEVANCE_SCALE = 1_000_000
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,120}")


def dataset_visibility(actor: Actor) -> Q:
    """Drafts and withdrawn datasets: the publisher only. Listed ones: members; public: anyone."""
    if actor.is_secretariat:
        return Q()
    listed = Q(status__in=LISTED_STATUSES)
    if not actor.is_authenticated:
        return listed & Q(sensitivity=Sensitivity.PUBLIC)
    return listed | Q(publisher_id__in=actor.organization_ids)


def dataset_list(*, actor: Actor) -> QuerySet[Dataset]:
    latest = (
        DatasetVersion.objects.filter(dataset_id=OuterRef("pk"), status=VersionStatus.PUBLISHED)
        .order_by("-published_at")
        .values("version")[:1]
    )
    return (
        Dataset.objects.filter(dataset_visibility(actor))
        .select_related("division", "publisher")
        .defer("search_title", "search_body", "search_vector")
        .annotate(latest_version=Subquery(latest))
    )


def dataset_search(queryset: QuerySet[Dataset], text: str) -> QuerySet[Dataset]:
    """Matching datasets, annotated with an integer `relevance` (title matches weigh most).

    The rank is scaled to an integer so that cursor pagination can compare it exactly.
    """
    query = search_query(text)
    if query is None:  # nothing searchable (only punctuation): no match, still orderable
        return queryset.none().annotate(relevance=Value(0, output_field=IntegerField()))
    rank = SearchRank(F("search_vector"), query)
    return queryset.filter(search_vector=query).annotate(
        relevance=Cast(rank * RELEVANCE_SCALE, IntegerField())
    )


def dataset_get(*, actor: Actor, key: str) -> Dataset | None:
    """A visible dataset by its UUID or its slug."""
    qs = dataset_list(actor=actor)
    try:
        return qs.filter(pk=uuid.UUID(key)).first()
    except ValueError:
        if not SLUG_RE.fullmatch(key):
            return None  # not a slug either (and never send NUL bytes to PostgreSQL)
        return qs.filter(slug=key).first()


def version_visibility(actor: Actor, dataset: Dataset) -> Q:
    if actor.is_secretariat or actor.is_member_of(dataset.publisher_id):
        return Q()
    return Q(status=VersionStatus.PUBLISHED)


def version_list(*, actor: Actor, dataset: Dataset) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(dataset=dataset).filter(version_visibility(actor, dataset))


def distribution_list(*, actor: Actor, version: DatasetVersion) -> QuerySet[Distribution]:
    return Distribution.objects.filter(version=version)
