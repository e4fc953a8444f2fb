"""The figures' SQL: one aggregate query per kind of record, grouped by the breakdown's key.

Every function here sends a fixed number of statements (most one) whatever the number of
rows, and returns aggregated rows only: `{key: {figure: value}}`, the key being a division id,
an organisation id, an organisation kind, a month, or None for a total. Nothing loops over
datasets or requests in Python.

Attribution: dataset figures (datasets, versions, validation checks) belong to the dataset's
division and publisher. A sharing request, its grant and the grant's downloads belong to the
dataset's division and publisher on the publisher side, and to the requesting (granted)
organisation on the consumer side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import connection, models
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Expression,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncMonth

from datasets.models import (
    LISTED_STATUSES,
    Dataset,
    DatasetVersion,
    ValidationReport,
    ValidationStatus,
    VersionStatus,
)
from registry.models import Download, Grant, SharingRequest, SharingRequestState

from .months import Month, MonthRange, stats_zone
from .scope import Scope

S = SharingRequestState
LISTED = [str(status) for status in LISTED_STATUSES]
FINISHED_CHECKS = [ValidationStatus.PASSED, ValidationStatus.FAILED, ValidationStatus.ERROR]
# A decision: approved (whatever happened to the grant since) or rejected. Withdrawn requests
# were never decided; open ones not yet.
APPROVED_OUTCOMES = [S.APPROVED, S.ACTIVE, S.EXPIRED, S.REVOKED]
DECIDED = Q(state__in=[*APPROVED_OUTCOMES, S.REJECTED], decided_at__isnull=False)
APPROVED = Q(state__in=APPROVED_OUTCOMES, decided_at__isnull=False)
REJECTED = Q(state=S.REJECTED, decided_at__isnull=False)

Rows = dict[Any, dict[str, Any]]

# Plain counts are COUNT(*), not COUNT(id): PostgreSQL may then answer from an index alone
# (listed datasets by publisher from `dataset_status_publisher`) instead of the 190 MB heap.
# Django refuses COUNT(*) with a FILTER, so filtered counts name the primary key.


class Median(Aggregate):
    """PostgreSQL's exact, interpolated median: `percentile_cont(0.5) WITHIN GROUP (ORDER BY x)`.

    Works on numbers and on intervals; with `filter=` PostgreSQL appends `FILTER (WHERE ...)`.
    """

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


class Key(StrEnum):
    TOTAL = "total"
    DIVISION = "division"
    PUBLISHER = "publisher"
    PUBLISHER_KIND = "publisher_kind"
    CONSUMER = "consumer"
    CONSUMER_KIND = "consumer_kind"
    MONTH = "month"


class Side(StrEnum):
    """Whose figures: the publisher's (dataset side) or the requesting organisation's."""

    PUBLISHER = "publisher"
    CONSUMER = "consumer"


@dataclass(frozen=True)
class Source:
    """A kind of record and its paths to the dataset and to the consuming organisation."""

    model: type[models.Model]
    dataset: str  # lookup prefix from the record to its dataset ("" for datasets themselves)
    consumer: str | None  # the foreign key to the consuming organisation, if any

    def key(self, key: Key, month_field: str | None = None) -> Expression | F | None:
        if key is Key.TOTAL:
            return None
        if key is Key.MONTH:
            assert month_field is not None
            return TruncMonth(month_field, tzinfo=stats_zone())
        if key in (Key.CONSUMER, Key.CONSUMER_KIND):
            assert self.consumer is not None, f"{self.model.__name__} has no consumer"
            return F(f"{self.consumer}_id" if key is Key.CONSUMER else f"{self.consumer}__kind")
        field = {
            Key.DIVISION: "division_id",
            Key.PUBLISHER: "publisher_id",
            Key.PUBLISHER_KIND: "publisher__kind",
        }[key]
        return F(f"{self.dataset}{field}")

    def scoped(self, scope: Scope, side: Side) -> QuerySet[Any]:
        """Records of the scope's datasets; with organisations, only theirs on `side`."""
        qs = self.model._default_manager.all()
        if scope.division_ids is not None:
            qs = qs.filter(**{f"{self.dataset}division_id__in": sorted(scope.division_ids)})
        if scope.organization_ids is not None:
            ids = sorted(scope.organization_ids)
            if side is Side.PUBLISHER:
                qs = qs.filter(**{f"{self.dataset}publisher_id__in": ids})
            else:
                assert self.consumer is not None
                qs = qs.filter(**{f"{self.consumer}_id__in": ids})
        return qs


DATASETS = Source(Dataset, "", None)
VERSIONS = Source(DatasetVersion, "dataset__", None)
CHECKS = Source(ValidationReport, "version__dataset__", None)
REQUESTS = Source(SharingRequest, "dataset__", "requester")
GRANTS = Source(Grant, "version__dataset__", "organization")
DOWNLOADS = Source(Download, "grant__version__dataset__", "grant__organization")


def side_of(key: Key) -> Side:
    return Side.CONSUMER if key in (Key.CONSUMER, Key.CONSUMER_KIND) else Side.PUBLISHER


def _grouped(qs: QuerySet[Any], key: Expression | F | None, aggregates: Mapping[str, Any]) -> Rows:
    if key is None:
        return {None: qs.aggregate(**aggregates)}
    rows = qs.order_by().values(key=key).annotate(**aggregates)
    return {row.pop("key"): row for row in rows}


def _in_range(qs: QuerySet[Any], field: str, months: MonthRange | None) -> QuerySet[Any]:
    if months is None:
        return qs
    return qs.filter(**{f"{field}__gte": months.start(), f"{field}__lt": months.end()})


# --- dataset figures ------------------------------------------------------------------------


def datasets_published(scope: Scope, key: Key, months: MonthRange | None = None) -> Rows:
    """Listed datasets (published or deprecated); by month of `published_at`."""
    qs = DATASETS.scoped(scope, Side.PUBLISHER).filter(status__in=LISTED)
    qs = _in_range(qs, "published_at", months)
    aggregates = {"datasets_published": Count("*")}
    return _grouped(qs, DATASETS.key(key, "published_at"), aggregates)


def versions_published(scope: Scope, key: Key, months: MonthRange | None = None) -> Rows:
    """Published versions of listed datasets; by month of the version's `published_at`."""
    qs = VERSIONS.scoped(scope, Side.PUBLISHER).filter(
        status=VersionStatus.PUBLISHED, dataset__status__in=LISTED
    )
    qs = _in_range(qs, "published_at", months)
    aggregates = {"versions_published": Count("*")}
    return _grouped(qs, VERSIONS.key(key, "published_at"), aggregates)


def validation_checks(scope: Scope, key: Key, months: MonthRange | None = None) -> Rows:
    """Finished checks (passed, failed, error) of versions of the scope's datasets, whatever
    the dataset's status; by month of `finished_at`, which the workers set on finishing."""
    qs = CHECKS.scoped(scope, Side.PUBLISHER).filter(status__in=FINISHED_CHECKS)
    qs = _in_range(qs, "finished_at", months)
    aggregates = {
        "validation_checks": Count("*"),
        "validation_checks_passed": Count("pk", filter=Q(status=ValidationStatus.PASSED)),
    }
    return _grouped(qs, CHECKS.key(key, "finished_at"), aggregates)


# --- sharing figures ------------------------------------------------------------------------


def _request_counts() -> dict[str, Any]:
    return {
        "sharing_requests": Count("*"),
        **{f"state:{state}": Count("pk", filter=Q(state=state)) for state in S},
    }


def _decision_figures() -> dict[str, Any]:
    return {
        "decisions": Count("pk", filter=DECIDED),
        "approvals": Count("pk", filter=APPROVED),
        "rejections": Count("pk", filter=REJECTED),
        "median_time_to_decision": Median(
            F("decided_at") - F("created_at"), filter=DECIDED, output_field=DurationField()
        ),
    }


def sharing_requests(scope: Scope, key: Key, side: Side) -> Rows:
    """Requests by their current state, and their decisions, in one query."""
    qs = REQUESTS.scoped(scope, side)
    return _grouped(qs, REQUESTS.key(key), {**_request_counts(), **_decision_figures()})


def sharing_requests_by_month(scope: Scope, side: Side, months: MonthRange) -> Rows:
    """Requests made in each month (by `created_at`), counted by their current state."""
    qs = _in_range(REQUESTS.scoped(scope, side), "created_at", months)
    return _grouped(qs, REQUESTS.key(Key.MONTH, "created_at"), _request_counts())


def decisions_by_month(scope: Scope, side: Side, months: MonthRange) -> Rows:
    """Decisions taken in each month (by `decided_at`), whenever the request was made."""
    qs = _in_range(REQUESTS.scoped(scope, side).filter(DECIDED), "decided_at", months)
    return _grouped(qs, REQUESTS.key(Key.MONTH, "decided_at"), _decision_figures())


def _active_at(moment: dt.datetime) -> Q:
    return Q(revoked_at__isnull=True, valid_from__lte=moment, valid_until__gt=moment)


def grants_active(scope: Scope, key: Key, side: Side, now: dt.datetime) -> Rows:
    """Grants in force at `now`: not revoked, `valid_from <= now < valid_until`."""
    qs = GRANTS.scoped(scope, side).filter(_active_at(now))
    return _grouped(qs, GRANTS.key(key), {"grants_active": Count("*")})


def grants_active_by_month(
    scope: Scope, side: Side, months: MonthRange, now: dt.datetime
) -> dict[Month, int]:
    """Grants in force at the end of each month (for the current month: at `now`).

    One query: grants counted by the month they start in and by the month they end in (the
    end is the earlier of `valid_until` and `revoked_at`, never before `valid_from`), both
    folded into the first month when earlier; the months' running sums of starts minus ends
    are the grants valid at each month's end.
    """
    cutoff = min(now, months.end())
    first = Value(months.start())
    zone = stats_zone()
    ended = Greatest(
        F("valid_from"), Least(F("valid_until"), Coalesce(F("revoked_at"), F("valid_until")))
    )
    base = GRANTS.scoped(scope, side).order_by()
    starts = (
        base.filter(valid_from__lt=cutoff)
        .values(bucket=Greatest(TruncMonth("valid_from", tzinfo=zone), first))
        .annotate(step=Value(1), n=Count("*"))
    )
    ends = (
        base.annotate(ended=ended)
        .filter(ended__lt=cutoff)
        .values(bucket=Greatest(TruncMonth("ended", tzinfo=zone), first))
        .annotate(step=Value(-1), n=Count("*"))
    )
    delta: dict[Month, int] = {}
    for row in starts.union(ends, all=True):
        month = Month.of(row["bucket"])
        delta[month] = delta.get(month, 0) + row["step"] * row["n"]
    active: dict[Month, int] = {}
    running = 0
    for month in months.months():  # at most MAX_MONTHS aggregated numbers
        running += delta.get(month, 0)
        active[month] = running
    return active


def downloads(scope: Scope, key: Key, side: Side, months: MonthRange | None = None) -> Rows:
    """Downloads through the scope's grants: how many, how many bytes; by `created_at` month."""
    qs = _in_range(DOWNLOADS.scoped(scope, side), "created_at", months)
    aggregates = {"downloads": Count("*"), "download_bytes": Coalesce(Sum("byte_size"), 0)}
    return _grouped(qs, DOWNLOADS.key(key, "created_at"), aggregates)


# --- organisations that publish and consume --------------------------------------------------


def _both_sql(scope: Scope, by_division: bool) -> tuple[str, tuple[Any, ...]]:
    """`(division_id,) organisation_id` pairs: the publisher of a listed dataset in the scope
    that also holds a grant (of any status) on a dataset in the scope, within one division
    when `by_division`. An INTERSECT of two distinct projections."""
    publishing = DATASETS.scoped(scope, Side.PUBLISHER).filter(status__in=LISTED).order_by()
    granted = GRANTS.scoped(scope, Side.CONSUMER).order_by()
    if by_division:
        pairs = publishing.values_list("division_id", "publisher_id").intersection(
            granted.values_list("version__dataset__division_id", "organization_id")
        )
    else:
        pairs = publishing.values_list("publisher_id").intersection(
            granted.values_list("organization_id")
        )
    sql, params = pairs.query.sql_with_params()
    return sql, tuple(params)


def _over_pairs(select: str, scope: Scope, *, by_division: bool) -> list[tuple[Any, ...]]:
    """Run `select` (a constant of this module) over the pairs as `both_`.

    The pairs' SQL and parameters come from Django's compiler; nothing from the request is
    formatted into the statement, so the f-string is not an injection path.
    """
    pairs, params = _both_sql(scope, by_division=by_division)
    with connection.cursor() as cursor:
        cursor.execute(select.format(pairs=pairs), params)
        return list(cursor.fetchall())


def publishing_consumers_by_division(scope: Scope) -> dict[int, int]:
    """Per division: organisations publishing and consuming within that division's datasets."""
    rows = _over_pairs(
        "SELECT both_.division, count(*) FROM ({pairs}) AS both_(division, organization)"
        " GROUP BY both_.division",
        scope,
        by_division=True,
    )
    return {int(division): int(n) for division, n in rows}


def publishing_consumers_by_kind(scope: Scope) -> dict[str, int]:
    rows = _over_pairs(
        "SELECT o.kind, count(*) FROM ({pairs}) AS both_(organization)"
        " JOIN accounts_organization AS o ON o.id = both_.organization GROUP BY o.kind",
        scope,
        by_division=False,
    )
    return {str(kind): int(n) for kind, n in rows}


def publishing_consumers(scope: Scope) -> set[int]:
    """The organisations themselves (at most one row per member organisation)."""
    rows = _over_pairs(
        "SELECT both_.organization FROM ({pairs}) AS both_(organization)",
        scope,
        by_division=False,
    )
    return {int(organization) for (organization,) in rows}


def publishing_consumers_count(scope: Scope) -> int:
    rows = _over_pairs(
        "SELECT count(*) FROM ({pairs}) AS both_(organization)", scope, by_division=False
    )
    return int(rows[0][0])
