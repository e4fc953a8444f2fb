"""Idempotency-Key on POST /api/v1/sharing-requests/: a retried create returns the first request.

(Two retries racing each other on separate connections: test_concurrency.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from datasets.models import Dataset
from registry.models import SharingRequest, SharingRequestEvent
from registry.models import SharingRequestState as S
from tests.common.problems import assert_problem
from tests.factories import (
    DatasetFactory,
    DatasetVersionFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.personas import World
from tests.sharing import REQUEST_BODY, act

pytestmark = pytest.mark.django_db

URL = reverse("sharing-request-list")
ClientFor = Callable[[str], APIClient]


@pytest.fixture
def post(
    client_for: ClientFor, shared_dataset: Dataset, django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """POST a sharing request as a persona, with an optional Idempotency-Key; the worker's check
    runs after commit as it would in production."""

    def make(persona: str = "outsider_member", key: str | None = None, **overrides: Any) -> Any:
        body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk), **overrides}
        headers: dict[str, Any] = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
        with django_capture_on_commit_callbacks(execute=True):
            return client_for(persona).post(URL, body, format="json", **headers)

    return make


def test_same_key_twice_returns_the_first_request(post: Callable[..., Any]) -> None:
    first = post(key="order-42")
    assert first.status_code == 201, first.json()
    second = post(key="order-42")
    assert second.status_code == 200, second.json()
    assert second.json()["id"] == first.json()["id"]
    assert SharingRequest.objects.count() == 1
    request = SharingRequest.objects.get()
    assert request.idempotency_key == "order-42"
    # One submission, one check: the retry neither records nor queues anything.
    assert list(
        SharingRequestEvent.objects.filter(sharing_request=request)
        .order_by("id")
        .values_list("to_state", flat=True)
    ) == [S.SUBMITTED, S.AWAITING_PUBLISHER]
    # The retry answers with the request as it is now (already checked).
    assert first.json()["state"] == S.SUBMITTED
    assert second.json()["state"] == S.AWAITING_PUBLISHER
    assert [e["to_state"] for e in second.json()["events"]] == [S.SUBMITTED, S.AWAITING_PUBLISHER]


def test_key_reused_for_another_dataset_is_refused(post: Callable[..., Any], world: World) -> None:
    another = DatasetFactory.create(publisher=world.acme, division=world.ai_factory)
    DatasetVersionFactory.create(dataset=another, version="1.0.0")
    assert post(key="k-1").status_code == 201
    body = assert_problem(post(key="k-1", dataset=str(another.pk)), 409, "idempotency_key_reused")
    assert str(another.pk) not in body["detail"]
    assert SharingRequest.objects.count() == 1


def test_key_reused_for_another_purpose_is_refused(post: Callable[..., Any]) -> None:
    assert post(key="k-1").status_code == 201
    assert_problem(post(key="k-1", purpose="research"), 409, "idempotency_key_reused")
    assert SharingRequest.objects.count() == 1


def test_key_reused_for_another_period_is_refused(post: Callable[..., Any]) -> None:
    assert post(key="k-1").status_code == 201
    assert_problem(post(key="k-1", period_days=30), 409, "idempotency_key_reused")
    assert SharingRequest.objects.count() == 1


def test_key_reused_for_another_organisation_is_refused(
    post: Callable[..., Any], world: World
) -> None:
    """The same user asking with the same key on behalf of a second organisation."""
    third = OrganizationFactory.create(slug="third-works")
    MembershipFactory.create(user=world.users["outsider_member"], organization=third)
    assert post(key="k-1", organization="other").status_code == 201
    assert_problem(post(key="k-1", organization="third-works"), 409, "idempotency_key_reused")
    assert post(key="k-1", organization="other").status_code == 200
    assert SharingRequest.objects.count() == 1


def test_dataset_named_by_slug_is_the_same_dataset(
    post: Callable[..., Any], shared_dataset: Dataset
) -> None:
    first = post(key="k-1")
    again = post(key="k-1", dataset=shared_dataset.slug)
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]


def test_keys_belong_to_their_user(post: Callable[..., Any], world: World) -> None:
    """Another user, of the same organisation or another, uses the same key independently (the
    colleague for another dataset: one organisation has one open request per dataset)."""
    world.users["third"] = MembershipFactory.create(
        user=UserFactory.create(email="third@example.kr"),
        organization=OrganizationFactory.create(slug="third-works"),
    ).user
    another = DatasetFactory.create(publisher=world.acme, division=world.ai_factory)
    DatasetVersionFactory.create(dataset=another, version="1.0.0")
    responses = [post(persona, key="shared-key") for persona in ("outsider_member", "third")]
    responses.append(post("outsider_steward", key="shared-key", dataset=str(another.pk)))
    assert [r.status_code for r in responses] == [201, 201, 201]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 3
    assert SharingRequest.objects.filter(idempotency_key="shared-key").count() == 3
    # Each user's retry still finds their own request.
    again = post("outsider_steward", key="shared-key", dataset=str(another.pk))
    assert again.status_code == 200
    assert again.json()["id"] == responses[2].json()["id"]


@pytest.mark.parametrize("key", [None, "", "   "])
def test_without_a_key_a_second_post_is_a_second_request(
    key: str | None,
    post: Callable[..., Any],
    client_for: ClientFor,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Not a retry: refused while the first is open (409 naming it), new once it is closed."""
    first = post(key=key)
    assert first.status_code == 201, first.json()
    problem = assert_problem(post(key=key), 409, "open_request_exists")
    assert problem["open_request"] == first.json()["id"]
    assert SharingRequest.objects.count() == 1
    act(
        client_for("outsider_member"),
        SharingRequest.objects.get(),
        "withdraw",
        django_capture_on_commit_callbacks,
    )
    second = post(key=key)
    assert second.status_code == 201, second.json()
    assert first.json()["id"] != second.json()["id"]
    assert set(SharingRequest.objects.values_list("idempotency_key", flat=True)) == {""}


def test_a_retry_of_the_open_request_is_not_a_second_request(post: Callable[..., Any]) -> None:
    """The same key returns the open request (200); another key is a second request (409)."""
    first = post(key="k-1")
    assert post(key="k-1").json()["id"] == first.json()["id"]
    problem = assert_problem(post(key="k-2"), 409, "open_request_exists")
    assert problem["open_request"] == first.json()["id"]
    assert SharingRequest.objects.count() == 1


def test_key_keeps_pointing_at_a_decided_request(
    post: Callable[..., Any],
    client_for: ClientFor,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = post(key="k-1")
    request = SharingRequest.objects.get(pk=first.json()["id"])
    withdrawn = act(
        client_for("outsider_member"), request, "withdraw", django_capture_on_commit_callbacks
    )
    assert withdrawn.status_code == 200
    again = post(key="k-1")
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["state"]) == (str(request.pk), S.WITHDRAWN)
    assert SharingRequest.objects.count() == 1


def test_refused_create_does_not_use_up_the_key(
    post: Callable[..., Any], shared_dataset: Dataset
) -> None:
    """A create that fails validation stores nothing, so the corrected retry is new (201)."""
    refused = post(key="k-1", period_days=0)
    assert_problem(refused, 400, "validation_error")
    assert SharingRequest.objects.count() == 0
    assert post(key="k-1").status_code == 201
