"""Dataset metadata, versions and distributions (DCAT's Dataset and Distribution)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, Organization
from common.models import TimeStampedModel, uuid7


class Theme(models.TextChoices):
    SENSOR_TIME_SERIES = "sensor_time_series", _("Sensor time series")
    MACHINE_VISION_IMAGES = "machine_vision_images", _("Machine-vision images")
    PROCESS_QUALITY_RECORDS = "process_quality_records", _("Process and quality records")
    MAINTENANCE_LOGS = "maintenance_logs", _("Maintenance logs")
    ROBOT_TRAJECTORIES = "robot_trajectories", _("Robot trajectories")
    CAD_3D = "cad_3d", _("CAD and 3D models")
    DOCUMENTS = "documents", _("Documents")
    ENERGY = "energy", _("Energy and utilities")
    LOGISTICS = "logistics", _("Logistics and supply chain")
    SIMULATION = "simulation", _("Simulation and synthetic data")
    OTHER = "other", _("Other")


class DataFormat(models.TextChoices):
    CSV = "csv", "CSV"
    TSV = "tsv", "TSV"
    JSONL = "jsonl", _("JSON Lines")
    JSON = "json", "JSON"
    PARQUET = "parquet", "Parquet"
    XLSX = "xlsx", _("Excel workbook (XLSX)")
    HDF5 = "hdf5", "HDF5"
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"
    TIFF = "tiff", "TIFF"
    MP4 = "mp4", "MP4"
    STL = "stl", "STL"
    STEP = "step", "STEP"
    PDF = "pdf", "PDF"
    XML = "xml", "XML"
    ZIP = "zip", "ZIP"


class License(models.TextChoices):
    CC_BY_4_0 = "CC-BY-4.0", "CC BY 4.0"
    CC_BY_SA_4_0 = "CC-BY-SA-4.0", "CC BY-SA 4.0"
    CC_BY_NC_4_0 = "CC-BY-NC-4.0", "CC BY-NC 4.0"
    CC0_1_0 = "CC0-1.0", "CC0 1.0"
    KOGL_TYPE_1 = "KOGL-Type-1", _("Korea Open Government Licence type 1")
    KOGL_TYPE_2 = "KOGL-Type-2", _("Korea Open Government Licence type 2")
    KOGL_TYPE_3 = "KOGL-Type-3", _("Korea Open Government Licence type 3")
    KOGL_TYPE_4 = "KOGL-Type-4", _("Korea Open Government Licence type 4")
    ALLIANCE_DATA_SHARING = "MAX-DSA-1.0", _("M.AX alliance data-sharing agreement")
    PROPRIETARY = "proprietary", _("Proprietary: terms set by the access policy")


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Alliance members")
    CONFIDENTIAL = "confidential", _("Confidential")
    RESTRICTED = "restricted", _("Restricted")


class UpdateFrequency(models.TextChoices):
    CONTINUOUS = "continuous", _("Continuous")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    ANNUAL = "annual", _("Annual")
    IRREGULAR = "irregular", _("Irregular")
    NEVER = "never", _("Never (one-off)")


class DatasetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    DEPRECATED = "deprecated", _("Deprecated")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CompatibilityMode(models.TextChoices):
    """As Confluent's Schema Registry defines them, between consecutive published versions."""

    BACKWARD = "backward", _("Backward: consumers of the new schema read the previous data")
    FORWARD = "forward", _("Forward: consumers of the previous schema read the new data")
    FULL = "full", _("Full: both")
    NONE = "none", _("None: no check")


class SchemaKind(models.TextChoices):
    TABLE_SCHEMA = "table_schema", _("Frictionless Table Schema (CSV, TSV, Parquet)")
    JSON_SCHEMA = "json_schema", _("JSON Schema (JSON Lines records)")


class StripVector(Func):
    """PostgreSQL's strip(tsvector): the lexemes without positions or weights."""

    function = "strip"
    output_field = SearchVectorField()


# Slugs a dataset may not take: they name routes beside the dataset detail
# (POST /api/v1/datasets/from-file/).
RESERVED_SLUGS = frozenset({"from-file"})

# Statuses whose metadata other organisations may see.
LISTED_STATUSES = (DatasetStatus.PUBLISHED, DatasetStatus.DEPRECATED)


class Dataset(TimeStampedModel):
    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=False)
    title_ko = models.CharField(_("title (Korean)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="datasets"
    )
    publisher = models.ForeignKey(
        Organization,
        verbose_name=_("publisher"),
        on_delete=models.PROTECT,
        related_name="datasets",
    )
    keywords = ArrayField(
        models.CharField(max_length=60),
        verbose_name=_("keywords"),
        default=list,
        blank=True,
        size=50,
    )
    theme = models.CharField(_("theme"), max_length=40, choices=Theme.choices)
    formats = ArrayField(
        models.CharField(max_length=20, choices=DataFormat.choices),
        verbose_name=_("formats"),
        default=list,
        blank=True,
        size=20,
    )
    temporal_start = models.DateField(_("temporal coverage start"), null=True, blank=True)
    temporal_end = models.DateField(_("temporal coverage end"), null=True, blank=True)
    spatial = models.CharField(
        _("spatial coverage"),
        max_length=200,
        blank=True,
        help_text=_("Plant, site or region the data comes from."),
    )
    update_frequency = models.CharField(
        _("update frequency"),
        max_length=20,
        choices=UpdateFrequency.choices,
        default=UpdateFrequency.IRREGULAR,
    )
    # Blank only on a draft made from a file with no licence given or defaulted: publishing
    # asks for it (datasets.selectors.dataset_publication_missing).
    license = models.CharField(_("licence"), max_length=30, choices=License.choices, blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=20, choices=Sensitivity.choices, default=Sensitivity.MEMBERS
    )
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    compatibility_mode = models.CharField(
        _("compatibility mode"),
        max_length=20,
        choices=CompatibilityMode.choices,
        default=CompatibilityMode.BACKWARD,
    )
    # The record's identifier in the catalog it was imported from (DCAT dct:identifier, CKAN
    # id, CSV identifier): a second import of the same source updates instead of duplicating.
    # A database default too, for writers that list columns (the benchmark's COPY).
    source_identifier = models.CharField(
        _("source identifier"), max_length=300, blank=True, default="", db_default=""
    )

    # Search: lexeme streams (see datasets.search) and the vectors PostgreSQL derives from them,
    # stripped of positions, which the search never uses (an AND of lexemes, no phrases).
    search_title = models.TextField(_("search tokens (title)"), blank=True, editable=False)
    search_body = models.TextField(_("search tokens (body)"), blank=True, editable=False)
    search_vector = models.GeneratedField(
        expression=StripVector(
            SearchVector("search_title", config="simple")
            + SearchVector("search_body", config="simple")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("search vector"),
    )
    # Titles and keywords alone: the first tier of search results (datasets.selectors), with
    # its own GIN index for rare words and small enough to test row by row for common ones.
    search_title_vector = models.GeneratedField(
        expression=StripVector(SearchVector("search_title", config="simple")),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("search vector (title)"),
    )

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["-modified_at", "id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="dataset_search_gin"),
            GinIndex(fields=["search_title_vector"], name="dataset_search_title_gin"),
            GinIndex(fields=["keywords"], name="dataset_keywords_gin"),
            GinIndex(fields=["formats"], name="dataset_formats_gin"),
            models.Index(fields=["status", "sensitivity", "-modified_at"], name="dataset_listing"),
            # The members' visibility test (listed status OR own publisher) as an index-only scan.
            models.Index(fields=["status", "publisher"], name="dataset_status_publisher"),
            models.Index(fields=["publisher", "-modified_at"], name="dataset_publisher_modified"),
            models.Index(fields=["division", "-modified_at"], name="dataset_division_modified"),
            # The catalog's facet counts (selectors.dataset_facets) from the index alone: the
            # visibility's columns as keys, the counted ones included. Without it the count
            # reads the whole table (420 MB at 100,000 datasets) instead of 13 MB.
            models.Index(
                fields=["status", "sensitivity", "publisher"],
                include=["division", "theme", "license", "formats"],
                name="dataset_facets",
            ),
            # The stats of a division (stats): its listed datasets by publisher, and
            # the ids its requests, versions and checks join on, from the index alone.
            models.Index(
                fields=["division", "status", "publisher"],
                include=["id", "published_at"],
                name="dataset_division_stats",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title_ko="") | ~Q(title_en=""), name="dataset_has_a_title"
            ),
            models.CheckConstraint(
                condition=Q(temporal_start__isnull=True)
                | Q(temporal_end__isnull=True)
                | Q(temporal_start__lte=models.F("temporal_end")),
                name="dataset_temporal_ordered",
            ),
            # Partial: datasets made by hand have no source identifier.
            models.UniqueConstraint(
                fields=["publisher", "source_identifier"],
                condition=~Q(source_identifier=""),
                name="dataset_source_identifier_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title_ko or self.title_en

    @property
    def title(self) -> str:
        return self.title_ko or self.title_en

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # Keywords and formats are sets kept in the order given: surrounding spaces, blanks and
        # repeats go before the fields are checked (which would refuse a blank keyword).
        keywords = (keyword.strip() for keyword in self.keywords or [])
        self.keywords = list(dict.fromkeys(keyword for keyword in keywords if keyword))
        self.formats = list(dict.fromkeys(self.formats or []))
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        # On the field a form shows it by. The database backs both rules with a constraint,
        # which full_clean then skips: the field's message says more than the constraint's.
        errors: dict[str, ValidationError] = {}
        if not (self.title_ko or self.title_en):
            errors["title_ko"] = ValidationError(_("Give a title in Korean or English (or both)."))
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = ValidationError(_("This slug is reserved; choose another."))
        if self.temporal_start and self.temporal_end and self.temporal_start > self.temporal_end:
            errors["temporal_end"] = ValidationError(_("Must not be before temporal_start."))
        if errors:
            raise ValidationError(errors)


# A dataset's metadata, in the order the API lists it: what its stewards set (through the API,
# the admin or an import) and what every revision records. Not metadata: the publisher (fixed
# when the dataset is made), the status and its dates (the lifecycle), the search columns
# (derived). The API's input, the CSV import's columns and the revisions derive from this list.
DATASET_METADATA_FIELDS: tuple[str, ...] = (
    "slug",
    "title_ko",
    "title_en",
    "description_ko",
    "description_en",
    "division",
    "keywords",
    "theme",
    "formats",
    "temporal_start",
    "temporal_end",
    "spatial",
    "update_frequency",
    "license",
    "sensitivity",
    "contact_name",
    "contact_email",
    "compatibility_mode",
    "source_identifier",
)


# A version's preview: how many rows by default, and at most.
PREVIEW_ROWS_DEFAULT = 20
PREVIEW_ROWS_MAX = 100


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class DatasetVersion(TimeStampedModel):
    """A release of a dataset. Immutable once published."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.CharField(
        # In a context: django.contrib.auth's catalog has "version" too, and it takes precedence.
        pgettext_lazy("dataset", "version"),
        max_length=40,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z._+-]*$",
                _("Use letters, digits, '.', '_', '+' or '-' (e.g. 1.0.0 or 2025-10)."),
            )
        ],
    )
    release_notes = models.TextField(_("release notes"), blank=True)
    record_count = models.BigIntegerField(
        _("record count"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    byte_size = models.BigIntegerField(
        _("size in bytes"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The structure its data follows (DCAT dct:conformsTo); checked by the workers.
    schema = models.JSONField(_("schema"), null=True, blank=True)
    schema_kind = models.CharField(
        _("schema kind"), max_length=20, choices=SchemaKind.choices, blank=True
    )
    # Published although its checks did not pass: the steward's reason, shown to every reader.
    waiver_reason = models.TextField(_("waiver reason"), blank=True)
    waived_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("waived by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A publish asked for while the file is checked against a new schema: the worker publishes
    # when the check passes (and drops the request, saying why, when it does not).
    publish_requested_at = models.DateTimeField(_("publish requested at"), null=True, blank=True)
    publish_requested_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("publish requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # In English (gettext_noop), shown in the reader's language; empty while none was dropped.
    publish_request_dropped_reason = models.TextField(
        _("publish request dropped because"), blank=True
    )
    # What members see of the checked file instead of the file (Preview): its first rows,
    # without the columns named here. Changeable after publication: they are not the release.
    preview_rows = models.PositiveSmallIntegerField(
        _("preview rows"),
        default=PREVIEW_ROWS_DEFAULT,
        validators=[MaxValueValidator(PREVIEW_ROWS_MAX)],
        help_text=_("Rows of the checked file shown as its preview (0 to 100; 0: no preview)."),
    )
    preview_excluded_columns = ArrayField(
        models.CharField(max_length=300),
        verbose_name=_("columns left out of the preview"),
        default=list,
        blank=True,
        size=1000,
        help_text=_("Sensitive columns the preview leaves out (the schema's field names)."),
    )

    class Meta:
        verbose_name = _("dataset version")
        verbose_name_plural = _("dataset versions")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "version"], name="version_unique_per_dataset"
            ),
            models.CheckConstraint(
                condition=Q(preview_rows__lte=PREVIEW_ROWS_MAX), name="version_preview_rows_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.version}"

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        # A set kept in the order given, like a dataset's keywords.
        names = (name.strip() for name in self.preview_excluded_columns or [])
        self.preview_excluded_columns = list(dict.fromkeys(name for name in names if name))
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        known = schema_field_names(self.schema, self.schema_kind)
        if known is None:
            return
        unknown = [name for name in self.preview_excluded_columns if name not in known]
        if unknown:
            raise ValidationError(
                {
                    "preview_excluded_columns": ValidationError(
                        _("Not fields of the schema: %(names)s."),
                        params={"names": ", ".join(unknown)},
                        code="unknown_field",
                    )
                }
            )


PREVIEW_FIELDS = ("preview_rows", "preview_excluded_columns")


def schema_field_names(schema: object, kind: str) -> set[str] | None:
    """The column names a schema declares (a Table Schema's fields, a JSON Schema's top-level
    properties); None when there is no schema or it names none."""
    if not isinstance(schema, dict):
        return None
    if kind == SchemaKind.JSON_SCHEMA:
        properties = schema.get("properties")
        return {str(name) for name in properties} if isinstance(properties, dict) else None
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return None
    return {str(field["name"]) for field in fields if isinstance(field, dict) and "name" in field}


def distribution_upload_to(instance: Distribution, filename: str) -> str:
    return f"distributions/{instance.version_id}/{uuid.uuid4().hex}/{filename}"


class DistributionRole(models.TextChoices):
    DATA = "data", _("The data")
    # The checked file: its publisher's data stewards and the secretariat see it; everyone
    # who sees the version sees its Preview instead.
    SAMPLE = "sample", _("A sample, checked against the schema (DCAT adms:sample)")


class Distribution(TimeStampedModel):
    """One way to get a version's data: a file in storage or an access URL."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=_("dataset version"),
        on_delete=models.CASCADE,
        related_name="distributions",
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    format = models.CharField(_("format"), max_length=20, choices=DataFormat.choices)
    media_type = models.CharField(_("media type"), max_length=100)
    byte_size = models.BigIntegerField(
        _("size in bytes"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    sha256 = models.CharField(
        _("SHA-256"),
        max_length=64,
        blank=True,
        validators=[RegexValidator(r"^[0-9a-f]{64}$", _("A lower-case hex SHA-256 digest."))],
    )
    file = models.FileField(_("file"), upload_to=distribution_upload_to, blank=True, max_length=500)
    access_url = models.URLField(_("access URL"), max_length=1000, blank=True)
    role = models.CharField(
        pgettext_lazy("distribution", "role"),
        max_length=10,
        choices=DistributionRole.choices,
        default=DistributionRole.DATA,
    )
    # Reading hints for CSV/TSV: empty means detect (the report says what was found).
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    # The sheet of an Excel workbook that holds the table: empty means the first visible one.
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(access_url=""), name="distribution_has_file_or_url"
            )
        ]

    def __str__(self) -> str:
        return self.title or gettext("%(format)s distribution") % {"format": self.format}

    @property
    def file_name(self) -> str:
        """The stored file's name, as a download names it ("" for an access URL)."""
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""

    def clean(self) -> None:
        # The database backs it with a constraint (which full_clean then skips).
        if not self.file and not self.access_url:
            raise ValidationError(
                {"access_url": ValidationError(_("Give an access_url or upload a file."))}
            )


class ValidationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    ERROR = "error", _("Error: the schema or the file could not be checked")


class ValidationReport(models.Model):
    """One check of a version by the workers: its schema, its sample, and compatibility."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=_("dataset version"),
        on_delete=models.CASCADE,
        related_name="validation_reports",
    )
    sample = models.ForeignKey(
        Distribution,
        verbose_name=_("sample"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ValidationStatus.choices,
        default=ValidationStatus.QUEUED,
    )
    # In English (the validator's words, or ours marked with gettext_noop); the API shows the
    # registry's own messages in the reader's language.
    message = models.TextField(_("message"), blank=True)
    schema_problems = models.JSONField(_("schema problems"), default=list, blank=True)
    compatibility = models.JSONField(_("compatibility changes"), default=list, blank=True)
    row_count = models.BigIntegerField(_("row count"), null=True, blank=True)
    error_count = models.BigIntegerField(_("error count"), null=True, blank=True)
    errors_by_code = models.JSONField(_("errors by code"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    profile = models.JSONField(_("profile"), default=list, blank=True)
    inferred_schema = models.JSONField(_("inferred schema"), null=True, blank=True)
    # SHA-256 of the schema that was checked: publication needs it to be the current one.
    schema_digest = models.CharField(_("schema digest"), max_length=64, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    # The sample was read with no schema to check it against: the version still needs one
    # (accept the inferred schema, or upload one).
    schema_needed = models.BooleanField(_("schema needed"), default=False)
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Running: until when the worker's claim holds (renewed while it works); queued: when the
    # sweep may hand the job out again (common.jobs).
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("validation report")
        verbose_name_plural = _("validation reports")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["version", "-created_at"], name="report_version_created"),
            models.Index(fields=["status", "started_at"], name="report_status_started"),
            models.Index(
                fields=["status", "lease_expires_at"],
                name="report_unfinished_lease",
                condition=models.Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return gettext("validation report %(id)s (%(status)s)") % {
            "id": self.id,
            "status": self.get_status_display(),
        }


class Preview(models.Model):
    """The first rows of a version's checked file, made by the workers and stored on its own:
    what members see of the data before they have it. Never the excluded columns."""

    version = models.OneToOneField(
        DatasetVersion,
        verbose_name=_("dataset version"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="preview",
    )
    # The checked file it shows: when that goes, its preview goes with it.
    source = models.ForeignKey(
        Distribution,
        verbose_name=_("source distribution"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    report = models.ForeignKey(
        ValidationReport,
        verbose_name=_("validation report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    columns = models.JSONField(_("columns"), default=list, blank=True)
    excluded_columns = models.JSONField(_("excluded columns"), default=list, blank=True)
    rows = models.JSONField(_("rows"), default=list, blank=True)
    row_count = models.PositiveSmallIntegerField(_("row count"), default=0)
    # The version's settings it was made with (a change makes it again).
    max_rows = models.PositiveSmallIntegerField(_("rows asked for"), default=0)
    exclude = models.JSONField(_("columns asked to leave out"), default=list, blank=True)
    made_at = models.DateTimeField(_("made at"))

    class Meta:
        verbose_name = _("preview")
        verbose_name_plural = _("previews")

    def __str__(self) -> str:
        return gettext("preview of %(version)s") % {"version": self.version_id}


# --- imports and revisions ------------------------------------------------------------------


class ImportFormat(models.TextChoices):
    DCAT = "dcat", _("DCAT (JSON-LD or Turtle)")
    CKAN = "ckan", _("CKAN API JSON (package_search or package_show)")
    CSV = "csv", _("CSV (the registry's column set)")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed: the source could not be read")


IMPORT_OUTCOMES = ("created", "updated", "unchanged", "rejected")


def import_totals_default() -> dict[str, int]:
    return dict.fromkeys(IMPORT_OUTCOMES, 0)


def import_upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.pk}/{filename}"


class ImportJob(models.Model):
    """One import of catalog metadata into an organisation, processed by the workers.

    Progress, totals and the (bounded) per-record report are committed batch by batch, so they
    show how far the job got, and a job whose worker died resumes after the last batch.
    """

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="import_jobs",
    )
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # As given, else as detected when the job runs (empty until then).
    format = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices, blank=True)
    source_name = models.CharField(_("source name"), max_length=255, blank=True)
    source_url = models.URLField(_("source URL"), max_length=2000, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    file = models.FileField(_("file"), upload_to=import_upload_to, blank=True, max_length=500)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # For records that name no division (new datasets only).
    division = models.ForeignKey(
        Division,
        verbose_name=_("default division"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    records_processed = models.PositiveIntegerField(_("records processed"), default=0)
    records_total = models.PositiveIntegerField(_("records in total"), null=True, blank=True)
    totals = models.JSONField(_("totals"), default=import_totals_default)
    report = models.JSONField(_("report"), default=list, blank=True)
    report_truncated = models.BooleanField(_("report truncated"), default=False)
    # Stored in English with their templates and parameters; shown in the reader's language.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # {"code": ..., "detail": ..., and e.g. "limit_bytes"} when the job failed.
    error = models.JSONField(_("error"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Running: until when the worker's claim holds (renewed by its heartbeats); queued: when the
    # sweep may hand the job out again (common.jobs).
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="import_org_created"),
            models.Index(fields=["status", "heartbeat_at"], name="import_status_heartbeat"),
            models.Index(
                fields=["status", "lease_expires_at"],
                name="import_unfinished_lease",
                condition=models.Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return gettext("import job %(id)s (%(status)s)") % {
            "id": self.id,
            "status": self.get_status_display(),
        }


class DatasetRevision(models.Model):
    """The dataset's metadata after one change, numbered from 1 (its creation)."""

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("revision number"))
    snapshot = models.JSONField(_("snapshot"))
    changed_fields = ArrayField(
        models.CharField(max_length=40), verbose_name=_("changed fields"), default=list, blank=True
    )
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    import_job = models.ForeignKey(
        ImportJob,
        verbose_name=_("import job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revisions",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dataset revision")
        verbose_name_plural = _("dataset revisions")
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="revision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} r{self.number}"
