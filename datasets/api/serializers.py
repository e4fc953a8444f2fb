"""Input and output serializers for the catalog. No business rules here: services own them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import DivisionBriefSerializer, OrganizationBriefSerializer
from accounts.models import Division, Organization
from common.i18n import LocalizedTextField
from common.serializers import InputModelSerializer, InputSerializer

from ..models import (
    DATASET_METADATA_FIELDS,
    DataFormat,
    Dataset,
    DatasetRevision,
    DatasetVersion,
    Distribution,
    SchemaKind,
    ValidationReport,
)

# --- datasets ---------------------------------------------------------------------------------


class DatasetOutputSerializer(serializers.ModelSerializer[Dataset]):
    division = DivisionBriefSerializer()
    publisher = OrganizationBriefSerializer()
    latest_version = serializers.CharField(
        allow_null=True, read_only=True, help_text=_("Newest published version string.")
    )

    class Meta:
        model = Dataset
        fields = [
            "id",
            "slug",
            "title_ko",
            "title_en",
            "description_ko",
            "description_en",
            "division",
            "publisher",
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
            "status",
            "compatibility_mode",
            "latest_version",
            "created_at",
            "modified_at",
            "published_at",
        ]
        read_only_fields = fields


def _input_fields() -> list[str]:
    """The metadata a steward sets (the source identifier is an import's), with the publisher
    beside the division."""
    fields: list[str] = []
    for name in DATASET_METADATA_FIELDS:
        if name != "source_identifier":
            fields.append(name)
        if name == "division":
            fields.append("publisher")
    return fields


class DatasetInputSerializer(InputModelSerializer[Dataset]):
    """Create and update (PATCH takes any subset)."""

    division = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), help_text=_("Division code.")
    )
    publisher = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("Publisher slug; defaults to your organisation when you steward only one."),
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=60, allow_blank=True), max_length=50, required=False
    )
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=DataFormat.choices), max_length=20, required=False
    )
    slug = serializers.SlugField(max_length=120, required=False)

    class Meta:
        model = Dataset
        fields = _input_fields()
        # Only the input's shape here: the model's rules (`Dataset.clean`: a title, the
        # temporal order, keywords and formats as sets; a taken slug) hold in the service's
        # full_clean, for the API, the admin and imports alike.
        validators: list[Any] = []


class DatasetRevisionSerializer(serializers.ModelSerializer[DatasetRevision]):
    created_by = serializers.SerializerMethodField(
        help_text=_("Email of who made the change: shown to the publisher and the secretariat.")
    )
    import_job = serializers.SerializerMethodField(
        help_text=_("The import that made the change, if one did (publisher and secretariat).")
    )

    class Meta:
        model = DatasetRevision
        fields = ["number", "created_at", "changed_fields", "snapshot", "created_by", "import_job"]
        read_only_fields = fields

    def _insider(self) -> bool:
        return bool(self.context.get("insider"))

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_created_by(self, revision: DatasetRevision) -> str | None:
        if not self._insider() or revision.created_by is None:
            return None
        return revision.created_by.email

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_import_job(self, revision: DatasetRevision) -> str | None:
        if not self._insider() or revision.import_job_id is None:
            return None
        return str(revision.import_job_id)


# --- versions ---------------------------------------------------------------------------------


class ValidationReportSerializer(serializers.ModelSerializer[ValidationReport]):
    version = serializers.UUIDField(source="version_id", read_only=True)
    sample = serializers.UUIDField(source="sample_id", read_only=True, allow_null=True)
    message = LocalizedTextField(read_only=True)

    class Meta:
        model = ValidationReport
        fields = [
            "id",
            "version",
            "sample",
            "status",
            "message",
            "schema_problems",
            "compatibility",
            "row_count",
            "error_count",
            "errors_by_code",
            "errors",
            "profile",
            "inferred_schema",
            "encoding",
            "delimiter",
            "timings",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class VersionOutputSerializer(serializers.ModelSerializer[DatasetVersion]):
    dataset = serializers.UUIDField(source="dataset_id", read_only=True)
    has_schema = serializers.SerializerMethodField()
    latest_report = serializers.SerializerMethodField(
        help_text=_("The newest check by the workers (full report: GET …/reports/{id}/).")
    )

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "dataset",
            "version",
            "release_notes",
            "record_count",
            "byte_size",
            "status",
            "has_schema",
            "schema_kind",
            "latest_report",
            "waiver_reason",
            "created_at",
            "modified_at",
            "published_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_has_schema(self, obj: DatasetVersion) -> bool:
        return obj.schema is not None

    @extend_schema_field(ValidationReportSerializer(allow_null=True))
    def get_latest_report(self, obj: DatasetVersion) -> dict[str, Any] | None:
        # Prefetched as `latest_reports` by the selector: no query per version.
        reports = getattr(obj, "latest_reports", None)
        if reports is None:
            reports = list(obj.validation_reports.order_by("-created_at")[:1])
        return ValidationReportSerializer(reports[0]).data if reports else None


class SchemaInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=SchemaKind.choices, default=SchemaKind.TABLE_SCHEMA)
    schema = serializers.JSONField(
        required=False, help_text=_("The schema inline (JSON); or upload it as `file`.")
    )
    file = serializers.FileField(required=False, help_text=_("The schema as a JSON file."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("schema" in attrs) == ("file" in attrs):
            raise serializers.ValidationError(
                {"schema": [_("Send the schema inline or as a file (one of them).")]}
            )
        return attrs


class SchemaOutputSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(source="schema_kind")
    schema = serializers.JSONField()


class SampleInputSerializer(InputSerializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(
        choices=[
            (data_format.value, data_format.label)
            for data_format in (
                DataFormat.CSV,
                DataFormat.TSV,
                DataFormat.JSONL,
                DataFormat.PARQUET,
            )
        ]
    )
    encoding = serializers.ChoiceField(
        choices=[
            ("utf-8", "UTF-8"),
            ("utf-8-sig", _("UTF-8 with BOM")),
            ("cp949", "CP949/EUC-KR"),
        ],
        required=False,
        help_text=_("Leave out to detect it."),
    )
    delimiter = serializers.CharField(
        max_length=1, required=False, help_text=_("Leave out to sniff it.")
    )
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$", required=False)


class PublishInputSerializer(InputSerializer):
    waiver_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text=_("Publish although the checks did not pass; shown to every reader."),
    )


class VersionInputSerializer(InputModelSerializer[DatasetVersion]):
    class Meta:
        model = DatasetVersion
        fields = ["version", "release_notes", "record_count", "byte_size"]
        validators: list[Any] = []


# --- distributions ----------------------------------------------------------------------------


class DistributionOutputSerializer(serializers.ModelSerializer[Distribution]):
    version = serializers.UUIDField(source="version_id", read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = Distribution
        fields = [
            "id",
            "version",
            "title",
            "format",
            "media_type",
            "byte_size",
            "sha256",
            "has_file",
            "access_url",
            "role",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_has_file(self, obj: Distribution) -> bool:
        return bool(obj.file)


class DistributionInputSerializer(InputModelSerializer[Distribution]):
    file = serializers.FileField(
        required=False,
        write_only=True,
        help_text=_("Upload the data (multipart/form-data); its SHA-256 and size are computed."),
    )

    class Meta:
        model = Distribution
        fields = ["title", "format", "media_type", "byte_size", "sha256", "access_url", "file"]


class DistributionUpdateSerializer(DistributionInputSerializer):
    class Meta(DistributionInputSerializer.Meta):
        fields = ["title", "format", "media_type", "byte_size", "sha256", "access_url"]
