"""GET /healthz: each dependency's state and latency; 200 while the database answers (the body
says `degraded` when Redis does not), 503 without the database."""

from __future__ import annotations

from unittest import mock

import pytest
from celery import current_app
from django.db import OperationalError, connections
from django.urls import reverse
from rest_framework.test import APIClient

from tests.common.outage import CLOSED_PORT, cache_at

pytestmark = pytest.mark.django_db

URL = "/healthz"
DEPENDENCIES = {"database", "cache", "broker"}


def healthz():
    response = APIClient().get(URL)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response, response.json()


def test_all_well_is_200_ok_with_each_dependency(db):
    response, body = healthz()

    assert response.status_code == 200
    assert body["status"] == "ok"  # the shape it always had, with more fields
    assert set(body["checks"]) == DEPENDENCIES
    for name, check in body["checks"].items():
        assert check["status"] == "ok", name
        assert isinstance(check["latency_ms"], int | float), name
        assert check["latency_ms"] >= 0
    assert body["checks"]["cache"]["failures"] == 0


def test_without_the_cache_it_is_200_degraded(db):
    with cache_at(CLOSED_PORT):
        response, body = healthz()

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "down"
    assert body["checks"]["cache"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"


def test_the_cache_failures_are_counted(db):
    with cache_at(CLOSED_PORT):
        APIClient().get(reverse("division-list"))  # the throttle fails once, then backs off
        APIClient().get(reverse("division-list"))
        _, body = healthz()

    cache = body["checks"]["cache"]
    assert cache["failures"] >= 1
    assert cache["skipped"] >= 1


def test_without_the_broker_it_is_200_degraded(db, monkeypatch):
    monkeypatch.setattr(current_app.conf, "broker_url", CLOSED_PORT)

    response, body = healthz()

    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["broker"]["latency_ms"] < 2000
    assert body["checks"]["cache"]["status"] == "ok"


def test_without_the_database_it_is_503_down(db):
    refused = OperationalError("connection refused")
    with mock.patch.object(connections["default"], "cursor", side_effect=refused):
        response, body = healthz()

    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert body["status"] == "down"
    assert body["checks"]["database"] == {
        "status": "down",
        "error": "OperationalError",
        "latency_ms": body["checks"]["database"]["latency_ms"],
    }
    assert body["checks"]["cache"]["status"] == "ok"


def test_errors_name_only_their_type(db):
    with cache_at(CLOSED_PORT):
        response, _ = healthz()

    assert b"127.0.0.1" not in response.content  # the endpoint is public: no addresses
