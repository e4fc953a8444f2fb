"""In-process side of the benchmark: bench personas and the SQL each endpoint runs.

Import only after `django.setup()`, with DATABASE_URL pointing at the bench database.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import (
    ApiToken,
    Division,
    DivisionLead,
    Membership,
    MembershipRole,
    Organization,
    User,
)
from accounts.services import api_token_create
from datasets.models import LISTED_STATUSES, Dataset, Sensitivity

from .measure import percentile

BENCH_EMAIL_DOMAIN = "bench.max-alliance.kr"


@dataclass(frozen=True)
class Personas:
    """Bearer secrets of the bench users, and the organisation the member belongs to."""

    organization_slug: str
    organization_datasets: int
    member_token: str
    steward_token: str
    outsider_token: str
    secretariat_token: str
    lead_token: str
    lead_division: str  # the code of the division the bench lead leads


def _user(local: str, full_name: str) -> User:
    email = f"{local}@{BENCH_EMAIL_DOMAIN}"
    user = User.objects.filter(email=email).first()
    return user or User.objects.create_user(email, password=None, full_name=full_name)


@transaction.atomic
def ensure_personas() -> Personas:
    """A member and a steward of the biggest publisher, and a member of a non-publisher.

    Users are reused between runs; their tokens are replaced, as a secret is shown only once.
    """
    top = (
        Organization.objects.annotate(n=Count("datasets")).order_by("-n", "id").values("id", "n")
    )[0]
    publisher = Organization.objects.get(pk=top["id"])
    silent = Organization.objects.filter(datasets__isnull=True).order_by("id").first() or publisher
    plan = [
        ("member", "벤치 회원", publisher, MembershipRole.MEMBER),
        ("steward", "벤치 관리자", publisher, MembershipRole.DATA_STEWARD),
        ("outsider", "벤치 외부인", silent, MembershipRole.MEMBER),
    ]
    secrets: dict[str, str] = {}
    for local, name, organization, role in plan:
        user = _user(f"bench-{local}", name)
        Membership.objects.filter(user=user).exclude(organization=organization).delete()
        Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
        secrets[local] = _fresh_token(user)
    # The alliance's figures are read by the secretariat and by division leads too.
    secretariat = _user("bench-secretariat", "벤치 사무국")
    User.objects.filter(pk=secretariat.pk).update(is_secretariat=True)
    secrets["secretariat"] = _fresh_token(secretariat)
    division = Division.objects.annotate(n=Count("datasets")).order_by("-n", "code").first()
    assert division is not None
    lead = _user("bench-lead", "벤치 분과장")
    DivisionLead.objects.filter(user=lead).exclude(division=division).delete()
    DivisionLead.objects.get_or_create(user=lead, division=division)
    secrets["lead"] = _fresh_token(lead)
    return Personas(
        organization_slug=publisher.slug,
        organization_datasets=int(top["n"]),
        member_token=secrets["member"],
        steward_token=secrets["steward"],
        outsider_token=secrets["outsider"],
        secretariat_token=secrets["secretariat"],
        lead_token=secrets["lead"],
        lead_division=division.code,
    )


def _fresh_token(user: User) -> str:
    ApiToken.objects.filter(user=user).delete()
    _token, secret = api_token_create(user=user, name="make bench")
    return secret


def detail_sample(*, public_only: bool, size: int) -> list[str]:
    """UUIDs of listed datasets (public ones for anonymous callers), spread over the table."""
    qs = Dataset.objects.filter(status__in=LISTED_STATUSES)
    if public_only:
        qs = qs.filter(sensitivity=Sensitivity.PUBLIC)
    total = qs.count()
    step = max(1, total // max(1, size))
    ids = list(qs.order_by("id").values_list("id", flat=True)[: step * size])
    return [str(pk) for pk in ids[::step][:size]]


@dataclass(frozen=True)
class CapturedQuery:
    role: str
    sql: str


@dataclass(frozen=True)
class Capture:
    """One request's status, its `count`, and every SQL statement it ran, in order."""

    status: int
    count: int | None
    count_is_capped: bool
    queries: list[CapturedQuery]


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    sql_p50_ms: float  # time inside the database calls of those same requests
    runs: int


NO_TIMING = Timing(math.nan, math.nan, 0)


_ROLES = [
    (re.compile(r"^SELECT COUNT\(\*\)", re.I), "count"),
    (re.compile(r'FROM "accounts_apitoken"', re.I), "token"),
    (re.compile(r'^UPDATE "accounts_apitoken"', re.I), "token last_used"),
    (re.compile(r'FROM "accounts_membership"', re.I), "actor roles"),
    (re.compile(r'^SELECT .* FROM "datasets_dataset" ', re.I | re.S), "page"),
]


def _role(sql: str) -> str:
    for pattern, role in _ROLES:
        if pattern.search(sql):
            return role
    return "other"


class SqlClock:
    """`connection.execute_wrapper` hook adding up the time spent in database calls."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def _client(token: str | None) -> Client:
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(**headers)


def capture(path: str, *, token: str | None) -> Capture:
    """The SQL of one request, after one warm-up request (which may write last_used_at)."""
    client = _client(token)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    body = response.json() if response.status_code == 200 else {}
    count = body.get("count") if isinstance(body, dict) else None
    return Capture(
        status=response.status_code,
        count=count if isinstance(count, int) else None,
        count_is_capped=bool(isinstance(body, dict) and body.get("count_is_capped")),
        queries=[CapturedQuery(_role(q["sql"]), q["sql"]) for q in captured.captured_queries],
    )


def time_requests(path: str, *, token: str | None, repeat: int, time_limit: float) -> Timing:
    """Up to `repeat` requests through the test client (at least one, else `time_limit`).

    Each request also clocks its own database calls, so the SQL / Python split comes from the
    very same requests.
    """
    client = _client(token)
    totals: list[float] = []
    in_sql: list[float] = []
    deadline = time.perf_counter() + time_limit
    for _ in range(repeat):
        if totals and time.perf_counter() > deadline:
            break
        clock = SqlClock()
        with connection.execute_wrapper(clock):
            started = time.perf_counter()
            client.get(path)
            totals.append((time.perf_counter() - started) * 1000)
        in_sql.append(clock.seconds * 1000)
    return Timing(percentile(totals, 50), percentile(in_sql, 50), len(totals))
