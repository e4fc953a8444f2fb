"""The audit page: the secretariat reads the whole chain, filtered and paged by id, and
verifies it with the same check as `manage.py verify_audit`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.chain import audit_append
from audit.models import AuditEvent
from tests.personas import PERSONAS, World

pytestmark = pytest.mark.django_db

URL = reverse("console:audit")
VERIFY = reverse("console:audit-verify")


def page_client(world: World, persona: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def tamper(sql: str, params: list[Any]) -> None:
    """As tests/audit: disable the append-only trigger, edit, re-enable."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER auditevent_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def listed(response: Any) -> list[int]:
    return [row["event"].id for row in response.context["rows"]]


@pytest.fixture
def chain(world: World) -> dict[str, Any]:
    """Events of a dataset of acme (with a version), a request by other, and noise."""
    dataset, request = uuid.uuid4(), uuid.uuid4()
    ids: dict[str, Any] = {"dataset": dataset, "request": request}
    ids["created"] = audit_append(
        actor=world.users["steward"],
        action="dataset.published",
        object_type="dataset",
        object_id=dataset,
        steward_organization_ids=[world.acme.pk],
    ).id
    ids["version"] = audit_append(
        actor=world.users["steward"],
        action="version.published",
        object_type="dataset_version",
        object_id=uuid.uuid4(),
        steward_organization_ids=[world.acme.pk],
        data={"dataset": str(dataset), "version": "1.0.0"},
    ).id
    ids["asked"] = audit_append(
        actor=world.users["outsider_member"],
        action="sharing_request.submitted",
        object_type="sharing_request",
        object_id=request,
        organization_ids=[world.other.pk],
        steward_organization_ids=[world.acme.pk],
    ).id
    ids["noise"] = audit_append(actor=None, action="test.event", object_type="test", object_id=1).id
    return ids


STATUS = {
    "anonymous": 302,
    "member": 403,
    "steward": 403,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 403,
    "division_lead": 403,
    "secretariat": 200,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_and_verifies_the_chain(world: World, chain, persona: str) -> None:
    client = page_client(world, persona)
    assert client.get(URL).status_code == STATUS[persona]
    assert client.post(VERIFY).status_code == STATUS[persona]


def test_the_chain_newest_first_with_its_digests(world: World, chain) -> None:
    response = page_client(world, "secretariat").get(URL)
    assert listed(response) == [chain["noise"], chain["asked"], chain["version"], chain["created"]]
    body = response.content.decode()
    event = AuditEvent.objects.get(pk=chain["asked"])
    assert event.digest[:12] in body
    assert "outsider_member@example.kr" in body
    assert ">acme*<" in body  # the publisher's stewards only
    assert ">other<" in body


def test_the_filters_narrow_the_chain(world: World, chain) -> None:
    client = page_client(world, "secretariat")
    by_org = client.get(URL, {"organization": "other"})
    assert listed(by_org) == [chain["asked"]]
    by_acme = client.get(URL, {"organization": "acme"})
    assert listed(by_acme) == [chain["asked"], chain["version"], chain["created"]]
    by_dataset = client.get(URL, {"dataset_id": str(chain["dataset"])})
    assert listed(by_dataset) == [chain["version"], chain["created"]]
    by_request = client.get(URL, {"sharing_request_id": str(chain["request"])})
    assert listed(by_request) == [chain["asked"]]
    assert listed(client.get(URL, {"organization": "nobody"})) == []
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert listed(client.get(URL, {"occurred_after": future})) == []
    assert len(listed(client.get(URL, {"occurred_before": future}))) == 4


def test_the_api_takes_the_same_filters(world: World, chain, client_for) -> None:
    api = client_for("secretariat")
    found = api.get(reverse("audit-event-list"), {"dataset_id": str(chain["dataset"])}).json()
    assert [e["id"] for e in found["results"]] == [chain["version"], chain["created"]]
    # Members read their own organisations' events only, filters or not.
    other = client_for("outsider_member").get(reverse("audit-event-list"), {"organization": "acme"})
    assert [e["id"] for e in other.json()["results"]] == [chain["asked"]]


def test_a_bad_filter_is_said_on_its_field(world: World, chain) -> None:
    response = page_client(world, "secretariat").get(URL, {"dataset_id": "not-a-uuid"})
    assert response.status_code == 400
    assert "dataset_id" in response.context["form"].errors


def test_pages_go_by_id_without_counting_the_chain(world: World) -> None:
    for i in range(120):
        audit_append(actor=None, action="test.event", object_type="test", object_id=i)
    client = page_client(world, "secretariat")
    with CaptureQueriesContext(connection) as queries:
        first = client.get(URL)
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    ids = listed(first)
    assert len(ids) == 50
    assert ids == sorted(ids, reverse=True)
    second = client.get(first.context["older_url"])
    assert listed(second)[0] == ids[-1] - 1
    third = client.get(second.context["older_url"])
    assert len(listed(third)) == 20
    assert third.context["older_url"] is None
    back = client.get(third.context["newer_url"])
    assert listed(back) == listed(second)


def test_the_audit_page_costs_the_same_for_1_or_20_events(world: World) -> None:
    client = page_client(world, "secretariat")
    audit_append(
        actor=None,
        action="test.event",
        object_type="test",
        object_id=0,
        organization_ids=[world.acme.pk],
    )

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    few = count()
    for i in range(19):
        audit_append(
            actor=world.users["steward"],
            action="test.event",
            object_type="dataset",
            object_id=i,
            organization_ids=[world.acme.pk, world.other.pk],
        )
    assert count() == few


def test_verify_reports_an_intact_chain_and_its_head(world: World, chain) -> None:
    response = page_client(world, "secretariat").post(VERIFY, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-result="ok"' in body
    head = AuditEvent.objects.order_by("-id").first()
    assert head is not None
    assert head.digest in body
    assert response.context["check"].checked == 4


def test_verify_reports_a_tampered_chain_as_broken(world: World, chain) -> None:
    tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"n": 99}', chain["version"]])
    response = page_client(world, "secretariat").post(VERIFY)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body  # without htmx: the whole page, with the result
    assert 'data-result="broken"' in body
    check = response.context["check"]
    assert check.problems[0].event_id == chain["version"]
    assert f"<strong>{chain['version']}</strong>" in body
