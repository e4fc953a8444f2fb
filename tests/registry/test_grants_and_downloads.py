"""Grants, signed download links and the download log.

The grant is checked when the file is fetched, not only when the link is signed: revocation
and expiry apply at once.
"""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, MembershipRole
from audit.models import AuditEvent
from datasets.models import Distribution
from registry.models import ApprovalRoute, Download, Grant
from registry.models import SharingRequestState as S
from registry.services.agreements import grants_expire
from registry.services.downloads import download_link_sign
from tests.common.problems import assert_problem
from tests.factories import (
    DatasetFactory,
    DatasetVersionFactory,
    DistributionFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.sharing import CSV_BYTES, act

pytestmark = pytest.mark.django_db

JSON_BYTES = '{"센서": "진동", "value": 1.5}\n'.encode()


@pytest.fixture
def grant(world, shared_dataset, submit, set_route):
    """An active grant of "other" to the shared dataset's version (approved automatically)."""
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    request.refresh_from_db()
    assert request.state == S.ACTIVE
    return Grant.objects.select_related("agreement__sharing_request").get(
        agreement__sharing_request=request
    )


@pytest.fixture
def second_file(shared_dataset):
    """A second file of the same version, plus a link-only distribution (no file)."""
    version = shared_dataset.versions.get()
    distribution = Distribution(
        version=version, title="readings", format="json", media_type="application/json"
    )
    distribution.file.save("readings.json", ContentFile(JSON_BYTES), save=False)
    distribution.save()
    DistributionFactory.create(version=version)
    return distribution


@pytest.fixture
def unrelated(world, client_for):
    user = UserFactory.create(email="unrelated@example.kr")
    MembershipFactory.create(
        user=user, organization=OrganizationFactory.create(slug="third"), role=MembershipRole.MEMBER
    )
    world.users["unrelated"] = user
    return client_for("unrelated")


def links_url(grant):
    return reverse("grant-download-links", kwargs={"pk": grant.pk})


def fetch(client, url):
    """GET a download link; returns (response, body bytes or None)."""
    response = client.get(url)
    if response.status_code != 200:
        return response, None
    # Consuming the stream lets the test client close the file (closing the response here would
    # send request_finished and close the test's database connection).
    return response, b"".join(response.streaming_content)


def links_for(client_for, grant, persona="outsider_member"):
    response = client_for(persona).post(links_url(grant))
    assert response.status_code == 200, response.json()
    return response.json()


# --- who gets links ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider_member", "outsider_steward"])
def test_members_of_the_grantee_get_one_link_per_file(
    world, client_for, grant, second_file, shared_dataset, persona
):
    links = links_for(client_for, grant, persona)

    files = Distribution.objects.filter(version=grant.version).exclude(file="")
    assert {link["distribution"] for link in links} == {str(d.pk) for d in files}
    assert len(links) == 2  # the link-only distribution has no file to serve
    for link in links:
        assert set(link) == {
            "distribution",
            "role",
            "file_name",
            "title",
            "format",
            "url",
            "expires_in_seconds",
        }
        assert link["role"] == "data"
        assert link["file_name"] == files.get(pk=link["distribution"]).file_name
        assert link["url"].startswith("http://testserver/api/v1/download-links/")
        assert link["expires_in_seconds"] == 600
    assert {link["format"] for link in links} == {"csv", "json"}


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("anonymous", 401, "not_authenticated"),
        ("steward", 403, "permission_denied"),
        ("secretariat", 403, "permission_denied"),
        ("member", 404, "not_found"),
        ("org_admin", 404, "not_found"),
        ("division_lead", 404, "not_found"),
        ("unrelated", 404, "not_found"),
    ],
)
def test_nobody_else_gets_links(world, client_for, unrelated, grant, persona, status, code):
    client = unrelated if persona == "unrelated" else client_for(persona)

    assert_problem(client.post(links_url(grant)), status, code)


def test_the_expiry_of_links_follows_the_setting(world, client_for, grant, settings):
    settings.DOWNLOAD_LINK_MAX_AGE_SECONDS = 30

    links = links_for(client_for, grant)

    assert [link["expires_in_seconds"] for link in links] == [30]


# --- downloading ------------------------------------------------------------------------------


def test_each_link_downloads_its_exact_file_and_is_logged(
    world, client_for, grant, second_file, shared_dataset
):
    links = links_for(client_for, grant)
    expected = {
        str(second_file.pk): (JSON_BYTES, "application/json"),
        str(Distribution.objects.exclude(file="").get(version=grant.version, format="csv").pk): (
            CSV_BYTES,
            "text/csv",
        ),
    }

    for link in links:
        response, content = fetch(client_for("anonymous"), link["url"])
        assert response.status_code == 200
        data, media_type = expected[link["distribution"]]
        assert content == data
        assert response["Content-Type"] == media_type
        assert response["Content-Disposition"].startswith("attachment;")

    downloads = list(Download.objects.order_by("id"))
    assert len(downloads) == 2
    assert {str(d.distribution_id) for d in downloads} == set(expected)
    for download in downloads:
        assert download.grant_id == grant.pk
        assert download.user == world.users["outsider_member"]
        assert download.byte_size == len(expected[str(download.distribution_id)][0])
        assert download.client_ip == "127.0.0.1"
    events = AuditEvent.objects.filter(action="download").order_by("id")
    assert [e.object_id for e in events] == [str(d.distribution_id) for d in downloads]
    for event in events:
        assert event.object_type == "distribution"
        assert event.actor_email == "outsider_member@example.kr"
        # Every member of the grantee reads it; of the publisher, only the data stewards.
        assert event.organization_ids == [world.other.pk]
        assert event.steward_organization_ids == [world.acme.pk]
        assert event.data["grant"] == str(grant.pk)
    assert [e.data["bytes"] for e in events] == [d.byte_size for d in downloads]


def test_a_link_records_the_user_it_was_made_for_whoever_uses_it(world, client_for, grant):
    [link] = links_for(client_for, grant, "outsider_steward")

    response, _content = fetch(client_for("outsider_member"), link["url"])

    assert response.status_code == 200
    assert Download.objects.get().user == world.users["outsider_steward"]


def test_a_link_works_more_than_once_within_its_age(world, client_for, grant):
    [link] = links_for(client_for, grant)

    first, _ = fetch(client_for("anonymous"), link["url"])
    second, content = fetch(client_for("anonymous"), link["url"])

    assert (first.status_code, second.status_code) == (200, 200)
    assert content == CSV_BYTES
    assert Download.objects.count() == 2


# --- the download log -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["outsider_member", "outsider_steward", "steward", "secretariat"]
)
def test_both_parties_see_the_download_log(world, client_for, grant, persona):
    [link] = links_for(client_for, grant)
    fetch(client_for("anonymous"), link["url"])
    download = Download.objects.get()

    response = client_for(persona).get(reverse("download-list"))

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": download.pk,
            "grant": str(grant.pk),
            "distribution": link["distribution"],
            "user": "outsider_member@example.kr",
            "byte_size": len(CSV_BYTES),
            "created_at": response.json()["results"][0]["created_at"],
        }
    ]


@pytest.mark.parametrize("persona", ["member", "org_admin", "division_lead", "unrelated"])
def test_others_see_no_downloads(world, client_for, unrelated, grant, persona):
    [link] = links_for(client_for, grant)
    fetch(client_for("anonymous"), link["url"])
    client = unrelated if persona == "unrelated" else client_for(persona)

    response = client.get(reverse("download-list"))

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_anonymous_cannot_read_the_download_log(world, client_for, grant):
    assert_problem(client_for("anonymous").get(reverse("download-list")), 401, "not_authenticated")


# --- grants -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider_member", "steward"])
def test_both_parties_see_the_grant(world, client_for, grant, persona):
    response = client_for(persona).get(reverse("grant-detail", kwargs={"pk": grant.pk}))

    assert response.status_code == 200
    body = response.json()
    assert body["is_active"] is True
    assert body["organization"]["slug"] == "other"
    assert body["sharing_request"] == str(grant.agreement.sharing_request_id)
    assert body["revoked_at"] is None


# --- revocation -------------------------------------------------------------------------------


def test_after_revocation_links_stop_at_once_and_new_ones_are_refused(
    world, client_for, grant, django_capture_on_commit_callbacks
):
    [link] = links_for(client_for, grant)
    request = grant.agreement.sharing_request

    revoked = act(
        client_for("steward"), request, "revoke", django_capture_on_commit_callbacks, reason="leak"
    )

    assert revoked.status_code == 200
    assert revoked.json()["state"] == S.REVOKED
    response, _ = fetch(client_for("anonymous"), link["url"])
    body = assert_problem(response, 403, "permission_denied")
    assert "revoked or expired" in body["detail"]
    assert_problem(client_for("outsider_member").post(links_url(grant)), 409, "grant_not_valid")
    assert not Download.objects.exists()
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoked_by == world.users["steward"]
    assert grant.revocation_reason == "leak"
    shown = (
        client_for("outsider_member").get(reverse("grant-detail", kwargs={"pk": grant.pk})).json()
    )
    assert shown["is_active"] is False
    assert shown["revocation_reason"] == "leak"


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("outsider_member", 403, "permission_denied"),
        ("outsider_steward", 403, "permission_denied"),
        ("member", 404, "not_found"),
    ],
)
def test_only_the_publisher_or_the_secretariat_revokes(
    world, client_for, grant, django_capture_on_commit_callbacks, persona, status, code
):
    request = grant.agreement.sharing_request

    response = act(
        client_for(persona), request, "revoke", django_capture_on_commit_callbacks, reason="x"
    )

    assert_problem(response, status, code)
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_the_secretariat_may_revoke(world, client_for, grant, django_capture_on_commit_callbacks):
    request = grant.agreement.sharing_request

    response = act(
        client_for("secretariat"), request, "revoke", django_capture_on_commit_callbacks, reason="x"
    )

    assert response.status_code == 200
    assert response.json()["state"] == S.REVOKED


def test_revoking_twice_is_a_conflict(world, client_for, grant, django_capture_on_commit_callbacks):
    request = grant.agreement.sharing_request
    steward = client_for("steward")
    act(steward, request, "revoke", django_capture_on_commit_callbacks, reason="first")

    again = act(steward, request, "revoke", django_capture_on_commit_callbacks, reason="second")

    body = assert_problem(again, 409, "invalid_transition")
    assert body["current_state"] == "revoked"
    grant.refresh_from_db()
    assert grant.revocation_reason == "first"


# --- expiry -----------------------------------------------------------------------------------


def _move_window_into_the_past(grant):
    now = timezone.now()
    Grant.objects.filter(pk=grant.pk).update(
        valid_from=now - timedelta(days=10), valid_until=now - timedelta(seconds=1)
    )


def test_after_the_window_links_stop_and_new_ones_are_refused(world, client_for, grant):
    [link] = links_for(client_for, grant)

    _move_window_into_the_past(grant)

    response, _ = fetch(client_for("anonymous"), link["url"])
    assert_problem(response, 403, "permission_denied")
    assert_problem(client_for("outsider_member").post(links_url(grant)), 409, "grant_not_valid")
    assert not Download.objects.exists()


def test_grants_expire_ends_the_request_once_the_window_passed(
    world, client_for, grant, django_capture_on_commit_callbacks
):
    [link] = links_for(client_for, grant)
    _move_window_into_the_past(grant)

    with django_capture_on_commit_callbacks(execute=True):
        assert grants_expire() == 1
    assert grants_expire() == 0

    request = grant.agreement.sharing_request
    request.refresh_from_db()
    assert request.state == S.EXPIRED
    assert request.dsp_state == "TERMINATED"
    response, _ = fetch(client_for("anonymous"), link["url"])
    assert_problem(response, 403, "permission_denied")


def test_grants_expire_with_a_later_now(world, client_for, grant):
    request = grant.agreement.sharing_request

    assert grants_expire(now=grant.valid_until - timedelta(seconds=1)) == 0
    assert grants_expire(now=grant.valid_until) == 1

    request.refresh_from_db()
    assert request.state == S.EXPIRED


# --- broken, foreign and old links ------------------------------------------------------------


def _signed_part(url):
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_a_tampered_link_is_refused(world, client_for, grant):
    [link] = links_for(client_for, grant)
    signed = _signed_part(link["url"])
    last = signed[-1]
    tampered = signed[:-1] + ("A" if last != "A" else "B")

    response, _ = fetch(
        client_for("anonymous"), reverse("download-file", kwargs={"signed": tampered})
    )

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "This download link is not valid."
    assert not Download.objects.exists()


def test_a_link_with_a_forged_payload_is_refused(world, client_for, grant):
    """Swapping the payload for another user's keeps the old signature: refused."""
    [link] = links_for(client_for, grant)
    signed = _signed_part(link["url"])
    forged_payload = signing.dumps(
        {"g": str(grant.pk), "d": link["distribution"], "u": world.users["steward"].pk},
        salt="someone-else",
    ).split(":")[0]
    forged = ":".join([forged_payload, *signed.split(":")[1:]])

    response, _ = fetch(
        client_for("anonymous"), reverse("download-file", kwargs={"signed": forged})
    )

    assert_problem(response, 403, "permission_denied")


@pytest.mark.parametrize("garbage", ["garbage", "a:b:c", "eyJnIjoiMSJ9:1u:abc"])
def test_garbage_is_refused(world, client_for, grant, garbage):
    response, _ = fetch(
        client_for("anonymous"), reverse("download-file", kwargs={"signed": garbage})
    )

    assert_problem(response, 403, "permission_denied")


def test_an_old_link_is_refused(world, client_for, grant):
    distribution = Distribution.objects.get(version=grant.version)
    user = world.users["outsider_member"]
    with mock.patch("time.time", return_value=time.time() - 601):
        old = download_link_sign(grant=grant, distribution=distribution, user=user)
    with mock.patch("time.time", return_value=time.time() - 599):
        recent = download_link_sign(grant=grant, distribution=distribution, user=user)

    expired, _ = fetch(client_for("anonymous"), reverse("download-file", kwargs={"signed": old}))
    fresh, content = fetch(
        client_for("anonymous"), reverse("download-file", kwargs={"signed": recent})
    )

    body = assert_problem(expired, 403, "permission_denied")
    assert "expired" in body["detail"]
    assert fresh.status_code == 200
    assert content == CSV_BYTES


def test_a_shorter_max_age_applies_to_links_already_made(world, client_for, grant, settings):
    distribution = Distribution.objects.get(version=grant.version)
    with mock.patch("time.time", return_value=time.time() - 60):
        signed = download_link_sign(
            grant=grant, distribution=distribution, user=world.users["outsider_member"]
        )
    settings.DOWNLOAD_LINK_MAX_AGE_SECONDS = 30

    response, _ = fetch(
        client_for("anonymous"), reverse("download-file", kwargs={"signed": signed})
    )

    assert_problem(response, 403, "permission_denied")


def test_a_link_for_a_file_outside_the_grant_is_refused(world, client_for, grant):
    """A validly signed link that pairs the grant with another dataset's file."""
    foreign_version = DatasetVersionFactory.create(
        dataset=DatasetFactory.create(publisher=world.acme, division=world.ai_factory)
    )
    foreign = Distribution(version=foreign_version, format="csv", media_type="text/csv")
    foreign.file.save("secret.csv", ContentFile(b"secret\n"), save=False)
    foreign.save()
    signed = download_link_sign(
        grant=grant, distribution=foreign, user=world.users["outsider_member"]
    )

    response, _ = fetch(
        client_for("anonymous"), reverse("download-file", kwargs={"signed": signed})
    )

    assert_problem(response, 403, "permission_denied")
    assert not Download.objects.exists()


def test_a_link_of_a_deactivated_user_is_refused(world, client_for, grant):
    [link] = links_for(client_for, grant)
    user = world.users["outsider_member"]
    user.is_active = False
    user.save(update_fields=["is_active"])

    response, _ = fetch(client_for("anonymous"), link["url"])

    assert_problem(response, 403, "permission_denied")


def test_a_link_of_a_user_who_left_the_grantee_is_refused(world, client_for, grant):
    [link] = links_for(client_for, grant)
    Membership.objects.filter(
        user=world.users["outsider_member"], organization=world.other
    ).delete()

    response, _ = fetch(client_for("anonymous"), link["url"])

    body = assert_problem(response, 403, "permission_denied")
    assert "no longer a member" in body["detail"]
    assert not Download.objects.exists()
    assert not AuditEvent.objects.filter(action="download").exists()


def test_a_file_gone_from_storage_is_404_and_no_download(world, client_for, grant):
    [link] = links_for(client_for, grant)
    distribution = Distribution.objects.get(version=grant.version)
    distribution.file.storage.delete(distribution.file.name)

    response, _ = fetch(client_for("anonymous"), link["url"])

    assert_problem(response, 404, "not_found")
    assert not Download.objects.exists()
    assert not AuditEvent.objects.filter(action="download").exists()


def test_behind_a_proxy_the_forwarded_client_address_is_logged(world, client_for, grant, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    [link] = links_for(client_for, grant)

    response = client_for("anonymous").get(
        link["url"], REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.7"
    )
    b"".join(response.streaming_content)

    assert response.status_code == 200
    assert Download.objects.get().client_ip == "198.51.100.7"  # what our one proxy saw


@pytest.mark.parametrize("forwarded", ["198.51.100.7", "198.51.100.7, 10.0.0.1"])
def test_without_a_proxy_a_forged_forwarded_header_is_ignored(world, client_for, grant, forwarded):
    [link] = links_for(client_for, grant)

    response = client_for("anonymous").get(link["url"], HTTP_X_FORWARDED_FOR=forwarded)
    b"".join(response.streaming_content)

    assert response.status_code == 200
    assert Download.objects.get().client_ip == "127.0.0.1"
