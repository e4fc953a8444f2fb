"""Korean and English: the message catalogs, and what the API answers in each language.

Korean is the default (LANGUAGE_CODE); `Accept-Language` chooses. Messages the registry stores
(system comments of sharing requests, policy reasons) are kept in English and shown in the
caller's language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from datasets.models import DatasetVersion, VersionStatus
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
CATALOGS = sorted(ROOT.glob("*/locale/ko/LC_MESSAGES/django.po"))


def test_every_app_has_a_korean_catalog():
    assert {path.parts[-5] for path in CATALOGS} >= {
        "accounts",
        "audit",
        "common",
        "datasets",
        "registry",
        "stats",
    }


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda path: path.parts[-5])
def test_every_message_is_translated(po_path):
    catalog = polib.pofile(str(po_path))

    untranslated = [entry.msgid for entry in catalog if not entry.translated()]

    assert untranslated == []


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda path: path.parts[-5])
def test_the_compiled_catalog_matches_its_source(po_path):
    # `make messages` compiles them; a .po edited without recompiling would ship stale text.
    source = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(po_path)) if e.msgid}
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr
        for e in polib.mofile(str(po_path.with_suffix(".mo")))
        if e.msgid
    }

    assert compiled == source


def _not_found(client: APIClient, language: str | None = None) -> Any:
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.get(reverse("dataset-detail", kwargs={"dataset": "no-such-dataset"}), **headers)  # type: ignore[arg-type]


def test_problem_documents_are_korean_by_default_and_english_on_request():
    client = APIClient()

    korean = _not_found(client)
    english = _not_found(client, "en-US,en;q=0.9")

    assert korean.status_code == english.status_code == 404
    assert korean.json()["title"] == "찾을 수 없음"
    assert korean["Content-Language"] == "ko"
    assert english.json()["title"] == "Not Found"
    assert english.json()["detail"] == "Not found."
    assert english["Content-Language"] == "en"
    assert korean.json()["code"] == english.json()["code"] == "not_found"  # codes never change
    assert "Accept-Language" in korean["Vary"]


def test_an_unknown_language_falls_back_to_korean():
    response = _not_found(APIClient(), "fr-FR,fr;q=0.9")

    assert response.json()["title"] == "찾을 수 없음"


def test_validation_errors_in_both_languages():
    client = APIClient()

    korean = client.post(reverse("token-obtain"), {}, format="json").json()
    english = client.post(reverse("token-obtain"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert korean["title"] == "유효하지 않은 입력입니다."
    assert korean["detail"] == "요청에 잘못된 필드가 있습니다. `errors`를 확인하세요."
    by_field = {error["field"]: error for error in korean["errors"]}
    assert by_field["email"]["code"] == "required"
    assert by_field["email"]["detail"] == "이 필드는 필수 항목입니다."
    english_fields = {error["field"]: error for error in english.json()["errors"]}
    assert english_fields["email"]["detail"] == "This field is required."


def test_the_registry_s_own_messages_in_both_languages(world):
    client = APIClient()
    client.force_authenticate(world.users["member"])
    DatasetFactory.create(publisher=world.other)  # a dataset to fail on

    korean = client.post(reverse("sharing-request-list"), {"dataset": "nope"}, format="json")
    english = client.post(
        reverse("sharing-request-list"),
        {"dataset": "nope"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert korean.status_code == english.status_code == 400
    assert korean.json()["title"] == "유효하지 않은 입력입니다."
    assert english.json()["title"] == "Invalid input."


def test_policy_reasons_are_shown_in_the_callers_language(world):
    dataset = DatasetFactory.create(publisher=world.acme)
    DatasetVersion.objects.create(dataset=dataset, version="1.0.0", status=VersionStatus.PUBLISHED)
    client = APIClient()
    client.force_authenticate(world.users["outsider_member"])
    ask = {"purpose": "ai_model_training", "period_days": 5000}
    url = reverse("dataset-eligibility", kwargs={"dataset": dataset.pk})

    korean = client.post(url, ask, format="json").json()
    english = client.post(url, ask, format="json", HTTP_ACCEPT_LANGUAGE="en").json()

    korean_messages = {reason["code"]: reason["message"] for reason in korean["reasons"]}
    english_messages = {reason["code"]: reason["message"] for reason in english["reasons"]}
    assert korean_messages["period_too_long"] == "요청한 기간이 정책이 허용하는 기간보다 깁니다."
    assert english_messages["period_too_long"] == (
        "The requested period is longer than the policy allows."
    )


def test_bilingual_dataset_fields_come_in_both_languages_whatever_the_header(world):
    DatasetFactory.create(
        publisher=world.acme,
        sensitivity="public",
        status="published",
        title_ko="용접 비드 검사 이미지",
        title_en="Weld bead inspection images",
    )

    for language in ("ko", "en"):
        item = APIClient().get(reverse("dataset-list"), HTTP_ACCEPT_LANGUAGE=language).json()
        result = item["results"][0]
        assert (result["title_ko"], result["title_en"]) == (
            "용접 비드 검사 이미지",
            "Weld bead inspection images",
        )


def test_the_admin_speaks_korean_by_default_and_english_on_request(client):
    from accounts.models import User

    admin = User.objects.create_superuser("admin@example.kr", "pw-for-tests-only")
    client.force_login(admin)

    korean = client.get(reverse("admin:index")).content.decode()
    english = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    organizations = client.get(reverse("admin:accounts_organization_add")).content.decode()

    for word in ("계정", "기관", "분과", "데이터셋", "공유 레지스트리"):
        assert word in korean
    for word in ("Accounts", "Organisations", "Divisions"):
        assert word in english
    assert "사업자등록번호" in organizations


# --- the datasets app ---------------------------------------------------------------------


def _as(user: Any) -> APIClient:
    client = APIClient()  # no Accept-Language: Korean
    client.force_authenticate(user)
    return client


def test_a_dataset_permission_message_in_both_languages(world):
    dataset = DatasetFactory.create(publisher=world.acme)
    client = _as(world.users["member"])  # a member, not a steward
    url = reverse("dataset-detail", kwargs={"dataset": dataset.pk})

    korean = client.patch(url, {"title_en": "x"}, format="json")
    english = client.patch(url, {"title_en": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert korean.status_code == english.status_code == 403
    assert korean.json()["detail"] == "공개 기관의 데이터 관리자만 이 데이터셋을 바꿀 수 있습니다."
    assert english.json()["detail"] == (
        "Only data stewards of the publishing organisation may change this dataset."
    )


def test_a_dataset_conflict_in_both_languages(world):
    dataset = DatasetFactory.create(
        publisher=world.acme, status="draft", description_ko="", description_en=""
    )
    client = _as(world.users["steward"])
    url = reverse("dataset-publish", kwargs={"dataset": dataset.pk})

    korean = client.post(url)
    english = client.post(url, HTTP_ACCEPT_LANGUAGE="en")

    assert korean.status_code == english.status_code == 409
    assert korean.json()["title"] == "충돌"
    assert english.json()["detail"] == (
        "This dataset cannot be published yet: description_ko, version (see `missing`)."
    )
    # Field names and codes are the API's own in every language; the details are translated.
    fields = [(m["field"], m["code"]) for m in english.json()["missing"]]
    assert [(m["field"], m["code"]) for m in korean.json()["missing"]] == fields
    assert korean.json()["code"] == english.json()["code"] == "dataset_incomplete"


def test_an_import_job_is_stored_in_english_and_read_in_korean_by_default(
    world, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from datasets.models import ImportJob

    source = "identifier,title_ko,theme,license,colour\nx,,documents,CC0-1.0,red\n"
    client = _as(world.users["steward"])
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs inline
        created = client.post(
            reverse("import-list"),
            {"file": SimpleUploadedFile("one.csv", source.encode(), content_type="text/csv")},
            format="multipart",
        )
    assert created.status_code == 202, created.content
    job = ImportJob.objects.get()
    url = reverse("import-detail", kwargs={"pk": job.pk})

    korean = client.get(url).json()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    # Stored in English although the request that queued it (and ran it) was Korean.
    assert job.report[0]["reasons"][0]["message"] == "no title"
    assert job.warnings[0]["message"] == "Columns not used: colour."
    assert korean["report"][0]["reasons"] == [
        {"field": "title", "code": "no_title", "message": "제목 없음"}
    ]
    assert korean["warnings"] == [
        {"code": "unused_columns", "message": "사용하지 않은 열: colour."}
    ]
    assert english["report"][0]["reasons"][0]["message"] == "no title"
    assert english["warnings"][0]["message"] == "Columns not used: colour."


def test_an_import_upload_problem_in_both_languages(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _as(world.users["steward"])

    def post(**headers: Any) -> Any:
        upload = SimpleUploadedFile("a.csv", b"identifier,title_ko\nx,y\n", content_type="text/csv")
        return client.post(reverse("import-list"), {"file": upload}, format="multipart", **headers)

    korean = post().json()["errors"][0]
    english = post(HTTP_ACCEPT_LANGUAGE="en").json()["errors"][0]

    assert korean["code"] == english["code"] == "missing_columns"
    assert korean["detail"].startswith("CSV 헤더에 필수 열이 없습니다: theme, license.")
    assert english["detail"].startswith("The CSV header lacks required columns: theme, license.")


def test_a_check_report_message_is_shown_in_the_callers_language(world):
    from datasets.models import ValidationReport, ValidationStatus

    dataset = DatasetFactory.create(publisher=world.acme)
    version = DatasetVersion.objects.create(dataset=dataset, version="1.0.0")
    ValidationReport.objects.create(
        version=version,
        status=ValidationStatus.PASSED,
        message="No sample uploaded: only the schema was checked.",  # as the worker stores it
    )
    client = _as(world.users["steward"])
    url = reverse("version-reports", kwargs={"dataset": dataset.pk, "pk": version.pk})

    korean = client.get(url).json()["results"][0]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]

    assert korean["message"] == "샘플이 없어 스키마만 검사했습니다."
    assert english["message"] == "No sample uploaded: only the schema was checked."


def test_the_dataset_admin_speaks_korean_by_default_and_english_on_request(client, world):
    from accounts.models import User

    admin = User.objects.create_superuser("admin@example.kr", "pw-for-tests-only")
    client.force_login(admin)
    dataset = DatasetFactory.create(publisher=world.acme)
    DatasetVersion.objects.create(dataset=dataset, version="1.0.0")
    url = reverse("admin:datasets_dataset_change", kwargs={"object_id": dataset.pk})

    korean = client.get(url).content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    index = client.get(reverse("admin:app_list", kwargs={"app_label": "datasets"})).content.decode()

    for label in ("제목(한국어)", "공개 기관", "민감도", "갱신 주기", "분류", "데이터셋 버전"):
        assert label in korean, label
    for label in (
        "Title (Korean)",
        "Publisher",
        "Sensitivity",
        "Classification",
        "Dataset versions",
    ):
        assert label in english, label
    for name in ("데이터셋", "가져오기 작업", "데이터셋 변경 이력"):
        assert name in index, name
