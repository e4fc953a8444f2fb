"""Sharing requests for the console's tests, made through the registry's services as the API
makes them: datasets with a published version and a route, requests checked by the worker."""

from __future__ import annotations

from typing import Any

from django.test import TestCase

from accounts.models import Division, Organization, User
from accounts.selectors import actor_for
from datasets.models import Dataset, Sensitivity
from registry.models import ApprovalRoute, SharingRequest
from registry.models import SharingRequestState as S
from registry.services import agreements, policies, sharing_requests
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory

OBLIGATIONS = ["attribution", "delete_at_expiry"]


def published_dataset(
    *,
    publisher: Organization,
    division: Division,
    route: str = ApprovalRoute.PUBLISHER,
    steward: User | None = None,
) -> Dataset:
    """A members-only dataset with a published version and a data file, under `route`."""
    dataset = DatasetFactory.create(
        publisher=publisher, division=division, sensitivity=Sensitivity.MEMBERS
    )
    version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    DistributionFactory.create(version=version)
    policies.policy_set(dataset=dataset, actor=steward, approval_route=route)
    return dataset


def ask(user: User, organization: Organization, dataset: Dataset, **terms: Any) -> SharingRequest:
    """Ask for `dataset` as `user` for `organization` and run the worker's check."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        request, created = sharing_requests.sharing_request_create(
            actor=actor_for(user),
            dataset=dataset,
            requester=organization,
            purpose=terms.pop("purpose", "ai_model_training"),
            justification=terms.pop("justification", "predictive maintenance"),
            period_days=terms.pop("period_days", 90),
            accepted_obligations=terms.pop("accepted_obligations", OBLIGATIONS),
            **terms,
        )
    assert created
    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER, request.decision_reasons
    return request


def approve(user: User, request: SharingRequest) -> SharingRequest:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return sharing_requests.sharing_request_approve(
            actor=actor_for(user), sharing_request=request
        )


def revoke(user: User, request: SharingRequest, reason: str = "misuse") -> SharingRequest:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return agreements.grant_revoke(
            actor=actor_for(user), sharing_request=request, reason=reason
        )
