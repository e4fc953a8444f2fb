"""factory_boy factories. Datasets go through the service so their search fields are filled."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import (
    Division,
    DivisionLead,
    Membership,
    MembershipRole,
    Organization,
    OrganizationKind,
    User,
)
from accounts.validators import make_business_registration_number
from datasets import services as dataset_services
from datasets.models import (
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    License,
    Sensitivity,
    Theme,
    VersionStatus,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.kr")
    full_name = factory.Faker("name", locale="ko_KR")
    password = factory.django.Password(PASSWORD)


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    slug = factory.Sequence(lambda n: f"org-{n}")
    name_ko = factory.Sequence(lambda n: f"테스트기업{n}")
    name_en = factory.Sequence(lambda n: f"Test Company {n}")
    kind = OrganizationKind.MANUFACTURER
    business_registration_number = factory.Sequence(
        lambda n: make_business_registration_number(f"{100000000 + n * 7919:09d}"[-9:])
    )


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = MembershipRole.MEMBER


class DivisionLeadFactory(DjangoModelFactory[DivisionLead]):
    class Meta:
        model = DivisionLead

    user = factory.SubFactory(UserFactory)
    division = factory.LazyFunction(lambda: Division.objects.get(code="ai-factory"))


class DatasetFactory(DjangoModelFactory[Dataset]):
    class Meta:
        model = Dataset

    title_ko = factory.Sequence(lambda n: f"CNC 가공 진동센서 데이터 {n}")
    title_en = factory.Sequence(lambda n: f"CNC machining vibration data {n}")
    description_ko = "스핀들 진동을 1kHz로 수집한 시계열 데이터"
    description_en = "Spindle vibration sampled at 1 kHz."
    division = factory.LazyFunction(lambda: Division.objects.get(code="ai-factory"))
    publisher = factory.SubFactory(OrganizationFactory)
    keywords = factory.LazyFunction(lambda: ["진동", "CNC"])
    theme = Theme.SENSOR_TIME_SERIES
    formats = factory.LazyFunction(lambda: ["csv"])
    license = License.CC_BY_4_0
    sensitivity = Sensitivity.MEMBERS
    contact_email = "data@example.kr"
    status = DatasetStatus.PUBLISHED

    @classmethod
    def _create(cls, model_class: type[Dataset], *args: Any, **kwargs: Any) -> Dataset:
        status = kwargs.pop("status")
        dataset = dataset_services.dataset_create(**kwargs)
        if status != DatasetStatus.DRAFT:
            Dataset.objects.filter(pk=dataset.pk).update(status=status, published_at=timezone.now())
            dataset.refresh_from_db()
        return dataset


class DatasetVersionFactory(DjangoModelFactory[DatasetVersion]):
    class Meta:
        model = DatasetVersion

    dataset = factory.SubFactory(DatasetFactory)
    version = factory.Sequence(lambda n: f"1.{n}.0")
    status = VersionStatus.PUBLISHED
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == VersionStatus.PUBLISHED else None
    )


class DistributionFactory(DjangoModelFactory[Distribution]):
    class Meta:
        model = Distribution

    version = factory.SubFactory(DatasetVersionFactory)
    format = "csv"
    media_type = "text/csv"
    access_url = "https://data.example.kr/files/vibration.csv"


def release(dataset: Dataset, version: str = "1.0.0") -> DatasetVersion:
    """A published version of `dataset` with an access URL: what a dataset needs to publish."""
    released = DatasetVersionFactory.create(dataset=dataset, version=version)
    DistributionFactory.create(version=released)
    return released
