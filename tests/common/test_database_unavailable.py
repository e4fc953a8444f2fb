"""No database connection to be had (the pool is exhausted, PostgreSQL is full or down) is a 503
with Retry-After, not a 500; and the pool settings come from the environment."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.urls import reverse
from rest_framework.test import APIClient

from config.settings.base import database_settings
from tests.common.problems import assert_problem

# The transactional tests flush every table, the divisions too: put them back.
pytestmark = pytest.mark.usefixtures("divisions_survive_the_flush")

URL = reverse("dataset-list")


def assert_unavailable(response: Any) -> None:
    body = assert_problem(response, 503, "database_unavailable")
    assert int(response["Retry-After"]) > 0
    assert body["retry_after_seconds"] == int(response["Retry-After"])


@pytest.fixture
def refused() -> Iterator[None]:
    """Connecting fails as it does when PostgreSQL is full; the test's own connection is
    closed first, so the request has to open one."""
    connection.close()
    too_many = psycopg.OperationalError("connection failed: FATAL: sorry, too many clients already")
    with mock.patch.object(DatabaseWrapper, "get_new_connection", side_effect=too_many):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_refused_connection_is_503_in_the_api(refused):
    client = APIClient()
    client.raise_request_exception = False

    assert_unavailable(client.get(URL))


@pytest.mark.django_db(transaction=True)
def test_a_refused_connection_is_503_outside_the_api_too(refused):
    client = APIClient()
    client.raise_request_exception = False

    response = client.post("/login/", {"email": "a@b.kr", "password": "x"}, format="multipart")

    assert_unavailable(response)


@pytest.mark.django_db(transaction=True)
def test_a_failing_query_on_an_open_connection_is_still_a_500():
    client = APIClient()
    client.raise_request_exception = False
    connection.ensure_connection()
    broken = psycopg.OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(DatabaseWrapper, "create_cursor", side_effect=broken):
        response = client.get(URL)

    assert response.status_code == 500  # a bug or an outage mid-request: not retried blindly


# --- a real psycopg pool, exhausted -------------------------------------------------------------


@pytest.fixture
def tiny_pool() -> Iterator[None]:
    """Django's psycopg pool for the default database with one connection, held by another
    connection object (as another thread would), and a 0.2 s wait for one."""
    pytest.importorskip("psycopg_pool")
    connection.close()
    # One the settings made (DB_POOL_MAX_SIZE), rebuilt afterwards. (django-stubs 5.2 lacks
    # close_pool, new in Django 5.1.)
    connection.close_pool()  # type: ignore[attr-defined]
    settings_dict = connection.settings_dict
    saved = (settings_dict["CONN_MAX_AGE"], dict(settings_dict["OPTIONS"]))
    settings_dict["CONN_MAX_AGE"] = 0
    settings_dict["OPTIONS"] = {**saved[1], "pool": {"min_size": 1, "max_size": 1, "timeout": 0.2}}
    holder = connections.create_connection("default")
    try:
        holder.ensure_connection()  # the pool's only connection
        yield
    finally:
        holder.close()
        connection.close()
        connection.close_pool()  # type: ignore[attr-defined]
        settings_dict["CONN_MAX_AGE"], settings_dict["OPTIONS"] = saved


@pytest.mark.django_db(transaction=True)
def test_an_exhausted_pool_is_503_after_its_timeout(tiny_pool):
    client = APIClient()
    client.raise_request_exception = False
    started = time.monotonic()

    response = client.get(URL)

    assert_unavailable(response)
    assert 0.2 <= time.monotonic() - started < 2


# --- settings ------------------------------------------------------------------------------------

DATABASE_URL = "postgres://registry@db.internal:5432/registry"


def test_without_a_pool_connections_persist(monkeypatch):
    monkeypatch.delenv("DB_POOL_MAX_SIZE", raising=False)
    monkeypatch.setenv("DB_CONN_MAX_AGE", "60")

    database = database_settings(DATABASE_URL)

    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in database["OPTIONS"]
    assert database["OPTIONS"]["connect_timeout"] == 5


def test_a_pool_from_the_environment(monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "8")
    monkeypatch.setenv("DB_POOL_MIN_SIZE", "2")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "3.5")
    monkeypatch.setenv("DB_CONN_MAX_AGE", "60")

    database = database_settings(DATABASE_URL)

    assert database["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 3.5}
    assert database["CONN_MAX_AGE"] == 0  # Django's pool refuses persistent connections
    assert database["CONN_HEALTH_CHECKS"] is True  # the pool checks what it hands out


def test_the_pool_minimum_never_exceeds_its_maximum(monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "2")
    monkeypatch.setenv("DB_POOL_MIN_SIZE", "10")

    assert database_settings(DATABASE_URL)["OPTIONS"]["pool"]["min_size"] == 2
