"""The sharing registry in Korean and English: Korean without `Accept-Language`, English with
`Accept-Language: en`. Codes never change with the language; messages the registry stores
(system comments, policy reasons) are kept in English and shown in the caller's language; emails
carry both languages whoever caused them.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from rest_framework.test import APIClient

from accounts.models import User
from registry.models import AccessPolicy, ApprovalRoute, SharingRequest, SharingRequestEvent
from registry.models import SharingRequestState as S
from registry.services import reminders
from tests.common.problems import assert_problem
from tests.personas import World
from tests.sharing import REQUEST_BODY, act

pytestmark = pytest.mark.django_db

ENGLISH: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


def korean_client(user: User) -> APIClient:
    client = APIClient()  # no Accept-Language: the default, Korean
    client.force_authenticate(user)
    return client


def korean_submit(world: World, dataset: Any, capture: Any, **overrides: Any) -> SharingRequest:
    """Ask as the outsider from a Korean client and let the worker's check run inline."""
    body = {**REQUEST_BODY, "dataset": str(dataset.pk), **overrides}
    with capture(execute=True):
        response = korean_client(world.users["outsider_member"]).post(
            reverse("sharing-request-list"), body, format="json"
        )
    assert response.status_code == 201, response.json()
    return SharingRequest.objects.get(pk=response.json()["id"])


# --- messages -----------------------------------------------------------------------------


def test_a_decision_refused_at_the_publishers_step_in_both_languages(
    world, shared_dataset, set_route, submit
):
    # Two steps: once escalated the lead sees the request, but the publisher still goes first.
    set_route(ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD)
    request = submit()
    assert reminders.approvals_remind(now=timezone.now() + timedelta(days=30))["escalated"] == 1
    lead = world.users["division_lead"]
    url = reverse("sharing-request-approve", kwargs={"pk": request.pk})

    korean = korean_client(lead).post(url, {}, format="json")
    english = korean_client(lead).post(url, {}, format="json", **ENGLISH)

    korean_body = assert_problem(korean, 403, "permission_denied")
    english_body = assert_problem(english, 403, "permission_denied")
    assert korean_body["title"] == "권한 없음"
    assert korean_body["detail"] == "이 단계는 공개 기관의 데이터 관리자만 승인합니다."
    assert korean["Content-Language"] == "ko"
    assert english_body["title"] == "Forbidden"
    assert english_body["detail"] == "Only data stewards of the publisher approve at this step."
    request.refresh_from_db()
    assert request.state == S.AWAITING_PUBLISHER


def test_a_conflict_of_the_api_in_both_languages(world, shared_dataset):
    client = korean_client(world.users["outsider_member"])
    url = reverse("sharing-request-list")
    key: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk)}
    assert client.post(url, body, format="json", **key).status_code == 201
    other = {**body, "purpose": "benchmarking"}  # the same key for a different request

    korean = client.post(url, other, format="json", **key)
    english = client.post(url, other, format="json", **key, **ENGLISH)

    assert assert_problem(korean, 409, "idempotency_key_reused")["detail"] == (
        "이 Idempotency-Key는 이미 다른 요청에 사용되었습니다."
    )
    assert assert_problem(english, 409, "idempotency_key_reused")["detail"] == (
        "This Idempotency-Key was used for a different request."
    )
    assert SharingRequest.objects.count() == 1


def test_a_stored_system_comment_is_english_and_shown_in_the_callers_language(
    world, shared_dataset, django_capture_on_commit_callbacks
):
    # Asked from a Korean client: the worker still stores its comment in English.
    request = korean_submit(
        world, shared_dataset, django_capture_on_commit_callbacks, period_days=5000
    )
    assert request.state == S.REJECTED
    stored = SharingRequestEvent.objects.filter(sharing_request=request, to_state=S.REJECTED)
    assert [event.comment for event in stored] == ["Rejected by the policy check."]
    assert request.decision_reasons[0]["message"] == (
        "The requested period is longer than the policy allows."
    )
    url = reverse("sharing-request-detail", kwargs={"pk": request.pk})
    requester = world.users["outsider_member"]

    korean = korean_client(requester).get(url).json()
    english = korean_client(requester).get(url, **ENGLISH).json()

    assert korean["events"][-1]["comment"] == "정책 검사에서 거절되었습니다."
    assert english["events"][-1]["comment"] == "Rejected by the policy check."
    assert korean["events"][-1]["to_state"] == english["events"][-1]["to_state"] == "rejected"
    assert korean["decision_reasons"][0]["message"] == (
        "요청한 기간이 정책이 허용하는 기간보다 깁니다."
    )
    assert korean["decision_reasons"][0]["code"] == "period_too_long"


def test_a_persons_comment_comes_back_as_written_in_either_language(
    world, shared_dataset, set_route, submit, client_for, django_capture_on_commit_callbacks
):
    set_route(ApprovalRoute.PUBLISHER)
    request = submit()
    act(
        client_for("steward"),
        request,
        "reject",
        django_capture_on_commit_callbacks,
        reason="목적이 너무 넓습니다 / too broad",
    )
    url = reverse("sharing-request-detail", kwargs={"pk": request.pk})
    requester = world.users["outsider_member"]

    for headers in ({}, ENGLISH):
        events = korean_client(requester).get(url, **headers).json()["events"]
        assert events[-1]["comment"] == "목적이 너무 넓습니다 / too broad"


# --- the figures ----------------------------------------------------------------------------


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def test_a_stats_csv_speaks_the_callers_language_and_keeps_its_codes(world):
    client = korean_client(world.users["secretariat"])
    url = reverse("stats-divisions") + "?format=csv"

    # Korean first: the table is cached for the scope, its labels are not.
    korean = _csv(client.get(url))
    english = _csv(client.get(url, **ENGLISH))

    assert korean[0][:3] == ["분과 코드", "분과(한국어)", "분과(영어)"]
    assert "공개 데이터셋 수" in korean[0]
    assert "상태별 공유 요청 수: 거절됨" in korean[0]
    assert english[0][:3] == ["Division code", "Division (Korean)", "Division (English)"]
    assert "Datasets published" in english[0]
    assert "Sharing requests by state: Rejected" in english[0]
    assert len(korean[0]) == len(english[0])
    assert korean[-1][0] == "얼라이언스 전체"
    assert english[-1][0] == "Alliance total"
    # Codes and numbers are the same in both files.
    assert korean[1:-1] == english[1:-1]
    assert "ai-factory" in [row[0] for row in korean]


def test_the_organisation_kinds_in_both_languages(world):
    client = korean_client(world.users["secretariat"])
    url = reverse("stats-organization-kinds")

    korean = {row["kind"]: row for row in client.get(url).json()["results"]}
    english = {row["kind"]: row for row in client.get(url, **ENGLISH).json()["results"]}
    korean_csv = _csv(client.get(f"{url}?format=csv"))

    assert korean["manufacturer"]["label"] == "제조기업"
    assert english["manufacturer"]["label"] == "Manufacturer"
    assert korean_csv[0][:2] == ["유형", "유형(이름)"]
    assert ["manufacturer", "제조기업"] in [row[:2] for row in korean_csv]
    assert "공개 기관 측: 공개 데이터셋 수" in korean_csv[0]
    assert "이용 기관 측: 공유 요청 수" in korean_csv[0]


def test_booleans_in_a_korean_csv(world):
    rows = _csv(
        korean_client(world.users["secretariat"]).get(
            reverse("stats-organizations") + "?format=csv"
        )
    )

    column = rows[0].index("공개와 이용을 모두 함")
    acme = next(row for row in rows if row[0] == "acme")
    assert acme[column] == "아니요"


def test_stats_query_errors_in_both_languages(world):
    client = korean_client(world.users["secretariat"])
    url = reverse("stats-monthly") + "?to=2999-01"

    korean = assert_problem(client.get(url), 400, "validation_error")
    english = assert_problem(client.get(url, **ENGLISH), 400, "validation_error")
    not_acceptable = assert_problem(
        client.get(reverse("stats-divisions") + "?format=xml"), 406, "not_acceptable"
    )

    assert korean["errors"][0]["field"] == english["errors"][0]["field"] == "to"
    assert korean["errors"][0]["detail"].startswith("이번 달(")
    assert korean["errors"][0]["detail"].endswith(")보다 뒤일 수 없습니다.")
    assert english["errors"][0]["detail"].startswith("Must not be after the current month (")
    assert not_acceptable["detail"].startswith("제공 가능한 형식: ")


def test_members_are_refused_the_group_tables_in_both_languages(world):
    client = korean_client(world.users["member"])

    korean = assert_problem(client.get(reverse("stats-divisions")), 403, "permission_denied")
    english = assert_problem(
        client.get(reverse("stats-divisions"), **ENGLISH), 403, "permission_denied"
    )

    assert korean["detail"].startswith("분과별, 기관 유형별, 월별 통계는 사무국과 분과장만")
    assert english["detail"].startswith("Figures by division, by organisation kind and by month")


# --- emails ---------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["korean-caller", "english-caller"])
def test_an_email_carries_both_languages_whoever_caused_it(
    world, shared_dataset, set_route, mailoutbox, django_capture_on_commit_callbacks, headers
):
    set_route(ApprovalRoute.PUBLISHER)
    body = {**REQUEST_BODY, "dataset": str(shared_dataset.pk)}
    with django_capture_on_commit_callbacks(execute=True):
        response = korean_client(world.users["outsider_member"]).post(
            reverse("sharing-request-list"), body, format="json", **headers
        )
    assert response.status_code == 201, response.json()

    [message] = mailoutbox  # to acme's steward: a decision is needed
    assert message.subject.startswith("[M.AX] 승인 요청 / Approval needed: ")
    assert "목적 / Purpose: AI 모델 학습 / AI model training" in message.body
    assert "기간 / Period: 90일 / 90 days" in message.body
    assert "상태 / State: 공개 기관 검토 대기 / Waiting for the publisher" in message.body
    assert "요청 기관 / Requester: 다른AI / Other AI" in message.body


def test_a_revocation_email_says_revoked_not_withdrawn(
    world,
    shared_dataset,
    set_route,
    submit,
    client_for,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    set_route(ApprovalRoute.AUTOMATIC)
    request = submit()
    assert request.state == S.ACTIVE
    mailoutbox.clear()

    act(
        client_for("steward"),
        request,
        "revoke",
        django_capture_on_commit_callbacks,
        reason="계약 위반 / breach",
    )

    [message] = mailoutbox
    assert "데이터 접근 회수 / Access revoked" in message.subject  # 회수, not 철회 (withdrawn)
    assert "회수됨 / Revoked" in message.body


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: Any) -> Any:
    client.force_login(User.objects.create_superuser("admin@example.kr", "pw-for-tests-only"))
    return client


def test_the_registry_admin_index_is_korean_by_default(admin_client):
    korean = admin_client.get(
        reverse("admin:app_list", kwargs={"app_label": "registry"})
    ).content.decode()
    english = admin_client.get(
        reverse("admin:app_list", kwargs={"app_label": "registry"}), **ENGLISH
    ).content.decode()

    for name in (
        "공유 레지스트리",
        "이용 정책",
        "공유 요청",
        "약정",
        "이용 권한",
        "다운로드",
        "이메일 알림",
        "웹훅 엔드포인트",
        "웹훅 전송",
    ):
        assert name in korean, name
    for name in ("Sharing registry", "Access policies", "Sharing requests", "Grants"):
        assert name in english, name


def test_the_audit_admin_index_is_korean_by_default(admin_client):
    korean = admin_client.get(reverse("admin:app_list", args=["audit"])).content.decode()
    english = admin_client.get(reverse("admin:app_list", args=["audit"]), **ENGLISH)

    assert "감사 기록" in korean
    assert "Audit events" in english.content.decode()


def test_the_sharing_request_change_list_in_korean(admin_client, submit):
    submit()

    korean = admin_client.get(reverse("admin:registry_sharingrequest_changelist")).content.decode()
    english = admin_client.get(
        reverse("admin:registry_sharingrequest_changelist"), **ENGLISH
    ).content.decode()

    for label in ("데이터셋", "요청 기관", "이용 목적", "상태", "생성 시각", "결정 시각"):
        assert label in korean, label
    assert "AI 모델 학습" in korean  # the purpose's label, not its code
    for label in ("Requesting organisation", "Purpose", "Decided at", "AI model training"):
        assert label in english, label


def test_a_sharing_request_in_the_admin_shows_labels_and_stored_messages_translated(
    admin_client, submit
):
    request = submit(period_days=5000)  # rejected by the policy check
    url = reverse("admin:registry_sharingrequest_change", kwargs={"object_id": request.pk})

    korean = admin_client.get(url).content.decode()
    english = admin_client.get(url, **ENGLISH).content.decode()

    for text in (
        "정책 검사에서 거절되었습니다.",  # the system comment, stored in English
        "요청한 기간이 정책이 허용하는 기간보다 깁니다.",  # the policy's reason, too
        "출처 표시, 기간 만료 시 삭제",  # accepted obligations by their labels
        "제출됨 → 거절됨",
        "공유 요청 이력",
    ):
        assert text in korean, text
    for text in (
        "Rejected by the policy check.",
        "The requested period is longer than the policy allows.",
        "Attribution, Deletion at expiry",
    ):
        assert text in english, text


def test_a_policy_in_the_admin_lists_its_terms_by_their_labels(admin_client, shared_dataset):
    policy = AccessPolicy.objects.get(dataset=shared_dataset, is_current=True)

    korean = admin_client.get(
        reverse("admin:registry_accesspolicy_change", kwargs={"object_id": policy.pk})
    ).content.decode()

    for text in (
        "허용 목적",
        "AI 모델 학습",
        "금지 사항",
        "재배포, 재판매, 재식별",
        "최대 이용 기간(일)",
    ):
        assert text in korean, text
    assert "redistribution" not in korean


def test_the_grant_change_list_says_revoked_as_a_grant_does(admin_client, set_route, submit):
    set_route(ApprovalRoute.AUTOMATIC)
    assert submit().state == S.ACTIVE  # a grant to list

    korean = admin_client.get(reverse("admin:registry_grant_changelist")).content.decode()

    assert "회수 시각" in korean  # not an API token's 폐기 시각
    assert "폐기 시각" not in korean
    for label in ("이용 기관", "유효 시작 시각", "유효 종료 시각"):
        assert label in korean, label


def _concrete_fields(model: type[models.Model]) -> list[Any]:
    # Implicit primary keys are Django's own "ID", the same in both languages.
    return [
        field for field in model._meta.get_fields() if field.concrete and not field.auto_created
    ]


def test_every_registry_model_and_field_has_a_translatable_name():
    """Explicit, lazily translated names: Django's default (the attribute name) is English."""
    unnamed = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_app_config("registry").get_models()
        for field in _concrete_fields(model)
        if not isinstance(field.verbose_name, Promise)
    ]
    unnamed_models = [
        model.__name__
        for model in apps.get_app_config("registry").get_models()
        if not isinstance(model._meta.verbose_name, Promise)
        or not isinstance(model._meta.verbose_name_plural, Promise)
    ]

    assert unnamed == []
    assert unnamed_models == []
