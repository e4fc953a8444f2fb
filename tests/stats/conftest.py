"""A small alliance with known figures, built row by row so every count can be checked by hand.

Divisions: ai-factory (acme publishes d1, d2, a draft d3; other publishes d6) and humanoids
(acme's withdrawn d4, other's d5). A third organisation, a research institute named like a
spreadsheet formula, only asks. Timestamps are fixed in 2025 (months in Asia/Seoul), except
grant windows that must still be open now.

Requests (created -> decided, hours):
  on d1 (acme, ai-factory) by other:  r1 active 2h, r2 expired 4h, r3 revoked 6h,
                                      r4 rejected 10h, r5 withdrawn, r6 awaiting publisher
  on d2 (acme, ai-factory) by evil:   r7 approved 1h (grant starts in the future),
                                      r8 rejected 3h (made 2025-06-01 05:00 KST)
  on d5 (other, humanoids) by acme:   r9 active 5h, r10 submitted
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import MembershipRole, OrganizationKind, User
from datasets.models import (
    DatasetStatus,
    ValidationStatus,
)
from registry.models import SharingRequestState as S
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.personas import World
from tests.stats.helpers import (
    EVIL_NAME,
    StatsWorld,
    at,
    make_check,
    make_dataset,
    make_download,
    make_grant,
    make_request,
    make_version,
)


@pytest.fixture(autouse=True)
def _no_stats_cache(settings: Any) -> None:
    """Figures straight from the database; tests/stats/test_cache.py turns the cache on."""
    settings.STATS_CACHE_SECONDS = 0


@pytest.fixture
def stats_world(world: World) -> StatsWorld:
    af, hu = world.ai_factory, world.humanoids
    acme, other = world.acme, world.other
    evil = OrganizationFactory.create(
        slug="evil", name_ko=EVIL_NAME, name_en="-2+3", kind=OrganizationKind.RESEARCH_INSTITUTE
    )
    evil_user = MembershipFactory.create(
        user=UserFactory.create(email="evil@example.kr"),
        organization=evil,
        role=MembershipRole.MEMBER,
    ).user
    other.divisions.set([hu])
    scene = StatsWorld(world=world, evil=evil, users={"evil": evil_user})
    now = timezone.now()

    d = scene.datasets
    d["d1"] = make_dataset(acme, af, DatasetStatus.PUBLISHED, at(2025, 3, 10))
    # 2025-04-01 01:30 in Seoul: an April dataset although it is still March in UTC.
    d["d2"] = make_dataset(acme, af, DatasetStatus.DEPRECATED, at(2025, 3, 31, 16, 30))
    d["d3"] = make_dataset(acme, af, DatasetStatus.DRAFT, None)
    d["d4"] = make_dataset(acme, hu, DatasetStatus.WITHDRAWN, at(2025, 1, 5))
    d["d5"] = make_dataset(other, hu, DatasetStatus.PUBLISHED, at(2025, 5, 20))
    d["d6"] = make_dataset(other, af, DatasetStatus.PUBLISHED, at(2025, 5, 25))

    v = scene.versions
    v["d1v1"] = make_version(d["d1"], "1.0.0", at(2025, 3, 10))
    v["d1v2"] = make_version(d["d1"], "1.1.0", at(2025, 4, 15))
    v["d1v3"] = make_version(d["d1"], "2.0.0", None)  # a draft version: not counted
    v["d2v1"] = make_version(d["d2"], "1.0.0", at(2025, 4, 5))
    v["d3v1"] = make_version(d["d3"], "0.1.0", None)
    v["d4v1"] = make_version(d["d4"], "1.0.0", at(2025, 1, 5))  # of a withdrawn dataset
    v["d5v1"] = make_version(d["d5"], "1.0.0", at(2025, 5, 20))

    make_check(v["d1v1"], ValidationStatus.PASSED, at(2025, 3, 9))
    make_check(v["d1v1"], ValidationStatus.FAILED, at(2025, 3, 8))
    make_check(v["d1v2"], ValidationStatus.ERROR, at(2025, 4, 14))
    make_check(v["d2v1"], ValidationStatus.PASSED, at(2025, 4, 4))
    make_check(v["d3v1"], ValidationStatus.PASSED, at(2025, 5, 1))  # drafts are checked too
    make_check(v["d4v1"], ValidationStatus.PASSED, at(2025, 2, 1))
    make_check(v["d5v1"], ValidationStatus.FAILED, at(2025, 5, 19))
    make_check(v["d1v3"], ValidationStatus.QUEUED, None)  # not finished: not counted
    make_check(v["d1v3"], ValidationStatus.RUNNING, None)

    u = world.users
    r = scene.requests
    r["r1"] = make_request(d["d1"], other, u["outsider_member"], S.ACTIVE, at(2025, 3, 15, 1), 2)
    r["r2"] = make_request(d["d1"], other, u["outsider_member"], S.EXPIRED, at(2025, 3, 20), 4)
    r["r3"] = make_request(d["d1"], other, u["outsider_member"], S.REVOKED, at(2025, 4, 2), 6)
    r["r4"] = make_request(d["d1"], other, u["outsider_member"], S.REJECTED, at(2025, 4, 10), 10)
    r["r5"] = make_request(d["d1"], other, u["outsider_member"], S.WITHDRAWN, at(2025, 4, 12))
    r["r6"] = make_request(
        d["d1"], other, u["outsider_member"], S.AWAITING_PUBLISHER, at(2025, 5, 1)
    )
    r["r7"] = make_request(d["d2"], evil, evil_user, S.APPROVED, at(2025, 5, 3), 1)
    r["r8"] = make_request(d["d2"], evil, evil_user, S.REJECTED, at(2025, 5, 31, 20), 3)
    r["r9"] = make_request(d["d5"], acme, u["member"], S.ACTIVE, at(2025, 6, 5), 5)
    r["r10"] = make_request(d["d5"], acme, u["member"], S.SUBMITTED, at(2025, 6, 10))

    g = scene.grants
    g["r1"] = make_grant(r["r1"], v["d1v1"], at(2025, 3, 15, 3), now + dt.timedelta(days=30))
    g["r2"] = make_grant(r["r2"], v["d1v1"], at(2025, 3, 20, 4), at(2025, 4, 20))
    g["r3"] = make_grant(
        r["r3"], v["d1v2"], at(2025, 4, 2, 6), now + dt.timedelta(days=100), at(2025, 5, 10)
    )
    g["r7"] = make_grant(
        r["r7"], v["d2v1"], now + dt.timedelta(days=10), now + dt.timedelta(days=40)
    )
    g["r9"] = make_grant(r["r9"], v["d5v1"], at(2025, 6, 5, 5), now + dt.timedelta(days=60))

    make_download(g["r1"], u["outsider_member"], at(2025, 3, 16), 100)
    make_download(g["r1"], u["outsider_member"], at(2025, 4, 1, 15, 30), 100)  # April 2 in Seoul
    make_download(g["r1"], u["outsider_member"], at(2025, 6, 20), 100)
    make_download(g["r2"], u["outsider_member"], at(2025, 3, 21), 50)
    make_download(g["r2"], u["outsider_member"], at(2025, 4, 10), 50)
    make_download(g["r9"], u["member"], at(2025, 6, 6), 1000)
    return scene


@pytest.fixture
def no_role_user(db: None) -> User:
    """Signed in, but neither secretariat, division lead nor member of an organisation."""
    return UserFactory.create(email="nobody@example.kr")
