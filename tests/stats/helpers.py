"""The stats scene's pieces: its world, fixed times, and row makers that set timestamps."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from accounts.models import Division, Organization, User
from datasets.models import (
    Dataset,
    DatasetVersion,
    Distribution,
    ValidationReport,
    VersionStatus,
)
from registry.models import AccessPolicy, Agreement, Download, Grant, SharingRequest
from tests.factories import DatasetFactory
from tests.personas import World

UTC = dt.UTC
EVIL_NAME = '=HYPERLINK("http://evil.example/x","click")'


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class StatsWorld:
    world: World
    evil: Organization
    datasets: dict[str, Dataset] = field(default_factory=dict)
    versions: dict[str, DatasetVersion] = field(default_factory=dict)
    requests: dict[str, SharingRequest] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    @property
    def acme(self) -> Organization:
        return self.world.acme

    @property
    def other(self) -> Organization:
        return self.world.other

    @property
    def ai_factory(self) -> Division:
        return self.world.ai_factory

    @property
    def humanoids(self) -> Division:
        return self.world.humanoids


def make_dataset(
    publisher: Organization, division: Division, status: str, published_at: dt.datetime | None
) -> Dataset:
    dataset = DatasetFactory.create(publisher=publisher, division=division, status=status)
    Dataset.objects.filter(pk=dataset.pk).update(published_at=published_at)
    dataset.refresh_from_db()
    return dataset


def make_version(dataset: Dataset, number: str, published_at: dt.datetime | None) -> DatasetVersion:
    return DatasetVersion.objects.create(
        dataset=dataset,
        version=number,
        status=VersionStatus.PUBLISHED if published_at else VersionStatus.DRAFT,
        published_at=published_at,
    )


def make_check(version: DatasetVersion, status: str, finished_at: dt.datetime | None) -> None:
    ValidationReport.objects.create(version=version, status=status, finished_at=finished_at)


def make_request(
    dataset: Dataset,
    requester: Organization,
    user: User,
    state: str,
    created_at: dt.datetime,
    decided_after_hours: float | None = None,
) -> SharingRequest:
    request = SharingRequest.objects.create(
        dataset=dataset,
        requester=requester,
        requested_by=user,
        purpose="research",
        justification="stats test",
        period_days=90,
        policy=AccessPolicy.objects.get(dataset=dataset, is_current=True),
        approval_route="publisher",
        state=state,
    )
    decided = (
        None
        if decided_after_hours is None
        else created_at + dt.timedelta(hours=decided_after_hours)
    )
    # created_at is auto_now_add: set the scene's times afterwards.
    SharingRequest.objects.filter(pk=request.pk).update(created_at=created_at, decided_at=decided)
    request.refresh_from_db()
    return request


def make_grant(
    request: SharingRequest,
    version: DatasetVersion,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    revoked_at: dt.datetime | None = None,
) -> Grant:
    document = {"sharing_request": str(request.pk)}
    agreement = Agreement.objects.create(
        sharing_request=request, document=document, digest=hashlib.sha256(b"x").hexdigest()
    )
    return Grant.objects.create(
        agreement=agreement,
        organization=request.requester,
        version=version,
        valid_from=valid_from,
        valid_until=valid_until,
        revoked_at=revoked_at,
    )


def make_download(grant: Grant, user: User, created_at: dt.datetime, size: int) -> None:
    distribution = Distribution.objects.filter(version=grant.version).first()
    if distribution is None:
        distribution = Distribution.objects.create(
            version=grant.version,
            format="csv",
            media_type="text/csv",
            access_url="https://data.example.kr/x.csv",
        )
    download = Download.objects.create(
        grant=grant, distribution=distribution, user=user, byte_size=size
    )
    Download.objects.filter(pk=download.pk).update(created_at=created_at)
