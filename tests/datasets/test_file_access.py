"""Who gets the bytes and rows of a version's files: every persona, every file endpoint, before
and after the consumer's grant is revoked (issue 10, point 2).

The scene: acme publishes a members-only dataset whose version 1.0.0 has a data file and a
checked file (role `sample`) with a bad row, so its report quotes cells. "other" holds a grant
to the version (its member is the consumer); "third" is a member firm with no grant.

- The checked file: acme's data stewards and the secretariat only (404 for everyone else,
  listed to nobody else).
- The data: acme's members and the secretariat directly; the consumer through its grant's
  signed links only, and not after revocation.
- The preview and the Data Package: whoever sees the version (no checked file in it).
- Report messages and profile values quote cells: those who may see the checked file.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.test import APIClient

from datasets.models import Distribution, DistributionRole, Sensitivity, ValidationReport
from datasets.services import validation
from registry.models import ApprovalRoute, Grant
from registry.models import SharingRequestState as S
from tests.factories import (
    DatasetFactory,
    DatasetVersionFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.personas import client_as
from tests.sharing import CSV_BYTES, act

pytestmark = pytest.mark.django_db

SAMPLE_BYTES = b"ts,value\n2025-01-01T00:00:00,1.5\n2025-01-01T00:00:01,SECRET-CELL\n"
SCHEMA = {"fields": [{"name": "ts", "type": "string"}, {"name": "value", "type": "number"}]}

# Every persona of tests/personas.py, plus "unrelated": a member of a third firm.
PERSONAS = (
    "anonymous",
    "unrelated",
    "outsider_member",  # the consumer: other holds the grant
    "outsider_steward",  # other's steward: the grant is other's too
    "member",
    "org_admin",
    "steward",
    "division_lead",
    "secretariat",
)

# persona -> (data, sample, links, preview, reports, report_values, datapackage) before
# revocation. data/sample: the distribution download; links: POST the grant's download links;
# report_values: whether report errors and profile quote cells.
BEFORE: dict[str, tuple[int, int, int, int, int, bool | None, int]] = {
    "anonymous": (404, 404, 401, 404, 404, None, 404),
    "unrelated": (403, 404, 404, 200, 200, False, 200),
    "outsider_member": (403, 404, 200, 200, 200, False, 200),
    "outsider_steward": (403, 404, 200, 200, 200, False, 200),
    "member": (200, 404, 404, 200, 200, False, 200),
    "org_admin": (200, 404, 404, 200, 200, False, 200),
    "steward": (200, 200, 403, 200, 200, True, 200),
    "division_lead": (403, 404, 404, 200, 200, False, 200),
    "secretariat": (200, 200, 403, 200, 200, True, 200),
}
# After revocation the grantee's members get no new links (409); nothing else changes.
AFTER = {
    **BEFORE,
    "outsider_member": (403, 404, 409, 200, 200, False, 200),
    "outsider_steward": (403, 404, 409, 200, 200, False, 200),
}


class Scene:
    def __init__(self, world: Any, grant: Grant, data: Distribution, sample: Distribution):
        self.world = world
        self.grant = grant
        self.data = data
        self.sample = sample
        self.version = data.version
        self.dataset = self.version.dataset

    def version_kwargs(self) -> dict[str, Any]:
        return {"dataset": self.dataset.pk, "pk": self.version.pk}

    def download_url(self, distribution: Distribution) -> str:
        kwargs = {"dataset": self.dataset.pk, "version": self.version.pk, "pk": distribution.pk}
        return reverse("distribution-download", kwargs=kwargs)


def body_of(response: Any) -> bytes:
    # Consuming the stream lets the test client close the file.
    return b"".join(response.streaming_content)


@pytest.fixture
def scene(world, shared_dataset, submit, set_route, django_capture_on_commit_callbacks) -> Scene:
    third = OrganizationFactory.create(slug="third")
    world.users["unrelated"] = MembershipFactory.create(
        user=UserFactory.create(email="unrelated@example.kr"), organization=third
    ).user
    version = shared_dataset.versions.get()
    data = version.distributions.get()
    version.schema, version.schema_kind = SCHEMA, "table_schema"
    version.save()
    sample = Distribution(
        version=version,
        format="csv",
        media_type="text/csv",
        role=DistributionRole.SAMPLE,
        title="plant-export.csv",
    )
    sample.file.save("plant-export.csv", ContentFile(SAMPLE_BYTES), save=False)
    sample.save()
    report = validation.validation_enqueue(version=version)
    validation.validation_run(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "failed"
    assert report.sample_id == sample.pk
    assert any("SECRET-CELL" in error["message"] for error in report.errors)
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    request.refresh_from_db()
    assert request.state == S.ACTIVE
    grant = Grant.objects.get(agreement__sharing_request=request)
    return Scene(world, grant, data, sample)


def observe(scene: Scene, client: APIClient) -> tuple[Any, ...]:
    """What one caller gets from every file endpoint, checking the bytes and rows it gets."""
    data = client.get(scene.download_url(scene.data))
    if data.status_code == 200:
        assert body_of(data) == CSV_BYTES
    sample = client.get(scene.download_url(scene.sample))
    if sample.status_code == 200:
        assert body_of(sample) == SAMPLE_BYTES
    listed = client.get(
        reverse(
            "distribution-list", kwargs={"dataset": scene.dataset.pk, "version": scene.version.pk}
        )
    )
    if listed.status_code == 200:
        roles = {item["id"]: item["role"] for item in listed.json()["results"]}
        # Listed exactly to those who may download it.
        assert (str(scene.sample.pk) in roles) == (sample.status_code == 200)
    links = client.post(reverse("grant-download-links", kwargs={"pk": scene.grant.pk}))
    if links.status_code == 200:
        # The grant gives the data file, never the checked file.
        assert [(link["distribution"], link["role"]) for link in links.json()] == [
            (str(scene.data.pk), "data")
        ]
    preview = client.get(reverse("version-preview", kwargs=scene.version_kwargs()))
    if preview.status_code == 200:
        assert preview.json()["columns"] == ["ts", "value"]
        assert preview.json()["rows"] == [
            ["2025-01-01T00:00:00", "1.5"],
            ["2025-01-01T00:00:01", "SECRET-CELL"],
        ]
    reports = client.get(reverse("version-reports", kwargs=scene.version_kwargs()))
    values = None
    if reports.status_code == 200:
        [report] = reports.json()["results"]
        assert {error["code"] for error in report["errors"]} == {"type-error"}
        quoted = [error["message"] for error in report["errors"] if error["message"]]
        profiled = [column for column in report["profile"] if "top_values" in column]
        values = bool(quoted) or bool(profiled) or report["inferred_schema"] is not None
        assert ("SECRET-CELL" in reports.content.decode()) == values
    package = client.get(reverse("version-datapackage", kwargs=scene.version_kwargs()))
    if package.status_code == 200:
        [resource] = package.json()["resources"]
        assert resource["path"].endswith(scene.download_url(scene.data))
        assert str(scene.sample.pk) not in package.content.decode()
    return (
        data.status_code,
        sample.status_code,
        links.status_code,
        preview.status_code,
        reports.status_code,
        values,
        package.status_code,
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_file_endpoint_before_and_after_revocation(
    scene, persona, client_for, django_capture_on_commit_callbacks
):
    client = client_as(scene.world.users, persona)

    assert observe(scene, client) == BEFORE[persona]

    request = scene.grant.agreement.sharing_request
    revoked = act(
        client_for("steward"), request, "revoke", django_capture_on_commit_callbacks, reason="x"
    )
    assert revoked.status_code == 200

    assert observe(scene, client) == AFTER[persona]


def test_signed_links_give_the_data_until_revocation_and_never_the_checked_file(
    scene, client_for, django_capture_on_commit_callbacks
):
    from registry.services.downloads import download_link_sign

    [link] = (
        client_for("outsider_member")
        .post(reverse("grant-download-links", kwargs={"pk": scene.grant.pk}))
        .json()
    )
    assert link["file_name"] == "vibration.csv"
    # A link signed for the checked file (as if forged from a leaked key) opens nothing.
    forged = download_link_sign(
        grant=scene.grant, distribution=scene.sample, user=scene.world.users["outsider_member"]
    )
    anonymous = client_for("anonymous")

    opened = anonymous.get(link["url"])
    assert opened.status_code == 200
    assert body_of(opened) == CSV_BYTES
    assert anonymous.get(reverse("download-file", args=[forged])).status_code == 403

    request = scene.grant.agreement.sharing_request
    act(client_for("steward"), request, "revoke", django_capture_on_commit_callbacks, reason="x")

    assert anonymous.get(link["url"]).status_code == 403


def test_a_public_published_version_gives_anyone_the_data_but_not_the_checked_file(
    world, client_for
):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    version = DatasetVersionFactory.create(dataset=dataset)
    files: dict[str, Distribution] = {}
    for role, content in ((DistributionRole.DATA, CSV_BYTES), (DistributionRole.SAMPLE, b"x\n")):
        distribution = Distribution(version=version, format="csv", media_type="text/csv", role=role)
        distribution.file.save(f"{role}.csv", ContentFile(content), save=False)
        distribution.save()
        files[role] = distribution

    def download(persona: str, role: str) -> int:
        kwargs = {"dataset": dataset.pk, "version": version.pk, "pk": files[role].pk}
        return client_for(persona).get(reverse("distribution-download", kwargs=kwargs)).status_code

    assert [download(p, "data") for p in ("anonymous", "outsider_member", "member")] == [200] * 3
    assert [download(p, "sample") for p in ("anonymous", "outsider_member", "member")] == [404] * 3
    assert download("steward", "sample") == 200


def test_a_drafts_preview_is_the_publishers_alone(world, client_for):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    version = DatasetVersionFactory.create(dataset=dataset, status="draft")
    validation.sample_upload(
        version=version,
        file=ContentFile(b"a,b\n1,2\n", name="s.csv"),
        data_format="csv",
    )
    report = ValidationReport.objects.get(version=version)
    validation.validation_run(report_id=report.pk)
    url = reverse("version-preview", kwargs={"dataset": dataset.pk, "pk": version.pk})

    personas = ("anonymous", "outsider_member", "division_lead", "member", "steward", "secretariat")
    statuses = {persona: client_for(persona).get(url).status_code for persona in personas}

    assert statuses == {
        "anonymous": 404,
        "outsider_member": 404,
        "division_lead": 404,
        "member": 200,
        "steward": 200,
        "secretariat": 200,
    }


@pytest.mark.parametrize(
    ("persona", "insider"),
    [
        ("anonymous", False),
        ("outsider_member", False),
        ("member", False),
        ("division_lead", False),
        ("steward", True),
        ("secretariat", True),
    ],
)
def test_what_a_report_quotes_of_the_cells_is_for_insiders(world, client_for, persona, insider):
    """No schema: the check profiles the file and infers a schema (with an enum of its values)."""
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    version = DatasetVersionFactory.create(dataset=dataset)
    sample = Distribution(version=version, format="csv", media_type="text/csv", role="sample")
    rows = "".join(f"{n},PLANT-SECRET\n" for n in range(30))
    sample.file.save("s.csv", ContentFile(f"n,site\n{rows}".encode()), save=False)
    sample.save()
    report = validation.validation_enqueue(version=version)
    validation.validation_run(report_id=report.pk)
    url = reverse("version-detail", kwargs={"dataset": dataset.pk, "pk": version.pk})

    shown = client_for(persona).get(url).json()["latest_report"]

    assert shown["row_count"] == 30
    assert [column["name"] for column in shown["profile"]] == ["n", "site"]
    assert all("distinct" in column for column in shown["profile"])
    assert ("top_values" in shown["profile"][1]) == insider
    assert (shown["inferred_schema"] is not None) == insider
    assert ("PLANT-SECRET" in str(shown)) == insider
