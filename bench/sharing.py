"""The sharing layer of the bench database: what the alliance's figures (`/api/v1/stats/`) read.

On top of the catalog (bench/seed.py), with COPY and one seeded `random.Random`, so equal sizes
on an equal catalog give equal rows (timestamps are relative to the seeding day):

- validation reports for about half the versions (some checked twice), mostly passed;
- one requester user and membership per organisation;
- sharing requests over the last 24 months in every state, from organisations other than the
  publisher, popular datasets asked for more often, AI companies and institutes asking most;
  decisions after an automatic check (seconds) or a person (hours to days, log-normal);
- an access policy per requested dataset (the request's policy), an agreement and a grant per
  approved request (timed releases, expiries and revocations included), a distribution per
  granted version, and downloads through grants while they were valid.

No sharing-request events, audit rows or notifications: the figures do not read them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import psycopg
from psycopg import sql

from .corpus import uuid7_at
from .seed import copy_rows

SHARING_SEED_OFFSET = 2  # the catalog uses RANDOM_SEED itself
SPAN_DAYS = 730  # requests over the last 24 months
DECIDED_APPROVED = ("approved", "active", "expired", "revoked")

# Who asks, by organisation kind (relative weights): AI companies most, as the alliance intends.
KIND_WEIGHTS = {
    "ai_company": 6,
    "research_institute": 3,
    "university": 3,
    "manufacturer": 1,
    "parts_supplier": 1,
    "materials_supplier": 1,
    "public_agency": 1,
}
ROUTE_WEIGHTS = {"automatic": 25, "publisher": 60, "publisher_then_division_lead": 15}
PURPOSES = (
    "ai_model_training",
    "research",
    "testing_and_validation",
    "product_development",
    "benchmarking",
    "process_improvement",
    "education",
)
PERIOD_DAYS = (30, 90, 90, 180, 365, 365)
REPORT_STATUS_WEIGHTS = {"passed": 74, "failed": 16, "error": 5, "queued": 2, "running": 3}


@dataclass(frozen=True)
class SharingSizes:
    sharing_requests: int
    downloads: int


@dataclass(frozen=True)
class SharingReport:
    validation_reports: int
    sharing_requests: int
    grants: int
    downloads: int
    seconds: float


class _Dataset(NamedTuple):
    id: uuid.UUID
    publisher_id: int
    published_at: dt.datetime


class _Version(NamedTuple):
    id: uuid.UUID
    dataset_id: uuid.UUID
    status: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    byte_size: int


@dataclass
class _Rows:
    users: list[tuple[object, ...]] = field(default_factory=list)
    memberships: list[tuple[object, ...]] = field(default_factory=list)
    policies: list[tuple[object, ...]] = field(default_factory=list)
    requests: list[tuple[object, ...]] = field(default_factory=list)
    agreements: list[tuple[object, ...]] = field(default_factory=list)
    grants: list[tuple[object, ...]] = field(default_factory=list)
    distributions: list[tuple[object, ...]] = field(default_factory=list)
    downloads: list[tuple[object, ...]] = field(default_factory=list)
    reports: list[tuple[object, ...]] = field(default_factory=list)


def sharing_counts(conn: psycopg.Connection) -> tuple[int, int, int]:
    """Validation reports, sharing requests and downloads in the bench database."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM datasets_validationreport),"
        " (SELECT count(*) FROM registry_sharingrequest),"
        " (SELECT count(*) FROM registry_download)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _copy(
    conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    copy_rows(conn, table, columns, rows)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _hours(rng: random.Random, median: float, sigma: float) -> dt.timedelta:
    """A log-normal delay: most decisions within a day or two, a long tail of weeks."""
    return dt.timedelta(hours=median * math.exp(rng.gauss(0, sigma)))


def _reports(
    rng: random.Random, versions: Sequence[_Version], now: dt.datetime, rows: _Rows
) -> None:
    statuses = list(REPORT_STATUS_WEIGHTS)
    cum = _cumulative(list(REPORT_STATUS_WEIGHTS.values()))
    for version in versions:
        if rng.random() >= 0.5:
            continue
        checks = 2 if rng.random() < 0.25 else 1
        moment = version.created_at + dt.timedelta(minutes=rng.uniform(1, 120))
        for check in range(checks):
            status = rng.choices(statuses, cum_weights=cum)[0]
            if check < checks - 1 and status == "passed":
                status = "failed"  # checked again because the first check failed
            if status in ("queued", "running") and now - moment > dt.timedelta(days=2):
                status = "passed"  # only recent checks can still be waiting
            started = (
                None if status == "queued" else moment + dt.timedelta(seconds=rng.uniform(1, 60))
            )
            finished = (
                started + dt.timedelta(seconds=rng.uniform(2, 900))
                if started is not None and status in ("passed", "failed", "error")
                else None
            )
            rows.reports.append(
                (
                    uuid7_at(moment, rng),
                    version.id,
                    status,
                    "",
                    "[]",
                    "[]",
                    "{}",
                    "[]",
                    "[]",
                    "",
                    "",
                    "",
                    "{}",
                    1 if status != "queued" else 0,
                    moment,
                    started,
                    finished,
                )
            )
            moment = (finished or moment) + dt.timedelta(hours=rng.uniform(1, 72))


REPORT_COLUMNS = (
    "id",
    "version_id",
    "status",
    "message",
    "schema_problems",
    "compatibility",
    "errors_by_code",
    "errors",
    "profile",
    "schema_digest",
    "encoding",
    "delimiter",
    "timings",
    "attempts",
    "created_at",
    "started_at",
    "finished_at",
)


def seed_sharing(
    url: str, *, sizes: SharingSizes, seed: int, log: Callable[[str], None]
) -> SharingReport:
    """Add the sharing layer to a seeded catalog that has none. Deterministic for given sizes."""
    started = dt.datetime.now()
    rng = random.Random(seed + SHARING_SEED_OFFSET)
    now = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = _Rows()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        if any(sharing_counts(conn)):
            raise SystemExit("The bench database already has sharing data; recreate it first.")
        organizations = [
            (int(pk), str(slug), str(kind))
            for pk, slug, kind in conn.execute(
                "SELECT id, slug, kind FROM accounts_organization ORDER BY id"
            ).fetchall()
        ]
        datasets = [
            _Dataset(pk, int(publisher), published)
            for pk, publisher, published in conn.execute(
                "SELECT id, publisher_id, published_at FROM datasets_dataset"
                " WHERE status IN ('published', 'deprecated') AND published_at IS NOT NULL"
                " ORDER BY id"
            ).fetchall()
        ]
        versions = [
            _Version(pk, dataset, status, created, published, int(size or 0))
            for pk, dataset, status, created, published, size in conn.execute(
                "SELECT id, dataset_id, status, created_at, published_at, byte_size"
                " FROM datasets_datasetversion ORDER BY id"
            ).fetchall()
        ]
        _reports(rng, versions, now, rows)
        log(f"{len(rows.reports):,} validation reports generated")
        _requests(rng, sizes, now, organizations, datasets, versions, rows)
        log(
            f"{len(rows.requests):,} sharing requests, {len(rows.grants):,} grants and "
            f"{len(rows.downloads):,} downloads generated"
        )
        _write(conn, rows)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in (
            "datasets_validationreport",
            "registry_sharingrequest",
            "registry_grant",
            "registry_download",
            "registry_agreement",
            "registry_accesspolicy",
            "datasets_distribution",
        ):
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    seconds = (dt.datetime.now() - started).total_seconds()
    log(f"sharing layer seeded in {seconds:.1f} s")
    return SharingReport(
        len(rows.reports), len(rows.requests), len(rows.grants), len(rows.downloads), seconds
    )


def _requests(
    rng: random.Random,
    sizes: SharingSizes,
    now: dt.datetime,
    organizations: Sequence[tuple[int, str, str]],
    datasets: Sequence[_Dataset],
    versions: Sequence[_Version],
    rows: _Rows,
) -> None:
    users: dict[int, int] = {}  # organisation id -> its requester user's id (assigned below)
    for index, (org_id, slug, _kind) in enumerate(organizations, start=1):
        joined = now - dt.timedelta(days=SPAN_DAYS + 30)
        rows.users.append(
            (
                "!",  # an unusable password: these users never log in
                False,
                f"seed-{slug}@bench.max-alliance.kr",
                f"요청 담당자 {index}",
                True,
                False,
                False,
                joined,
            )
        )
        users[org_id] = index  # replaced by the real id once the users are copied
        rows.memberships.append((joined, joined, "member", org_id, index))

    published: dict[uuid.UUID, list[_Version]] = {}
    for version in versions:
        if version.status == "published" and version.published_at is not None:
            published.setdefault(version.dataset_id, []).append(version)
    for series in published.values():
        series.sort(key=lambda v: v.published_at or now)
    candidates = [d for d in datasets if d.id in published]
    rng.shuffle(candidates)  # popularity independent of age and publisher
    dataset_cum = _cumulative([rank**-0.8 for rank in range(1, len(candidates) + 1)])
    requesters = list(organizations)
    rng.shuffle(requesters)
    requester_cum = _cumulative(
        [KIND_WEIGHTS.get(kind, 1) * rank**-0.6 for rank, (_, _, kind) in enumerate(requesters, 1)]
    )
    routes = list(ROUTE_WEIGHTS)
    route_cum = _cumulative(list(ROUTE_WEIGHTS.values()))
    policies: dict[uuid.UUID, uuid.UUID] = {}
    distributions: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}
    earliest = now - dt.timedelta(days=SPAN_DAYS)
    valid_grants: list[tuple[uuid.UUID, int, dt.datetime, dt.datetime, uuid.UUID, int]] = []

    open_pairs: set[tuple[int, uuid.UUID]] = set()
    for _ in range(sizes.sharing_requests):
        # More requests lately (the alliance grows: density rising linearly over the span),
        # for a popular dataset already published then.
        created = earliest + (now - earliest) * math.sqrt(rng.random())
        for _attempt in range(100):
            dataset = candidates[bisect.bisect_left(dataset_cum, rng.random() * dataset_cum[-1])]
            if dataset.published_at < created:
                break
        else:
            created = dataset.published_at + (now - dataset.published_at) * rng.random()
        requester = requesters[bisect.bisect_left(requester_cum, rng.random() * requester_cum[-1])]
        while requester[0] == dataset.publisher_id:
            requester = rng.choice(requesters)
        route = rng.choices(routes, cum_weights=route_cum)[0]
        period = rng.choice(PERIOD_DAYS)
        purpose = rng.choice(PURPOSES)
        request_id = uuid7_at(created, rng)
        if dataset.id not in policies:
            policy_id = uuid7_at(dataset.published_at, rng)
            policies[dataset.id] = policy_id
            rows.policies.append(
                (
                    policy_id,
                    1,
                    True,
                    "{}",
                    "{}",
                    "{}",
                    "{}",
                    "{" + ",".join(PURPOSES) + "}",
                    "{}",
                    "{}",
                    365,
                    "publisher",
                    dataset.published_at,
                    dataset.id,
                )
            )
        state, decided, routed = _outcome(rng, route, created, now)
        start_at = None
        if state in DECIDED_APPROVED and rng.random() < 0.05 and decided is not None:
            start_at = decided + dt.timedelta(days=rng.randint(1, 30))  # timed release
        grant_window: tuple[dt.datetime, dt.datetime] | None = None
        revoked_at = None
        if state in DECIDED_APPROVED:
            assert decided is not None
            valid_from = start_at or decided
            valid_until = valid_from + dt.timedelta(days=period)
            if valid_from > now:
                state = "approved"
            elif valid_until <= now:
                state = "expired"
            else:
                state = "active"
            if state in ("approved", "active") and rng.random() < 0.04:
                state = "revoked"
                revoked_at = decided + (now - decided) * rng.random()
            grant_window = (valid_from, valid_until)
        if state in OPEN_STATES:
            # One open request per organisation and dataset (sharing_request_one_open): the
            # requester withdrew an earlier one, so the counts stay what was asked for.
            if (requester[0], dataset.id) in open_pairs:
                state = "withdrawn"
            else:
                open_pairs.add((requester[0], dataset.id))
        modified = revoked_at or decided or created
        rows.requests.append(
            (
                request_id,
                purpose,
                "예지보전 모델 학습과 검증 / training and validating a model",
                period,
                "{attribution}",
                route,
                state,
                "[]",
                "",
                created,
                modified,
                decided,
                routed,
                None,
                None,
                dataset.id,
                policies[dataset.id],
                users[requester[0]],
                requester[0],
                None,
                start_at,
                0,
            )
        )
        if grant_window is None:
            continue
        assert decided is not None
        series = published[dataset.id]
        version = series[0]
        for candidate in series:
            if candidate.published_at is not None and candidate.published_at <= decided:
                version = candidate
        agreement_id = uuid7_at(decided, rng)
        document = {
            "sharing_request": str(request_id),
            "target": str(version.id),
            "provider": dataset.publisher_id,
            "consumer": requester[0],
            "valid_from": grant_window[0].isoformat(),
            "valid_until": grant_window[1].isoformat(),
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"))
        rows.agreements.append(
            (agreement_id, text, hashlib.sha256(text.encode()).hexdigest(), decided, request_id)
        )
        grant_id = uuid7_at(decided, rng)
        rows.grants.append(
            (
                grant_id,
                grant_window[0],
                grant_window[1],
                revoked_at,
                "" if revoked_at is None else "이용 조건 위반 / terms breached",
                None,
                agreement_id,
                requester[0],
                None,
                version.id,
            )
        )
        if version.id not in distributions:
            distribution_id = uuid7_at(version.published_at or decided, rng)
            distributions[version.id] = (distribution_id, version.byte_size)
            moment = version.published_at or decided
            rows.distributions.append(
                (
                    moment,
                    moment,
                    distribution_id,
                    "",
                    "csv",
                    "text/csv",
                    version.byte_size,
                    "",
                    "",
                    f"https://data.example.kr/{version.id}.csv",
                    version.id,
                    "",
                    "",
                    "data",
                )
            )
        usable_until = min(grant_window[1], revoked_at or now, now)
        if usable_until > grant_window[0]:
            distribution_id, size = distributions[version.id]
            valid_grants.append(
                (grant_id, requester[0], grant_window[0], usable_until, distribution_id, size)
            )

    rows.requests.sort(key=lambda r: r[9])  # type: ignore[arg-type, return-value]
    # Downloads: a few grants are used heavily, most a little.
    if valid_grants:
        rng.shuffle(valid_grants)
        grant_cum = _cumulative([rank**-0.5 for rank in range(1, len(valid_grants) + 1)])
        for _ in range(sizes.downloads):
            grant_id, org_id, since, until, distribution_id, size = valid_grants[
                bisect.bisect_left(grant_cum, rng.random() * grant_cum[-1])
            ]
            moment = since + (until - since) * rng.random()
            rows.downloads.append((size, None, moment, distribution_id, users[org_id], grant_id))
        rows.downloads.sort(key=lambda r: r[2])  # type: ignore[arg-type, return-value]


# Undecided: an organisation has at most one such request per dataset.
OPEN_STATES = frozenset({"submitted", "awaiting_publisher", "awaiting_division_lead"})


def _outcome(
    rng: random.Random, route: str, created: dt.datetime, now: dt.datetime
) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """(state, decided_at, routed_to_division_lead_at) of a request made at `created`."""
    if route == "automatic":
        decided = created + dt.timedelta(seconds=rng.uniform(1, 30))
        if decided > now:
            return "submitted", None, None
        return ("rejected" if rng.random() < 0.12 else "approved"), decided, None
    publisher_step = _hours(rng, 20, 1.2)
    routed = None
    delay = publisher_step
    if route == "publisher_then_division_lead":
        routed = created + publisher_step
        delay = publisher_step + _hours(rng, 40, 1.0)
    if rng.random() < 0.05:  # withdrawn before anyone decided
        withdrawn = created + delay * rng.random()
        if withdrawn <= now:
            return "withdrawn", None, routed if routed and routed <= withdrawn else None
    decided = created + delay
    if decided > now:
        if routed is not None and routed <= now:
            return "awaiting_division_lead", None, routed
        return "awaiting_publisher", None, None
    return ("rejected" if rng.random() < 0.22 else "approved"), decided, routed


USER_COLUMNS = (
    "password",
    "is_superuser",
    "email",
    "full_name",
    "is_active",
    "is_staff",
    "is_secretariat",
    "date_joined",
)
MEMBERSHIP_COLUMNS = ("created_at", "modified_at", "role", "organization_id", "user_id")
POLICY_COLUMNS = (
    "id",
    "revision",
    "is_current",
    "allowed_division_ids",
    "allowed_organization_kinds",
    "allowed_organization_ids",
    "denied_organization_ids",
    "permitted_purposes",
    "prohibitions",
    "obligations",
    "max_period_days",
    "approval_route",
    "created_at",
    "dataset_id",
)
REQUEST_COLUMNS = (
    "id",
    "purpose",
    "justification",
    "period_days",
    "accepted_obligations",
    "approval_route",
    "state",
    "decision_reasons",
    "idempotency_key",
    "created_at",
    "modified_at",
    "decided_at",
    "routed_to_division_lead_at",
    "reminded_at",
    "escalated_at",
    "dataset_id",
    "policy_id",
    "requested_by_id",
    "requester_id",
    "version_id",
    "start_at",
    "check_attempts",
)
AGREEMENT_COLUMNS = ("id", "document", "digest", "created_at", "sharing_request_id")
GRANT_COLUMNS = (
    "id",
    "valid_from",
    "valid_until",
    "revoked_at",
    "revocation_reason",
    "expiry_notice_sent_at",
    "agreement_id",
    "organization_id",
    "revoked_by_id",
    "version_id",
)
DISTRIBUTION_COLUMNS = (
    "created_at",
    "modified_at",
    "id",
    "title",
    "format",
    "media_type",
    "byte_size",
    "sha256",
    "file",
    "access_url",
    "version_id",
    "delimiter",
    "encoding",
    "role",
)
DOWNLOAD_COLUMNS = (
    "byte_size",
    "client_ip",
    "created_at",
    "distribution_id",
    "user_id",
    "grant_id",
)


def _write(conn: psycopg.Connection, rows: _Rows) -> None:
    _copy(conn, "datasets_validationreport", REPORT_COLUMNS, rows.reports)
    _copy(conn, "accounts_user", USER_COLUMNS, rows.users)
    # Users got serial ids; map the placeholders (1-based positions) onto them.
    ids = [
        int(pk)
        for (pk,) in conn.execute(
            "SELECT id FROM accounts_user WHERE email LIKE 'seed-%@bench.max-alliance.kr'"
            " ORDER BY id"
        ).fetchall()
    ]
    if len(ids) != len(rows.users):
        raise SystemExit("Seed users already exist in the bench database; recreate it first.")

    def user(placeholder: object) -> int:
        assert isinstance(placeholder, int)
        return ids[placeholder - 1]

    _copy(
        conn,
        "accounts_membership",
        MEMBERSHIP_COLUMNS,
        ((*m[:4], user(m[4])) for m in rows.memberships),
    )
    _copy(conn, "registry_accesspolicy", POLICY_COLUMNS, rows.policies)
    _copy(
        conn,
        "registry_sharingrequest",
        REQUEST_COLUMNS,
        ((*r[:17], user(r[17]), *r[18:]) for r in rows.requests),
    )
    _copy(conn, "registry_agreement", AGREEMENT_COLUMNS, rows.agreements)
    _copy(conn, "datasets_distribution", DISTRIBUTION_COLUMNS, rows.distributions)
    _copy(conn, "registry_grant", GRANT_COLUMNS, rows.grants)
    _copy(
        conn,
        "registry_download",
        DOWNLOAD_COLUMNS,
        ((*d[:4], user(d[4]), d[5]) for d in rows.downloads),
    )


def grant_count(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM registry_grant").fetchone()
    return int(row[0]) if row else 0
