"""The approver's inbox (/inbox/) and decision page (/inbox/<id>/): who sees which requests
(the same as the API), decisions through the page equal to the API's, the reason and comment
the services require, 409s, the order, the requester's history and a fixed query count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import actor_for
from audit.models import AuditEvent
from registry.models import Agreement, ApprovalRoute, SharingRequest, SharingRequestEvent
from registry.models import SharingRequestState as S
from registry.permissions import can_decide_now
from tests.factories import DivisionLeadFactory, UserFactory
from tests.personas import World, client_as
from tests.sharing import act

from .sharing_scene import approve, ask, published_dataset, revoke

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "member",
    "steward",
    "org_admin",
    "outsider_member",
    "outsider_steward",
    "division_lead",
    "humanoids_lead",
    "secretariat",
)


@dataclass
class Scene:
    world: World
    users: dict[str, User]
    at_publisher: SharingRequest  # acme's dataset (ai-factory), asked by other
    at_lead: SharingRequest  # acme's, ai-factory, two steps, the steward approved
    at_humanoids_lead: SharingRequest  # acme's, humanoids, two steps, the steward approved
    at_other: SharingRequest  # other's dataset, asked by acme
    active: SharingRequest  # decided: waits for nobody

    def ids(self, *names: str) -> list[str]:
        return [str(getattr(self, name).pk) for name in names]


@pytest.fixture
def scene(world: World) -> Scene:
    users = dict(world.users)
    users["humanoids_lead"] = DivisionLeadFactory.create(
        user=UserFactory.create(email="humanoids-lead@example.kr"), division=world.humanoids
    ).user
    steward, outsider = users["steward"], users["outsider_member"]
    two_steps = ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD

    def acme(division: Any = world.ai_factory, route: str = ApprovalRoute.PUBLISHER) -> Any:
        return published_dataset(
            publisher=world.acme, division=division, route=route, steward=steward
        )

    at_publisher = ask(outsider, world.other, acme())
    at_lead = approve(steward, ask(outsider, world.other, acme(route=two_steps)))
    at_humanoids = approve(
        steward, ask(outsider, world.other, acme(world.humanoids, route=two_steps))
    )
    theirs = published_dataset(
        publisher=world.other, division=world.humanoids, steward=users["outsider_steward"]
    )
    at_other = ask(users["member"], world.acme, theirs)
    active = approve(steward, ask(outsider, world.other, acme()))
    assert at_lead.state == at_humanoids.state == S.AWAITING_DIVISION_LEAD
    assert active.state == S.ACTIVE
    return Scene(world, users, at_publisher, at_lead, at_humanoids, at_other, active)


def page_client(users: dict[str, User], persona: str) -> Client:
    """A browser session as `persona`, reading English (the language switch's cookie)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if persona != "anonymous":
        client.force_login(users[persona])
    return client


def listed(response: Any) -> list[str]:
    return re.findall(r'data-request="([0-9a-f-]{36})"', response.content.decode())


# --- who sees what ----------------------------------------------------------------------------

WAITING_FOR = {
    "member": [],
    "steward": ["at_publisher"],
    "org_admin": [],
    "outsider_member": [],
    "outsider_steward": ["at_other"],
    "division_lead": ["at_lead"],
    "humanoids_lead": ["at_humanoids_lead"],
    "secretariat": [],
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_inbox_by_persona(scene: Scene, persona: str) -> None:
    response = page_client(scene.users, persona).get(reverse("console:inbox"))

    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("console:login"))
        return
    assert response.status_code == 200
    assert listed(response) == scene.ids(*WAITING_FOR[persona])


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_the_inbox_lists_what_the_api_lists_as_waiting_for_the_reader(
    scene: Scene, persona: str
) -> None:
    """Parity: the API's list for the same person, at the decision steps, that they may
    decide now; nothing else."""
    api = client_as(scene.users, persona)
    actor = actor_for(scene.users[persona])
    from_api = []
    for state in (S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD):
        body = api.get(reverse("sharing-request-list"), {"state": state}).json()
        for row in body["results"]:
            request = SharingRequest.objects.select_related("dataset").get(pk=row["id"])
            if can_decide_now(actor, request):
                from_api.append(request)
    from_api.sort(key=lambda request: (request.created_at, request.pk))

    page = page_client(scene.users, persona).get(reverse("console:inbox"))

    assert listed(page) == [str(request.pk) for request in from_api]


# --- the decision page ------------------------------------------------------------------------

# (request, persona): the status, and whether the page offers the decisions.
DECISION_PAGE = {
    "at_publisher": {
        "member": (404, False),  # a plain member of the publisher does not see requests
        "steward": (200, True),
        "org_admin": (404, False),
        "outsider_member": (200, False),  # the requester sees it, does not decide it
        "outsider_steward": (200, False),
        "division_lead": (404, False),  # not routed to the lead
        "humanoids_lead": (404, False),
        "secretariat": (200, False),
    },
    "at_lead": {
        "member": (404, False),
        "steward": (200, False),  # the publisher's step is done
        "org_admin": (404, False),
        "outsider_member": (200, False),
        "outsider_steward": (200, False),
        "division_lead": (200, True),
        "humanoids_lead": (404, False),  # another division's lead
        "secretariat": (200, False),
    },
}


@pytest.mark.parametrize(
    ("name", "persona"),
    [(name, persona) for name, row in DECISION_PAGE.items() for persona in row],
)
def test_the_decision_page_by_persona(scene: Scene, name: str, persona: str) -> None:
    request = getattr(scene, name)
    url = reverse("console:inbox-item", kwargs={"pk": request.pk})
    status, decides = DECISION_PAGE[name][persona]

    response = page_client(scene.users, persona).get(url)
    api = client_as(scene.users, persona).get(
        reverse("sharing-request-detail", kwargs={"pk": request.pk})
    )

    assert response.status_code == status
    assert api.status_code == status  # 404 exactly when the API hides it
    body = response.content.decode()
    assert (reverse("console:inbox-approve", kwargs={"pk": request.pk}) in body) is decides
    if status == 200:
        assert request.justification in body
        assert ('id="not-yours"' in body) is not decides


def test_the_decision_page_sends_the_anonymous_to_sign_in(scene: Scene) -> None:
    url = reverse("console:inbox-item", kwargs={"pk": scene.at_publisher.pk})

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("console:login"))


def test_a_decision_of_a_hidden_request_is_a_404_and_changes_nothing(scene: Scene) -> None:
    client = page_client(scene.users, "humanoids_lead")
    url = reverse("console:inbox-approve", kwargs={"pk": scene.at_publisher.pk})

    assert client.post(url, {}).status_code == 404
    scene.at_publisher.refresh_from_db()
    assert scene.at_publisher.state == S.AWAITING_PUBLISHER


def test_a_reader_who_sees_but_may_not_decide_is_refused_in_the_services_words(
    scene: Scene,
) -> None:
    client = page_client(scene.users, "outsider_member")
    url = reverse("console:inbox-approve", kwargs={"pk": scene.at_publisher.pk})

    response = client.post(url, {})

    assert response.status_code == 403
    assert "You may not decide on this request." in response.content.decode()
    scene.at_publisher.refresh_from_db()
    assert scene.at_publisher.state == S.AWAITING_PUBLISHER


def test_decisions_need_a_post(scene: Scene) -> None:
    client = page_client(scene.users, "steward")
    url = reverse("console:inbox-approve", kwargs={"pk": scene.at_publisher.pk})

    assert client.get(url).status_code == 405


def test_the_decision_forms_carry_the_csrf_token_and_need_it(scene: Scene) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scene.users["steward"])
    item = reverse("console:inbox-item", kwargs={"pk": scene.at_publisher.pk})
    body = client.get(item).content.decode()
    assert body.count('name="csrfmiddlewaretoken"') >= 3
    assert body.count("data-submit-once") == 3

    response = client.post(
        reverse("console:inbox-approve", kwargs={"pk": scene.at_publisher.pk}), {}
    )

    assert response.status_code == 403
    scene.at_publisher.refresh_from_db()
    assert scene.at_publisher.state == S.AWAITING_PUBLISHER


# --- decisions: the same as the API's ---------------------------------------------------------


def trail(request: SharingRequest) -> dict[str, Any]:
    """What a decision leaves behind, without ids and times: the state, the reasons, the
    history and the audit events."""
    request.refresh_from_db()
    events = SharingRequestEvent.objects.filter(sharing_request=request).order_by("id")
    audits = AuditEvent.objects.filter(object_id=str(request.pk)).order_by("id")
    return {
        "state": request.state,
        "decision_reasons": request.decision_reasons,
        "events": [(e.from_state, e.to_state, e.actor_id, e.comment) for e in events],
        "audit": [(a.action, a.actor_id, a.data) for a in audits],
        "agreement": Agreement.objects.filter(sharing_request=request).exists(),
    }


def twins(scene: Scene, route: str = ApprovalRoute.PUBLISHER) -> tuple[Any, Any]:
    """Two requests alike, on two datasets alike: one for the page, one for the API."""
    world = scene.world
    made = []
    for _ in range(2):
        dataset = published_dataset(
            publisher=world.acme, division=world.ai_factory, route=route, steward=None
        )
        made.append(ask(scene.users["outsider_member"], world.other, dataset))
    return made[0], made[1]


@pytest.mark.parametrize(
    ("verb", "page_name", "field", "text"),
    [
        ("approve", "console:inbox-approve", "approve-reason", "fine by us"),
        ("approve", "console:inbox-approve", "approve-reason", ""),
        ("reject", "console:inbox-reject", "reject-reason", "not for resale"),
        ("return", "console:inbox-return", "return-comment", "name the plant"),
    ],
)
def test_a_decision_through_the_page_is_the_apis(
    scene: Scene,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
    verb: str,
    page_name: str,
    field: str,
    text: str,
) -> None:
    by_page, by_api = twins(scene)
    client = page_client(scene.users, "steward")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(page_name, kwargs={"pk": by_page.pk}), {field: text})
    body = {"comment": text} if verb == "return" else {"reason": text}
    api = act(
        client_as(scene.users, "steward"), by_api, verb, django_capture_on_commit_callbacks, **body
    )

    assert api.status_code == 200, api.json()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:inbox")
    page_trail, api_trail = trail(by_page), trail(by_api)
    assert page_trail == api_trail
    assert (
        page_trail["state"]
        == {
            "approve": S.ACTIVE,
            "reject": S.REJECTED,
            "return": S.RETURNED,
        }[verb]
    )
    # The requester is told alike (approvals, rejections and returns each email them).
    told = [
        message
        for message in mailoutbox
        if message.to == ["outsider_member@example.kr"]
        and (str(by_page.pk) in message.body or str(by_api.pk) in message.body)
    ]
    assert len(told) == 2
    # The success message is shown on the inbox.
    assert client.get(reverse("console:inbox")).content.decode().count('role="status"') == 1


def test_both_approvals_through_the_page(scene: Scene) -> None:
    request, _ = twins(scene, ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    url = reverse("console:inbox-approve", kwargs={"pk": request.pk})

    assert page_client(scene.users, "steward").post(url, {}).status_code == 302
    request.refresh_from_db()
    assert request.state == S.AWAITING_DIVISION_LEAD
    lead = page_client(scene.users, "division_lead")
    assert str(request.pk) in listed(lead.get(reverse("console:inbox")))
    assert lead.post(url, {}).status_code == 302

    request.refresh_from_db()
    assert request.state == S.ACTIVE
    assert [e.to_state for e in request.events.order_by("id")] == [
        S.SUBMITTED,
        S.AWAITING_PUBLISHER,
        S.AWAITING_DIVISION_LEAD,
        S.APPROVED,
        S.ACTIVE,
    ]


@pytest.mark.parametrize(
    ("page_name", "field", "message"),
    [
        ("console:inbox-reject", "reject-reason", "Say why: the requester reads it."),
        ("console:inbox-return", "return-comment", "Say what to change: the requester reads it."),
    ],
)
def test_a_reason_or_comment_is_required_and_the_page_says_so(
    scene: Scene, page_name: str, field: str, message: str
) -> None:
    request = scene.at_publisher
    events_before = request.events.count()
    audit_before = AuditEvent.objects.count()

    response = page_client(scene.users, "steward").post(
        reverse(page_name, kwargs={"pk": request.pk}), {field: "   "}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'id="id_{field}_error"' in body
    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER
    assert request.events.count() == events_before
    assert AuditEvent.objects.count() == audit_before


def test_a_second_decision_is_a_409_in_the_services_words(
    scene: Scene, django_capture_on_commit_callbacks: Any
) -> None:
    request = scene.at_publisher
    assert (
        act(
            client_as(scene.users, "steward"),
            request,
            "reject",
            django_capture_on_commit_callbacks,
            reason="first",
        ).status_code
        == 200
    )

    response = page_client(scene.users, "steward").post(
        reverse("console:inbox-approve", kwargs={"pk": request.pk}), {}
    )

    assert response.status_code == 409
    assert "A sharing request in state &#x27;rejected&#x27; cannot become" in (
        response.content.decode()
    )
    request.refresh_from_db()
    assert request.state == S.REJECTED
    assert request.events.filter(to_state=S.APPROVED).count() == 0


# --- order, history, paging, queries ----------------------------------------------------------


def test_oldest_first(scene: Scene) -> None:
    newest = ask(
        scene.users["outsider_member"],
        scene.world.other,
        published_dataset(publisher=scene.world.acme, division=scene.world.ai_factory),
    )
    SharingRequest.objects.filter(pk=newest.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )

    response = page_client(scene.users, "steward").get(reverse("console:inbox"))

    assert listed(response) == [str(newest.pk), str(scene.at_publisher.pk)]


def test_the_requesters_history_with_the_publisher(scene: Scene) -> None:
    world, users = scene.world, scene.users
    steward, outsider = users["steward"], users["outsider_member"]

    def acme() -> Any:
        return published_dataset(publisher=world.acme, division=world.ai_factory)

    revoke(steward, approve(steward, ask(outsider, world.other, acme())))
    approve(steward, ask(outsider, world.other, acme()))
    # A grant from another publisher is not this publisher's history.
    other_publisher = published_dataset(publisher=world.other, division=world.humanoids)
    approve(users["outsider_steward"], ask(users["member"], world.acme, other_publisher))

    body = page_client(users, "steward").get(reverse("console:inbox")).content.decode()

    # scene.active, the revoked one and the last one: three grants, one revoked.
    assert '<span class="history-grants">3 grants</span>' in body
    assert '<span class="history-revocations">1 revoked</span>' in body
    recent = re.search(r'<ul class="history-recent">(.*?)</ul>', body, re.S)
    assert recent is not None
    assert recent.group(1).count("<li>") == 3
    assert "Revoked" in recent.group(1)


def test_the_history_counts_past_the_short_list(scene: Scene) -> None:
    world, users = scene.world, scene.users
    for _ in range(4):
        dataset = published_dataset(publisher=world.acme, division=world.ai_factory)
        approve(users["steward"], ask(users["outsider_member"], world.other, dataset))

    body = page_client(users, "steward").get(reverse("console:inbox")).content.decode()

    assert '<span class="history-grants">5 grants</span>' in body
    recent = re.search(r'<ul class="history-recent">(.*?)</ul>', body, re.S)
    assert recent is not None
    assert recent.group(1).count("<li>") == 3


def test_eligibility_under_the_current_policy(scene: Scene) -> None:
    from registry.services import policies

    policies.policy_set(
        dataset=scene.at_publisher.dataset,
        actor=scene.users["steward"],
        max_period_days=30,
    )

    body = page_client(scene.users, "steward").get(reverse("console:inbox")).content.decode()

    assert "Not eligible under the current policy" in body
    assert "The requested period is longer than the policy allows." in body


def test_the_inbox_pages_with_a_cursor(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    from console.views import inbox

    monkeypatch.setattr(inbox._InboxPaging, "page_size", 2)
    for _ in range(2):
        ask(
            scene.users["outsider_member"],
            scene.world.other,
            published_dataset(publisher=scene.world.acme, division=scene.world.ai_factory),
        )
    client = page_client(scene.users, "steward")

    first = client.get(reverse("console:inbox"))
    next_url = re.search(r'href="([^"]+)" rel="next"', first.content.decode())
    assert next_url is not None
    second = client.get(next_url.group(1).replace("&amp;", "&"))

    seen = listed(first) + listed(second)
    assert len(listed(first)) == 2
    assert len(seen) == 3 == len(set(seen))
    assert "3 requests wait for your decision" in first.content.decode()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_inbox_and_decision_page_take_as_many_queries_for_1_as_for_20(scene: Scene) -> None:
    world, users = scene.world, scene.users
    client = page_client(users, "steward")
    item = reverse("console:inbox-item", kwargs={"pk": scene.at_publisher.pk})
    one_list, one_item = _queries(client, reverse("console:inbox")), _queries(client, item)
    for index in range(19):
        dataset = published_dataset(publisher=world.acme, division=world.ai_factory)
        request = ask(users["outsider_member"], world.other, dataset)
        if index % 3 == 0:  # some history on the page too
            approve(users["steward"], request)
            ask(users["outsider_member"], world.other, dataset)

    assert len(listed(client.get(reverse("console:inbox")))) == 20
    assert _queries(client, reverse("console:inbox")) == one_list
    assert _queries(client, item) == one_item
