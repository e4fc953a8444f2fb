"""Read queries for the catalog. Every query starts from what the caller may see."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
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

from accounts.models import Division, Organization
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


# --- facets: the catalog's counts by value ---------------------------------------------------

# The filters a catalog counts by value, each by the name of its API filter.
FACETS = ("division", "theme", "format", "sensitivity", "license", "publisher")
FACET_LIMIT = 10
FACET_CACHE_SECONDS = 60
# The column each facet groups by (division and publisher by id; their codes come by a join).
_FACET_COLUMNS = {
    "division": "division_id",
    "theme": "theme",
    "format": "formats",
    "sensitivity": "sensitivity",
    "license": "license",
    "publisher": "publisher_id",
}


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: as its filter takes it (a division's code, a publisher's slug, a
    vocabulary's code), the number of datasets with it, and for divisions and publishers their
    names (vocabularies are labelled by their choices)."""

    value: str
    count: int
    name_ko: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Facet:
    values: list[FacetValue]
    more: bool  # more values have datasets than the top ones listed


def visibility_scope(actor: Actor) -> str:
    """What decides the datasets a caller sees (`dataset_visibility`), as a cache key part:
    callers with the same scope see the same catalog."""
    if actor.is_secretariat:
        return "secretariat"
    if not actor.is_authenticated:
        return "anonymous"
    return "orgs-" + "-".join(str(pk) for pk in sorted(actor.organization_ids))


def dataset_facets(
    *,
    queryset: QuerySet[Dataset],
    conditions: Mapping[str, Q],
    chosen: Mapping[str, Collection[str]],
    limit: int = FACET_LIMIT,
) -> dict[str, Facet]:
    """Counts of `queryset`'s datasets by division, theme, format, sensitivity, licence and
    publisher, in ONE query: the top `limit` values of each by count, plus the `chosen` ones.

    `queryset` is the caller's visible set narrowed by every filter but the facets';
    `conditions` are the facets' own filters (the rows each facet's chosen values keep). Each
    facet is counted under every other facet's condition but not its own (standard faceting:
    a facet shows what choosing another of its values would add). A dataset counts once per
    format it lists.

    `GROUP BY GROUPING SETS` gives the six groupings from one pass over the matches. Formats
    are grouped by the whole list (a few hundred distinct lists at 100,000 datasets), then
    unnested: unnesting first would double the rows to aggregate. A facet that is not chosen
    counts under all the chosen ones and a chosen one under the others: one count per chosen
    facet plus one. A window keeps the first `limit + 1` values of each facet (one more says
    there are more). Figures at 100,000 datasets: docs/adr/0012; the page caches them.
    """
    # A CASE, not the bare condition: Django selects an integer 0 for a condition that can
    # match nothing (an unknown division code), which FILTER would refuse.
    flags = {
        f"facet_in_{name}": Case(
            When(conditions[name], then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        for name in FACETS
        if name in conditions
    }
    base = (
        queryset.order_by()
        .annotate(**flags)
        .values("division_id", "theme", "sensitivity", "license", "publisher_id", "formats", *flags)
    )
    base_sql, base_params = base.query.sql_with_params()

    def under(skipped: str | None) -> str:
        terms = [f"facet_in_{name}" for name in FACETS if name in conditions and name != skipped]
        return f"count(*) FILTER (WHERE {' AND '.join(terms)})" if terms else "count(*)"

    counts = ", ".join(
        [f"{under(None)} AS hits_all"]
        + [f"{under(name)} AS hits_but_{name}" for name in FACETS if name in conditions]
    )
    own = [f"WHEN '{name}' THEN hits_but_{name}" for name in FACETS if name in conditions]
    hits = f"CASE facet {' '.join(own)} ELSE hits_all END" if own else "hits_all"
    format_hits = "hits_but_format" if "format" in conditions else "hits_all"
    which = " ".join(f"WHEN GROUPING({_FACET_COLUMNS[name]}) = 0 THEN '{name}'" for name in FACETS)
    sets = ", ".join(f"({column})" for column in _FACET_COLUMNS.values())
    division_table = Division._meta.db_table
    organization_table = Organization._meta.db_table
    # Only code's identifiers and Django's compiled SQL are formatted in; values are parameters.
    sql = f"""
        WITH grouped AS (
            SELECT CASE {which} END AS facet,
                   COALESCE(theme, sensitivity, license) AS code,
                   COALESCE(division_id, publisher_id) AS key_id,
                   formats, {counts}
            FROM ({base_sql}) AS base
            GROUP BY GROUPING SETS ({sets})
        ),
        counted AS (
            SELECT facet, code, key_id, {hits} AS hits
            FROM grouped WHERE facet <> 'format'
            UNION ALL
            SELECT 'format', f.code, NULL, sum({format_hits})::bigint
            FROM grouped CROSS JOIN LATERAL unnest(grouped.formats) AS f(code)
            WHERE grouped.facet = 'format'
            GROUP BY f.code
        ),
        ranked AS (
            SELECT facet, code, key_id, hits,
                   row_number() OVER (PARTITION BY facet ORDER BY hits DESC, code, key_id)
                       AS place
            FROM counted
            WHERE hits > 0
        )
        SELECT r.facet, COALESCE(d.code, o.slug, r.code) AS value, r.hits, r.place,
               COALESCE(d.name_ko, o.name_ko, ''), COALESCE(d.name_en, o.name_en, '')
        FROM ranked r
        LEFT JOIN {division_table} d ON r.facet = 'division' AND d.id = r.key_id
        LEFT JOIN {organization_table} o ON r.facet = 'publisher' AND o.id = r.key_id
        WHERE r.place <= %s OR r.facet || ':' || COALESCE(d.code, o.slug, r.code) = ANY(%s)
        ORDER BY r.facet, r.place
    """  # noqa: S608
    keep = [f"{name}:{value}" for name, values in chosen.items() for value in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*base_params, limit + 1, keep])
        rows = cursor.fetchall()
    facets = {name: Facet(values=[], more=False) for name in FACETS}
    for name, value, hits, place, name_ko, name_en in rows:
        facet = facets[name]
        if place > limit and value not in chosen.get(name, ()):
            facets[name] = Facet(values=facet.values, more=True)
            continue
        facet.values.append(FacetValue(value, hits, name_ko, name_en))
    for name, values in chosen.items():
        listed = {item.value for item in facets[name].values}
        # A chosen value no dataset has under the other facets: listed with 0, still untickable.
        facets[name].values.extend(FacetValue(value, 0) for value in values if value not in listed)
    return facets


def dataset_facets_cached(
    *,
    actor: Actor,
    filters: Mapping[str, Any],
    queryset: QuerySet[Dataset],
    conditions: Mapping[str, Q],
    chosen: Mapping[str, Collection[str]],
    limit: int = FACET_LIMIT,
    timeout: int = FACET_CACHE_SECONDS,
) -> dict[str, Facet]:
    """`dataset_facets`, kept `timeout` seconds in the cache under the caller's visibility
    scope and the normalised `filters` that made `queryset` (the cache fails open: without
    Redis every call counts)."""
    normalised = json.dumps(
        {"filters": filters, "limit": limit}, sort_keys=True, default=str, ensure_ascii=False
    )
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:32]
    key = f"catalog-facets:v1:{visibility_scope(actor)}:{digest}"
    facets: dict[str, Facet] | None = cache.get(key)
    if facets is None:
        facets = dataset_facets(
            queryset=queryset, conditions=conditions, chosen=chosen, limit=limit
        )
        cache.set(key, facets, timeout)
    return facets


@dataclass(frozen=True)
class CheckBadge:
    """What a catalog card says of a dataset's latest published version."""

    version: str
    check_status: str | None  # its newest check's status (ValidationStatus), None if unchecked
    waiver_reason: str


def dataset_check_badges(*, dataset_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, CheckBadge]:
    """For datasets the caller sees: their latest published version's check and waiver (both
    shown to whoever sees the version), in one query. Datasets with no published version are
    absent."""
    newest_check = (
        ValidationReport.objects.filter(version_id=OuterRef("pk"))
        .order_by("-created_at")
        .values("status")[:1]
    )
    rows = (
        DatasetVersion.objects.filter(dataset_id__in=dataset_ids, status=VersionStatus.PUBLISHED)
        # The version `dataset_list` calls latest.
        .order_by("dataset_id", "-published_at")
        .distinct("dataset_id")
        .annotate(check_status=Subquery(newest_check))
        .values_list("dataset_id", "version", "check_status", "waiver_reason")
    )
    return {
        dataset_id: CheckBadge(version, check_status, waiver_reason)
        for dataset_id, version, check_status, waiver_reason in rows
    }


def dataset_draft_list(*, actor: Actor) -> QuerySet[Dataset]:
    """Drafts of the organisations the caller stewards (what waits for them to publish)."""
    return Dataset.objects.filter(
        publisher_id__in=actor.steward_organization_ids, status=DatasetStatus.DRAFT
    )


def dataset_check_failed_list(*, actor: Actor) -> QuerySet[Dataset]:
    """Datasets of the organisations the caller stewards with a draft version whose latest
    check failed or could not run (what waits for them to fix)."""
    latest = ValidationReport.objects.filter(version_id=OuterRef("pk")).order_by("-created_at")
    failing = (
        DatasetVersion.objects.filter(dataset_id=OuterRef("pk"), status=VersionStatus.DRAFT)
        .annotate(latest_status=Subquery(latest.values("status")[:1]))
        .filter(latest_status__in=[ValidationStatus.FAILED, ValidationStatus.ERROR])
    )
    return Dataset.objects.filter(publisher_id__in=actor.steward_organization_ids).filter(
        Exists(failing)
    )


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
        # Whether it has one, without loading each (the serializer's `has_schema`).
        .annotate(
            schema_present=ExpressionWrapper(Q(schema__isnull=False), output_field=BooleanField())
        )
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
