"""The hash-chained audit log: what is recorded, who may read it, and tamper detection."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from audit.chain import GENESIS, audit_append, audit_verify, event_digest
from audit.models import AuditEvent
from registry.models import ApprovalRoute, Grant
from registry.services import agreements
from tests.common.problems import assert_problem
from tests.factories import PASSWORD
from tests.sharing import act

pytestmark = pytest.mark.django_db

URL = reverse("audit-event-list")


def actions(**filters):
    return list(
        AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True)
    )


def verify():
    """Run verify_audit; returns (stdout, stderr) or raises CommandError."""
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def broken(expected_problems):
    """Run verify_audit expecting a broken chain; returns its stderr lines."""
    err = io.StringIO()
    with pytest.raises(CommandError, match=rf"audit chain broken: {expected_problems} problem"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def append(n, **kwargs):
    return [
        audit_append(
            actor=None,
            action=kwargs.get("action", "test.event"),
            object_type="test",
            object_id=i,
            organization_ids=kwargs.get("organization_ids", ()),
            data={"n": i, "text": "감사 기록"},
        )
        for i in range(n)
    ]


def tamper(sql, params):
    """What an attacker with database access does: disable the trigger, edit, re-enable."""
    with connection.cursor() as cursor:
        # The test runs in one transaction: fire the deferred foreign-key checks queued by the
        # inserts first, since PostgreSQL refuses ALTER TABLE while trigger events are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER auditevent_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- what is recorded -------------------------------------------------------------------------


def test_token_creation_and_revocation_are_audited(world, api_client):
    user = world.users["member"]
    obtained = api_client.post(
        reverse("token-obtain"),
        {"email": user.email, "password": PASSWORD, "name": "script"},
        format="json",
    )
    assert obtained.status_code == 201, obtained.json()
    token = ApiToken.objects.get(user=user)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {obtained.json()['token']}")
    assert (
        api_client.delete(reverse("api-token-detail", kwargs={"pk": token.pk})).status_code == 204
    )

    events = list(AuditEvent.objects.filter(object_type="api_token").order_by("id"))
    assert [e.action for e in events] == ["api_token.created", "api_token.revoked"]
    for event in events:
        assert event.object_id == str(token.pk)
        assert event.actor_id == user.pk
        assert event.actor_email == "member@example.kr"
        assert event.organization_ids == [world.acme.pk]
        assert event.data == {"name": "script", "prefix": token.prefix}
    assert obtained.json()["token"] not in str([e.data for e in events])


def test_a_policy_change_is_audited(world, set_route, shared_dataset):
    set_route(ApprovalRoute.AUTOMATIC)

    # Revision 1 came with the dataset (no actor: the service made it); 2 is the steward's.
    born, changed = AuditEvent.objects.filter(action="policy.changed").order_by("id")
    for event in (born, changed):
        assert event.object_type == "dataset"
        assert event.object_id == str(shared_dataset.pk)
        assert event.organization_ids == []
        assert event.steward_organization_ids == [world.acme.pk]
    assert (born.actor_id, born.data["revision"]) == (None, 1)
    assert born.data["terms"]["approval_route"] == "publisher"
    assert (changed.actor_email, changed.data["revision"]) == ("steward@example.kr", 2)
    assert changed.data["terms"]["approval_route"] == "automatic"


def test_every_transition_of_a_two_step_approval_is_audited(
    world, client_for, submit, set_route, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)
    act(client_for("division_lead"), request, "approve", django_capture_on_commit_callbacks)

    assert actions(object_type="sharing_request", object_id=str(request.pk)) == [
        "sharing_request.submitted",
        "sharing_request.awaiting_publisher",
        "sharing_request.awaiting_division_lead",
        "sharing_request.approved",
        "sharing_request.active",
    ]
    events = AuditEvent.objects.filter(object_id=str(request.pk)).order_by("id")
    assert [e.actor_email for e in events] == [
        "outsider_member@example.kr",
        "",  # the worker's policy check
        "steward@example.kr",
        "lead@example.kr",
        "lead@example.kr",
    ]
    assert [(e.data["from"], e.data["to"]) for e in events] == [
        ("", "submitted"),
        ("submitted", "awaiting_publisher"),
        ("awaiting_publisher", "awaiting_division_lead"),
        ("awaiting_division_lead", "approved"),
        ("approved", "active"),
    ]
    # Every member of the requester reads them; of the publisher, only the data stewards.
    assert all(e.organization_ids == [world.other.pk] for e in events)
    assert all(e.steward_organization_ids == [world.acme.pk] for e in events)
    # The agreement is recorded between approval and activation.
    assert actions()[-3:] == [
        "sharing_request.approved",
        "agreement.created",
        "sharing_request.active",
    ]


def test_rejection_withdrawal_revocation_and_expiry_are_audited(
    world, client_for, submit, set_route, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    set_route(ApprovalRoute.PUBLISHER)
    rejected = submit()
    act(client_for("steward"), rejected, "reject", capture, reason="not now")
    withdrawn = submit()
    act(client_for("outsider_member"), withdrawn, "withdraw", capture)
    revoked = submit()
    act(client_for("steward"), revoked, "approve", capture)
    act(client_for("steward"), revoked, "revoke", capture, reason="breach")
    expired = submit()
    act(client_for("steward"), expired, "approve", capture)
    now = timezone.now()
    Grant.objects.filter(agreement__sharing_request=expired).update(
        valid_from=now - timedelta(days=2), valid_until=now - timedelta(days=1)
    )
    with capture(execute=True):
        agreements.grants_expire()

    def last(request):
        return actions(object_id=str(request.pk))[-1]

    assert last(rejected) == "sharing_request.rejected"
    assert last(withdrawn) == "sharing_request.withdrawn"
    assert last(revoked) == "sharing_request.revoked"
    assert last(expired) == "sharing_request.expired"
    assert AuditEvent.objects.get(action="sharing_request.rejected").data["comment"] == "not now"
    assert AuditEvent.objects.get(action="sharing_request.revoked").data["comment"] == "breach"
    assert AuditEvent.objects.get(action="sharing_request.expired").actor_id is None


def test_a_download_is_audited(world, client_for, submit, set_route):
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    grant = Grant.objects.get(agreement__sharing_request=request)
    [link] = (
        client_for("outsider_member")
        .post(reverse("grant-download-links", kwargs={"pk": grant.pk}))
        .json()
    )
    response = client_for("anonymous").get(link["url"])
    b"".join(response.streaming_content)

    [event] = AuditEvent.objects.filter(action="download")
    assert event.object_type == "distribution"
    assert event.object_id == link["distribution"]
    assert event.actor_email == "outsider_member@example.kr"


# --- the chain --------------------------------------------------------------------------------


def test_appends_form_one_chain(db):
    events = append(5)

    stored = list(AuditEvent.objects.order_by("id"))
    assert [e.id for e in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_digest == GENESIS
    for before, after in itertools.pairwise(stored):
        assert after.prev_digest == before.digest
    assert [e.digest for e in stored] == [e.digest for e in events]
    assert all(event_digest(e) == e.digest for e in stored)
    assert len({e.digest for e in stored}) == 5


def test_appends_made_by_the_workflow_form_one_chain(
    world, client_for, submit, set_route, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    act(client_for("steward"), request, "approve", django_capture_on_commit_callbacks)

    stored = list(AuditEvent.objects.order_by("id"))
    assert [e.id for e in stored] == list(range(1, len(stored) + 1))
    assert [e.prev_digest for e in stored] == [GENESIS, *[e.digest for e in stored[:-1]]]
    assert list(audit_verify()) == []


def test_an_append_rolled_back_with_its_transaction_leaves_no_gap(db):
    append(2)
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        append(1)
        raise RuntimeError("the caller's change failed")
    append(1)

    assert list(AuditEvent.objects.order_by("id").values_list("id", flat=True)) == [1, 2, 3]
    assert list(audit_verify()) == []


def test_verify_audit_passes_on_an_intact_chain(db):
    append(4)

    out, err = verify()

    assert "audit chain intact: 4 events" in out
    assert err == ""


def test_verify_audit_passes_on_an_empty_log(db):
    out, _err = verify()

    assert "audit chain intact: 0 events" in out


def test_the_database_refuses_to_change_or_delete_an_event(db):
    append(2)

    with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=1).update(action="nothing.happened")
    with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=2).delete()

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.event"] * 2


def test_an_edited_event_is_named(db):
    append(5)
    tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"n": 99}', 3])

    lines = broken(1)

    assert lines == ["event 3: its content does not match its digest (edited)"]


def test_an_edited_actor_email_is_detected(db):
    append(3)
    tamper("UPDATE audit_auditevent SET actor_email = %s WHERE id = %s", ["x@example.kr", 1])

    assert broken(1) == ["event 1: its content does not match its digest (edited)"]


def test_an_edit_with_a_recomputed_digest_breaks_the_next_link(db):
    append(4)
    event = AuditEvent.objects.get(pk=2)
    event.data = {"n": 1000}
    tamper(
        "UPDATE audit_auditevent SET data = %s, digest = %s WHERE id = %s",
        ['{"n": 1000}', event_digest(event), 2],
    )

    assert broken(1) == ["event 3: prev_digest does not match the event before it"]


def test_a_deleted_middle_event_is_detected(db):
    append(5)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [3])

    lines = broken(2)

    assert lines == [
        "event 4: events 3..3 are missing",
        "event 4: prev_digest does not match the event before it",
    ]


def test_a_deleted_first_event_is_detected(db):
    append(3)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [1])

    assert broken(2) == [
        "event 2: events 1..1 are missing",
        "event 2: prev_digest does not match the event before it",
    ]


def test_audit_verify_reports_every_problem(db):
    append(6)
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["x", 2])
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [5])

    problems = [(p.event_id, p.problem) for p in audit_verify(batch_size=2)]

    assert problems == [
        (2, "its content does not match its digest (edited)"),
        (6, "events 5..5 are missing"),
        (6, "prev_digest does not match the event before it"),
    ]


# --- reading the log --------------------------------------------------------------------------


@pytest.fixture
def token_events(world, client_for):
    """api_token events of acme's member and of other's member, and a policy change of acme."""
    from accounts import services as account_services

    for persona in ("member", "outsider_member"):
        token, _secret = account_services.api_token_create(
            user=world.users[persona], name=f"token of {persona}"
        )
        account_services.api_token_revoke(token=token)
    return AuditEvent.objects.order_by("id")


def test_anonymous_cannot_read_the_log(world, client_for):
    assert_problem(client_for("anonymous").get(URL), 401, "not_authenticated")


def test_an_organisation_sees_only_events_concerning_it(world, client_for, token_events):
    outsider = client_for("outsider_member").get(URL)
    member = client_for("steward").get(URL)

    assert outsider.status_code == 200
    outsider_events = outsider.json()["results"]
    assert {e["actor"] for e in outsider_events} == {"outsider_member@example.kr"}
    assert [e["action"] for e in outsider_events] == ["api_token.revoked", "api_token.created"]
    assert all(world.acme.pk not in e["organization_ids"] for e in outsider_events)
    assert "token of member" not in outsider.content.decode()
    assert {e["actor"] for e in member.json()["results"]} == {"member@example.kr"}


def test_the_secretariat_sees_everything(world, client_for, token_events):
    response = client_for("secretariat").get(URL)

    body = response.json()
    assert body["count"] == 4
    assert [e["id"] for e in body["results"]] == [4, 3, 2, 1]
    first = body["results"][-1]
    stored = AuditEvent.objects.get(pk=1)
    assert first == {
        "id": 1,
        "occurred_at": first["occurred_at"],
        "actor": "member@example.kr",
        "action": "api_token.created",
        "object_type": "api_token",
        "object_id": stored.object_id,
        "organization_ids": [world.acme.pk],
        "steward_organization_ids": [],
        "data": stored.data,
        "prev_digest": GENESIS,
        "digest": stored.digest,
    }


def test_someone_in_no_organisation_sees_nothing(world, client_for, token_events):
    response = client_for("division_lead").get(URL)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_both_parties_see_a_sharing_request_s_events(world, client_for, submit, set_route):
    """The requester's members and the publisher's stewards (whether the publisher's plain
    members should see them too is covered by test_permission_matrix)."""
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()

    for persona in ("outsider_member", "steward"):
        response = client_for(persona).get(URL, {"object_id": str(request.pk)})
        assert [e["action"] for e in response.json()["results"]] == [
            "sharing_request.awaiting_publisher",
            "sharing_request.submitted",
        ]


def test_filter_by_action(world, client_for, token_events):
    response = client_for("secretariat").get(URL, {"action": "api_token.revoked"})

    assert [e["action"] for e in response.json()["results"]] == ["api_token.revoked"] * 2


def test_filter_by_object_type(world, client_for, token_events, set_route):
    set_route(ApprovalRoute.PUBLISHER)

    tokens = client_for("secretariat").get(URL, {"object_type": "api_token"}).json()
    datasets = client_for("secretariat").get(URL, {"object_type": "dataset"}).json()

    assert tokens["count"] == 4
    # set_route's revision 2, then revision 1 made with the dataset.
    assert [(e["action"], e["data"]["revision"]) for e in datasets["results"]] == [
        ("policy.changed", 2),
        ("policy.changed", 1),
    ]


def test_filter_by_object_id(world, client_for, token_events):
    token = ApiToken.objects.get(user=world.users["member"])

    response = client_for("secretariat").get(URL, {"object_id": str(token.pk)})

    assert [e["action"] for e in response.json()["results"]] == [
        "api_token.revoked",
        "api_token.created",
    ]
    assert {e["object_id"] for e in response.json()["results"]} == {str(token.pk)}


def test_filters_never_widen_what_an_organisation_sees(world, client_for, token_events):
    token = ApiToken.objects.get(user=world.users["member"])

    response = client_for("outsider_member").get(URL, {"object_id": str(token.pk)})

    assert response.json()["results"] == []


def test_a_deleted_newest_event_is_detected(db):
    append(3)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [3])

    assert broken(1) == [
        "event 3: the chain ends at event 2 but its head records event 3: "
        "the newest events were deleted or replaced"
    ]
