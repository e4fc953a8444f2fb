"""The publish wizard's pages: a client of the three-call publishing API (issue 11, point 7).

Each page answers each persona as the API answers the same call; writes go through the API's
services, so a CP949 CSV uploaded through the page makes the same draft, version, file and
check as the API call. Checks are queued after commit and run inline here
(`django_capture_on_commit_callbacks(execute=True)`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from datasets.models import (
    Dataset,
    DatasetStatus,
    DatasetVersion,
    ValidationStatus,
    VersionStatus,
)
from registry.models import AccessPolicy, PublishingDefaults
from registry.services import publishing
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

STATES = ("정지", "가동")
# A plant historian's export: Korean headers and values, in CP949.
CP949_CSV = (
    "설비,시각,온도,상태\n"
    + "".join(
        f"프레스-{n % 3},2025-10-0{1 + n % 9}T0{n % 10}:00:00,{20 + n % 7}.5,{STATES[n % 2]}\n"
        for n in range(60)
    )
).encode("cp949")
PUBLISH = reverse("console:publish")


def page(world: Any, persona: str) -> Client:
    """A signed-in browser reading English (the console's language switch, a cookie)."""
    client = Client()
    client.cookies["django_language"] = "en"
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def csv_file(content: bytes = CP949_CSV, name: str = "press_temperatures.csv") -> Any:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Send a request and run the checks it queues, as the workers would."""

    def call(client: Client, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(client, method)(path, data or {}, **kwargs)

    return call


@pytest.fixture
def acme_defaults(world: Any) -> PublishingDefaults:
    return PublishingDefaults.objects.create(
        organization=world.acme,
        license="CC-BY-4.0",
        contact_name="데이터 담당",
        contact_email="data@acme.example.kr",
        policy_preset="members",
    )


@pytest.fixture
def draft(world: Any, run: Callable[..., Any], acme_defaults: Any) -> Dataset:
    """A draft made through the page by acme's steward, its check done."""
    response = run(page(world, "steward"), "post", PUBLISH, {"file": csv_file()})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Dataset.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def draft_url(dataset: Dataset, name: str = "console:publish-draft") -> str:
    return reverse(name, kwargs={"dataset": dataset.pk})


def status_url(dataset: Dataset) -> str:
    return reverse("console:publish-status", kwargs={"dataset": dataset.pk})


def form_body(client: Client, dataset: Dataset, **changes: Any) -> dict[str, Any]:
    """The draft page's form as the browser would send it, with `changes`."""
    response = client.get(draft_url(dataset))
    context = response.context
    body: dict[str, Any] = {}
    for name in context["form"].fields:
        value = context["form"][name].value()
        body[name] = "" if value is None else value
    body["policy_preset"] = context["chosen_preset"]
    for row in context["rows"]:
        body[f"{row.prefix}-type"] = row.type
        if row.required:
            body[f"{row.prefix}-required"] = "1"
        if row.unique:
            body[f"{row.prefix}-unique"] = "1"
        body[f"{row.prefix}-enum"] = row.enum
        body[f"{row.prefix}-description"] = row.description
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


# --- who may use the pages ---------------------------------------------------------------------

INDEX_BY_PERSONA = {
    "anonymous": 302,  # to the sign-in page
    "member": 403,
    "steward": 200,
    "org_admin": 403,
    "outsider_member": 403,
    "outsider_steward": 200,
    "division_lead": 403,
    "secretariat": 403,
}


def test_the_tables_name_every_persona():
    assert set(INDEX_BY_PERSONA) == set(DRAFT_BY_PERSONA) == set(PERSONAS)


@pytest.mark.parametrize(("persona", "expected"), INDEX_BY_PERSONA.items())
def test_who_may_open_the_wizard(world, persona, expected):
    assert page(world, persona).get(PUBLISH).status_code == expected


@pytest.mark.parametrize(("persona", "expected"), INDEX_BY_PERSONA.items())
def test_who_may_upload_answers_as_the_api(world, run, client_for, persona, expected):
    response = run(page(world, persona), "post", PUBLISH, {"file": csv_file()})
    api = run(
        client_for(persona),
        "post",
        reverse("dataset-from-file"),
        {"file": csv_file()},
        format="multipart",
    )
    if persona == "steward":
        assert (response.status_code, api.status_code) == (302, 202)
    elif persona == "outsider_steward":
        # other is in no division and names none in its defaults: both ask for the division
        assert response.status_code == api.status_code == 400
        assert "Name the division" in response.content.decode()
    elif persona == "anonymous":
        assert (response.status_code, api.status_code) == (302, 401)
        assert response["Location"].startswith(reverse("console:login"))
    else:
        assert response.status_code == api.status_code == expected


# The draft's pages: its publisher's stewards; the others as the API's status and publish.
DRAFT_BY_PERSONA = {
    "anonymous": 302,
    "member": 403,
    "steward": 200,
    "org_admin": 403,
    "outsider_member": 404,
    "outsider_steward": 404,
    "division_lead": 404,
    "secretariat": 403,
}
STATUS_BY_PERSONA = {**DRAFT_BY_PERSONA, "secretariat": 200}


@pytest.mark.parametrize(("persona", "expected"), DRAFT_BY_PERSONA.items())
@pytest.mark.parametrize(
    "name", ["console:publish-draft", "console:publish-edit", "console:publish-version-new"]
)
def test_who_may_open_a_drafts_pages(world, draft, persona, expected, name):
    response = page(world, persona).get(draft_url(draft, name))
    assert response.status_code == expected


@pytest.mark.parametrize(("persona", "expected"), DRAFT_BY_PERSONA.items())
def test_who_may_publish_answers_as_the_api(world, draft, run, client_for, persona, expected):
    body = form_body(page(world, "steward"), draft, action="publish")
    response = run(page(world, persona), "post", draft_url(draft), body)
    api = client_for(persona).post(
        reverse("dataset-publish", kwargs={"dataset": draft.pk}), {}, format="json"
    )
    if persona == "anonymous":
        # The API hides a draft from anonymous callers (404); the page asks them to sign in.
        assert (response.status_code, api.status_code) == (302, 404)
    elif persona == "steward":
        assert response.status_code == 409  # the defaults leave the description missing
        assert api.status_code == 409
    else:
        assert response.status_code == api.status_code == expected


@pytest.mark.parametrize(("persona", "expected"), STATUS_BY_PERSONA.items())
def test_who_may_read_the_status_answers_as_the_api(world, draft, client_for, persona, expected):
    response = page(world, persona).get(status_url(draft))
    api = client_for(persona).get(reverse("dataset-status", kwargs={"dataset": draft.pk}))
    if persona == "anonymous":
        assert (response.status_code, api.status_code) == (302, 404)
    else:
        assert response.status_code == api.status_code == expected


@pytest.mark.parametrize(("persona", "expected"), DRAFT_BY_PERSONA.items())
def test_who_may_edit_answers_as_the_api(world, draft, client_for, persona, expected):
    response = page(world, persona).post(
        draft_url(draft, "console:publish-edit"), {"title_en": "Changed", "division": "x"}
    )
    api = client_for(persona).patch(
        reverse("dataset-detail", args=[draft.pk]), {"title_en": "Changed"}, format="json"
    )
    if persona == "anonymous":
        assert (response.status_code, api.status_code) == (302, 404)
    elif persona == "steward":
        assert response.status_code == 400  # "x" is no division: the form says so
    else:
        assert response.status_code == api.status_code == expected


# --- 1. the file --------------------------------------------------------------------------------


def _shape(dataset: Dataset) -> dict[str, Any]:
    version = DatasetVersion.objects.get(dataset=dataset)
    (distribution,) = version.distributions.all()
    report = version.validation_reports.get()
    policy = AccessPolicy.objects.get(dataset=dataset, is_current=True)
    return {
        "dataset": {
            name: getattr(dataset, name)
            for name in (
                "title_ko",
                "title_en",
                "division_id",
                "publisher_id",
                "theme",
                "license",
                "sensitivity",
                "contact_name",
                "contact_email",
                "status",
                "formats",
            )
        },
        "version": (version.version, version.status, version.schema),
        "distribution": (
            distribution.role,
            distribution.format,
            distribution.byte_size,
            distribution.sha256,
        ),
        "report": (
            report.status,
            report.row_count,
            report.encoding,
            report.inferred_schema,
            report.sample_id == distribution.pk,
        ),
        "policy": (policy.approval_route, sorted(policy.obligations), policy.max_period_days),
    }


def test_a_cp949_csv_through_the_page_makes_what_the_api_makes(
    world, run, client_for, acme_defaults
):
    response = run(page(world, "steward"), "post", PUBLISH, {"file": csv_file(), "title": "온도"})
    api = run(
        client_for("steward"),
        "post",
        reverse("dataset-from-file"),
        {"file": csv_file(), "title": "온도"},
        format="multipart",
    )

    assert response.status_code == 302
    assert api.status_code == 202
    from_page = Dataset.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
    from_api = Dataset.objects.get(pk=api.json()["dataset"]["id"])
    assert from_page.pk != from_api.pk
    assert _shape(from_page) == _shape(from_api)
    assert _shape(from_page)["report"][:3] == (ValidationStatus.PASSED, 60, "cp949")
    assert response["Location"] == draft_url(from_page)
    assert AuditEvent.objects.filter(action="dataset.created_from_file").count() == 2


@pytest.mark.parametrize(
    ("content", "name", "field"),
    [
        (b"", "empty.csv", "file"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 50, "picture.png", "format"),
    ],
)
def test_a_bad_file_is_a_4xx_page_with_the_services_words(
    world, run, client_for, content, name, field
):
    response = run(page(world, "steward"), "post", PUBLISH, {"file": csv_file(content, name)})
    api = run(
        client_for("steward"),
        "post",
        reverse("dataset-from-file"),
        {"file": csv_file(content, name)},
        format="multipart",
    )

    assert response.status_code == api.status_code == 400
    errors = [error["detail"] for error in api.json()["errors"]]
    text = html.unescape(response.content.decode())
    assert all(message in text for message in errors), (errors, text[-3000:])
    assert Dataset.objects.count() == 0


def test_no_file_is_asked_for_in_the_apis_words(world, run):
    response = run(page(world, "steward"), "post", PUBLISH, {"title": "x"})
    assert response.status_code == 400
    assert "Upload the data file." in response.content.decode()


def test_a_file_over_the_limit_is_a_413_page(world, run, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "sample": 1000}
    response = run(page(world, "steward"), "post", PUBLISH, {"file": csv_file()})
    assert response.status_code == 413
    assert "larger than the limit of 1000 bytes" in response.content.decode()
    assert Dataset.objects.count() == 0


def test_an_excel_workbook_is_taken_too(world, run, acme_defaults, tmp_path):
    from tests.datasets.test_sample_formats import MACHINES, xlsx

    content = xlsx(tmp_path, {"Machines": [list(row) for row in MACHINES]})
    response = run(page(world, "steward"), "post", PUBLISH, {"file": csv_file(content, "p.xlsx")})

    assert response.status_code == 302
    version = DatasetVersion.objects.get()
    assert version.distributions.get().format == "xlsx"
    assert version.validation_reports.get().status == ValidationStatus.PASSED


def test_the_upload_form_needs_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["steward"])
    assert client.post(PUBLISH, {"file": csv_file()}).status_code == 403
    assert Dataset.objects.count() == 0


def test_the_size_limit_holds_before_anything_reads_the_body(world, settings):
    # The CSRF check reads the form too: the limit is in place before it does.
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "sample": 1000}
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["steward"])
    token = client.get(PUBLISH).context["csrf_token"]
    body = {"file": csv_file(), "csrfmiddlewaretoken": str(token)}
    assert client.post(PUBLISH, body).status_code == 413
    assert Dataset.objects.count() == 0
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "sample": 100_000}
    assert client.post(PUBLISH, {**body, "file": csv_file()}).status_code == 302


def test_a_steward_of_several_organisations_picks_the_publisher(world, run):
    from accounts.models import MembershipRole
    from tests.factories import MembershipFactory

    MembershipFactory.create(
        user=world.users["steward"], organization=world.other, role=MembershipRole.DATA_STEWARD
    )
    world.other.divisions.set([world.humanoids])
    client = page(world, "steward")
    form = client.get(PUBLISH).context["form"]
    assert set(dict(form.fields["organization"].choices)) == {"", "acme", "other"}

    unnamed = run(client, "post", PUBLISH, {"file": csv_file()})
    assert unnamed.status_code == 400  # the form asks for it
    named = run(client, "post", PUBLISH, {"file": csv_file(), "organization": "other"})
    assert named.status_code == 302
    assert Dataset.objects.get().publisher == world.other


def test_my_drafts_in_progress_are_listed(world, draft, run):
    world.other.divisions.set([world.humanoids])
    other = run(page(world, "outsider_steward"), "post", PUBLISH, {"file": csv_file()})
    assert other.status_code == 302

    listed = page(world, "steward").get(PUBLISH).context["drafts"]

    assert [dataset.pk for dataset in listed] == [draft.pk]
    assert listed[0].draft_version == "1.0.0"


# --- 2. the status ------------------------------------------------------------------------------


def test_the_status_fragment_says_the_check_passed(world, draft):
    response = page(world, "steward").get(status_url(draft), HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Passed" in text
    assert "60 rows read" in text
    assert "hx-trigger" not in text  # done: no more polling
    assert "HX-Refresh" not in response


def test_the_status_fragment_polls_while_the_check_runs(world, run, acme_defaults):
    client = page(world, "steward")
    response = client.post(PUBLISH, {"file": csv_file()})  # the check is queued, not run
    dataset = Dataset.objects.get()
    panel = client.get(status_url(dataset), HTTP_HX_REQUEST="true")
    text = panel.content.decode()
    assert response.status_code == 302
    assert 'hx-trigger="load delay:1s"' in text
    assert 'hx-target="#publish-status"' in text
    assert "Waiting for a worker" in text
    seen = panel.context["state"]

    from datasets.services.validation import validation_run

    validation_run(report_id=dataset.versions.get().validation_reports.get().pk)
    done = client.get(status_url(dataset), {"seen": seen}, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"  # the page draws the inferred schema now
    assert "hx-trigger" not in done.content.decode()


def test_the_status_and_draft_pages_read_a_constant_number_of_queries(
    world, run, acme_defaults, django_assert_max_num_queries
):
    client = page(world, "steward")
    wide = ",".join(f"열{n}" for n in range(40)) + "\n" + ",".join(["1"] * 40) + "\n"
    small = run(client, "post", PUBLISH, {"file": csv_file(b"a\n1\n", "small.csv")})
    large = run(client, "post", PUBLISH, {"file": csv_file(wide.encode("cp949"), "wide.csv")})
    for _number in range(15):
        run(client, "post", PUBLISH, {"file": csv_file()})
    counts = []
    for response in (small, large):
        key = response["Location"].rstrip("/").split("/")[-1]
        with django_assert_max_num_queries(40) as captured:
            client.get(reverse("console:publish-draft", kwargs={"dataset": key}))
            client.get(reverse("console:publish-status", kwargs={"dataset": key}))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(20):
        assert len(client.get(PUBLISH).context["drafts"]) == 17


# --- 3-5. schema, metadata, preset ------------------------------------------------------------


def test_the_draft_page_holds_the_status_in_a_live_region(world, draft):
    text = page(world, "steward").get(draft_url(draft)).content.decode()
    assert '<div id="publish-status" class="status-panel" role="status"' in text
    assert 'hx-target="#publish-status"' not in text  # the check is done: no polling


def test_the_schema_table_shows_the_inferred_schema_with_confidence(world, draft):
    response = page(world, "steward").get(draft_url(draft))
    rows = response.context["rows"]
    assert [row.name for row in rows] == ["설비", "시각", "온도", "상태"]
    assert all(row.confidence is not None for row in rows)
    text = response.content.decode()
    assert 'id="field-0-type"' in text
    assert f"{rows[0].confidence_percent}%" in text


def test_schema_edits_are_applied_and_checked(world, draft, run):
    client = page(world, "steward")
    body = form_body(
        client,
        draft,
        **{
            "field-0-description": "설비 이름",
            "field-0-unique": None,
            "field-3-enum": "정지, 가동, 점검",
            "field-2-type": "number",
            "field-1-required": "1",
            "action": "save",
        },
    )
    body.pop("field-0-unique", None)

    response = run(client, "post", draft_url(draft), body)

    assert response.status_code == 302, response.content.decode()[-3000:]
    version = DatasetVersion.objects.get(dataset=draft)
    assert version.schema is not None
    fields = {field["name"]: field for field in version.schema["fields"]}
    assert fields["설비"]["description"] == "설비 이름"
    assert fields["상태"]["constraints"]["enum"] == ["정지", "가동", "점검"]
    assert fields["온도"]["type"] == "number"
    assert fields["시각"]["constraints"]["required"] is True
    assert "confidence" in fields["설비"]  # what the table does not show is kept
    report = version.validation_reports.order_by("-created_at").first()
    assert report is not None
    assert report.status == ValidationStatus.PASSED  # checked again, against the edits


def test_an_invalid_schema_edit_is_shown_on_its_field(world, draft, run):
    client = page(world, "steward")
    body = form_body(client, draft, **{"field-2-type": "boolean", "action": "save"})
    body["field-2-enum"] = "abc"  # a boolean's enum of text: the schema check refuses it

    response = run(client, "post", draft_url(draft), body)

    assert response.status_code == 400
    rows = response.context["rows"]
    assert rows[2].errors, response.context["schema_errors"]
    assert not rows[0].errors
    assert DatasetVersion.objects.get(dataset=draft).schema is None


def test_the_organisations_defaults_are_filled_in(world, draft):
    form = page(world, "steward").get(draft_url(draft)).context["form"]
    assert form["license"].value() == "CC-BY-4.0"
    assert form["contact_email"].value() == "data@acme.example.kr"
    assert form["contact_name"].value() == "데이터 담당"
    assert form["division"].value() == "ai-factory"


def test_the_preset_choice_shows_its_terms_in_words(world, draft):
    response = page(world, "steward").get(draft_url(draft))
    assert response.context["chosen_preset"] == "members"
    text = response.content.decode()
    assert 'type="radio" name="policy_preset" id="preset-restricted"' in text
    assert "365 days" in text


def test_the_missing_list_names_the_fields_in_words_before_the_button(world, draft):
    response = page(world, "steward").get(draft_url(draft))
    missing = response.context["missing"]
    assert [entry["field"] for entry in missing] == ["description_en", "schema"]
    assert [entry["label"] for entry in missing] == ["Description (English)", "Schema"]
    text = response.content.decode()
    assert text.index("Description (English)</strong>") < text.index('value="publish"')
    api = publishing.publishing_status(draft).missing
    assert [m["field"] for m in missing] == [m["field"] for m in api]
    assert missing[0]["detail"] == api[0]["detail"]
    # The schema's item says what to click, not what a script sends.
    assert '"inferred"' in api[1]["detail"]
    assert '"inferred"' not in missing[1]["detail"]
    assert "step 3" in missing[1]["detail"]


# --- 6. publish ---------------------------------------------------------------------------------


def test_publishing_from_the_page(world, draft, run):
    client = page(world, "steward")
    body = form_body(
        client,
        draft,
        description_en="Press line temperatures",
        policy_preset="research_partners",
        action="publish",
    )

    response = run(client, "post", draft_url(draft), body)

    assert response.status_code == 302, response.content.decode()[-3000:]
    draft.refresh_from_db()
    assert draft.status == DatasetStatus.PUBLISHED
    assert draft.description_en == "Press line temperatures"
    version = DatasetVersion.objects.get(dataset=draft)
    assert version.status == VersionStatus.PUBLISHED
    policy = AccessPolicy.objects.get(dataset=draft, is_current=True)
    assert "usage_report" in policy.obligations
    after = client.get(draft_url(draft))
    assert "The dataset is published." in after.content.decode()
    assert f"/datasets/{draft.slug}/" in after.content.decode()


def test_an_edited_schema_is_published_by_the_worker_after_its_check(world, draft, run):
    client = page(world, "steward")
    body = form_body(
        client,
        draft,
        description_en="Temperatures",
        action="publish",
        **{"field-0-description": "Press"},
    )

    response = run(client, "post", draft_url(draft), body)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DatasetStatus.PUBLISHED  # the check ran on commit and passed
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Publishing is requested" in message for message in messages)


def test_a_requested_publish_is_shown_live_until_the_worker_publishes(world, draft):
    client = page(world, "steward")
    body = form_body(
        client,
        draft,
        description_en="Temperatures",
        action="publish",
        **{"field-0-description": "Press"},
    )
    response = client.post(draft_url(draft), body)  # the check is queued, not run yet
    assert response.status_code == 302

    panel = client.get(status_url(draft), HTTP_HX_REQUEST="true")
    assert "Requested: published when the check passes" in panel.content.decode()
    assert 'hx-trigger="load delay:1s"' in panel.content.decode()
    seen = panel.context["state"]

    from datasets.services.validation import validation_run

    report = DatasetVersion.objects.get(dataset=draft).validation_reports.latest("created_at")
    validation_run(report_id=report.pk)
    done = client.get(status_url(draft), {"seen": seen}, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "The dataset is published." in done.content.decode()
    draft.refresh_from_db()
    assert draft.status == DatasetStatus.PUBLISHED


def test_publishing_what_is_incomplete_is_a_409_in_the_services_words(world, draft, run):
    client = page(world, "steward")
    body = form_body(client, draft, action="publish", **{"field-0-description": "설비"})
    response = run(client, "post", draft_url(draft), body)

    assert response.status_code == 409
    assert "This dataset cannot be published yet" in response.content.decode()
    assert response.context["rows"][0].description == "설비"  # the edits stay on the page
    draft.refresh_from_db()
    assert draft.status == DatasetStatus.DRAFT


def test_a_draft_saved_is_there_when_the_steward_comes_back(world, draft, run):
    client = page(world, "steward")
    body = form_body(client, draft, title_en="Press", keywords="프레스, 온도", action="save")
    assert run(client, "post", draft_url(draft), body).status_code == 302

    again = page(world, "steward").get(draft_url(draft))
    assert again.context["form"]["title_en"].value() == "Press"
    assert again.context["form"]["keywords"].value() == "프레스, 온도"


# --- edit, a new version, a waiver --------------------------------------------------------------


@pytest.fixture
def published(world, draft, run) -> Dataset:
    client = page(world, "steward")
    body = form_body(client, draft, description_en="Temperatures", action="publish")
    assert run(client, "post", draft_url(draft), body).status_code == 302
    draft.refresh_from_db()
    assert draft.status == DatasetStatus.PUBLISHED
    return draft


def test_editing_a_dataset_is_a_patch(world, published, client_for):
    client = page(world, "steward")
    url = reverse("console:publish-edit", kwargs={"dataset": published.slug})
    body = form_body(client, published)
    body = {name: body[name] for name in client.get(url).context["form"].fields}
    body.update(title_en="Press temperatures", theme="energy")

    response = client.post(url, body)

    assert response.status_code == 302
    published.refresh_from_db()
    assert (published.title_en, published.theme) == ("Press temperatures", "energy")
    api = client_for("steward").get(reverse("dataset-revisions", kwargs={"dataset": published.pk}))
    assert set(api.json()["results"][0]["changed_fields"]) == {"title_en", "theme"}


def test_a_new_version_starts_from_the_previous_schema_and_policy(world, published, run):
    client = page(world, "steward")
    url = reverse("console:publish-version-new", kwargs={"dataset": published.slug})
    assert client.get(url).context["form"]["version"].value() == "1.1.0"
    policy_before = AccessPolicy.objects.get(dataset=published, is_current=True)

    response = run(client, "post", url, {"version": "1.1.0", "file": csv_file()})

    assert response.status_code == 302
    assert response["Location"] == draft_url(published)
    first, second = published.versions.order_by("created_at")
    assert second.version == "1.1.0"
    assert second.status == VersionStatus.DRAFT
    assert (second.schema, second.schema_kind) == (first.schema, first.schema_kind)
    assert AccessPolicy.objects.get(dataset=published, is_current=True) == policy_before
    report = second.validation_reports.order_by("-created_at").first()
    assert report.status == ValidationStatus.PASSED


def test_a_new_version_needs_a_file_and_a_new_number(world, published, run):
    client = page(world, "steward")
    url = reverse("console:publish-version-new", kwargs={"dataset": published.slug})
    assert run(client, "post", url, {"version": "1.1.0"}).status_code == 400
    taken = run(client, "post", url, {"version": "1.0.0", "file": csv_file()})
    assert taken.status_code == 409
    assert "already has a version" in taken.content.decode()


def test_a_waiver_is_recorded_with_its_reason(world, published, run):
    client = page(world, "steward")
    bad = "설비,시각,온도,상태\n프레스-1,어제,뜨거움,정지\n".encode("cp949")
    url = reverse("console:publish-version-new", kwargs={"dataset": published.slug})
    assert run(client, "post", url, {"version": "1.1.0", "file": csv_file(bad)}).status_code == 302
    version = published.versions.get(version="1.1.0")
    assert version.validation_reports.order_by("-created_at").first().status == "failed"
    assert page(world, "steward").get(draft_url(published)).context["waivable"] is True
    waiver_url = reverse(
        "console:publish-waiver", kwargs={"dataset": published.slug, "version": version.pk}
    )
    assert page(world, "member").post(waiver_url, {"waiver_reason": "x"}).status_code == 403
    assert page(world, "outsider_steward").get(waiver_url).status_code == 403  # as the API
    assert client.post(waiver_url, {"waiver_reason": ""}).status_code == 400

    response = client.post(waiver_url, {"waiver_reason": "측정 장비 교체 중의 값입니다."})

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    assert version.waiver_reason == "측정 장비 교체 중의 값입니다."
    assert version.waived_by == world.users["steward"]
