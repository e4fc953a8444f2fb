"""Absolute links follow the host the caller used, unless PUBLIC_BASE_URL names the registry's
address; emails, written outside any request, use PUBLIC_BASE_URL (common.urls)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import checks
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from rdflib import URIRef

from common.urls import absolute_url, base_url
from datasets.models import Distribution
from registry.models import ApprovalRoute
from tests.catalog.helpers import CATALOG_URL, JSON_LD, parse
from tests.factories import DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db

HOST = "registry.test:8123"
PUBLIC = "https://registry.example.kr"


@pytest.fixture
def hosts(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["registry.test", "localhost"]


@pytest.fixture
def published(world: Any) -> Any:
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity="public")
    DatasetFactory.create(publisher=world.acme, sensitivity="public")
    version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    Distribution.objects.create(
        version=version,
        format="csv",
        media_type="text/csv",
        file=ContentFile(b"a,b\n1,2\n", name="data.csv"),
    )
    return version


def links(client: Any, version: Any, host: str) -> dict[str, str]:
    """One absolute link of each kind the API writes, asked for on `host`."""
    package = client.get(
        reverse("version-datapackage", kwargs={"dataset": version.dataset_id, "pk": version.pk}),
        HTTP_HOST=host,
    )
    catalog = client.get(CATALOG_URL, {"page_size": 1}, HTTP_HOST=host, HTTP_ACCEPT=JSON_LD)
    datasets = client.get(reverse("dataset-list"), {"page_size": 1}, HTTP_HOST=host)
    root = client.get(reverse("api-root"), HTTP_HOST=host)
    for response in (package, catalog, datasets, root):
        assert response.status_code == 200, response.content
    graph = parse(catalog)
    catalog_uris = {
        str(term)
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and "/api/v1/" in term
    }
    assert any("cursor=" in uri for uri in catalog_uris)  # the next page's link too
    resource_paths = [resource["path"] for resource in package.json()["resources"]]
    return {
        "data package": package.json()["homepage"],
        **{f"catalog {uri}": uri for uri in catalog_uris},
        "dataset page": datasets.json()["next"],
        "api root": root.json()["datasets"],
        **{f"resource {path}": path for path in resource_paths if "/download/" in path},
    }


def test_links_follow_the_host_and_port_of_the_request(hosts, published, client_for):
    found = links(client_for("anonymous"), published, HOST)

    assert any(kind.startswith("resource") for kind in found)
    for kind, link in found.items():
        assert link.startswith(f"http://{HOST}/api/v1/"), (kind, link)


def test_public_base_url_wins_over_the_request_host(hosts, published, client_for, settings):
    settings.PUBLIC_BASE_URL = PUBLIC + "/"  # a trailing slash is tolerated

    found = links(client_for("anonymous"), published, HOST)

    for kind, link in found.items():
        assert link.startswith(f"{PUBLIC}/api/v1/"), (kind, link)


def test_a_host_outside_allowed_hosts_is_refused(hosts, client_for):
    response = client_for("anonymous").get(reverse("api-root"), HTTP_HOST="evil.example")

    assert response.status_code == 400


def test_emails_link_under_public_base_url(submit, set_route, mailoutbox, settings):
    settings.PUBLIC_BASE_URL = PUBLIC
    set_route(ApprovalRoute.AUTOMATIC)

    request = submit()

    # The requester's email opens their request's page in the console.
    link = f"{PUBLIC}{reverse('console:sharing-request', kwargs={'pk': request.pk})}"
    assert [link in message.body for message in mailoutbox] == [True]


def test_without_public_base_url_an_email_link_is_a_path_and_a_warning(
    submit, set_route, mailoutbox, caplog
):
    set_route(ApprovalRoute.AUTOMATIC)

    with caplog.at_level(logging.WARNING, logger="common.urls"):
        request = submit()

    path = reverse("console:sharing-request", kwargs={"pk": request.pk})
    assert f"\n{path}\n" in mailoutbox[0].body
    assert "PUBLIC_BASE_URL is not set" in caplog.text


def test_absolute_url_rules(settings):
    request = RequestFactory().get("/", HTTP_HOST="localhost:9000")

    assert absolute_url("/api/v1/", request) == "http://localhost:9000/api/v1/"
    assert absolute_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert base_url(request) == "http://localhost:9000"
    settings.PUBLIC_BASE_URL = " https://registry.example.kr/ "
    assert absolute_url("api/v1/?a=1", request) == "https://registry.example.kr/api/v1/?a=1"
    assert base_url() == "https://registry.example.kr"


def test_deployments_that_send_mail_are_warned_without_public_base_url(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

    assert [m.id for m in checks.run_checks() if m.id == "common.W001"] == ["common.W001"]
    settings.PUBLIC_BASE_URL = PUBLIC
    assert [m.id for m in checks.run_checks() if m.id == "common.W001"] == []
    settings.PUBLIC_BASE_URL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [m.id for m in checks.run_checks() if m.id == "common.W001"] == []
