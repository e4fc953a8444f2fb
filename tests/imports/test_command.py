"""`manage.py import_catalog`: the same service inline, totals and rejections on stdout."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from datasets.models import Dataset, DatasetRevision, ImportJob, ImportStatus
from tests.imports.helpers import FIXTURES
from tests.imports.server import Route, serving

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_catalog", *args, stdout=out)
    return out.getvalue()


def test_a_file_is_imported_with_totals_and_reasons(world):
    output = run(str(FIXTURES / "datasets.csv"), "--organization", "acme")

    lines = output.splitlines()
    assert lines[0] == "5 records (csv): 2 created, 0 updated, 0 unchanged, 3 rejected"
    assert "rejected line 4 line-3: unknown theme 'not-a-theme'" in lines
    assert "rejected line 5 line-4: no title" in lines
    assert (
        "rejected line 7 line-5: temporal_end 2024-01-01 is before temporal_start 2024-05-01"
        in lines
    )
    assert lines[-1] == f"job {ImportJob.objects.get().pk}"
    assert Dataset.objects.filter(publisher=world.acme).count() == 2
    job = ImportJob.objects.get()
    assert job.source_name == "datasets.csv"
    assert not job.file  # read in place, not copied to storage


def test_a_dry_run_prints_the_same_and_writes_nothing(world):
    output = run(str(FIXTURES / "datasets.csv"), "--organization", "acme", "--dry-run")

    assert output.startswith(
        "dry run: 5 records (csv): 2 created, 0 updated, 0 unchanged, 3 rejected"
    )
    assert "rejected line 4 line-3: unknown theme 'not-a-theme'" in output
    assert not Dataset.objects.exists()
    assert not DatasetRevision.objects.exists()


def test_a_second_run_is_all_unchanged(world):
    run(str(FIXTURES / "catalog.jsonld"), "--organization", "acme")

    output = run(str(FIXTURES / "catalog.jsonld"), "--organization", "acme")

    assert (
        output.splitlines()[0] == "2 records (dcat): 0 created, 0 updated, 2 unchanged, 0 rejected"
    )


def test_user_division_and_format_options(world):
    world.acme.divisions.set([world.ai_factory, world.humanoids])

    run(
        str(FIXTURES / "package_show.json"),
        "--organization",
        "acme",
        "--division",
        "humanoids",
        "--format",
        "ckan",
        "--user",
        "STEWARD@example.kr",
    )

    dataset = Dataset.objects.get()
    assert dataset.division == world.humanoids
    assert dataset.revisions.get().created_by == world.users["steward"]
    assert ImportJob.objects.get().created_by == world.users["steward"]


def test_updated_records_are_listed_when_verbose(world, tmp_path):
    source = tmp_path / "a.csv"
    source.write_text("identifier,title_en,theme,license\na,First,documents,CC0-1.0\n")
    run(str(source), "--organization", "acme")
    source.write_text("identifier,title_en,theme,license\na,Second,documents,CC0-1.0\n")

    out = StringIO()
    call_command("import_catalog", str(source), "--organization", "acme", "-v", "2", stdout=out)

    assert "updated line 2 a: title_en" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/file.csv", "--organization", "acme"], "no such file"),
        ([str(FIXTURES / "datasets.csv"), "--organization", "nobody"], "no organization 'nobody'"),
        (
            [str(FIXTURES / "datasets.csv"), "--organization", "acme", "--division", "x"],
            "no division 'x'",
        ),
        (
            [str(FIXTURES / "datasets.csv"), "--organization", "acme", "--user", "x@y.kr"],
            "no user 'x@y.kr'",
        ),
    ],
)
def test_bad_arguments_are_errors(world, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_an_unreadable_source_exits_non_zero_with_the_reason(world):
    with pytest.raises(CommandError, match="Turtle cannot be read"):
        run(str(FIXTURES / "broken.ttl"), "--organization", "acme")

    assert ImportJob.objects.get().status == ImportStatus.FAILED


def test_the_command_exits_1_from_the_shell(world):
    from django.core.management import ManagementUtility

    utility = ManagementUtility(
        ["manage.py", "import_catalog", str(FIXTURES / "broken.ttl"), "--organization", "acme"]
    )
    with pytest.raises(SystemExit) as caught:
        utility.execute()

    assert caught.value.code == 1


def test_a_url_is_harvested(world, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serving() as site:
        site.routes["/c.ttl"] = Route(
            (FIXTURES / "catalog.ttl").read_bytes(), content_type="text/turtle"
        )
        output = run(site.url("/c.ttl"), "--organization", "acme")

    assert output.startswith("3 records (dcat): 2 created")


def test_a_private_url_is_refused(world, settings: Any):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    with pytest.raises(CommandError, match="non-public address"):
        run("http://127.0.0.1:9/catalog.ttl", "--organization", "acme")


def test_a_url_that_cannot_be_fetched_ends_the_job(world, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serving() as site:
        site.routes["/busy"] = Route(b"later", status=503)
        with pytest.raises(CommandError, match="cannot fetch"):
            run(site.url("/busy"), "--organization", "acme")

    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED  # not left running for the sweep to retry
    assert job.error is not None
    assert job.error["code"] == "fetch_failed"


def test_a_failed_job_prints_no_empty_totals(world):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_catalog", str(FIXTURES / "broken.ttl"), "--organization", "acme", stdout=out
        )

    job = ImportJob.objects.get()
    assert out.getvalue() == f"job {job.pk}\n"
    assert job.format == "dcat"  # what it was read as
