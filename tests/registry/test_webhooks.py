"""Webhook endpoints and signed deliveries, received by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import MembershipRole
from registry import tasks
from registry.models import ApprovalRoute, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.common.problems import assert_field_error, assert_problem
from tests.factories import MembershipFactory, UserFactory
from tests.sharing import act

pytestmark = pytest.mark.django_db

URL = reverse("webhook-list")
OUTPUT_FIELDS = {"id", "organization", "url", "events", "is_active", "created_at", "modified_at"}
MAX_ATTEMPTS = (tasks.deliver_webhook.max_retries or 0) + 1


# --- the receiver -----------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    # header names are lower-cased: HTTP header names are case-insensitive (urllib sends
    # "X-max-signature")

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers POSTs with the status set for their path (200 unless told otherwise)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    scripts: dict[str, list[int]] = field(default_factory=dict)  # statuses to answer first
    redirects: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.received.append(Received(self.path, headers, body))
            if self.path in receiver.redirects:
                self.send_response(302)
                self.send_header("Location", receiver.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            script = receiver.scripts.get(self.path)
            status = script.pop(0) if script else receiver.statuses.get(self.path, 200)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_GET(self) -> None:
            receiver = receiver_ref[0]
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.received.append(Received(self.path, headers, b""))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    server.timeout = 5
    ref.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield ref[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _private_networks_allowed(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver listens on loopback; no proxy may stand between."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Let eager tasks retry inline (with task_eager_propagates a retry raises instead)."""
    conf = tasks.deliver_webhook.app.conf
    previous = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = previous


@pytest.fixture
def other_admin(world: Any) -> str:
    """An org_admin for "other" (the requester)."""
    user = UserFactory.create(email="other-admin@example.kr")
    MembershipFactory.create(user=user, organization=world.other, role=MembershipRole.ORG_ADMIN)
    world.users["other_admin"] = user
    return "other_admin"


def create(client_for: Any, persona: str, url: str, **extra: Any) -> Any:
    response = client_for(persona).post(URL, {"url": url, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def verify_signature(secret: str, received: Received) -> int:
    """Check X-MAX-Signature as a receiver would; returns its timestamp."""
    header = received.headers["x-max-signature"]
    parts = dict(item.split("=", 1) for item in header.split(","))
    assert set(parts) == {"t", "v1"}
    expected = hmac.new(
        secret.encode(), f"{parts['t']}.".encode() + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return int(parts["t"])


# --- managing endpoints -----------------------------------------------------------------------


def test_an_org_admin_creates_an_endpoint_and_sees_the_secret_once(world, client_for, receiver):
    response = client_for("org_admin").post(
        URL, {"url": receiver.url(), "events": ["sharing_request.active"]}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == OUTPUT_FIELDS | {"secret"}
    assert body["organization"] == "acme"
    assert body["url"] == receiver.url()
    assert body["events"] == ["sharing_request.active"]
    assert body["is_active"] is True
    assert body["secret"].startswith("whsec_")
    assert WebhookEndpoint.objects.get(pk=body["id"]).secret == body["secret"]

    for persona in ("org_admin", "member", "steward"):
        listed = client_for(persona).get(URL)
        detail = client_for(persona).get(reverse("webhook-detail", kwargs={"pk": body["id"]}))
        assert listed.status_code == 200
        assert [e["id"] for e in listed.json()["results"]] == [body["id"]]
        assert set(listed.json()["results"][0]) == OUTPUT_FIELDS
        assert detail.status_code == 200
        assert set(detail.json()) == OUTPUT_FIELDS
        assert body["secret"] not in listed.content.decode() + detail.content.decode()


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("member", 403, "permission_denied"),
        ("steward", 403, "permission_denied"),
        ("outsider_steward", 403, "permission_denied"),
        ("division_lead", 403, "permission_denied"),
        ("secretariat", 403, "permission_denied"),
    ],
)
def test_only_an_org_admin_creates_endpoints(world, client_for, receiver, persona, status, code):
    response = client_for(persona).post(
        URL, {"url": receiver.url(), "organization": "acme"}, format="json"
    )

    assert_problem(response, status, code)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://hooks.example.kr/in",
        "ftps://hooks.example.kr/in",
    ],
)
def test_only_http_urls_are_accepted(world, client_for, url):
    response = client_for("org_admin").post(URL, {"url": url}, format="json")

    assert_field_error(response, "url", "invalid")
    assert not WebhookEndpoint.objects.exists()


def test_another_organisations_endpoints_are_invisible(world, client_for, receiver, other_admin):
    acme = create(client_for, "org_admin", receiver.url("/acme"))
    other = create(client_for, other_admin, receiver.url("/other"))

    for persona in ("outsider_member", other_admin):
        listed = client_for(persona).get(URL).json()["results"]
        assert [e["id"] for e in listed] == [other["id"]]
        assert_problem(
            client_for(persona).get(reverse("webhook-detail", kwargs={"pk": acme["id"]})),
            404,
            "not_found",
        )
        assert_problem(
            client_for(persona).get(reverse("webhook-deliveries", kwargs={"pk": acme["id"]})),
            404,
            "not_found",
        )
    hostile = client_for(other_admin)
    assert_problem(
        hostile.post(reverse("webhook-ping", kwargs={"pk": acme["id"]})), 404, "not_found"
    )
    assert_problem(
        hostile.patch(
            reverse("webhook-detail", kwargs={"pk": acme["id"]}),
            {"url": receiver.url("/stolen")},
            format="json",
        ),
        404,
        "not_found",
    )
    assert_problem(
        hostile.delete(reverse("webhook-detail", kwargs={"pk": acme["id"]})), 404, "not_found"
    )
    assert WebhookEndpoint.objects.get(pk=acme["id"]).url == receiver.url("/acme")
    everything = client_for("secretariat").get(URL).json()["results"]
    assert {e["id"] for e in everything} == {acme["id"], other["id"]}
    assert not receiver.received


def test_an_admin_changes_and_deletes_an_endpoint_a_steward_may_not(world, client_for, receiver):
    endpoint = create(client_for, "org_admin", receiver.url())
    detail = reverse("webhook-detail", kwargs={"pk": endpoint["id"]})

    assert_problem(
        client_for("steward").patch(detail, {"is_active": False}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(client_for("steward").delete(detail), 403, "permission_denied")
    assert_problem(client_for("steward").post(f"{detail}ping/"), 403, "permission_denied")

    changed = client_for("org_admin").patch(
        detail, {"events": ["sharing_request.revoked"]}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["events"] == ["sharing_request.revoked"]
    assert changed.json()["is_active"] is True  # left out of the PATCH: unchanged
    assert changed.json()["url"] == receiver.url()
    assert "secret" not in changed.json()

    assert client_for("org_admin").delete(detail).status_code == 204
    assert not WebhookEndpoint.objects.exists()


# --- delivering -------------------------------------------------------------------------------


def test_a_ping_is_delivered_with_a_valid_signature(
    world, client_for, receiver, django_capture_on_commit_callbacks
):
    endpoint = create(client_for, "org_admin", receiver.url())

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )

    assert response.status_code == 202
    assert response.json()["event"] == "ping"
    [received] = receiver.received
    assert received.path == "/hooks"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["x-max-event"] == "ping"
    assert received.headers["x-max-delivery"] == response.json()["id"]
    timestamp = verify_signature(endpoint["secret"], received)
    assert abs(time.time() - timestamp) < 60
    assert received.json["event"] == "ping"
    assert received.json["organization"] == "acme"
    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.delivered_at is not None


def test_a_delivery_whose_task_was_lost_is_queued_again(
    world, client_for, receiver, django_capture_on_commit_callbacks
):
    endpoint = create(client_for, "org_admin", receiver.url())
    with django_capture_on_commit_callbacks(execute=False):  # the task never reaches a worker
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )
    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.PENDING

    assert tasks.requeue_stuck_notifications.delay().get() == 0  # too fresh to be stuck
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=delivery.created_at - timedelta(minutes=16)
    )
    assert tasks.requeue_stuck_notifications.delay().get() == 1

    [received] = receiver.received
    assert received.headers["x-max-delivery"] == str(delivery.pk)
    verify_signature(endpoint["secret"], received)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert tasks.requeue_stuck_notifications.delay().get() == 0


def test_a_signature_made_with_another_secret_does_not_verify(
    world, client_for, receiver, django_capture_on_commit_callbacks
):
    endpoint = create(client_for, "org_admin", receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        client_for("org_admin").post(reverse("webhook-ping", kwargs={"pk": endpoint["id"]}))
    [received] = receiver.received

    with pytest.raises(AssertionError):
        verify_signature("whsec_not-the-secret", received)
    with pytest.raises(AssertionError):
        verify_signature(endpoint["secret"], Received("/", received.headers, b'{"event":"x"}'))


def test_transitions_reach_both_the_requester_and_the_publisher(
    world,
    client_for,
    receiver,
    other_admin,
    submit,
    set_route,
    django_capture_on_commit_callbacks,
):
    publisher = create(client_for, "org_admin", receiver.url("/acme"))
    requester = create(client_for, other_admin, receiver.url("/other"))
    set_route(ApprovalRoute.PUBLISHER)

    request = submit()
    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)

    expected = [
        "sharing_request.submitted",
        "sharing_request.awaiting_publisher",
        "sharing_request.approved",
        "sharing_request.active",
    ]
    for path, endpoint in (("/acme", publisher), ("/other", requester)):
        got = receiver.at(path)
        assert [r.headers["x-max-event"] for r in got] == expected
        assert [r.json["event"] for r in got] == expected
        for r in got:
            verify_signature(endpoint["secret"], r)
            assert r.json["sharing_request"]["id"] == str(request.pk)
            assert r.json["sharing_request"]["requester"] == "other"
            assert r.json["sharing_request"]["publisher"] == "acme"
        assert [r.json["sharing_request"]["state"] for r in got] == [
            "submitted",
            "awaiting_publisher",
            "approved",
            "active",
        ]
        assert got[-1].json["sharing_request"]["dsp_state"] == "FINALIZED"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_the_events_filter_is_respected(
    world, client_for, receiver, submit, set_route, django_capture_on_commit_callbacks
):
    create(client_for, "org_admin", receiver.url("/only-active"), events=["sharing_request.active"])
    create(client_for, "org_admin", receiver.url("/all"))
    set_route(ApprovalRoute.AUTOMATIC)

    submit()

    assert [r.json["event"] for r in receiver.at("/only-active")] == ["sharing_request.active"]
    assert [r.json["event"] for r in receiver.at("/all")] == [
        "sharing_request.submitted",
        "sharing_request.approved",
        "sharing_request.active",
    ]


def test_an_inactive_endpoint_gets_nothing(
    world, client_for, receiver, submit, set_route, django_capture_on_commit_callbacks
):
    endpoint = create(client_for, "org_admin", receiver.url())
    client_for("org_admin").patch(
        reverse("webhook-detail", kwargs={"pk": endpoint["id"]}),
        {"is_active": False},
        format="json",
    )
    set_route(ApprovalRoute.AUTOMATIC)

    submit()

    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_server_error_is_retried_then_fails(
    world, client_for, receiver, eager_retries, django_capture_on_commit_callbacks
):
    receiver.statuses["/broken"] = 500
    endpoint = create(client_for, "org_admin", receiver.url("/broken"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )

    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.attempts > 1
    assert delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    assert delivery.delivered_at is None
    assert len(receiver.at("/broken")) == MAX_ATTEMPTS
    assert len({r.headers["x-max-delivery"] for r in receiver.received}) == 1


def test_a_receiver_that_recovers_gets_the_delivery(
    world, client_for, receiver, eager_retries, django_capture_on_commit_callbacks
):
    """429 is transient too; the third attempt succeeds."""
    receiver.scripts["/busy"] = [429, 502]
    endpoint = create(client_for, "org_admin", receiver.url("/busy"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )

    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    assert len(receiver.at("/busy")) == 3


def test_a_delivery_posted_again_after_its_worker_died_is_the_same_delivery(
    world, client_for, receiver, django_capture_on_commit_callbacks
):
    """A worker killed between the receiver's answer and the row's update: the delivery is
    held back while its lease runs, then POSTed again with the same id and body."""
    endpoint = create(client_for, "org_admin", receiver.url("/hooks"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )
    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    # The row as the dead worker left it: claimed, the POST not recorded.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, lease_expires_at=timezone.now() + timedelta(minutes=1)
    )

    assert tasks.deliver_webhook.delay(str(delivery.pk)).get() is False  # its lease runs
    assert len(receiver.at("/hooks")) == 1

    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.requeue_stuck_notifications() == 1

    first, again = receiver.at("/hooks")
    assert first.headers["x-max-delivery"] == again.headers["x-max-delivery"] == str(delivery.pk)
    assert first.body == again.body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


@pytest.mark.parametrize("status", [400, 404, 410])
def test_a_client_error_is_not_retried(
    world, client_for, receiver, eager_retries, django_capture_on_commit_callbacks, status
):
    receiver.statuses["/gone"] = status
    endpoint = create(client_for, "org_admin", receiver.url("/gone"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )

    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_status_code == status
    assert delivery.last_error == f"HTTP {status}"
    assert len(receiver.received) == 1


def test_an_unreachable_receiver_is_retried_then_fails(
    world, client_for, receiver, eager_retries, django_capture_on_commit_callbacks
):
    endpoint = create(client_for, "org_admin", receiver.url())
    closed_port = receiver.port
    receiver.server.shutdown()
    receiver.server.server_close()
    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(
        url=f"http://127.0.0.1:{closed_port}/hooks"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )

    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.last_status_code is None
    assert "refused" in delivery.last_error.lower()


def test_a_loopback_url_is_refused_unless_private_networks_are_allowed(
    world, client_for, receiver, settings, eager_retries, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    endpoint = create(client_for, "org_admin", receiver.url())

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )

    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1  # refused destinations are not retried
    assert delivery.last_status_code is None
    assert "non-public" in delivery.last_error
    assert "127.0.0.1" in delivery.last_error
    assert receiver.received == []


def test_a_redirect_to_a_private_address_is_not_followed(
    world, client_for, receiver, settings, django_capture_on_commit_callbacks
):
    """The endpoint's host looks public to the check; its answer redirects to loopback."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    receiver.redirects["/hooks"] = f"http://localhost:{receiver.port}/internal"
    endpoint = create(client_for, "org_admin", receiver.url())

    def looks_public(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "127.0.0.1":  # pretend the endpoint's own name resolves to a public address
            return [(2, 1, 6, "", ("93.184.216.34", 0))]
        return socket.getaddrinfo(host, *args, **kwargs)

    # Only the destination check sees the fake resolver; urllib connects for real.
    with (
        mock.patch("common.outbound.socket", SimpleNamespace(getaddrinfo=looks_public)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client_for("org_admin").post(
            reverse("webhook-ping", kwargs={"pk": endpoint["id"]})
        )

    assert receiver.at("/internal") == []
    assert len(receiver.at("/hooks")) == 1
    # A redirect is the receiver's answer, recorded as a failure and not retried.
    delivery = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 302
    assert delivery.last_error == "HTTP 302 (redirects are not followed)"
    assert delivery.delivered_at is None


# --- the delivery log -------------------------------------------------------------------------


def test_the_delivery_log_lists_attempts(
    world, client_for, receiver, eager_retries, django_capture_on_commit_callbacks
):
    receiver.statuses["/flaky"] = 503
    endpoint = create(client_for, "org_admin", receiver.url("/flaky"))
    with django_capture_on_commit_callbacks(execute=True):
        client_for("org_admin").post(reverse("webhook-ping", kwargs={"pk": endpoint["id"]}))
    receiver.statuses["/flaky"] = 200
    with django_capture_on_commit_callbacks(execute=True):
        client_for("org_admin").post(reverse("webhook-ping", kwargs={"pk": endpoint["id"]}))

    for persona in ("org_admin", "member", "secretariat"):
        response = client_for(persona).get(
            reverse("webhook-deliveries", kwargs={"pk": endpoint["id"]})
        )
        assert response.status_code == 200
        results = response.json()["results"]
        assert response.json()["count"] == 2
        assert [
            (d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in results
        ] == [
            ("ping", "delivered", 1, 200),
            ("ping", "failed", MAX_ATTEMPTS, 503),
        ]
        assert results[1]["last_error"] == "HTTP 503"
        assert results[0]["delivered_at"] is not None
        assert "secret" not in response.content.decode()
    assert_problem(
        client_for("anonymous").get(reverse("webhook-deliveries", kwargs={"pk": endpoint["id"]})),
        401,
        "not_authenticated",
    )
