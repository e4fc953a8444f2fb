"""The requester's pages: the request form and its live eligibility, my requests, a request's
page (history, agreement, grant, fresh download links, withdrawal, resubmission).

The request is other's (an AI company) for acme's dataset. Personas: the requester member
(outsider_member), the requester's other member (outsider_steward), the publisher's steward
(steward), a member of a third organisation (outsider of both), acme's division lead, the
secretariat, anonymous."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import OrganizationKind, User
from accounts.selectors import actor_for
from datasets.models import Dataset
from registry.models import SharingRequest, SharingRequestEvent
from registry.models import SharingRequestState as S
from registry.services import agreements, sharing_requests
from tests.factories import DatasetFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.personas import World

pytestmark = pytest.mark.django_db

ID_RE = re.compile(r'<tr data-id="([0-9a-f-]{36})"')
FORM = {
    "purpose": "ai_model_training",
    "period_days": "90",
    "justification": "예지보전 모델 학습 / predictive maintenance model",
    "accepted_obligations": ["attribution", "delete_at_expiry"],
}


@pytest.fixture
def third_member(world: World) -> User:
    """A member of a third organisation: an outsider of both the requester and the publisher."""
    third = OrganizationFactory.create(slug="third", kind=OrganizationKind.UNIVERSITY)
    return MembershipFactory.create(
        user=UserFactory.create(email="third@example.kr"), organization=third
    ).user


@pytest.fixture
def page_for(world: World, third_member: User) -> Callable[[str], Client]:
    """A page client signed in as a persona (or `third_member`), reading English."""

    def make(persona: str) -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        if persona == "third_member":
            client.force_login(third_member)
        elif persona != "anonymous":
            client.force_login(world.users[persona])
        return client

    return make


def _form(**overrides: Any) -> dict[str, Any]:
    return {**FORM, "idempotency_key": str(uuid.uuid4()), **overrides}


def _new_url(dataset: Dataset) -> str:
    return reverse("console:sharing-request-new", args=[dataset.slug])


def _detail_url(sharing_request: SharingRequest) -> str:
    return reverse("console:sharing-request", args=[sharing_request.pk])


def _signed_out(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("console:login"))


# --- status per persona -----------------------------------------------------------------------

FORM_PAGE = {
    "anonymous": 302,
    "outsider_member": 200,
    "outsider_steward": 200,
    "steward": 200,
    "third_member": 200,
    "division_lead": 403,  # a member of no organisation: nobody to ask for
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "expected"), FORM_PAGE.items())
def test_request_form_status(
    page_for: Callable[[str], Client], shared_dataset: Dataset, persona: str, expected: int
) -> None:
    response = page_for(persona).get(_new_url(shared_dataset))
    assert response.status_code == expected
    if expected == 200:
        assert 'name="idempotency_key"' in response.content.decode()


CREATE = {
    "anonymous": 302,
    "outsider_member": 302,
    "outsider_steward": 302,
    "steward": 302,  # acme may ask for its own dataset; the check rejects it (own_dataset)
    "third_member": 302,
    "division_lead": 403,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "expected"), CREATE.items())
def test_request_create_status(
    page_for: Callable[[str], Client],
    shared_dataset: Dataset,
    persona: str,
    expected: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = page_for(persona).post(_new_url(shared_dataset), _form())
    assert response.status_code == expected
    made = SharingRequest.objects.filter(dataset=shared_dataset)
    if persona == "anonymous":
        assert _signed_out(response)
        assert not made.exists()
    elif expected == 302:
        assert response["Location"] == _detail_url(made.get())
    else:
        assert not made.exists()


DETAIL = {
    "anonymous": 302,
    "outsider_member": 200,
    "outsider_steward": 200,
    "steward": 200,  # the publisher's steward sees requests for its datasets
    "third_member": 404,
    "division_lead": 404,  # not routed to the lead (publisher route)
    "secretariat": 200,
}


@pytest.mark.parametrize(("persona", "expected"), DETAIL.items())
def test_request_page_status_matches_the_api(
    page_for: Callable[[str], Client],
    client_for: Callable[[str], Any],
    submit: Callable[..., SharingRequest],
    persona: str,
    expected: int,
) -> None:
    sharing_request = submit()
    response = page_for(persona).get(_detail_url(sharing_request))
    assert response.status_code == expected
    if persona not in ("anonymous", "third_member"):
        api = client_for(persona).get(
            reverse("sharing-request-detail", kwargs={"pk": sharing_request.pk})
        )
        assert api.status_code == expected


LIST = {
    "anonymous": 302,
    "outsider_member": 200,
    "outsider_steward": 200,
    "steward": 200,
    "third_member": 200,
    "division_lead": 200,
    "secretariat": 200,
}


@pytest.mark.parametrize(("persona", "expected"), LIST.items())
def test_my_requests_status(
    page_for: Callable[[str], Client],
    submit: Callable[..., SharingRequest],
    persona: str,
    expected: int,
) -> None:
    submit()
    assert page_for(persona).get(reverse("console:sharing-requests")).status_code == expected


WITHDRAW = {
    "anonymous": 302,
    "outsider_member": 302,
    "outsider_steward": 302,
    "steward": 403,
    "third_member": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.mark.parametrize(("persona", "expected"), WITHDRAW.items())
def test_withdraw_status(
    page_for: Callable[[str], Client],
    submit: Callable[..., SharingRequest],
    persona: str,
    expected: int,
) -> None:
    sharing_request = submit()
    url = reverse("console:sharing-request-withdraw", args=[sharing_request.pk])
    response = page_for(persona).post(url, {"reason": ""})
    assert response.status_code == expected
    sharing_request.refresh_from_db()
    withdrawn = persona in ("outsider_member", "outsider_steward")
    assert (sharing_request.state == S.WITHDRAWN) is withdrawn
    if withdrawn:
        assert response["Location"] == _detail_url(sharing_request)


DOWNLOAD = {
    "anonymous": 302,
    "outsider_member": 200,
    "outsider_steward": 200,
    "steward": 403,  # sees the request, but only the grantee downloads
    "third_member": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.fixture
def active_request(
    set_route: Callable[..., Any], submit: Callable[..., SharingRequest]
) -> SharingRequest:
    """other's request, approved automatically: an agreement and an active grant."""
    set_route("automatic")
    sharing_request = submit()
    assert sharing_request.state == S.ACTIVE
    return sharing_request


@pytest.mark.parametrize(("persona", "expected"), DOWNLOAD.items())
def test_download_links_status(
    page_for: Callable[[str], Client], active_request: SharingRequest, persona: str, expected: int
) -> None:
    url = reverse("console:sharing-request-download-links", args=[active_request.pk])
    response = page_for(persona).post(url)
    assert response.status_code == expected
    has_link = "/api/v1/download-links/" in response.content.decode()
    assert has_link is (expected == 200)


RESUBMIT = {
    "anonymous": 302,
    "outsider_member": 302,
    "outsider_steward": 302,
    "steward": 403,
    "third_member": 404,
    "division_lead": 404,
    "secretariat": 403,
}


@pytest.fixture
def returned_request(world: World, submit: Callable[..., SharingRequest]) -> SharingRequest:
    sharing_request = submit()
    return sharing_requests.sharing_request_return(
        actor=actor_for(world.users["steward"]),
        sharing_request=sharing_request,
        comment="Say which production line the model is for.",
    )


@pytest.mark.parametrize(("persona", "expected"), RESUBMIT.items())
def test_resubmit_status(
    page_for: Callable[[str], Client],
    returned_request: SharingRequest,
    persona: str,
    expected: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = reverse("console:sharing-request-resubmit", args=[returned_request.pk])
    body = {**FORM, "justification": "Line 3 of the press shop.", "comment": "Named the line."}
    with django_capture_on_commit_callbacks(execute=True):
        response = page_for(persona).post(url, body)
    returned_request.refresh_from_db()
    if persona == "outsider_member":
        assert response.status_code == 302
        assert returned_request.state == S.AWAITING_PUBLISHER
        assert returned_request.justification == "Line 3 of the press shop."
    else:
        # the requester's other member may resubmit too (a member of the organisation)
        assert response.status_code == expected


# --- what the pages show ----------------------------------------------------------------------


def test_my_requests_lists_what_the_api_lists_on_the_requester_side(
    world: World,
    page_for: Callable[[str], Client],
    client_for: Callable[[str], Any],
    submit: Callable[..., SharingRequest],
) -> None:
    theirs = submit()
    # acme asks for a dataset of other's: the steward's page lists acme's own request only,
    # not the one acme decides on (the API shows the steward both).
    others_dataset = DatasetFactory.create(publisher=world.other)
    ours, _ = sharing_requests.sharing_request_create(
        actor=actor_for(world.users["member"]),
        dataset=others_dataset,
        requester=world.acme,
        purpose="research",
        justification="x",
        period_days=30,
        accepted_obligations=[],
    )
    expected = {
        "outsider_member": (world.other, {str(theirs.pk)}),
        "outsider_steward": (world.other, {str(theirs.pk)}),
        "steward": (world.acme, {str(ours.pk)}),
        "member": (world.acme, {str(ours.pk)}),
    }
    for persona, (organization, ids) in expected.items():
        html = page_for(persona).get(reverse("console:sharing-requests")).content.decode()
        api = client_for(persona).get(
            reverse("sharing-request-list"), {"requester_id": organization.pk}
        )
        assert set(ID_RE.findall(html)) == ids == {row["id"] for row in api.json()["results"]}
    for persona in ("division_lead", "secretariat", "third_member"):
        html = page_for(persona).get(reverse("console:sharing-requests")).content.decode()
        assert ID_RE.findall(html) == []


def test_my_requests_filters_by_state_newest_first(
    world: World, page_for: Callable[[str], Client], submit: Callable[..., SharingRequest]
) -> None:
    first = submit()
    sharing_requests.sharing_request_withdraw(
        actor=actor_for(world.users["outsider_member"]), sharing_request=first
    )
    second = submit()
    client = page_for("outsider_member")
    html = client.get(reverse("console:sharing-requests")).content.decode()
    assert ID_RE.findall(html) == [str(second.pk), str(first.pk)]
    html = client.get(reverse("console:sharing-requests"), {"state": "withdrawn"}).content.decode()
    assert ID_RE.findall(html) == [str(first.pk)]
    assert "badge-bad" in html
    assert client.get(reverse("console:sharing-requests"), {"state": "nope"}).status_code == 400


def test_my_requests_pages_with_the_api_cursor(
    world: World, page_for: Callable[[str], Client]
) -> None:
    made = _requests_of_other(world, 27)
    client = page_for("outsider_member")
    html = client.get(reverse("console:sharing-requests")).content.decode()
    first_page = ID_RE.findall(html)
    assert len(first_page) == 25
    older = re.search(r'href="([^"]+)" rel="next"', html)
    assert older is not None
    html = client.get(older.group(1).replace("&amp;", "&")).content.decode()
    assert set(first_page) | set(ID_RE.findall(html)) == {str(r.pk) for r in made}
    assert client.get(reverse("console:sharing-requests"), {"cursor": "junk"}).status_code == 404


def test_request_page_shows_what_the_api_shows_and_nothing_it_hides(
    page_for: Callable[[str], Client],
    client_for: Callable[[str], Any],
    submit: Callable[..., SharingRequest],
) -> None:
    sharing_request = submit()
    SharingRequest.objects.filter(pk=sharing_request.pk).update(idempotency_key="secret-key-1")
    for persona in ("outsider_member", "steward", "secretariat"):
        html = page_for(persona).get(_detail_url(sharing_request)).content.decode()
        api = (
            client_for(persona)
            .get(reverse("sharing-request-detail", kwargs={"pk": sharing_request.pk}))
            .json()
        )
        assert "idempotency_key" not in api
        assert "secret-key-1" not in html
        assert "predictive maintenance model" in html
        assert api["requested_by"]["email"] in html
        for event in api["events"]:
            assert event["created_at"] in html


def test_another_organisations_request_is_404_everywhere(
    page_for: Callable[[str], Client], active_request: SharingRequest
) -> None:
    client = page_for("third_member")
    pk = active_request.pk
    assert client.get(_detail_url(active_request)).status_code == 404
    for name in ("sharing-request-download-links", "sharing-request-withdraw"):
        assert client.post(reverse(f"console:{name}", args=[pk])).status_code == 404
    assert client.get(reverse("console:sharing-request-agreement", args=[pk])).status_code == 404
    member = page_for("outsider_member")
    assert member.get(reverse("console:sharing-request", args=[uuid.uuid4()])).status_code == 404
    assert member.get(reverse("console:sharing-request", args=["not-a-uuid"])).status_code == 404


# --- the form ---------------------------------------------------------------------------------


def test_the_same_form_sent_twice_makes_one_request(
    page_for: Callable[[str], Client],
    shared_dataset: Dataset,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = page_for("outsider_member")
    html = client.get(_new_url(shared_dataset)).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key is not None
    body = _form(idempotency_key=key.group(1))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(_new_url(shared_dataset), body)
        second = client.post(_new_url(shared_dataset), body)
    made = SharingRequest.objects.get(dataset=shared_dataset)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == _detail_url(made)
    assert made.idempotency_key == key.group(1)


def test_a_second_request_names_the_open_one_in_the_services_words(
    page_for: Callable[[str], Client],
    shared_dataset: Dataset,
    submit: Callable[..., SharingRequest],
) -> None:
    open_request = submit()
    response = page_for("outsider_member").post(_new_url(shared_dataset), _form())
    html = response.content.decode()
    assert response.status_code == 409
    assert "already has an open request for this dataset" in html
    assert _detail_url(open_request) in html
    assert SharingRequest.objects.filter(dataset=shared_dataset).count() == 1


def test_validation_errors_land_on_the_form(
    page_for: Callable[[str], Client], shared_dataset: Dataset
) -> None:
    response = page_for("outsider_member").post(
        _new_url(shared_dataset), _form(justification="", period_days="0")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_justification_error"' in html
    assert 'id="id_period_days_error"' in html
    assert not SharingRequest.objects.exists()


def test_the_form_offers_the_policys_purposes_and_obligations(
    page_for: Callable[[str], Client], set_route: Callable[..., Any], shared_dataset: Dataset
) -> None:
    set_route("publisher", permitted_purposes=["research"], obligations=["usage_report"])
    html = page_for("outsider_member").get(_new_url(shared_dataset)).content.decode()
    assert 'value="research"' in html
    assert 'value="ai_model_training"' not in html
    assert 'value="usage_report"' in html
    assert 'value="attribution"' not in html


def test_members_of_several_organisations_name_the_one_they_ask_for(
    world: World,
    page_for: Callable[[str], Client],
    shared_dataset: Dataset,
    third_member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    MembershipFactory.create(
        user=world.users["outsider_member"],
        organization=third_member.memberships.get().organization,
    )
    client = page_for("outsider_member")
    assert 'name="organization"' in client.get(_new_url(shared_dataset)).content.decode()
    response = client.post(_new_url(shared_dataset), _form())
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_new_url(shared_dataset), _form(organization="third"))
    assert response.status_code == 302
    assert SharingRequest.objects.get().requester.slug == "third"


def test_eligibility_fragment_names_every_failed_rule(
    page_for: Callable[[str], Client], set_route: Callable[..., Any], shared_dataset: Dataset
) -> None:
    set_route(
        "publisher",
        permitted_purposes=["research"],
        allowed_organization_kinds=[OrganizationKind.UNIVERSITY],
    )
    url = reverse("console:sharing-request-eligibility", args=[shared_dataset.slug])
    client = page_for("outsider_member")  # other is an AI company
    response = client.post(url, {**FORM, "csrfmiddlewaretoken": "x"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-eligible="false"' in html
    assert 'data-code="organization_kind_not_allowed"' in html
    assert "Organisations of your kind may not ask." in html
    assert 'data-code="purpose_not_permitted"' in html
    assert "The policy does not permit this purpose." in html
    # a university asking for research, accepting every obligation, is eligible
    html = page_for("third_member").post(url, {**FORM, "purpose": "research"}).content.decode()
    assert 'data-eligible="true"' in html
    # and the form page says it before anything is sent
    html = client.get(_new_url(shared_dataset)).content.decode()
    assert 'data-code="organization_kind_not_allowed"' in html


def test_eligibility_fragment_says_what_is_missing(
    page_for: Callable[[str], Client], shared_dataset: Dataset, submit: Callable[..., Any]
) -> None:
    url = reverse("console:sharing-request-eligibility", args=[shared_dataset.slug])
    client = page_for("outsider_member")
    html = client.post(url, {"purpose": "", "period_days": ""}).content.decode()
    assert 'data-eligible="unknown"' in html
    html = client.post(url, {**FORM, "accepted_obligations": []}).content.decode()
    assert 'data-code="obligations_not_accepted"' in html
    submit()
    html = client.post(url, FORM).content.decode()
    assert 'data-code="open_request_exists"' in html
    assert page_for("division_lead").post(url, FORM).status_code == 200  # says why, in words


def test_eligibility_fragment_names_the_rules_the_api_names(
    page_for: Callable[[str], Client],
    client_for: Callable[[str], Any],
    set_route: Callable[..., Any],
    shared_dataset: Dataset,
) -> None:
    set_route("publisher", permitted_purposes=["research"], max_period_days=60)
    body = {**FORM, "accepted_obligations": ["attribution"]}
    html = (
        page_for("outsider_member")
        .post(reverse("console:sharing-request-eligibility", args=[shared_dataset.slug]), body)
        .content.decode()
    )
    api = client_for("outsider_member").post(
        reverse("dataset-eligibility", kwargs={"dataset": shared_dataset.slug}),
        {key: value for key, value in body.items() if key != "justification"},
        format="json",
    )
    codes = [reason["code"] for reason in api.json()["reasons"]]
    assert codes == ["purpose_not_permitted", "period_too_long", "obligations_not_accepted"]
    assert re.findall(r'data-code="([a-z_]+)"', html) == codes
    for reason in api.json()["reasons"]:
        assert reason["message"] in html


def test_a_division_lead_sees_a_request_routed_to_them(
    world: World,
    page_for: Callable[[str], Client],
    set_route: Callable[..., Any],
    submit: Callable[..., SharingRequest],
) -> None:
    set_route("publisher_then_division_lead")
    sharing_request = submit()
    lead = page_for("division_lead")
    assert lead.get(_detail_url(sharing_request)).status_code == 404
    sharing_requests.sharing_request_approve(
        actor=actor_for(world.users["steward"]), sharing_request=sharing_request
    )
    html = lead.get(_detail_url(sharing_request)).content.decode()
    assert "Waiting for the division lead" in html
    assert 'id="withdraw-form"' not in html
    assert ID_RE.findall(lead.get(reverse("console:sharing-requests")).content.decode()) == []


# --- withdraw, download, agreement, resubmit --------------------------------------------------


def test_withdraw_from_the_page(
    page_for: Callable[[str], Client], submit: Callable[..., SharingRequest]
) -> None:
    sharing_request = submit()
    client = page_for("outsider_member")
    html = client.get(_detail_url(sharing_request)).content.decode()
    assert 'id="withdraw-form"' in html
    assert "data-confirm=" in html
    url = reverse("console:sharing-request-withdraw", args=[sharing_request.pk])
    response = client.post(url, {"reason": "Found the data elsewhere."}, follow=True)
    assert response.status_code == 200
    sharing_request.refresh_from_db()
    assert sharing_request.state == S.WITHDRAWN
    html = response.content.decode()
    assert "Found the data elsewhere." in html
    assert 'id="withdraw-form"' not in html
    assert client.post(url, {}).status_code == 409  # the service's answer: nothing to withdraw


def test_download_links_are_made_fresh_on_each_click_and_not_after_revocation(
    world: World, page_for: Callable[[str], Client], active_request: SharingRequest
) -> None:
    client = page_for("outsider_member")
    html = client.get(_detail_url(active_request)).content.decode()
    assert 'id="get-download-links"' in html
    assert "/api/v1/download-links/" not in html  # never a link drawn with the page
    assert 'id="grant-valid-until"' in html
    url = reverse("console:sharing-request-download-links", args=[active_request.pk])
    links = []
    for second in (1_000_000.0, 1_000_100.0):
        with mock.patch("django.core.signing.time.time", return_value=second):
            html = client.post(url, HTTP_HX_REQUEST="true").content.decode()
        found = re.findall(r'href="(http[^"]+/api/v1/download-links/[^"]+)"', html)
        assert len(found) == 1
        links.append(found[0])
    assert links[0] != links[1]
    agreements.grant_revoke(
        actor=actor_for(world.users["steward"]), sharing_request=active_request, reason="Breach."
    )
    response = client.post(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "/api/v1/download-links/" not in html
    assert 'id="download-error"' in html
    assert client.post(url).status_code == 409
    assert 'id="get-download-links"' not in client.get(_detail_url(active_request)).content.decode()


def test_a_fresh_link_downloads_the_file(
    page_for: Callable[[str], Client], active_request: SharingRequest
) -> None:
    client = page_for("outsider_member")
    url = reverse("console:sharing-request-download-links", args=[active_request.pk])
    html = client.post(url).content.decode()
    link = re.search(r'href="http://testserver(/api/v1/download-links/[^"]+)"', html)
    assert link is not None
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"ts,value")  # type: ignore[attr-defined]


def test_the_agreement_is_shown_and_downloads_as_the_api_serves_it(
    page_for: Callable[[str], Client],
    client_for: Callable[[str], Any],
    active_request: SharingRequest,
) -> None:
    agreement = active_request.agreement
    client = page_for("outsider_member")
    html = client.get(_detail_url(active_request)).content.decode()
    assert agreement.digest in html
    assert 'id="agreement-terms"' in html
    response = client.get(reverse("console:sharing-request-agreement", args=[active_request.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    api = client_for("outsider_member").get(reverse("agreement-detail", args=[agreement.pk]))
    assert response.json() == api.json()


def test_a_returned_request_shows_the_comment_and_resubmits_prefilled(
    page_for: Callable[[str], Client],
    returned_request: SharingRequest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = page_for("outsider_member")
    html = client.get(_detail_url(returned_request)).content.decode()
    assert "Say which production line the model is for." in html
    assert 'id="resubmit-form"' in html
    assert "predictive maintenance model</textarea>" in html  # prefilled from the request
    assert 'value="delete_at_expiry" id="id_accepted_obligations_1" checked' in html
    assert 'value="usage_report"' not in html  # only what the current policy asks
    steward_html = page_for("steward").get(_detail_url(returned_request)).content.decode()
    assert 'id="resubmit-form"' not in steward_html
    url = reverse("console:sharing-request-resubmit", args=[returned_request.pk])
    response = client.post(url, {**FORM, "justification": ""})
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**FORM, "period_days": "30", "comment": "Shorter."})
    assert response.status_code == 302
    returned_request.refresh_from_db()
    assert returned_request.period_days == 30
    assert returned_request.state == S.AWAITING_PUBLISHER


# --- queries ----------------------------------------------------------------------------------


def _requests_of_other(world: World, count: int) -> list[SharingRequest]:
    actor = actor_for(world.users["outsider_member"])
    made = []
    for _ in range(count):
        dataset = DatasetFactory.create(publisher=world.acme)
        sharing_request, _created = sharing_requests.sharing_request_create(
            actor=actor,
            dataset=dataset,
            requester=world.other,
            purpose="research",
            justification="x",
            period_days=30,
            accepted_obligations=[],
        )
        made.append(sharing_request)
    return made


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_my_requests_reads_a_constant_number_of_queries(
    world: World, page_for: Callable[[str], Client]
) -> None:
    client = page_for("outsider_member")
    _requests_of_other(world, 1)
    one = _queries(client, reverse("console:sharing-requests"))
    _requests_of_other(world, 14)
    assert _queries(client, reverse("console:sharing-requests")) == one


def test_the_request_page_reads_a_constant_number_of_queries(
    world: World, page_for: Callable[[str], Client], active_request: SharingRequest
) -> None:
    client = page_for("outsider_member")
    one = _queries(client, _detail_url(active_request))
    for n in range(15):
        SharingRequestEvent.objects.create(
            sharing_request=active_request,
            actor=UserFactory.create(),
            from_state=S.ACTIVE,
            to_state=S.ACTIVE,
            comment=f"note {n}",
        )
    assert _queries(client, _detail_url(active_request)) == one


def test_the_writes_need_the_csrf_token(
    world: World, submit: Callable[..., SharingRequest]
) -> None:
    sharing_request = submit()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["outsider_member"])
    url = reverse("console:sharing-request-withdraw", args=[sharing_request.pk])
    assert client.post(url, {}).status_code == 403
    sharing_request.refresh_from_db()
    assert sharing_request.state != S.WITHDRAWN
