import pytest
from django.urls import reverse

from registry.models import ApprovalRoute
from registry.models import SharingRequestState as S
from tests.sharing import act

pytestmark = pytest.mark.django_db


def test_two_step_flow_end_to_end(
    world, client_for, submit, set_route, django_capture_on_commit_callbacks, mailoutbox
):
    capture = django_capture_on_commit_callbacks
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    assert request.state == S.AWAITING_PUBLISHER
    r = act(client_for("steward"), request, "approve", capture, reason="ok")
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "awaiting_division_lead"
    r = act(client_for("division_lead"), request, "approve", capture)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["state"] == "active"
    assert body["dsp_state"] == "FINALIZED"
    assert [e["to_state"] for e in body["events"]] == [
        "submitted",
        "awaiting_publisher",
        "awaiting_division_lead",
        "approved",
        "active",
    ]
    agreement = client_for("outsider_member").get(
        reverse("agreement-detail", kwargs={"pk": body["agreement"]})
    )
    assert agreement.status_code == 200
    odrl = client_for("steward").get(reverse("agreement-odrl", kwargs={"pk": body["agreement"]}))
    assert odrl.status_code == 200
    assert odrl.json()["@type"] == "Agreement"
    links = client_for("outsider_member").post(
        reverse("grant-download-links", kwargs={"pk": body["grant"]})
    )
    assert links.status_code == 200, links.json()
    url = links.json()[0]["url"]
    anon = client_for("anonymous")
    got = anon.get(url)
    assert got.status_code == 200
    assert b"".join(got.streaming_content).startswith(b"ts,value")
    r = act(client_for("steward"), request, "revoke", capture, reason="breach")
    assert r.status_code == 200
    assert r.json()["state"] == "revoked"
    refused = anon.get(url)
    assert refused.status_code == 403, refused.content
    assert len(mailoutbox) >= 3
    audit = client_for("secretariat").get(reverse("audit-event-list"))
    assert audit.status_code == 200
    assert audit.json()["count"] > 5
