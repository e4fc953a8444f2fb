"""Fixtures for the sharing workflow: acme publishes, other (an AI company) asks."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from datasets.models import Dataset, DatasetStatus, Distribution, Sensitivity
from datasets.services import dataset_index
from registry import services
from registry.models import AccessPolicy, SharingRequest
from tests.conftest import World
from tests.factories import DatasetFactory, DatasetVersionFactory

CSV_BYTES = b"ts,value\n2025-01-01T00:00:00,1.5\n"


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


def dataset_without_policy(**fields: Any) -> Dataset:
    """A dataset row written without datasets.services.dataset_create, like one made before
    every dataset got an access policy at creation: it has no policy until first used.
    `publisher` must be given (and saved)."""
    dataset = DatasetFactory.build(**fields)
    dataset.slug = f"legacy-{uuid.uuid4().hex[:12]}"
    if dataset.status != DatasetStatus.DRAFT:
        dataset.published_at = timezone.now()
    dataset_index(dataset)
    dataset.full_clean()
    dataset.save()
    assert not AccessPolicy.objects.filter(dataset=dataset).exists()
    return dataset


@pytest.fixture
def set_route(shared_dataset: Dataset, world: World) -> Callable[..., AccessPolicy]:
    """Add a policy revision by acme's steward (revision 2 on the first call: revision 1 came
    with the dataset)."""

    def apply(route: str, **terms: Any) -> AccessPolicy:
        return services.policy_set(
            dataset=shared_dataset, actor=world.users["steward"], approval_route=route, **terms
        )

    return apply


REQUEST_BODY = {
    "purpose": "ai_model_training",
    "justification": "예지보전 모델 학습 / predictive maintenance model",
    "period_days": 90,
    "accepted_obligations": ["attribution", "delete_at_expiry"],
}


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


def act(client: APIClient, request: SharingRequest, verb: str, capture: Any, **body: Any) -> Any:
    with capture(execute=True):
        url = reverse(f"sharing-request-{verb}", kwargs={"pk": request.pk})
        return client.post(url, body, format="json")
