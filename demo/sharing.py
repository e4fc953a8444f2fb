"""Demo data for the sharing workflow, called by `manage.py seed_demo` after the catalog.

Every dataset gets an access policy; AI companies ask for other members' data so that there is
a sharing request in every state, with agreements, grants and downloads. Deterministic and safe
to run twice: each demo request carries an Idempotency-Key, and an existing one is left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, MembershipRole, OrganizationKind, User
from accounts.selectors import actor_for
from datasets import services as dataset_services
from datasets.models import Dataset, DatasetStatus, DatasetVersion, Sensitivity, VersionStatus
from registry.models import AccessPolicy, ApprovalRoute, SharingRequest
from registry.models import SharingRequestState as S
from registry.services import agreements, downloads, policies, sharing_requests

KEY_PREFIX = "seed-demo-"
SAMPLE_CSV = (
    b"timestamp,machine_id,spindle_rpm,vibration_rms_mm_s,temperature_c\n"
    b"2025-10-01T08:00:00+09:00,CNC-07,11800,1.82,41.5\n"
    b"2025-10-01T08:00:01+09:00,CNC-07,11810,1.79,41.6\n"
)


@dataclass(frozen=True)
class Scenario:
    name: str
    route: str
    target: str
    purpose: str = "ai_model_training"
    period_days: int = 180
    starts_in_days: int | None = None
    with_file: bool = False


SCENARIOS = [
    Scenario("waiting-for-check", ApprovalRoute.PUBLISHER, S.SUBMITTED),
    Scenario("waiting-for-publisher", ApprovalRoute.PUBLISHER, S.AWAITING_PUBLISHER),
    Scenario(
        "waiting-for-lead", ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD, S.AWAITING_DIVISION_LEAD
    ),
    Scenario("timed-release", ApprovalRoute.PUBLISHER, S.APPROVED, starts_in_days=30),
    Scenario("automatic", ApprovalRoute.AUTOMATIC, S.ACTIVE, with_file=True),
    Scenario(
        "two-step-active", ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD, S.ACTIVE, with_file=True
    ),
    Scenario("policy-rejects", ApprovalRoute.PUBLISHER, S.REJECTED, purpose="education"),
    Scenario("publisher-rejects", ApprovalRoute.PUBLISHER, S.REJECTED, purpose="research"),
    Scenario("withdrawn", ApprovalRoute.PUBLISHER, S.WITHDRAWN),
    Scenario("returned-for-changes", ApprovalRoute.PUBLISHER, S.RETURNED, period_days=365),
    Scenario("expired", ApprovalRoute.AUTOMATIC, S.EXPIRED, period_days=1),
    Scenario("revoked", ApprovalRoute.PUBLISHER, S.REVOKED, with_file=True),
]


def _steward(organization_id: int) -> User:
    membership = (
        Membership.objects.select_related("user")
        .filter(organization_id=organization_id, role=MembershipRole.DATA_STEWARD)
        .order_by("id")
        .first()
    )
    assert membership is not None, "every demo organisation has a data steward"
    return membership.user


def _policies(counter: Counter[str]) -> None:
    missing = Dataset.objects.exclude(
        pk__in=AccessPolicy.objects.values("dataset_id")
    ).select_related("publisher")
    for dataset in missing.order_by("slug"):
        policies.policy_set(dataset=dataset, actor=None)
        counter["access policies"] += 1


def _sample_version(dataset: Dataset, steward: User) -> DatasetVersion:
    """A published version holding a small file, so that grants have something to download."""
    existing = DatasetVersion.objects.filter(dataset=dataset, version="demo-sample").first()
    if existing is not None:
        return existing
    version = dataset_services.version_create(
        dataset=dataset,
        version="demo-sample",
        release_notes="데모용 샘플 파일 / sample file for the demo",
        record_count=2,
        byte_size=len(SAMPLE_CSV),
    )
    upload = ContentFile(SAMPLE_CSV, name="sample.csv")
    dataset_services.distribution_create(
        version=version, file=upload, format="csv", media_type="text/csv", title="sample.csv"
    )
    return dataset_services.version_publish(version=version)


def _targets(count: int, requester_ids: set[int]) -> list[Dataset]:
    """Published members-only datasets of manufacturers, one per scenario, spread over them."""
    candidates = (
        Dataset.objects.filter(
            status=DatasetStatus.PUBLISHED,
            sensitivity=Sensitivity.MEMBERS,
            versions__status=VersionStatus.PUBLISHED,
        )
        .exclude(publisher_id__in=requester_ids)
        .select_related("publisher", "division")
        .distinct()
        .order_by("slug")
    )
    chosen: list[Dataset] = []
    publishers: set[int] = set()
    for dataset in candidates:
        if dataset.publisher_id in publishers:
            continue
        chosen.append(dataset)
        publishers.add(dataset.publisher_id)
        if len(chosen) == count:
            break
    return chosen


def _run(scenario: Scenario, dataset: Dataset, requester: User, counter: Counter[str]) -> None:
    key = f"{KEY_PREFIX}{scenario.name}"
    if SharingRequest.objects.filter(requested_by=requester, idempotency_key=key).exists():
        return
    steward = _steward(dataset.publisher_id)
    publisher_actor = actor_for(steward)
    if scenario.with_file:
        _sample_version(dataset, steward)
    policy_terms: dict[str, Any] = {"approval_route": scenario.route}
    if scenario.name == "policy-rejects":
        policy_terms["permitted_purposes"] = ["ai_model_training", "research"]
    policies.policy_set(dataset=dataset, actor=steward, **policy_terms)
    requester_actor = actor_for(requester)
    membership = Membership.objects.get(
        user=requester, organization__kind=OrganizationKind.AI_COMPANY
    )
    sharing_request, _created = sharing_requests.sharing_request_create(
        actor=requester_actor,
        dataset=dataset,
        requester=membership.organization,
        purpose=scenario.purpose,
        justification=(
            f"{dataset.title_ko} 데이터로 불량 예측 모델을 학습하고 검증하려 합니다. "
            "Training and validating a defect-prediction model."
        ),
        period_days=scenario.period_days,
        accepted_obligations=["attribution", "delete_at_expiry"],
        start_at=timezone.now() + timedelta(days=scenario.starts_in_days)
        if scenario.starts_in_days
        else None,
        idempotency_key=key,
    )
    counter["sharing requests"] += 1
    if scenario.target == S.SUBMITTED:
        return
    sharing_request = sharing_requests.sharing_request_check(sharing_request_id=sharing_request.pk)
    if scenario.name == "publisher-rejects":
        sharing_requests.sharing_request_reject(
            actor=publisher_actor,
            sharing_request=sharing_request,
            reason="개인정보 포함 가능성 검토 중 / personal data still under review",
        )
    elif scenario.name == "returned-for-changes":
        sharing_requests.sharing_request_return(
            actor=publisher_actor,
            sharing_request=sharing_request,
            comment="기간을 180일 이내로 줄여 주세요 / please ask for 180 days or less",
        )
    elif scenario.name == "withdrawn":
        sharing_requests.sharing_request_withdraw(
            actor=requester_actor,
            sharing_request=sharing_request,
            reason="다른 데이터로 대체 / found another",
        )
    elif sharing_request.state == S.AWAITING_PUBLISHER and scenario.target != S.AWAITING_PUBLISHER:
        sharing_request = sharing_requests.sharing_request_approve(
            actor=publisher_actor, sharing_request=sharing_request, reason="승인합니다 / approved"
        )
    if (
        sharing_request.state == S.AWAITING_DIVISION_LEAD
        and scenario.target != S.AWAITING_DIVISION_LEAD
    ):
        lead = User.objects.filter(division_leads__division_id=dataset.division_id).first()
        if lead is not None:
            sharing_request = sharing_requests.sharing_request_approve(
                actor=actor_for(lead),
                sharing_request=sharing_request,
                reason="분과 검토 완료 / division review done",
            )
    sharing_request.refresh_from_db()
    if sharing_request.state in (S.ACTIVE, S.REVOKED) and scenario.with_file:
        grant = sharing_request.agreement.grant
        for distribution in grant.version.distributions.exclude(file=""):
            downloads.download_record(
                grant=grant,
                distribution=distribution,
                user=requester,
                byte_size=distribution.byte_size or 0,
                client_ip="127.0.0.1",
            )
            counter["downloads"] += 1
    if scenario.target == S.REVOKED:
        agreements.grant_revoke(
            actor=publisher_actor,
            sharing_request=sharing_request,
            reason="계약 조건 위반 / terms breached",
        )
    if scenario.target == S.EXPIRED:
        grant = sharing_request.agreement.grant
        agreements.grants_expire(now=grant.valid_until + timedelta(seconds=1))


def seed_sharing_demo() -> Counter[str]:
    counter: Counter[str] = Counter()
    with transaction.atomic():
        _policies(counter)
    requesters = list(
        User.objects.filter(
            memberships__organization__kind=OrganizationKind.AI_COMPANY,
            memberships__role=MembershipRole.MEMBER,
        )
        .distinct()
        .order_by("email")
    )
    if not requesters:
        return counter
    requester_org_ids = set(
        Membership.objects.filter(user__in=requesters).values_list("organization_id", flat=True)
    )
    targets = _targets(len(SCENARIOS), requester_org_ids)
    for index, (scenario, dataset) in enumerate(zip(SCENARIOS, targets, strict=False)):
        with transaction.atomic():
            _run(scenario, dataset, requesters[index % len(requesters)], counter)
    return counter
