"""Re-runs change nothing; changes update only what changed, with a revision; dry runs match
real runs without writing; divisions resolve; withdrawn datasets are never touched."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from datasets.models import Dataset, DatasetRevision, DatasetStatus, ImportJob
from tests.imports.helpers import comparable_report, counts, entry_for, outcomes, reason_codes

pytestmark = pytest.mark.django_db

HEADER = "identifier,title_ko,title_en,theme,license,keywords,contact_email"
ROWS = [
    "a,진동 데이터,Vibration,sensor_time_series,CC-BY-4.0,진동;CNC,a@acme.example.kr",
    "b,영상 데이터,Images,machine_vision_images,CC0-1.0,,b@acme.example.kr",
]


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def dataset_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
        and ('"datasets_dataset"' in q["sql"] or '"datasets_datasetrevision"' in q["sql"])
    ]


@pytest.mark.parametrize(
    "fixture", ["catalog.jsonld", "catalog.ttl", "package_search.json", "datasets.csv"]
)
def test_a_second_run_reports_everything_unchanged_and_writes_nothing(run_import, fixture):
    first = run_import(fixture)
    created = {k for k, v in outcomes(first).items() if v == "created"}
    modified = dict(Dataset.objects.values_list("pk", "modified_at"))
    before = counts()

    with CaptureQueriesContext(connection) as queries:
        second = run_import(fixture)

    assert {k for k, v in outcomes(second).items() if v == "unchanged"} == created
    assert second.totals["created"] == second.totals["updated"] == 0
    assert second.totals["rejected"] == first.totals["rejected"]
    assert counts() == before
    assert dict(Dataset.objects.values_list("pk", "modified_at")) == modified
    assert dataset_writes(queries) == []


def test_a_changed_record_updates_only_what_changed_and_records_a_revision(run_import, world):
    run_import("v1.csv", csv(*ROWS))
    a = Dataset.objects.get(source_identifier="a")
    b_modified = Dataset.objects.get(source_identifier="b").modified_at
    assert list(a.revisions.values_list("number", flat=True)) == [1]

    changed = (
        "a,진동 데이터,Spindle vibration,sensor_time_series,CC-BY-SA-4.0,진동;CNC,a@acme.example.kr"
    )
    job = run_import("v2.csv", csv(changed, ROWS[1]))

    assert outcomes(job) == {"a": "updated", "b": "unchanged"}
    assert entry_for(job, "a")["changed_fields"] == ["license", "title_en"]
    a.refresh_from_db()
    assert (a.title_en, a.license) == ("Spindle vibration", "CC-BY-SA-4.0")
    assert "spindle" in a.search_title  # re-indexed through dataset_update
    revision = a.revisions.get(number=2)
    assert revision.changed_fields == ["title_en", "license"]
    assert revision.snapshot["title_en"] == "Spindle vibration"
    assert revision.import_job_id == job.pk
    assert revision.created_by == world.users["steward"]
    assert Dataset.objects.get(source_identifier="b").modified_at == b_modified


def test_keyword_order_alone_is_no_change(run_import):
    run_import("v1.csv", csv(*ROWS))

    job = run_import("v2.csv", csv(ROWS[0].replace("진동;CNC", "CNC;진동"), ROWS[1]))

    assert outcomes(job)["a"] == "unchanged"


def test_a_column_left_out_is_left_alone_and_an_empty_cell_clears(run_import):
    run_import("v1.csv", csv(*ROWS))

    job = run_import(
        "v2.csv",
        csv(
            "a,진동 데이터,,sensor_time_series,CC-BY-4.0",
            header="identifier,title_ko,title_en,theme,license",
        ),
    )

    assert entry_for(job, "a")["changed_fields"] == ["title_en"]
    a = Dataset.objects.get(source_identifier="a")
    assert a.title_en == ""
    assert a.keywords == ["진동", "CNC"]  # no keywords column: kept
    assert a.contact_email == "a@acme.example.kr"


def test_a_dry_run_reports_what_a_real_run_does_and_writes_nothing(run_import):
    run_import("v1.csv", csv(ROWS[0]))
    source = csv(
        ROWS[0].replace("Vibration", "Spindle vibration"),
        ROWS[1],
        "c,제목,,not-a-theme,CC0-1.0,,",
    )
    before = counts()
    events = AuditEvent.objects.count()

    dry = run_import("v2.csv", source, dry_run=True)

    assert counts() == before
    assert AuditEvent.objects.count() == events
    assert dry.dry_run
    assert dry.status == "succeeded"
    assert dry.totals == {"created": 1, "updated": 1, "unchanged": 0, "rejected": 1}
    assert entry_for(dry, "b")["dataset"] is None  # not kept
    real = run_import("v2.csv", source)
    assert comparable_report(real) == comparable_report(dry)
    assert real.totals == dry.totals
    assert counts() == (before[0] + 1, before[1] + 2)


def test_one_bad_record_among_good_ones_only_rejects_itself(run_import):
    rows = [f"ok-{n},데이터 {n},,documents,CC0-1.0,," for n in range(5)]
    rows.insert(2, "bad,나쁜 데이터,,documents,CC0-1.0,,not-an-email")

    job = run_import("mixed.csv", csv(*rows))

    assert job.totals == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 1}
    assert reason_codes(entry_for(job, "bad")) == ["invalid_email"]
    assert Dataset.objects.count() == 5


def test_a_record_the_model_refuses_is_rejected_alone(run_import):
    # Passes the parser but not the service's full_clean (the saved start is after this end).
    run_import("v1.csv", csv(*ROWS))
    header = "identifier,title_ko,theme,license,temporal_start"
    run_import(
        "v2.csv", csv("a,진동 데이터,sensor_time_series,CC-BY-4.0,2025-06-01", header=header)
    )

    header = "identifier,title_ko,theme,license,temporal_end"
    job = run_import(
        "v3.csv",
        csv(
            "a,진동 데이터,sensor_time_series,CC-BY-4.0,2025-01-01",
            "z,새 데이터,documents,CC0-1.0,",
            header=header,
        ),
    )

    assert outcomes(job) == {"a": "rejected", "z": "created"}
    assert entry_for(job, "a")["reasons"][0]["code"] == "invalid"


def test_duplicate_identifiers_in_one_source_reject_the_later_ones(run_import):
    job = run_import("dup.csv", csv(ROWS[0], ROWS[0].replace("Vibration", "Other")))

    assert [e["outcome"] for e in job.report] == ["created", "rejected"]
    assert reason_codes(job.report[1]) == ["duplicate_identifier"]


def test_the_same_identifier_in_two_organisations_is_two_datasets(run_import, world):
    world.other.divisions.set([world.humanoids])
    run_import("v1.csv", csv(ROWS[0]))

    job = run_import("v1.csv", csv(ROWS[0]), persona="outsider_steward", organization=world.other)

    assert outcomes(job) == {"a": "created"}
    assert Dataset.objects.filter(source_identifier="a").count() == 2


# --- divisions --------------------------------------------------------------------------------


def test_division_from_the_record_by_code_or_name(run_import, world):
    header = "identifier,title_ko,theme,license,division"
    job = run_import(
        "div.csv",
        csv(
            "by-code,가,documents,CC0-1.0,humanoids",
            f"by-name,나,documents,CC0-1.0,{world.humanoids.name_ko}",
            f"by-english,다,documents,CC0-1.0,{world.humanoids.name_en.upper()}",
            header=header,
        ),
    )

    assert set(outcomes(job).values()) == {"created"}
    assert set(Dataset.objects.values_list("division__code", flat=True)) == {"humanoids"}


def test_division_default_given_with_the_import(run_import, world):
    world.acme.divisions.set([world.ai_factory, world.humanoids])

    job = run_import("v1.csv", csv(*ROWS), division=world.humanoids)

    assert set(outcomes(job).values()) == {"created"}
    assert set(Dataset.objects.values_list("division__code", flat=True)) == {"humanoids"}


def test_no_division_to_be_found_rejects_with_the_reason(run_import, world):
    world.acme.divisions.set([world.ai_factory, world.humanoids])

    job = run_import("v1.csv", csv(ROWS[0]))

    entry = entry_for(job, "a")
    assert reason_codes(entry) == ["no_division"]
    assert "2 divisions" in entry["reasons"][0]["message"]


def test_an_update_keeps_the_division_unless_the_record_names_one(run_import, world):
    run_import("v1.csv", csv(ROWS[0]))
    world.acme.divisions.set([world.ai_factory, world.humanoids])

    kept = run_import("v1.csv", csv(ROWS[0]), division=world.humanoids)
    assert outcomes(kept) == {"a": "unchanged"}

    header = f"{HEADER},division"
    moved = run_import("v2.csv", csv(f"{ROWS[0]},humanoids", header=header))
    assert entry_for(moved, "a")["changed_fields"] == ["division"]
    dataset = Dataset.objects.get(source_identifier="a")
    assert dataset.division == world.humanoids
    assert dataset.revisions.get(number=2).snapshot["division"] == "humanoids"


# --- lifecycle --------------------------------------------------------------------------------


def test_withdrawn_datasets_are_never_changed(run_import):
    run_import("v1.csv", csv(ROWS[0]))
    Dataset.objects.filter(source_identifier="a").update(status=DatasetStatus.WITHDRAWN)
    before = Dataset.objects.values().get(source_identifier="a")

    job = run_import("v2.csv", csv(ROWS[0].replace("Vibration", "Changed")))

    assert reason_codes(entry_for(job, "a")) == ["dataset_withdrawn"]
    assert Dataset.objects.values().get(source_identifier="a") == before
    assert DatasetRevision.objects.filter(dataset__source_identifier="a").count() == 1


def test_published_datasets_are_updated_in_place_and_new_ones_are_drafts(run_import):
    run_import("v1.csv", csv(ROWS[0]))
    Dataset.objects.filter(source_identifier="a").update(status=DatasetStatus.PUBLISHED)

    job = run_import("v2.csv", csv(ROWS[0].replace("Vibration", "Changed"), ROWS[1]))

    assert outcomes(job) == {"a": "updated", "b": "created"}
    assert Dataset.objects.get(source_identifier="a").status == DatasetStatus.PUBLISHED
    assert Dataset.objects.get(source_identifier="b").status == DatasetStatus.DRAFT


def test_a_finished_real_import_is_audited_with_its_totals(run_import, world):
    job = run_import("v1.csv", csv(*ROWS))

    event = AuditEvent.objects.get(action="import.succeeded")
    assert event.object_id == str(job.pk)
    assert event.actor == world.users["steward"]
    assert event.steward_organization_ids == [world.acme.pk]
    assert event.data["totals"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert ImportJob.objects.get(pk=job.pk).finished_at is not None
