"""The sharing workflow's test data and steps: acme publishes, other (an AI company) asks.

The fixtures that use them (`shared_dataset`, `set_route`, `submit`) are in tests/conftest.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from datasets.models import Dataset, DatasetStatus
from datasets.services import dataset_index
from registry.models import AccessPolicy, SharingRequest
from tests.factories import DatasetFactory

CSV_BYTES = b"ts,value\n2025-01-01T00:00:00,1.5\n"

REQUEST_BODY = {
    "purpose": "ai_model_training",
    "justification": "예지보전 모델 학습 / predictive maintenance model",
    "period_days": 90,
    "accepted_obligations": ["attribution", "delete_at_expiry"],
}


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


def act(client: APIClient, request: SharingRequest, verb: str, capture: Any, **body: Any) -> Any:
    """POST a decision (approve, reject, revoke, withdraw) and run what it queues."""
    with capture(execute=True):
        url = reverse(f"sharing-request-{verb}", kwargs={"pk": request.pk})
        return client.post(url, body, format="json")
