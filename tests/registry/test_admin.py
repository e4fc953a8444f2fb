"""The registry in the Django admin: the secretariat reads and searches; nobody edits there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.selectors import actor_for
from registry.models import SharingRequest
from registry.services import sharing_requests

pytestmark = pytest.mark.django_db

PAGES = [
    "registry_accesspolicy",
    "registry_sharingrequest",
    "registry_agreement",
    "registry_grant",
    "registry_download",
    "audit_auditevent",
    "registry_emailnotification",
    "registry_webhookendpoint",
    "registry_webhookdelivery",
]


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin@example.kr", "pw-for-tests-only"))
    return client


@pytest.mark.parametrize("model", PAGES)
def test_every_registry_list_opens_and_searches(admin_client, model, shared_dataset):
    listing = admin_client.get(reverse(f"admin:{model}_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    searched = admin_client.get(reverse(f"admin:{model}_changelist"), {"q": "acme"})

    assert listing.status_code == 200
    assert searched.status_code == 200


@pytest.mark.parametrize("model", PAGES)
def test_nothing_is_added_from_the_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_a_sharing_request_shows_its_history_read_only(admin_client, world, shared_dataset):
    request, _created = sharing_requests.sharing_request_create(
        actor=actor_for(world.users["outsider_member"]),
        dataset=shared_dataset,
        requester=world.other,
        purpose="ai_model_training",
        justification="model training",
        period_days=30,
        accepted_obligations=[],
    )

    page = admin_client.get(reverse("admin:registry_sharingrequest_change", args=[request.pk]))

    assert page.status_code == 200
    assert 'name="state"' not in page.content.decode()  # shown, not editable
    assert SharingRequest.objects.get(pk=request.pk).state == request.state
