"""Fixtures for the catalog exports: a richly described public dataset, and graph readers."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from rdflib import Graph
from rest_framework.test import APIClient

from datasets.models import (
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    DistributionRole,
    VersionStatus,
)
from registry.models import AccessPolicy
from registry.services import policies as registry_policies
from tests.catalog.helpers import CATALOG_URL, JSON_LD, KST, TABLE_SCHEMA, parse
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory

DATA = b"ts,spindle_rpm\n2025-01-01T00:00:00,1200\n"


@pytest.fixture
def read_catalog() -> Callable[..., Graph]:
    """read_catalog(client, params=None, accept=JSON-LD): one page of the catalog, parsed."""

    def read(
        client: APIClient, params: dict[str, Any] | None = None, accept: str = JSON_LD
    ) -> Graph:
        response = client.get(CATALOG_URL, params or {}, HTTP_ACCEPT=accept)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith(accept)
        return parse(response)

    return read


@dataclass
class Rich:
    """A public, published dataset with two published versions and a draft one."""

    dataset: Dataset
    v1: DatasetVersion
    v2: DatasetVersion
    draft: DatasetVersion
    stored: Distribution  # v1: a file in storage
    external: Distribution  # v2: an external access URL
    stored_v2: Distribution  # v2: a file in storage
    sample: Distribution  # v2: a sample
    draft_distribution: Distribution
    policy: AccessPolicy


@pytest.fixture
def rich(world: Any) -> Rich:
    dataset = DatasetFactory.create(
        publisher=world.acme,
        division=world.humanoids,
        slug="press-vibration",
        title_ko="프레스 진동 데이터",
        title_en="Press vibration data",
        description_ko="프레스 라인의 진동 신호",
        description_en="Vibration signals of a press line.",
        keywords=["진동", "CNC", "press line"],
        theme="energy",
        formats=["csv", "parquet"],
        temporal_start=dt.date(2024, 1, 1),
        temporal_end=dt.date(2024, 12, 31),
        spatial="경남 창원 공장",
        update_frequency="monthly",
        license="CC-BY-4.0",
        sensitivity="public",
        contact_name="데이터팀",
        contact_email="data@acme.example.kr",
        status=DatasetStatus.PUBLISHED,
    )
    v1 = DatasetVersionFactory.create(
        dataset=dataset,
        version="1.0.0",
        release_notes="첫 공개",
        published_at=dt.datetime(2025, 3, 1, 9, 0, tzinfo=KST),
        schema=TABLE_SCHEMA,
        schema_kind="table_schema",
    )
    v2 = DatasetVersionFactory.create(
        dataset=dataset,
        version="1.1.0",
        release_notes="Adds spindle temperature.",
        published_at=dt.datetime(2025, 6, 1, 9, 0, tzinfo=KST),
    )
    draft = DatasetVersionFactory.create(
        dataset=dataset, version="2.0.0", status=VersionStatus.DRAFT
    )
    stored = Distribution.objects.create(
        version=v1,
        title="vibration 2024",
        format="csv",
        media_type="text/csv",
        file=ContentFile(DATA, name="vibration.csv"),
        byte_size=len(DATA),
        sha256=hashlib.sha256(DATA).hexdigest(),
        encoding="utf-8",
    )
    external = DistributionFactory.create(
        version=v2,
        title="",
        format="parquet",
        media_type="application/vnd.apache.parquet",
        access_url="https://data.acme.example.kr/press/vibration.parquet",
        byte_size=123456,
        sha256="ab" * 32,
    )
    stored_v2 = Distribution.objects.create(
        version=v2,
        title="readme",
        format="pdf",
        media_type="application/pdf",
        file=ContentFile(b"%PDF-1.4", name="readme.pdf"),
        byte_size=8,
    )
    sample = DistributionFactory.create(
        version=v2,
        title="sample",
        format="csv",
        media_type="text/csv",
        role=DistributionRole.SAMPLE,
        access_url="https://data.acme.example.kr/press/sample.csv",
    )
    draft_distribution = DistributionFactory.create(
        version=draft, access_url="https://data.acme.example.kr/press/next.csv"
    )
    policy = registry_policies.policy_set(
        dataset=dataset,
        actor=None,
        permitted_purposes=["research", "ai_model_training"],
        obligations=["attribution", "usage_report"],
        prohibitions=["resale", "transfer_abroad", "reidentification"],
        max_period_days=120,
        allowed_division_ids=[world.humanoids.pk, world.ai_factory.pk],
        allowed_organization_kinds=["ai_company"],
        allowed_organization_ids=[world.other.pk],
        denied_organization_ids=[world.acme.pk],
    )
    return Rich(
        dataset, v1, v2, draft, stored, external, stored_v2, sample, draft_distribution, policy
    )
