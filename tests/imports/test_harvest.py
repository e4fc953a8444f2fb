"""Harvesting a URL: a local HTTP server (never the internet), CKAN and Hydra paging, size
limits while streaming, redirects and private addresses refused."""

from __future__ import annotations

import io
import json
import socket
from types import SimpleNamespace
from typing import Any

import pytest

from datasets import tasks
from datasets.imports import ImportLimits, SourceError
from datasets.imports.fetch import TransientFetchError, fetch
from datasets.models import Dataset, ImportJob, ImportStatus
from tests.imports.helpers import fixture_bytes, job_url, outcomes
from tests.imports.server import Route, ckan_pages, serving

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings: Any, monkeypatch: pytest.MonkeyPatch):
    """The server listens on loopback, so private networks are allowed, and no proxy may
    stand between."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serving() as served:
        yield served


def packages(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"pkg-{n}", "name": f"pkg-{n}", "title": f"Package {n}", "license_id": "cc-by"}
        for n in range(count)
    ]


def test_a_url_import_fetches_stores_and_imports(site, post_import, client_for):
    site.routes["/catalog.ttl"] = Route(fixture_bytes("catalog.ttl"), content_type="text/turtle")

    response = post_import(url=site.url("/catalog.ttl"))

    assert response.status_code == 202, response.content
    body = client_for("steward").get(job_url(response.json()["id"])).json()
    assert body["status"] == "succeeded", body["error"]
    assert body["source_url"] == site.url("/catalog.ttl")
    assert body["format"] == "dcat"
    assert body["totals"]["created"] == 2
    job = ImportJob.objects.get()
    assert job.file  # kept, so a retry reads the same bytes
    assert job.content_type == "text/turtle"


def test_ckan_package_search_is_paged_with_rows_and_start(site, run_url_import):
    site.routes["/api/3/action/package_search"] = ckan_pages(packages(7))

    job = run_url_import(site.url("/api/3/action/package_search?q=vibration&rows=3"))

    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert job.totals["created"] == 7
    starts = [request.split("start=")[1] for request in site.requests]
    assert starts == ["0", "3", "6"]
    assert all("q=vibration" in request and "rows=3" in request for request in site.requests)


def test_ckan_paging_stops_at_the_record_limit(site, run_url_import, settings):
    settings.IMPORT_LIMITS = {**settings.IMPORT_LIMITS, "max_records": 4}
    site.routes["/api/3/action/package_search"] = ckan_pages(packages(10))

    job = run_url_import(site.url("/api/3/action/package_search?rows=3"))

    assert job.totals["created"] == 4
    assert len(site.requests) == 2
    assert [w["message"] for w in job.warnings] == [
        "The CKAN API has 10 datasets: only the first 4 were fetched."
    ]


def test_hydra_paged_dcat_is_followed_page_by_page(site, run_url_import):
    page = (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        "@prefix dct: <http://purl.org/dc/terms/> .\n"
        "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
        "<{base}/catalog> a dcat:Catalog ; dcat:dataset <{base}/ds/{n}> ;\n"
        "  hydra:view <{base}/p{n}> .\n"
        "<{base}/p{n}> a hydra:PartialCollectionView {next} .\n"
        '<{base}/ds/{n}> a dcat:Dataset ; dct:identifier "ds-{n}" ; dct:title "Dataset {n}"@en ;\n'
        "  dct:license <http://spdx.org/licenses/CC0-1.0> .\n"
    )
    for n in (1, 2, 3):
        following = f"; hydra:next <{site.base}/catalog{n + 1}>" if n < 3 else ""
        site.routes[f"/catalog{n}"] = Route(
            page.format(base=site.base, n=n, next=following).encode(), content_type="text/turtle"
        )

    job = run_url_import(site.url("/catalog1"))

    assert job.status == ImportStatus.SUCCEEDED, job.error
    assert outcomes(job) == {"ds-1": "created", "ds-2": "created", "ds-3": "created"}
    assert site.requests == ["/catalog1", "/catalog2", "/catalog3"]


@pytest.mark.parametrize("send_length", [True, False])
def test_a_source_over_the_limit_fails_while_streaming(site, run_url_import, settings, send_length):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "import": 1000}
    body = b"identifier,title_ko,theme,license\n" + b"x,y,documents,CC0-1.0\n" * 200
    site.routes["/big.csv"] = Route(body, content_type="text/csv", send_length=send_length)

    job = run_url_import(site.url("/big.csv"))

    assert job.status == ImportStatus.FAILED
    assert job.error["code"] == "source_too_large"
    assert job.error["limit_bytes"] == 1000
    assert not Dataset.objects.exists()


def test_an_http_error_fails_the_job_with_the_status(site, run_url_import):
    job = run_url_import(site.url("/missing.ttl"))

    assert job.status == ImportStatus.FAILED
    assert job.error["code"] == "fetch_failed"
    assert job.error["status"] == 404


def test_a_redirect_to_a_public_address_is_followed(site, run_url_import):
    site.routes["/old"] = Route(status=302, location=site.url("/catalog.ttl"))
    site.routes["/catalog.ttl"] = Route(fixture_bytes("catalog.ttl"), content_type="text/turtle")

    job = run_url_import(site.url("/old"))

    assert job.status == ImportStatus.SUCCEEDED, job.error


@pytest.fixture
def loopback_looks_public(settings, monkeypatch):
    """127.0.0.1 passes the destination check (as a public address would); "localhost" does
    not. Only the check's lookups are faked: connections go where they always go."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "127.0.0.1":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0))]
        return real(host, *args, **kwargs)

    from common import outbound

    monkeypatch.setattr(outbound, "socket", SimpleNamespace(getaddrinfo=getaddrinfo))


def test_a_redirect_to_a_private_address_is_refused(site, run_url_import, loopback_looks_public):
    port = site.server.server_address[1]
    site.routes["/sneaky"] = Route(status=302, location=f"http://localhost:{port}/catalog.ttl")
    site.routes["/catalog.ttl"] = Route(fixture_bytes("catalog.ttl"), content_type="text/turtle")

    job = run_url_import(site.url("/sneaky"))

    assert job.status == ImportStatus.FAILED
    assert job.error["code"] == "destination_refused"
    assert site.requests == ["/sneaky"]  # never fetched from the private address
    assert not Dataset.objects.exists()


def test_the_worker_checks_the_destination_again(site, world, settings):
    # Allowed when the job was made (say DNS changed since): the worker refuses it.
    from datasets.imports import jobs, runner

    job = jobs.import_job_create(
        organization=world.acme,
        created_by=world.users["steward"],
        url=site.url("/catalog.ttl"),
        enqueue=False,
    )
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    job = runner.import_job_run(job_id=job.pk)

    assert job.status == ImportStatus.FAILED
    assert job.error is not None
    assert job.error["code"] == "destination_refused"
    assert site.requests == []


def test_a_slow_server_is_a_transient_error(site):
    site.routes["/slow"] = Route(b"late", delay=1.0)

    with pytest.raises(TransientFetchError):
        fetch(site.url("/slow"), io.BytesIO(), limit=1000, timeout=0.2)


def test_unavailable_servers_are_retried_then_the_job_fails(site, world):
    from datasets.imports import jobs

    site.routes["/down"] = Route(b"busy", status=503)
    job = jobs.import_job_create(
        organization=world.acme,
        created_by=world.users["steward"],
        url=site.url("/down"),
        enqueue=False,
    )
    conf = tasks.import_job_run.app.conf
    previous = conf.task_eager_propagates
    conf.task_eager_propagates = False  # let eager retries run inline
    try:
        tasks.import_job_run.apply(args=(str(job.pk),))
    finally:
        conf.task_eager_propagates = previous

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.error is not None
    assert job.error["code"] == "fetch_failed"
    assert "503" in job.error["detail"]
    assert len(site.requests) == (tasks.import_job_run.max_retries or 0) + 1


def test_fetch_refuses_other_schemes():
    with pytest.raises(SourceError) as caught:
        fetch("file:///etc/passwd", io.BytesIO(), limit=1000, timeout=1)

    assert caught.value.code == "unsupported_url_scheme"


def test_the_harvested_ckan_answer_is_one_document(site, run_url_import):
    site.routes["/api/action/package_search"] = ckan_pages(packages(3))

    job = run_url_import(site.url("/api/action/package_search?rows=2"))

    stored = json.loads(job.file.read())
    assert [p["id"] for p in stored["result"]["results"]] == ["pkg-0", "pkg-1", "pkg-2"]
    assert ImportLimits.from_settings().max_records >= 3
