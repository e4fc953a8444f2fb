"""Dataset revisions: written for every metadata change, listed with the dataset's visibility."""

from __future__ import annotations

import pytest
from django.urls import reverse

from datasets import services
from datasets.models import DATASET_METADATA_FIELDS, DatasetRevision, DatasetStatus, Sensitivity
from tests.datasets.helpers import LIST_URL, dataset_payload, detail_url
from tests.factories import DatasetFactory, release
from tests.imports.helpers import revisions_url

pytestmark = pytest.mark.django_db


def test_creating_through_the_api_writes_revision_1_with_who(client_for, world):
    response = client_for("steward").post(LIST_URL, dataset_payload(), format="json")
    assert response.status_code == 201

    revision = DatasetRevision.objects.get()
    assert revision.number == 1
    assert revision.created_by == world.users["steward"]
    assert revision.import_job is None
    assert revision.changed_fields == list(DATASET_METADATA_FIELDS)
    assert revision.snapshot["title_ko"] == "프레스 금형 진동 데이터"
    assert revision.snapshot["division"] == "ai-factory"
    assert set(revision.snapshot) == set(DATASET_METADATA_FIELDS)


def test_an_update_writes_the_next_revision_with_the_changed_fields(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    response = client_for("steward").patch(
        detail_url(dataset.pk),
        {"title_en": "New title", "keywords": ["a", "b"], "license": dataset.license},
        format="json",
    )

    assert response.status_code == 200
    latest = dataset.revisions.latest("number")
    assert latest.number == 2
    assert latest.changed_fields == ["title_en", "keywords"]
    assert latest.created_by == world.users["steward"]
    assert latest.snapshot["keywords"] == ["a", "b"]


def test_an_update_that_changes_nothing_writes_no_revision(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    client_for("steward").patch(
        detail_url(dataset.pk), {"title_en": dataset.title_en}, format="json"
    )

    assert dataset.revisions.count() == 1


def test_status_changes_are_not_revisions(world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    release(dataset)

    services.dataset_publish(dataset=dataset)
    services.dataset_withdraw(dataset=dataset)

    assert dataset.revisions.count() == 1


def test_dates_are_stored_as_iso_text(world):
    import datetime as dt

    dataset = DatasetFactory.create(publisher=world.acme, temporal_start=dt.date(2024, 2, 1))

    services.dataset_update(dataset=dataset, temporal_end=dt.date(2024, 3, 1))

    latest = dataset.revisions.get(number=2)
    assert latest.snapshot["temporal_start"] == "2024-02-01"
    assert latest.snapshot["temporal_end"] == "2024-03-01"
    assert latest.changed_fields == ["temporal_end"]
    assert latest.created_by is None  # a service call without a user


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 404),
        ("outsider_member", 404),
        ("outsider_steward", 404),
        ("division_lead", 404),
        ("member", 200),
        ("steward", 200),
        ("secretariat", 200),
    ],
)
def test_a_drafts_history_is_for_its_publisher(client_for, world, persona, status):
    draft = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)

    response = client_for(persona).get(revisions_url(draft.pk))

    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("persona", "sees_who"),
    [("anonymous", False), ("outsider_member", False), ("member", True), ("secretariat", True)],
)
def test_a_public_datasets_history_is_public_but_who_changed_it_is_not(
    client_for, world, persona, sees_who
):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.PUBLIC)
    services.dataset_update(dataset=dataset, title_en="Renamed", changed_by=world.users["steward"])

    response = client_for(persona).get(revisions_url(dataset.slug))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["number"] for r in results] == [2, 1]  # newest first
    assert results[0]["changed_fields"] == ["title_en"]
    assert results[0]["snapshot"]["title_en"] == "Renamed"
    assert results[0]["created_by"] == ("steward@example.kr" if sees_who else None)
    assert set(results[0]) == {
        "number",
        "created_at",
        "changed_fields",
        "snapshot",
        "created_by",
        "import_job",
    }


def test_revisions_made_by_an_import_name_the_job(run_import, client_for):
    job = run_import("datasets.csv")
    dataset_id = job.report[0]["dataset"]

    results = client_for("steward").get(revisions_url(dataset_id)).json()["results"]

    assert results[0]["import_job"] == str(job.pk)
    assert results[0]["created_by"] == "steward@example.kr"


def test_the_history_is_paginated(client_for, world):
    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    for n in range(30):
        services.dataset_update(dataset=dataset, title_en=f"Title {n}")

    first = client_for("steward").get(revisions_url(dataset.pk)).json()
    second = client_for("steward").get(first["next"]).json()

    assert [r["number"] for r in first["results"]] == list(range(31, 6, -1))
    assert [r["number"] for r in second["results"]] == list(range(6, 0, -1))
    assert second["next"] is None


def test_an_unknown_dataset_has_no_history(client_for):
    assert client_for("steward").get(revisions_url("no-such-dataset")).status_code == 404


# --- the admin ----------------------------------------------------------------------------------


def test_the_secretariat_reads_jobs_and_revisions_in_the_admin_read_only(client, world, run_import):
    job = run_import("datasets.csv")
    staff = world.users["secretariat"]
    staff.is_staff = True
    staff.save()
    client.force_login(staff)

    assert client.get(reverse("admin:datasets_importjob_changelist")).status_code == 200
    assert (
        client.get(
            reverse("admin:datasets_importjob_change", kwargs={"object_id": job.pk})
        ).status_code
        == 200
    )
    assert client.get(reverse("admin:datasets_datasetrevision_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:datasets_importjob_changelist"), {"q": "acme"}).status_code == 200
    )
    assert (
        client.get(
            reverse("admin:datasets_datasetrevision_changelist"), {"q": "데이터"}
        ).status_code
        == 200
    )
    assert client.get(reverse("admin:datasets_importjob_add")).status_code == 403
    response = client.post(
        reverse("admin:datasets_importjob_delete", kwargs={"object_id": job.pk}), {"post": "yes"}
    )
    assert response.status_code == 403


def test_admin_edits_write_revisions_too(client, world):
    from django.contrib.auth.models import Permission

    dataset = DatasetFactory.create(publisher=world.acme, status=DatasetStatus.DRAFT)
    admin = world.users["secretariat"]
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert Permission.objects.exists()
    page = client.get(reverse("admin:datasets_dataset_change", kwargs={"object_id": dataset.pk}))
    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name, "")
        for name in form.fields
        if form.initial.get(name) is not None
    }
    data.update(
        title_en="Edited in the admin",
        keywords=",".join(dataset.keywords),
        formats=",".join(dataset.formats),
        publisher=dataset.publisher_id,
        division=dataset.division_id,
        **{
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
    )
    data = {k: ("" if v is None else v) for k, v in data.items()}

    response = client.post(
        reverse("admin:datasets_dataset_change", kwargs={"object_id": dataset.pk}), data
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = dataset.revisions.latest("number")
    assert latest.number == 2
    assert latest.changed_fields == ["title_en"]
    assert latest.created_by == admin


def _admin_form_data(client, dataset, **changes):
    form = (
        client.get(reverse("admin:datasets_dataset_change", kwargs={"object_id": dataset.pk}))
        .context["adminform"]
        .form
    )
    data = {name: form.initial.get(name) for name in form.fields}
    data.update(
        keywords=",".join(dataset.keywords),
        formats=",".join(dataset.formats),
        publisher=dataset.publisher_id,
        division=dataset.division_id,
        **{
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
        **changes,
    )
    return {k: ("" if v is None else v) for k, v in data.items()}


@pytest.fixture
def admin_user(client, world):
    admin = world.users["secretariat"]
    admin.is_staff = True
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return admin


def test_an_admin_edit_to_restricted_routes_requests_through_the_division_lead(
    client, world, admin_user
):
    from registry.models import AccessPolicy, ApprovalRoute

    dataset = services.dataset_create(
        publisher=world.acme,
        division=world.ai_factory,
        title_ko="민감 데이터",
        theme="sensor_time_series",
        license="CC-BY-4.0",
        sensitivity="members",
    )

    response = client.post(
        reverse("admin:datasets_dataset_change", kwargs={"object_id": dataset.pk}),
        _admin_form_data(client, dataset, sensitivity="restricted"),
    )

    assert response.status_code == 302
    policy = AccessPolicy.objects.get(dataset=dataset, is_current=True)
    assert policy.approval_route == ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD
    assert dataset.revisions.latest("number").changed_fields == ["sensitivity"]


def test_a_withdrawn_dataset_is_frozen_in_the_admin_too(client, world, admin_user):
    dataset = DatasetFactory.create(
        publisher=world.acme, status=DatasetStatus.WITHDRAWN, title_en="Frozen"
    )

    page = client.get(reverse("admin:datasets_dataset_change", kwargs={"object_id": dataset.pk}))
    client.post(
        reverse("admin:datasets_dataset_change", kwargs={"object_id": dataset.pk}),
        {"title_en": "Thawed"},
    )

    assert page.status_code == 200
    assert "title_en" not in page.context["adminform"].form.fields
    dataset.refresh_from_db()
    assert dataset.title_en == "Frozen"


def test_a_dataset_added_in_the_admin_gets_its_first_revision_and_a_policy(
    client, world, admin_user
):
    from registry.models import AccessPolicy

    response = client.post(
        reverse("admin:datasets_dataset_add"),
        {
            "slug": "added-in-admin",
            "title_ko": "관리자 등록",
            "division": world.ai_factory.pk,
            "publisher": world.acme.pk,
            "theme": "documents",
            "license": "CC-BY-4.0",
            "sensitivity": "members",
            "status": "draft",
            "update_frequency": "irregular",
            "compatibility_mode": "backward",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    dataset = world.acme.datasets.get(slug="added-in-admin")
    assert dataset.revisions.get().created_by == admin_user
    assert AccessPolicy.objects.filter(dataset=dataset, is_current=True).exists()
