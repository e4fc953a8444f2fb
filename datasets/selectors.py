"""Read queries for the catalog. Every query starts from what the caller may see."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from accounts.selectors import Actor
from common.pagination import Tiers

from .models import (
    LISTED_STATUSES,
    Dataset,
    DatasetRevision,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    DistributionRole,
    Preview,
    Sensitivity,
    ValidationReport,
    ValidationStatus,
    VersionStatus,
)
from .permissions import can_see_checked_file
from .search import search_query

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,120}")


def dataset_visibility(actor: Actor) -> Q:
    """Drafts and withdrawn datasets: the publisher only. Listed ones: members; public: anyone."""
    if actor.is_secretariat:
        return Q()
    listed = Q(status__in=LISTED_STATUSES)
    if not actor.is_authenticated:
        return listed & Q(sensitivity=Sensitivity.PUBLIC)
    return listed | Q(publisher_id__in=actor.organization_ids)


def dataset_list(*, actor: Actor) -> QuerySet[Dataset]:
    latest = (
        DatasetVersion.objects.filter(dataset_id=OuterRef("pk"), status=VersionStatus.PUBLISHED)
        .order_by("-published_at")
        .values("version")[:1]
    )
    return (
        Dataset.objects.filter(dataset_visibility(actor))
        .select_related("division", "publisher")
        .defer("search_title", "search_body", "search_vector", "search_title_vector")
        .annotate(latest_version=Subquery(latest))
    )


def dataset_drafts_in_progress(*, actor: Actor) -> QuerySet[Dataset]:
    """What the caller's organisations are publishing: their drafts, and their datasets with a
    draft version, each with `draft_version` (the newest draft's string); newest change first."""
    drafts = DatasetVersion.objects.filter(dataset_id=OuterRef("pk"), status=VersionStatus.DRAFT)
    return (
        dataset_list(actor=actor)
        .filter(publisher_id__in=actor.steward_organization_ids)
        .filter(Q(status=DatasetStatus.DRAFT) | Exists(drafts))
        .annotate(draft_version=Subquery(drafts.order_by("-created_at").values("version")[:1]))
        .order_by("-modified_at")
    )


def dataset_search(queryset: QuerySet[Dataset], text: str) -> QuerySet[Dataset]:
    """Matching datasets, annotated with an integer `relevance`: 1 when the title or keywords
    match, 0 when only the description does. Newest first within each (the ordering filter).

    The pagination pages these tiers one query each (common.pagination): titles first,
    then descriptions, each a query PostgreSQL can answer from an index. Ordering all matches
    by relevance in one query, or by ts_rank, sorted every match before the page's LIMIT:
    0.1 to 1 s at 100,000 datasets (docs/benchmarks.md).
    """
    query = search_query(text)
    if query is None:  # nothing searchable (only punctuation): no match, still orderable
        return queryset.none().annotate(relevance=Value(0, output_field=IntegerField()))
    in_title = Tiers((Q(search_title_vector=query), 1), default=0, output_field=IntegerField())
    return queryset.filter(search_vector=query).annotate(relevance=in_title)


def revision_list(*, dataset: Dataset) -> QuerySet[DatasetRevision]:
    """A dataset's history; the caller got `dataset` through the catalog's visibility."""
    return DatasetRevision.objects.filter(dataset=dataset).select_related("created_by")


def dataset_get(*, actor: Actor, key: str) -> Dataset | None:
    """A visible dataset by its UUID or its slug."""
    qs = dataset_list(actor=actor)
    try:
        return qs.filter(pk=uuid.UUID(key)).first()
    except ValueError:
        if not SLUG_RE.fullmatch(key):
            return None  # not a slug either (and never send NUL bytes to PostgreSQL)
        return qs.filter(slug=key).first()


def version_visibility(actor: Actor, dataset: Dataset) -> Q:
    if actor.is_secretariat or actor.is_member_of(dataset.publisher_id):
        return Q()
    return Q(status=VersionStatus.PUBLISHED)


def version_list(*, actor: Actor, dataset: Dataset) -> QuerySet[DatasetVersion]:
    # The newest report of each version in one query (DISTINCT ON), not one per version.
    latest_reports = ValidationReport.objects.order_by("version_id", "-created_at").distinct(
        "version_id"
    )
    return (
        DatasetVersion.objects.filter(dataset=dataset)
        .filter(version_visibility(actor, dataset))
        .defer("schema")
        .prefetch_related(Prefetch("validation_reports", latest_reports, to_attr="latest_reports"))
    )


def validation_report_list(*, version: DatasetVersion) -> QuerySet[ValidationReport]:
    return ValidationReport.objects.filter(version=version).order_by("-created_at")


def distribution_visibility(actor: Actor, dataset: Dataset) -> Q:
    """The checked file (role `sample`) is listed only to whoever may see it
    (`permissions.can_see_checked_file`); the data is listed to whoever sees the version."""
    if can_see_checked_file(actor, dataset):
        return Q()
    return ~Q(role=DistributionRole.SAMPLE)


def distribution_list(*, actor: Actor, version: DatasetVersion) -> QuerySet[Distribution]:
    """The distributions of a version the caller sees (`version.dataset` loaded)."""
    return (
        Distribution.objects.filter(version=version)
        .filter(distribution_visibility(actor, version.dataset))
        .select_related("version")
        .defer("version__schema")
    )


def preview_get(*, actor: Actor, dataset: Dataset, version_id: uuid.UUID | str) -> Preview | None:
    """The preview of a version the caller may see (the version detail's rule), None when the
    version is not visible or has no preview. Shown under the version's current settings,
    should they have changed since it was made (its job is then on the way): never more rows,
    never a column the steward has since excluded."""
    try:
        key = uuid.UUID(str(version_id))
    except ValueError:
        return None
    version = (
        DatasetVersion.objects.filter(dataset=dataset, pk=key)
        .filter(version_visibility(actor, dataset))
        .only("pk", "dataset_id", "preview_rows", "preview_excluded_columns")
        .first()
    )
    if version is None or version.preview_rows == 0:
        return None
    preview = Preview.objects.filter(version=version).first()
    if preview is None:
        return None
    excluded = set(version.preview_excluded_columns)
    hidden = [name for name in preview.columns if name in excluded]
    if hidden:
        keep = [index for index, name in enumerate(preview.columns) if name not in excluded]
        preview.columns = [preview.columns[index] for index in keep]
        preview.excluded_columns = [*preview.excluded_columns, *hidden]
        preview.rows = [[row[index] for index in keep] for row in preview.rows]
    preview.rows = preview.rows[: version.preview_rows]
    preview.row_count = len(preview.rows)
    return preview


def distribution_order() -> QuerySet[Distribution]:
    """Distributions in the order the catalog and Data Packages list them."""
    return Distribution.objects.order_by("created_at", "id")


def distributions_with_reading_hints() -> QuerySet[Distribution]:
    """Distributions in catalog order, each with how its text was found to read when checked:
    `checked_encoding` and `checked_delimiter`, from the latest check of the file itself, else
    from the latest check of a file of the same format in the version (the sample of the
    same export). Empty when no check decoded one."""
    checks = (
        ValidationReport.objects.filter(
            version_id=OuterRef("version_id"), sample__format=OuterRef("format")
        )
        .exclude(encoding="")
        .annotate(
            own=Case(When(sample_id=OuterRef("pk"), then=Value(1)), default=Value(0)),
        )
        .order_by("-own", "-created_at")
    )
    return distribution_order().annotate(
        checked_encoding=Subquery(checks.values("encoding")[:1]),
        checked_delimiter=Subquery(checks.values("delimiter")[:1]),
    )


def datapackage_version_get(
    *, actor: Actor, dataset: Dataset, version_id: uuid.UUID | str
) -> DatasetVersion | None:
    """A version the caller may see (the version detail's rule), with its schema and its
    distributions, for a Data Package descriptor; None when not visible."""
    try:
        key = uuid.UUID(str(version_id))
    except ValueError:
        return None
    version = (
        DatasetVersion.objects.filter(dataset=dataset, pk=key)
        .filter(version_visibility(actor, dataset))
        .prefetch_related(
            Prefetch(
                "distributions",
                distributions_with_reading_hints(),
                to_attr="catalog_distributions",
            )
        )
        .first()
    )
    if version is not None:
        version.dataset = dataset
    return version


def version_of_dataset(*, dataset: Dataset, version_id: uuid.UUID | str) -> DatasetVersion | None:
    """One version of a dataset the caller already sees, or None."""
    return DatasetVersion.objects.filter(pk=version_id, dataset=dataset).first()


# --- the publication rules ---------------------------------------------------------------------
# One home for "what does publishing still need": the version publish's 409, the dataset
# publish's 409, the worker that completes a requested publish and the status endpoint all ask
# these functions. Each entry names the API's own field (`contact_email`, `license`) or a step
# (`schema`, `check`, `file`, `version`), with a machine code and a translated `detail`.


def schema_digest(schema: Any) -> str:
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def latest_report(version: DatasetVersion) -> ValidationReport | None:
    return version.validation_reports.order_by("-created_at").first()


def version_publication_blockers(version: DatasetVersion) -> list[dict[str, str]]:
    """Why this version may not be published yet (`field`, `code`, `message`); empty when it
    may. The version's checks only: its dataset's rules are dataset_publication_missing's."""
    if version.schema is None:
        return [
            {
                "field": "schema",
                "code": "no_schema",
                "message": _(
                    'The version has no schema: accept the inferred one ("schema": '
                    '"inferred") or give one.'
                ),
            }
        ]
    report = latest_report(version)
    if report is None or report.schema_digest != schema_digest(version.schema):
        return [
            {
                "field": "check",
                "code": "not_checked",
                "message": _("The current schema has not been checked."),
            }
        ]
    if report.status in (ValidationStatus.QUEUED, ValidationStatus.RUNNING):
        return [
            {"field": "check", "code": "check_pending", "message": _("The check is still running.")}
        ]
    blockers: list[dict[str, str]] = []
    if report.schema_problems:
        blockers.append(
            {"field": "schema", "code": "schema_invalid", "message": _("The schema is not valid.")}
        )
    elif report.status == ValidationStatus.ERROR:
        # The stored message is English: ours (translated here) or the validator's.
        message = gettext(report.message) if report.message else ""
        blockers.append({"field": "check", "code": "check_error", "message": message})
    if report.sample_id is None:
        blockers.append(
            {"field": "file", "code": "no_sample", "message": _("No file was checked.")}
        )
    elif report.error_count:
        blockers.append(
            {
                "field": "check",
                "code": "sample_failed",
                "message": _("The file does not match the schema."),
            }
        )
    if any(change.get("breaking") for change in report.compatibility):
        blockers.append(
            {
                "field": "schema",
                "code": "incompatible_schema",
                "message": _("The schema breaks compatibility with the previous version."),
            }
        )
    return blockers


def version_has_data(version: DatasetVersion) -> bool:
    """A file or an access URL (the check's file counts: it is the data when it is a data
    distribution)."""
    return Distribution.objects.filter(version=version).exclude(file="", access_url="").exists()


def dataset_publication_missing(
    dataset: Dataset, *, publishing: DatasetVersion | None = None
) -> list[dict[str, str]]:
    """What `dataset` still needs to be published, with `publishing` (a draft version) published
    along with it: [{"field", "code", "detail"}], empty when nothing is missing.

    A dataset publishes only with at least one published version that has a file or an access
    URL, a description, a licence and a contact email."""
    missing: list[dict[str, str]] = []

    def need(field: str, code: str, detail: str) -> None:
        missing.append({"field": field, "code": code, "detail": detail})

    if not (dataset.description_ko or dataset.description_en):
        # Named by the title's language: the description a reader of that title expects.
        need(
            "description_ko" if dataset.title_ko else "description_en",
            "required",
            _("Give a description (description_ko or description_en)."),
        )
    if not dataset.license:
        need("license", "required", _("Choose a licence (the license vocabulary)."))
    if not dataset.contact_email:
        need("contact_email", "required", _("Give a contact email (contact_email)."))
    if publishing is not None:
        for blocker in version_publication_blockers(publishing):
            need(blocker["field"], blocker["code"], blocker["message"])
        if not version_has_data(publishing):
            need("file", "no_data", _("The version has no file and no access URL."))
        return missing
    published = DatasetVersion.objects.filter(dataset=dataset, status=VersionStatus.PUBLISHED)
    with_data = Distribution.objects.filter(version=OuterRef("pk")).exclude(file="", access_url="")
    if not published.filter(Exists(with_data)).exists():
        need(
            "version",
            "no_published_version",
            _("Publish a version with a file or an access URL first (or with this publish)."),
        )
    return missing
