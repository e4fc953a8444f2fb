"""`manage.py seed_demo`: a varied, searchable demo catalog, and a second run that changes nothing.

Seeding takes several seconds, so the module seeds once (twice, to check idempotence) inside a
transaction that it rolls back at the end; each test runs in a savepoint within it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import (
    Division,
    DivisionLead,
    Membership,
    MembershipRole,
    Organization,
    OrganizationKind,
    User,
)
from audit.chain import audit_verify
from audit.models import AuditEvent
from datasets.models import (
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    Sensitivity,
    VersionStatus,
)
from registry.models import AccessPolicy, Agreement, Download, SharingRequest, SharingRequestState
from registry.services import policies

pytestmark = pytest.mark.django_db

ROLES = {"org_admin", "data_steward", "member", "division_lead", "secretariat"}


def _snapshot() -> dict[str, Any]:
    """Row counts and latest changes: a second run must leave both as they were."""
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "division_leads": DivisionLead.objects.count(),
        "datasets": Dataset.objects.count(),
        "versions": DatasetVersion.objects.count(),
        "distributions": Distribution.objects.count(),
        "access_policies": AccessPolicy.objects.count(),
        "sharing_requests": SharingRequest.objects.count(),
        "agreements": Agreement.objects.count(),
        "downloads": Download.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "organization_modified": Organization.objects.aggregate(m=Max("modified_at"))["m"],
        "dataset_modified": Dataset.objects.aggregate(m=Max("modified_at"))["m"],
        "version_modified": DatasetVersion.objects.aggregate(m=Max("modified_at"))["m"],
        "passwords": sorted(User.objects.values_list("password", flat=True).distinct()),
    }


@dataclass
class Seeded:
    first: dict[str, Any]
    second: dict[str, Any]
    second_output: str
    accounts_file: Path


@pytest.fixture(scope="module")
def seeded(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    base_dir = tmp_path_factory.mktemp("seed-demo")
    with (
        django_db_blocker.unblock(),
        override_settings(BASE_DIR=base_dir),
        transaction.atomic(),
    ):
        call_command("seed_demo", quiet=True, stdout=StringIO())
        first = _snapshot()
        output = StringIO()
        call_command("seed_demo", quiet=True, stdout=output)
        yield Seeded(first, _snapshot(), output.getvalue(), base_dir / ".data/demo-accounts.json")
        transaction.set_rollback(True)


def test_organisations_of_every_kind(seeded: Seeded) -> None:
    assert 35 <= Organization.objects.count() <= 50
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert kinds == set(OrganizationKind.values)
    assert not Organization.objects.filter(divisions__isnull=True).exists()


def test_every_organisation_has_an_admin_and_a_steward(seeded: Seeded) -> None:
    for role in (MembershipRole.ORG_ADMIN, MembershipRole.DATA_STEWARD):
        missing = Organization.objects.exclude(memberships__role=role)
        assert not missing.exists(), f"{role} missing in {list(missing)}"
    assert Membership.objects.filter(role=MembershipRole.MEMBER).count() >= 40


def test_leads_and_secretariat(seeded: Seeded) -> None:
    assert DivisionLead.objects.filter(division__code="ai-factory").exists()
    assert DivisionLead.objects.values("division").distinct().count() >= 3
    secretariat = User.objects.filter(is_secretariat=True, is_staff=True)
    assert secretariat.count() >= 2
    assert secretariat.filter(email="admin@max-alliance.kr", is_superuser=True).exists()


def test_one_shared_password_that_works(seeded: Seeded) -> None:
    assert len(seeded.first["passwords"]) == 1
    assert User.objects.get(email="steward@hanbit-precision.example.kr").check_password(
        "maxdemo-2026!"
    )


def test_datasets_spread_over_statuses_sensitivities_and_divisions(seeded: Seeded) -> None:
    assert 280 <= Dataset.objects.count() <= 320
    statuses = set(Dataset.objects.values_list("status", flat=True))
    assert statuses == set(DatasetStatus.values)
    assert Dataset.objects.filter(status=DatasetStatus.PUBLISHED).count() > 200
    assert set(Dataset.objects.values_list("sensitivity", flat=True)) == set(Sensitivity.values)
    assert not Division.objects.filter(datasets__isnull=True).exists()
    assert Dataset.objects.values("publisher").distinct().count() >= 30


def test_datasets_are_complete_and_indexed(seeded: Seeded) -> None:
    listed = Dataset.objects.exclude(status=DatasetStatus.DRAFT)
    assert not listed.filter(published_at__isnull=True).exists()
    for field in ("title_ko", "title_en", "description_ko", "description_en", "contact_email"):
        assert not Dataset.objects.filter(**{field: ""}).exists(), field
    assert not Dataset.objects.filter(search_title="").exists()
    assert not Dataset.objects.filter(keywords=[]).exists()


def test_versions_and_distributions(seeded: Seeded) -> None:
    published = Dataset.objects.filter(status=DatasetStatus.PUBLISHED)
    with_versions = published.filter(versions__status=VersionStatus.PUBLISHED).distinct()
    assert with_versions.count() > published.count() // 2
    assert DatasetVersion.objects.filter(status=VersionStatus.DRAFT).exists()
    assert not DatasetVersion.objects.filter(distributions__isnull=True).exists()
    distribution = Distribution.objects.select_related("version__dataset__publisher").first()
    assert distribution is not None
    publisher = distribution.version.dataset.publisher.slug
    assert distribution.access_url.startswith(f"https://data.{publisher}.example.kr/")
    assert len(distribution.sha256) == 64
    assert distribution.byte_size


def test_every_published_dataset_has_a_published_version_with_data(seeded: Seeded) -> None:
    """Ever published (published, deprecated, withdrawn): a request for one finds a version to
    share, and the publication rule (a published version with a file or access URL) holds."""
    with_data = Distribution.objects.filter(version=OuterRef("pk")).exclude(file="", access_url="")
    shareable = DatasetVersion.objects.filter(
        dataset=OuterRef("pk"), status=VersionStatus.PUBLISHED
    ).filter(Exists(with_data))
    ever_published = Dataset.objects.exclude(status=DatasetStatus.DRAFT)
    assert ever_published.count() > 200
    lacking = ever_published.exclude(Exists(shareable))
    assert not lacking.exists(), list(lacking.values_list("slug", flat=True))
    # Published versions come out no later than their dataset: the dataset publishes last.
    assert (
        not DatasetVersion.objects.filter(
            status=VersionStatus.PUBLISHED,
            dataset__status=DatasetStatus.PUBLISHED,
            published_at__gt=F("dataset__published_at") + timedelta(seconds=1),
            dataset__slug__in=ever_published.values("slug"),
        )
        .exclude(version="demo-sample")
        .exists()
    )


def test_a_request_for_any_published_demo_dataset_finds_a_version(seeded: Seeded) -> None:
    """The policy check's `dataset_not_available` never applies to a listed demo dataset, and
    no demo request was refused for it."""
    member = Membership.objects.filter(
        organization__kind=OrganizationKind.AI_COMPANY, role=MembershipRole.MEMBER
    ).first()
    assert member is not None
    listed = Dataset.objects.filter(status__in=(DatasetStatus.PUBLISHED, DatasetStatus.DEPRECATED))
    unavailable = []
    for dataset in listed.exclude(publisher=member.organization):
        decision = policies.eligibility_evaluate(
            dataset=dataset,
            organization=member.organization,
            purpose="research",
            period_days=30,
            accepted_obligations=[],
        )
        if "dataset_not_available" in {reason.code for reason in decision.reasons}:
            unavailable.append(dataset.slug)
    assert unavailable == []
    assert not SharingRequest.objects.filter(
        decision_reasons__contains=[{"code": "dataset_not_available"}]
    ).exists()


def test_second_run_changes_nothing(seeded: Seeded) -> None:
    assert seeded.second == seeded.first
    assert "nothing" in seeded.second_output


def test_accounts_file(seeded: Seeded) -> None:
    accounts = json.loads(seeded.accounts_file.read_text(encoding="utf-8"))

    assert {a["role"] for a in accounts} == ROLES
    assert all(
        set(a) == {"email", "password", "role", "organization", "division"} for a in accounts
    )
    assert all(a["password"] == "maxdemo-2026!" for a in accounts)
    emails = {a["email"] for a in accounts}
    assert User.objects.filter(email__in=emails).count() == len(accounts)

    def first(role: str) -> dict[str, Any]:
        return next(a for a in accounts if a["role"] == role)

    steward = first("data_steward")
    assert Dataset.objects.filter(
        publisher__slug=steward["organization"], status=DatasetStatus.PUBLISHED
    ).exists()
    member = first("member")
    assert Organization.objects.get(slug=member["organization"]).kind == OrganizationKind.AI_COMPANY
    assert first("division_lead")["division"] == "ai-factory"
    assert User.objects.get(email=first("secretariat")["email"]).is_secretariat


def test_korean_search_finds_public_datasets(seeded: Seeded) -> None:
    response = APIClient().get(reverse("dataset-list"), {"q": "센서", "page_size": "100"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert results
    assert all(item["sensitivity"] == Sensitivity.PUBLIC for item in results)
    assert all(
        item["status"] in (DatasetStatus.PUBLISHED, DatasetStatus.DEPRECATED) for item in results
    )
    assert any("센서" in item["title_ko"] for item in results)


def test_sharing_workflow_in_every_state(seeded: Seeded) -> None:
    assert not Dataset.objects.filter(policies__isnull=True).exists()
    states = set(SharingRequest.objects.values_list("state", flat=True))
    assert states == set(SharingRequestState.values)
    active = SharingRequest.objects.filter(state=SharingRequestState.ACTIVE)
    assert Agreement.objects.filter(sharing_request__in=active).count() == active.count()
    assert Download.objects.exists()
    assert list(audit_verify()) == []
