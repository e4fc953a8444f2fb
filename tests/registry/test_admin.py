"""The registry in the Django admin: the secretariat reads and searches; nobody edits there."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.selectors import actor_for
from registry.models import SharingRequest
from registry.services import sharing_requests

pytestmark = pytest.mark.django_db

PAGES = [
    "accesspolicy",
    "sharingrequest",
    "agreement",
    "grant",
    "download",
    "auditevent",
    "emailnotification",
    "webhookendpoint",
    "webhookdelivery",
]


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin@example.kr", "pw-for-tests-only"))
    return client


@pytest.mark.parametrize("model", PAGES)
def test_every_registry_list_opens_and_searches(admin_client, model, shared_dataset):
    listing = admin_client.get(f"/admin/registry/{model}/", HTTP_ACCEPT_LANGUAGE="en")
    searched = admin_client.get(f"/admin/registry/{model}/", {"q": "acme"})

    assert listing.status_code == 200
    assert searched.status_code == 200


@pytest.mark.parametrize("model", PAGES)
def test_nothing_is_added_from_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/registry/{model}/add/").status_code == 403


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

    page = admin_client.get(f"/admin/registry/sharingrequest/{request.pk}/change/")

    assert page.status_code == 200
    assert 'name="state"' not in page.content.decode()  # shown, not editable
    assert SharingRequest.objects.get(pk=request.pk).state == request.state
