"""The alliance's figures as tables: rows assembled from the aggregate queries, then cached.

Each table costs a fixed number of queries (see `queries`), and only aggregated rows come back
to Python: at most one per division, organisation kind, organisation or month, merged here by
key. Every table is computed for one `Scope`, never for one user, and cached under it for
`STATS_CACHE_SECONDS` (see `cached`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Division, Organization, OrganizationKind
from registry.models import SharingRequestState

from . import queries
from .months import DEFAULT_MONTHS, Month, MonthRange
from .queries import Key, Rows, Side
from .scope import ALLIANCE, Scope

T = TypeVar("T")

# Bump when a definition changes, so cached tables of the old definition are not served.
CACHE_VERSION = 1
DEFAULT_CACHE_SECONDS = 300
# How long one computation may hold the refresh lock before another caller tries.
REFRESH_LOCK_SECONDS = 60

Figures = dict[str, Any]


# --- figures ----------------------------------------------------------------------------------


def _sharing_zero() -> Figures:
    return {
        "sharing_requests": 0,
        "sharing_requests_by_state": {str(state): 0 for state in SharingRequestState},
        "decisions": 0,
        "approvals": 0,
        "rejections": 0,
        "median_time_to_decision": None,
        "grants_active": 0,
        "downloads": 0,
        "download_bytes": 0,
    }


def _publisher_zero() -> Figures:
    return {
        "datasets_published": 0,
        "versions_published": 0,
        "validation_checks": 0,
        "validation_checks_passed": 0,
        **_sharing_zero(),
    }


def _fold(figures: Figures, values: dict[str, Any]) -> None:
    """Add one query's aggregated values to `figures` (`state:<s>` counts go by state)."""
    for name, value in values.items():
        if name.startswith("state:"):
            figures["sharing_requests_by_state"][name.removeprefix("state:")] = value
        else:
            figures[name] = value


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _finish(figures: Figures) -> Figures:
    """Rates and the median in hours, from the counts."""
    median: dt.timedelta | None = figures.pop("median_time_to_decision")
    figures["median_hours_to_decision"] = (
        None if median is None else round(median.total_seconds() / 3600, 2)
    )
    figures["approval_rate"] = _ratio(figures["approvals"], figures["decisions"])
    if "validation_checks" in figures:
        figures["validation_pass_rate"] = _ratio(
            figures["validation_checks_passed"], figures["validation_checks"]
        )
    return figures


def _merge(keys: Iterable[Any], zero: Callable[[], Figures], *parts: Rows) -> dict[Any, Figures]:
    """One figures dict per key (zeros where no query found a row), each part folded in."""
    merged = {key: zero() for key in keys}
    for part in parts:
        for key, values in part.items():
            if key in merged:
                _fold(merged[key], values)
    return {key: _finish(figures) for key, figures in merged.items()}


def _publisher_parts(scope: Scope, key: Key, now: dt.datetime) -> list[Rows]:
    """Dataset figures and the sharing figures of the datasets, by a publisher-side key."""
    return [
        queries.datasets_published(scope, key),
        queries.versions_published(scope, key),
        queries.validation_checks(scope, key),
        queries.sharing_requests(scope, key, Side.PUBLISHER),
        queries.grants_active(scope, key, Side.PUBLISHER, now),
        queries.downloads(scope, key, Side.PUBLISHER),
    ]


def _consumer_parts(scope: Scope, key: Key, now: dt.datetime) -> list[Rows]:
    """The sharing figures of the requesting organisations, by a consumer-side key."""
    return [
        queries.sharing_requests(scope, key, Side.CONSUMER),
        queries.grants_active(scope, key, Side.CONSUMER, now),
        queries.downloads(scope, key, Side.CONSUMER),
    ]


# --- caching ----------------------------------------------------------------------------------


def _clock() -> float:
    return time.time()


def cache_seconds() -> int:
    return int(getattr(settings, "STATS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def cached(name: str, compute: Callable[[], T], *, refresh: bool = False) -> T:
    """`compute()`, or its result from the last `STATS_CACHE_SECONDS`.

    A result older than that is recomputed by one caller at a time (a lock in the cache);
    meanwhile the others get the older result rather than all running the same aggregates.
    Zero seconds turns caching off. `refresh` recomputes and stores whatever is cached (the
    beat task that keeps the alliance's tables warm).
    """
    seconds = cache_seconds()
    if seconds <= 0:
        return compute()
    key = f"stats:v{CACHE_VERSION}:{name}"
    entry = None if refresh else cache.get(key)
    if entry is not None:
        stored_at, value = entry
        if _clock() - stored_at < seconds:
            return value  # type: ignore[no-any-return]
        if not cache.add(f"{key}:refresh", 1, timeout=REFRESH_LOCK_SECONDS):
            return value  # type: ignore[no-any-return]
    try:
        value = compute()
        # Kept twice as long as it is fresh, so that there is something to serve while it is
        # being recomputed.
        cache.set(key, (_clock(), value), timeout=seconds * 2)
    finally:
        if entry is not None:
            cache.delete(f"{key}:refresh")
    return value


# --- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    generated_at: dt.datetime
    scope: dict[str, list[str] | None]  # division codes and organisation slugs (None: all)
    rows: list[dict[str, Any]]


def _describe(scope: Scope) -> dict[str, list[str] | None]:
    divisions = organizations = None
    if scope.division_ids is not None:
        divisions = list(
            Division.objects.filter(pk__in=sorted(scope.division_ids))
            .order_by("sort_order", "code")
            .values_list("code", flat=True)
        )
    if scope.organization_ids is not None:
        organizations = list(
            Organization.objects.filter(pk__in=sorted(scope.organization_ids))
            .order_by("slug")
            .values_list("slug", flat=True)
        )
    return {"divisions": divisions, "organizations": organizations}


def _figures_with_organizations(
    scope: Scope, now: dt.datetime, organizations: int, publishing_consumers: int
) -> Figures:
    figures = _merge([None], _publisher_zero, *_publisher_parts(scope, Key.TOTAL, now))[None]
    figures["organizations"] = organizations
    figures["organizations_publishing_and_consuming"] = publishing_consumers
    return figures


def _alliance() -> dict[str, Any]:
    now = timezone.now()
    figures = _figures_with_organizations(
        ALLIANCE,
        now,
        organizations=Organization.objects.count(),
        publishing_consumers=queries.publishing_consumers_count(ALLIANCE),
    )
    return {"generated_at": now, "figures": figures}


def alliance_totals(*, refresh: bool = False) -> dict[str, Any]:
    """The alliance-wide figures, the same for every caller: `{generated_at, figures}`."""
    return cached("alliance", _alliance, refresh=refresh)


def _divisions(scope: Scope) -> Table:
    now = timezone.now()
    listed = Division.objects.annotate(members=Count("organizations", distinct=True))
    if scope.division_ids is not None:
        listed = listed.filter(pk__in=sorted(scope.division_ids))
    divisions = list(listed.order_by("sort_order", "code"))
    ids = [division.pk for division in divisions]
    figures = _merge(ids, _publisher_zero, *_publisher_parts(scope, Key.DIVISION, now))
    both = queries.publishing_consumers_by_division(scope)
    rows = []
    for division in divisions:
        row_figures = figures[division.pk]
        row_figures["organizations"] = division.members
        row_figures["organizations_publishing_and_consuming"] = both.get(division.pk, 0)
        rows.append(
            {
                "division": {
                    "code": division.code,
                    "name_ko": division.name_ko,
                    "name_en": division.name_en,
                },
                "figures": row_figures,
            }
        )
    return Table(now, _describe(scope), rows)


def division_table(scope: Scope, *, refresh: bool = False) -> Table:
    """One row per division of the scope (all ten for the whole alliance)."""
    assert scope.organization_ids is None
    return cached(f"divisions:{scope.cache_key()}", lambda: _divisions(scope), refresh=refresh)


def _roster(scope: Scope) -> Q:
    """The organisations a table lists even without activity: the scope's own organisations,
    else the members of its divisions. Never called for the whole alliance (everyone)."""
    if scope.organization_ids is not None:
        return Q(pk__in=sorted(scope.organization_ids))
    assert scope.division_ids is not None
    return Q(divisions__in=sorted(scope.division_ids))


def _organizations(scope: Scope) -> Table:
    now = timezone.now()
    publisher_parts = _publisher_parts(scope, Key.PUBLISHER, now)
    consumer_parts = _consumer_parts(scope, Key.CONSUMER, now)
    active: set[int] = set()
    for part in (*publisher_parts, *consumer_parts):
        active.update(part)
    listed = Organization.objects.all()
    if not scope.is_alliance:  # the whole alliance lists every organisation, active or not
        listed = listed.filter(_roster(scope) | Q(pk__in=sorted(active)))
    organizations = list(
        listed.distinct().order_by("slug").values("id", "slug", "name_ko", "name_en", "kind")
    )
    ids = [organization["id"] for organization in organizations]
    as_publisher = _merge(ids, _publisher_zero, *publisher_parts)
    as_consumer = _merge(ids, _sharing_zero, *consumer_parts)
    both = queries.publishing_consumers(scope)
    rows = [
        {
            "organization": {k: v for k, v in organization.items() if k != "id"},
            "as_publisher": as_publisher[organization["id"]],
            "as_consumer": as_consumer[organization["id"]],
            "publishes_and_consumes": organization["id"] in both,
        }
        for organization in organizations
    ]
    return Table(now, _describe(scope), rows)


def organization_table(scope: Scope, *, refresh: bool = False) -> Table:
    """One row per organisation of the scope, by slug: for the whole alliance every member
    organisation; for divisions their members and anyone active on their datasets; for an
    organisation's members that organisation."""
    name = f"organizations:{scope.cache_key()}"
    return cached(name, lambda: _organizations(scope), refresh=refresh)


def _kinds(scope: Scope) -> Table:
    now = timezone.now()
    kinds = [str(kind) for kind in OrganizationKind]
    as_publisher = _merge(kinds, _publisher_zero, *_publisher_parts(scope, Key.PUBLISHER_KIND, now))
    as_consumer = _merge(kinds, _sharing_zero, *_consumer_parts(scope, Key.CONSUMER_KIND, now))
    roster = (
        Organization.objects.all()
        if scope.is_alliance
        else Organization.objects.filter(_roster(scope))
    )
    members = dict(
        roster.order_by()
        .values("kind")
        .annotate(n=Count("pk", distinct=True))
        .values_list("kind", "n")
    )
    both = queries.publishing_consumers_by_kind(scope)
    rows = [
        {
            "kind": kind,
            "organizations": members.get(kind, 0),
            "as_publisher": as_publisher[kind],
            "as_consumer": as_consumer[kind],
            "organizations_publishing_and_consuming": both.get(kind, 0),
        }
        for kind in kinds
    ]
    return Table(now, _describe(scope), rows)


def kind_table(scope: Scope, *, refresh: bool = False) -> Table:
    """One row per organisation kind (all seven, zeros included)."""
    assert scope.organization_ids is None
    return cached(f"kinds:{scope.cache_key()}", lambda: _kinds(scope), refresh=refresh)


def _month_rows(
    scope: Scope, side: Side, months: MonthRange, now: dt.datetime, with_catalog: bool
) -> dict[Month, Figures]:
    def by_month(rows: Rows) -> Rows:
        return {Month.of(moment): values for moment, values in rows.items()}

    parts = [
        by_month(queries.sharing_requests_by_month(scope, side, months)),
        by_month(queries.decisions_by_month(scope, side, months)),
        by_month(queries.downloads(scope, Key.MONTH, side, months)),
    ]
    if with_catalog:
        parts += [
            by_month(queries.datasets_published(scope, Key.MONTH, months)),
            by_month(queries.versions_published(scope, Key.MONTH, months)),
            by_month(queries.validation_checks(scope, Key.MONTH, months)),
        ]
    zero = _publisher_zero if with_catalog else _sharing_zero
    figures = _merge(months.months(), zero, *parts)
    for month, active in queries.grants_active_by_month(scope, side, months, now).items():
        figures[month]["grants_active"] = active
    return figures


def _monthly(scope: Scope, months: MonthRange) -> Table:
    now = timezone.now()
    figures = _month_rows(scope, Side.PUBLISHER, months, now, with_catalog=True)
    return Table(
        now, _describe(scope), [{"month": str(m), "figures": figures[m]} for m in months.months()]
    )


def monthly_table(scope: Scope, months: MonthRange, *, refresh: bool = False) -> Table:
    """One row per month of the range, zeros included."""
    assert scope.organization_ids is None
    name = f"monthly:{scope.cache_key()}:{months.first}:{months.last}"
    return cached(name, lambda: _monthly(scope, months), refresh=refresh)


def _organization_monthly(scope: Scope, months: MonthRange) -> Table:
    now = timezone.now()
    publisher = _month_rows(scope, Side.PUBLISHER, months, now, with_catalog=True)
    consumer = _month_rows(scope, Side.CONSUMER, months, now, with_catalog=False)
    rows = [
        {"month": str(m), "as_publisher": publisher[m], "as_consumer": consumer[m]}
        for m in months.months()
    ]
    return Table(now, _describe(scope), rows)


def organization_monthly_table(scope: Scope, months: MonthRange) -> Table:
    """One organisation's months: as publisher and as consumer."""
    assert scope.organization_ids is not None
    assert len(scope.organization_ids) == 1
    name = f"organization-monthly:{scope.cache_key()}:{months.first}:{months.last}"
    return cached(name, lambda: _organization_monthly(scope, months))


def stats_refresh() -> list[str]:
    """Recompute the whole alliance's tables ahead of their readers (a beat task, a little more
    often than they go stale), so the secretariat never waits for a second of aggregates.
    Narrower scopes (a division, an organisation) are computed when first asked for."""
    last = Month.current()
    alliance_totals(refresh=True)
    division_table(ALLIANCE, refresh=True)
    kind_table(ALLIANCE, refresh=True)
    organization_table(ALLIANCE, refresh=True)
    monthly_table(ALLIANCE, MonthRange(last.plus(1 - DEFAULT_MONTHS), last), refresh=True)
    return ["alliance", "divisions", "kinds", "organizations", "monthly"]
