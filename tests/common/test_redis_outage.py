"""Redis away means degraded, not dead: the cache, the rate limits and the login lockout fail
open, the catalog and the stats are read, writes and logins go through, and /healthz says
`degraded`. Redis is "away" as a closed port (refused at once) and as a real redis-server
stopped with SIGSTOP (silent: only the socket timeouts end the wait).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from celery import Celery
from django.core.cache import cache
from django.urls import reverse
from kombu.exceptions import OperationalError as KombuOperationalError
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from accounts.models import ApiToken
from common import cache as degrading_cache
from datasets.models import Dataset, Sensitivity
from tests.common.outage import CLOSED_PORT, cache_at
from tests.datasets.helpers import LIST_URL, dataset_payload
from tests.factories import PASSWORD, DatasetFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("token-obtain")
# Every test here must end well within this: the timeouts are 0.5 s and the back-off 5 s.
BOUND_SECONDS = 5.0


@pytest.fixture
def redis_away() -> Iterator[None]:
    with cache_at(CLOSED_PORT):
        yield


@pytest.fixture
def bounded() -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < BOUND_SECONDS


@pytest.fixture
def public_dataset(world):
    return DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)


# --- the API with Redis away -------------------------------------------------------------------


def test_the_catalog_is_listed_anonymously(redis_away, bounded, public_dataset):
    response = APIClient().get(LIST_URL)

    assert response.status_code == 200, response.content
    assert [d["id"] for d in response.json()["results"]] == [str(public_dataset.pk)]


def test_a_dataset_is_read_anonymously(redis_away, bounded, public_dataset):
    response = APIClient().get(reverse("dataset-detail", kwargs={"dataset": public_dataset.slug}))

    assert response.status_code == 200, response.content


def test_the_dcat_catalog_is_read(redis_away, bounded, public_dataset):
    response = APIClient().get(reverse("catalog"), HTTP_ACCEPT="application/ld+json")

    assert response.status_code == 200, response.content


def test_a_steward_creates_a_dataset(redis_away, bounded, client_for):
    response = client_for("steward").post(LIST_URL, dataset_payload())

    assert response.status_code == 201, response.content
    assert Dataset.objects.filter(pk=response.json()["id"]).exists()


def test_a_login_issues_a_token(redis_away, bounded, world):
    response = APIClient().post(
        TOKEN_URL, {"email": "member@example.kr", "password": PASSWORD, "name": "outage"}
    )

    assert response.status_code == 201, response.content
    assert ApiToken.objects.filter(user=world.users["member"]).count() == 1


def test_a_wrong_password_is_still_401(redis_away, bounded, world):
    response = APIClient().post(TOKEN_URL, {"email": "member@example.kr", "password": "nope"})

    assert response.status_code == 401


def test_the_stats_are_computed_without_the_cache(redis_away, bounded, client_for, settings):
    settings.STATS_CACHE_SECONDS = 300
    client = client_for("secretariat")

    first = client.get(reverse("stats-divisions"))
    second = client.get(reverse("stats-summary"))

    assert first.status_code == 200, first.content
    assert second.status_code == 200, second.content


def test_the_rate_limits_fail_open(redis_away, bounded, world, monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "1/min")
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "1/min")
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "1/min")
    anonymous = APIClient()
    member = APIClient()
    member.force_authenticate(world.users["member"])
    credentials = {"email": "member@example.kr", "password": PASSWORD}

    assert [anonymous.get(reverse("division-list")).status_code for _ in range(3)] == [200] * 3
    assert [member.get(reverse("me")).status_code for _ in range(3)] == [200] * 3
    assert [anonymous.post(TOKEN_URL, credentials).status_code for _ in range(3)] == [201] * 3


def test_the_login_lockout_fails_open(redis_away, bounded, world, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client = APIClient()
    wrong = {"email": "member@example.kr", "password": "x"}
    assert [client.post(TOKEN_URL, wrong).status_code for _ in range(3)] == [401] * 3
    response = client.post(TOKEN_URL, {"email": "member@example.kr", "password": PASSWORD})

    assert response.status_code == 201, response.content


def test_the_same_limits_hold_when_redis_is_up(world, monkeypatch):
    # The control: with the real Redis the third anonymous call is throttled.
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = APIClient()

    statuses = [client.get(reverse("division-list")).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- the cache backend itself ------------------------------------------------------------------


def test_every_cache_operation_answers_without_redis(redis_away, bounded):
    assert cache.get("k") is None
    assert cache.get("k", "default") == "default"
    cache.set("k", 1)  # no error
    assert cache.add("k", 1) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.incr("k") == 1
    assert cache.decr("k") == -1
    assert cache.delete("k") is False
    cache.delete_many(["a", "b"])
    assert cache.has_key("k") is False
    assert cache.touch("k") is False
    assert cache.get_or_set("k", "computed") == "computed"
    cache.clear()


def test_a_failure_is_logged_counted_and_backs_off(redis_away, caplog):
    with caplog.at_level(logging.WARNING, logger="common.cache"):
        for _ in range(4):
            cache.get("k")

    warnings = [r for r in caplog.records if r.name == "common.cache"]
    assert len(warnings) == 1  # then Redis is left alone for CACHE_RETRY_SECONDS
    assert "failing open" in warnings[0].getMessage()
    assert cache.failure_counts() == {"failures": 1, "skipped": 3}  # type: ignore[attr-defined]


def test_after_the_back_off_redis_is_asked_again(world):
    with cache_at(CLOSED_PORT, retry_seconds=0):
        cache.get("k")
        cache.get("k")

        assert cache.failure_counts() == {"failures": 2, "skipped": 0}  # type: ignore[attr-defined]


def test_with_redis_up_nothing_is_counted(world):
    degrading_cache.reset_state()
    cache.set("k", 41)

    assert cache.incr("k") == 42
    assert cache.failure_counts() == {"failures": 0, "skipped": 0}  # type: ignore[attr-defined]


def test_a_missing_counter_still_raises_value_error(world):
    with pytest.raises(ValueError, match="not found"):
        cache.incr("no-such-key")


# --- a silent Redis: a real server stopped with SIGSTOP -----------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def paused_redis(tmp_path_factory) -> Iterator[str]:
    """A redis-server of our own, answering, then paused (SIGSTOP) for the module's tests:
    connections open, nothing answers. Resumed and stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("paused-redis")
    process = subprocess.Popen(  # noqa: S603 (our own binary and arguments)
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def test_a_silent_redis_costs_one_socket_timeout(paused_redis, world, public_dataset):
    with cache_at(paused_redis):
        started = time.monotonic()
        first = APIClient().get(LIST_URL)
        first_seconds = time.monotonic() - started
        started = time.monotonic()
        second = APIClient().get(LIST_URL)
        second_seconds = time.monotonic() - started

    assert first.status_code == second.status_code == 200
    assert first_seconds < 2.0  # one socket timeout (0.5 s), not redis-py's default 5 s
    assert second_seconds < 0.5  # backing off: Redis is not asked again yet


def test_queueing_to_a_silent_broker_fails_fast(paused_redis):
    app = Celery("outage-test", set_as_current=False)  # current_app stays the project's
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=paused_redis, task_always_eager=False)

    started = time.monotonic()
    with pytest.raises(KombuOperationalError):
        app.send_task("registry.no_such_task")

    assert time.monotonic() - started < BOUND_SECONDS


def test_queueing_to_a_closed_broker_fails_fast():
    app = Celery("outage-test", set_as_current=False)  # current_app stays the project's
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=CLOSED_PORT, task_always_eager=False)

    started = time.monotonic()
    with pytest.raises(KombuOperationalError):
        app.send_task("registry.no_such_task")

    assert time.monotonic() - started < BOUND_SECONDS
