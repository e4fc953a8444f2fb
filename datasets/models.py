"""Dataset metadata, versions and distributions (DCAT's Dataset and Distribution)."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Func, Q
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
    JSONL = "jsonl", "JSON Lines"
    JSON = "json", "JSON"
    PARQUET = "parquet", "Parquet"
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


# Statuses whose metadata other organisations may see.
LISTED_STATUSES = (DatasetStatus.PUBLISHED, DatasetStatus.DEPRECATED)


class Dataset(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    slug = models.SlugField(max_length=120, unique=True, allow_unicode=False)
    title_ko = models.CharField(max_length=300, blank=True)
    title_en = models.CharField(max_length=300, blank=True)
    description_ko = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="datasets")
    publisher = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="datasets")
    keywords = ArrayField(models.CharField(max_length=60), default=list, blank=True, size=50)
    theme = models.CharField(max_length=40, choices=Theme.choices)
    formats = ArrayField(
        models.CharField(max_length=20, choices=DataFormat.choices),
        default=list,
        blank=True,
        size=20,
    )
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    spatial = models.CharField(
        max_length=200, blank=True, help_text=_("Plant, site or region the data comes from.")
    )
    update_frequency = models.CharField(
        max_length=20, choices=UpdateFrequency.choices, default=UpdateFrequency.IRREGULAR
    )
    license = models.CharField(max_length=30, choices=License.choices)
    sensitivity = models.CharField(
        max_length=20, choices=Sensitivity.choices, default=Sensitivity.MEMBERS
    )
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=20, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    compatibility_mode = models.CharField(
        max_length=20, choices=CompatibilityMode.choices, default=CompatibilityMode.BACKWARD
    )
    # The record's identifier in the catalog it was imported from (DCAT dct:identifier, CKAN
    # id, CSV identifier): a second import of the same source updates instead of duplicating.
    # A database default too, for writers that list columns (the benchmark's COPY).
    source_identifier = models.CharField(max_length=300, blank=True, default="", db_default="")

    # Search: lexeme streams (see datasets.search) and the vectors PostgreSQL derives from them,
    # stripped of positions, which the search never uses (an AND of lexemes, no phrases).
    search_title = models.TextField(blank=True, editable=False)
    search_body = models.TextField(blank=True, editable=False)
    search_vector = models.GeneratedField(
        expression=StripVector(
            SearchVector("search_title", config="simple")
            + SearchVector("search_body", config="simple")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # Titles and keywords alone: the first tier of search results (datasets.selectors), with
    # its own GIN index for rare words and small enough to test row by row for common ones.
    search_title_vector = models.GeneratedField(
        expression=StripVector(SearchVector("search_title", config="simple")),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
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


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class DatasetVersion(TimeStampedModel):
    """A release of a dataset. Immutable once published."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(
        max_length=40,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z._+-]*$",
                _("Use letters, digits, '.', '_', '+' or '-' (e.g. 1.0.0 or 2025-10)."),
            )
        ],
    )
    release_notes = models.TextField(blank=True)
    record_count = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(0)])
    byte_size = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(0)])
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # The structure its data follows (DCAT dct:conformsTo); checked by the workers.
    schema = models.JSONField(null=True, blank=True)
    schema_kind = models.CharField(max_length=20, choices=SchemaKind.choices, blank=True)
    # Published although its checks did not pass: the steward's reason, shown to every reader.
    waiver_reason = models.TextField(blank=True)
    waived_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "version"], name="version_unique_per_dataset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.version}"


def distribution_upload_to(instance: Distribution, filename: str) -> str:
    return f"distributions/{instance.version_id}/{uuid.uuid4().hex}/{filename}"


class DistributionRole(models.TextChoices):
    DATA = "data", _("The data")
    SAMPLE = "sample", _("A sample, checked against the schema (DCAT adms:sample)")


class Distribution(TimeStampedModel):
    """One way to get a version's data: a file in storage or an access URL."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    version = models.ForeignKey(
        DatasetVersion, on_delete=models.CASCADE, related_name="distributions"
    )
    title = models.CharField(max_length=300, blank=True)
    format = models.CharField(max_length=20, choices=DataFormat.choices)
    media_type = models.CharField(max_length=100)
    byte_size = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(0)])
    sha256 = models.CharField(
        max_length=64,
        blank=True,
        validators=[RegexValidator(r"^[0-9a-f]{64}$", _("A lower-case hex SHA-256 digest."))],
    )
    file = models.FileField(upload_to=distribution_upload_to, blank=True, max_length=500)
    access_url = models.URLField(max_length=1000, blank=True)
    role = models.CharField(
        max_length=10, choices=DistributionRole.choices, default=DistributionRole.DATA
    )
    # Reading hints for CSV/TSV: empty means detect (the report says what was found).
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(access_url=""), name="distribution_has_file_or_url"
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.format} distribution"


class ValidationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    ERROR = "error", _("Error: the schema or the file could not be checked")


class ValidationReport(models.Model):
    """One check of a version by the workers: its schema, its sample, and compatibility."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    version = models.ForeignKey(
        DatasetVersion, on_delete=models.CASCADE, related_name="validation_reports"
    )
    sample = models.ForeignKey(
        Distribution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ValidationStatus.choices, default=ValidationStatus.QUEUED
    )
    message = models.TextField(blank=True)
    schema_problems = models.JSONField(default=list, blank=True)
    compatibility = models.JSONField(default=list, blank=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    error_count = models.BigIntegerField(null=True, blank=True)
    errors_by_code = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    profile = models.JSONField(default=list, blank=True)
    inferred_schema = models.JSONField(null=True, blank=True)
    # SHA-256 of the schema that was checked: publication needs it to be the current one.
    schema_digest = models.CharField(max_length=64, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["version", "-created_at"], name="report_version_created"),
            models.Index(fields=["status", "started_at"], name="report_status_started"),
        ]

    def __str__(self) -> str:
        return f"report {self.id} ({self.status})"


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

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # As given, else as detected when the job runs (empty until then).
    format = models.CharField(max_length=10, choices=ImportFormat.choices, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    file = models.FileField(upload_to=import_upload_to, blank=True, max_length=500)
    dry_run = models.BooleanField(default=False)
    # For records that name no division (new datasets only).
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    records_processed = models.PositiveIntegerField(default=0)
    records_total = models.PositiveIntegerField(null=True, blank=True)
    totals = models.JSONField(default=import_totals_default)
    report = models.JSONField(default=list, blank=True)
    report_truncated = models.BooleanField(default=False)
    warnings = models.JSONField(default=list, blank=True)
    # {"code": ..., "detail": ..., and e.g. "limit_bytes"} when the job failed.
    error = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="import_org_created"),
            models.Index(fields=["status", "heartbeat_at"], name="import_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"import {self.id} ({self.status})"


class DatasetRevision(models.Model):
    """The dataset's metadata after one change, numbered from 1 (its creation)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changed_fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="revision_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} r{self.number}"
