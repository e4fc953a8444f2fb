"""Invitations under races, on real parallel connections (each thread has its own).

The races commit (transaction=True), so Django empties every table afterwards; the module
fixture `divisions_survive_the_flush` recreates the divisions (tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Invitation, Membership, User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("divisions_survive_the_flush"),
]

PASSWORD = "correct-horse-battery-42"


def run_together(calls: list[Callable[[], Any]], timeout: float = 30) -> list[Any]:
    """Start every call at once, each in its own thread and connection; each one's result or
    the exception it raised."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def test_two_accepts_at_once_make_one_user(world):
    _invitation, token = services.invitation_create(
        organization=world.acme,
        email="newcomer@example.kr",
        role="member",
        invited_by=world.users["org_admin"],
    )
    url = reverse("invitation-accept", kwargs={"token": token})

    def accept() -> Any:
        return APIClient().post(url, {"password": PASSWORD}, format="json").status_code

    statuses = run_together([accept, accept, accept])

    assert sorted(statuses) == [201, 409, 409]
    assert User.objects.filter(email="newcomer@example.kr").count() == 1
    assert Membership.objects.filter(user__email="newcomer@example.kr").count() == 1


def test_two_invitations_at_once_make_one(world):
    url = reverse("invitation-list", kwargs={"slug": "acme"})

    def invite(persona: str) -> Callable[[], Any]:
        def call() -> Any:
            client = APIClient()
            client.force_authenticate(world.users[persona])
            return client.post(url, {"email": "newcomer@example.kr"}, format="json").status_code

        return call

    statuses = run_together([invite("org_admin"), invite("secretariat")])

    assert sorted(statuses) == [201, 409]
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1
