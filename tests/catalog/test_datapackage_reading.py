"""How to read a CSV/TSV resource of a Data Package: its `encoding` and `dialect.delimiter`,
declared by the steward or found by the latest check."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from frictionless import Package, Resource

from datasets.models import Distribution, DistributionRole, ValidationReport, ValidationStatus
from datasets.services import validation
from tests.catalog.helpers import local_path
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory

pytestmark = pytest.mark.django_db

# A plant historian's export: Korean headers, semicolons, Excel's default CP949.
CP949_CSV = "설비;온도;상태\n프레스1;182.5;가동\n프레스2;0;정지\n".encode("cp949")


def descriptor_of(client: Any, version: Any) -> dict[str, Any]:
    url = reverse("version-datapackage", kwargs={"dataset": version.dataset_id, "pk": version.pk})
    response = client.get(url)
    assert response.status_code == 200, response.content
    return dict(response.json())


@pytest.fixture
def version(world: Any) -> Any:
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity="public")
    return DatasetVersionFactory.create(dataset=dataset, version="1.0.0")


def stored(version: Any, content: bytes, name: str, **fields: Any) -> Distribution:
    return Distribution.objects.create(
        version=version,
        title=name,
        format=fields.pop("format", "csv"),
        media_type=fields.pop("media_type", "text/csv"),
        file=ContentFile(content, name=name),
        byte_size=len(content),
        **fields,
    )


def check(version: Any, distribution: Distribution) -> ValidationReport:
    """Run the real check on `distribution`, as the workers do."""
    report = ValidationReport.objects.create(version=version, sample=distribution)
    return validation.validation_run(report_id=report.pk)


def test_a_checked_cp949_file_says_its_encoding_and_delimiter(version, client_for, tmp_path):
    data = stored(version, CP949_CSV, "historian.csv")
    report = check(version, data)
    assert report.status == ValidationStatus.PASSED, report.message or report.errors
    assert (report.encoding, report.delimiter) == ("cp949", ";")

    client = client_for("anonymous")
    [resource] = descriptor_of(client, version)["resources"]

    assert resource["encoding"] == "cp949"
    assert resource["dialect"] == {"delimiter": ";"}
    # A Frictionless reader given only the descriptor reads the Korean text back.
    download = client.get(local_path(resource["path"]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content) if download.streaming else download.content
    (tmp_path / "historian.csv").write_bytes(body)
    local = {**resource, "path": "historian.csv"}
    read: Any = Resource.from_descriptor(local, basepath=str(tmp_path))
    assert read.read_rows()[0].to_dict() == {"설비": "프레스1", "온도": 182.5, "상태": "가동"}


def test_the_data_takes_what_the_check_of_its_sample_found(version, client_for):
    data = stored(version, CP949_CSV, "historian.csv")
    sample = stored(version, CP949_CSV[:60], "sample.csv", role=DistributionRole.SAMPLE)
    check(version, sample)

    descriptor = descriptor_of(client_for("anonymous"), version)

    [resource] = descriptor["resources"]  # the sample itself is left out
    assert resource["path"].endswith(f"/distributions/{data.pk}/download/")
    assert resource["encoding"] == "cp949"
    assert resource["dialect"] == {"delimiter": ";"}
    Package.from_descriptor(descriptor)


def test_the_files_own_latest_check_wins_over_other_files_and_older_checks(version, client_for):
    data = stored(version, b"a,b\n1,2\n", "data.csv")
    sample = stored(version, b"a,b\n1,2\n", "sample.csv", role=DistributionRole.SAMPLE)
    ValidationReport.objects.create(version=version, sample=data, encoding="utf-8", delimiter="|")
    ValidationReport.objects.create(version=version, sample=data, encoding="cp949", delimiter=";")
    ValidationReport.objects.create(version=version, sample=sample, encoding="utf-16")
    ValidationReport.objects.create(version=version, sample=data)  # queued: found nothing yet

    [resource] = descriptor_of(client_for("anonymous"), version)["resources"]

    assert (resource["encoding"], resource["dialect"]) == ("cp949", {"delimiter": ";"})


def test_a_declared_encoding_and_delimiter_win_over_the_check(version, client_for):
    data = stored(version, CP949_CSV, "historian.csv", encoding="euc-kr", delimiter="\t")
    ValidationReport.objects.create(version=version, sample=data, encoding="cp949", delimiter=";")

    [resource] = descriptor_of(client_for("anonymous"), version)["resources"]

    assert (resource["encoding"], resource["dialect"]) == ("euc-kr", {"delimiter": "\t"})


def test_a_check_of_another_format_or_version_says_nothing(version, world, client_for):
    data = stored(version, b"a\tb\n1\t2\n", "data.tsv", format="tsv")
    parquet = DistributionFactory.create(
        version=version, format="parquet", role=DistributionRole.SAMPLE
    )
    ValidationReport.objects.create(version=version, sample=parquet, encoding="cp949")
    other = DatasetVersionFactory.create(dataset=version.dataset, version="0.9.0")
    elsewhere = stored(other, b"a\tb\n", "old.tsv", format="tsv")
    ValidationReport.objects.create(version=other, sample=elsewhere, encoding="cp949")

    [resource] = descriptor_of(client_for("anonymous"), version)["resources"]

    assert resource["path"].endswith(f"/distributions/{data.pk}/download/")
    assert "encoding" not in resource
    assert resource["dialect"] == {"delimiter": "\t"}  # a TSV's tab, as before


def test_reading_hints_cost_no_extra_query(version, client_for):
    client = client_for("anonymous")
    stored(version, CP949_CSV, "one.csv")
    with CaptureQueriesContext(connection) as few:
        descriptor_of(client, version)
    for n in range(5):
        data = stored(version, CP949_CSV, f"more-{n}.csv")
        ValidationReport.objects.create(version=version, sample=data, encoding="cp949")
    with CaptureQueriesContext(connection) as many:
        descriptor = descriptor_of(client, version)

    assert len(descriptor["resources"]) == 6
    assert len(few) == len(many)
