"""Fixtures for every test: the persona world (tests/personas.py), API clients acting as its
personas, and the sharing workflow's dataset, policy route and request (tests/sharing.py).

Plain helpers live in modules beside this one; tests import those, never a conftest.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db.models.signals import post_migrate
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.divisions import divisions_create
from datasets.models import Dataset, Distribution, Sensitivity
from registry.models import AccessPolicy, SharingRequest
from registry.services import policies
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import World, build_world, client_as
from tests.sharing import CSV_BYTES, REQUEST_BODY


@pytest.fixture(autouse=True)
def _isolated_cache(settings: Any) -> Iterator[None]:
    """Each test gets its own cache key prefix for throttle and login-failure counters, so tests
    running at the same time on one Redis (another checkout, xdist) never see each other's; its
    keys are deleted afterwards."""
    prefix = f"maxr-test-{uuid.uuid4().hex}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    yield
    client = cache._cache.get_client()  # type: ignore[attr-defined]
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    # The test's cache is dropped with its settings, but its pool's sockets stay open until the
    # process ends: one Redis connection per test, thousands per worker, until Redis refuses
    # clients (maxclients) for every suite sharing it.
    client.connection_pool.disconnect()


def _restore_divisions(sender: Any = None, **kwargs: Any) -> None:
    if sender is None or sender.label == "accounts":
        divisions_create(django_apps)


@pytest.fixture(scope="module")
def divisions_survive_the_flush(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """For transactional tests: the flush after each one empties every table, including the
    divisions the data migration made, and emits post_migrate: put them back right then, so
    the tests that follow find them."""
    post_migrate.connect(_restore_divisions, weak=False, dispatch_uid="test-restore-divisions")
    with django_db_blocker.unblock():
        _restore_divisions()  # a run interrupted mid-flush may have left them out
    yield
    post_migrate.disconnect(dispatch_uid="test-restore-divisions")
    with django_db_blocker.unblock():
        _restore_divisions()


@pytest.fixture(autouse=True)
def _media_root(settings: pytest.FixtureRequest, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture
def world(db: None) -> World:
    """The personas (tests/personas.py): acme and other, a user in each role."""
    return build_world()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(world: World) -> Callable[[str], APIClient]:
    """An API client signed in as a persona ("anonymous" stays signed out).

    It reads messages in English (`Accept-Language: en`), the language the tests assert; the
    API's default, Korean, is tested on clients without the header (tests/test_i18n.py).
    """

    def make(persona: str) -> APIClient:
        return client_as(world.users, persona)

    return make


# --- the sharing workflow: acme publishes, other (an AI company) asks --------------------------


@pytest.fixture
def shared_dataset(world: World) -> Dataset:
    """A published members-only dataset of acme with one published version holding a file.

    Made through the service, so it has access policy revision 1 (the defaults of its
    sensitivity: the publisher route, 365 days) from birth."""
    dataset = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.MEMBERS
    )
    version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    distribution = Distribution(
        version=version, format="csv", media_type="text/csv", byte_size=len(CSV_BYTES)
    )
    distribution.file.save("vibration.csv", ContentFile(CSV_BYTES), save=False)
    distribution.save()
    return dataset


@pytest.fixture
def set_route(shared_dataset: Dataset, world: World) -> Callable[..., AccessPolicy]:
    """Add a policy revision by acme's steward (revision 2 on the first call: revision 1 came
    with the dataset)."""

    def apply(route: str, **terms: Any) -> AccessPolicy:
        return policies.policy_set(
            dataset=shared_dataset, actor=world.users["steward"], approval_route=route, **terms
        )

    return apply


@pytest.fixture
def submit(
    client_for: Callable[[str], APIClient],
    shared_dataset: Dataset,
    django_capture_on_commit_callbacks: Any,
) -> Callable[..., SharingRequest]:
    """Submit a request as the outsider (other's member) and let the worker's check run."""

    def make(persona: str = "outsider_member", **overrides: Any) -> SharingRequest:
        body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk), **overrides}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(persona).post(
                reverse("sharing-request-list"), body, format="json"
            )
        assert response.status_code == 201, response.json()
        return SharingRequest.objects.get(pk=response.json()["id"])

    return make
