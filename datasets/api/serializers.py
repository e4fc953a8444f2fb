"""Input and output serializers for the catalog. No business rules here: services own them."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import DivisionBriefSerializer, OrganizationBriefSerializer
from accounts.models import Division, Organization
from accounts.selectors import Actor
from common.i18n import LocalizedTextField
from common.serializers import InputModelSerializer, InputSerializer

from ..models import (
    DATASET_METADATA_FIELDS,
    DataFormat,
    Dataset,
    DatasetRevision,
    DatasetVersion,
    Distribution,
    DistributionRole,
    Preview,
    SchemaKind,
    ValidationReport,
)
from ..permissions import can_see_checked_file

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
        # A draft made from a file may wait for its licence; one made here names it.
        extra_kwargs = {"license": {"required": True, "allow_blank": False}}
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


class NextStepSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    method = serializers.CharField()
    href = serializers.CharField()
    detail = serializers.CharField()


# Profile entries that quote cell values.
PROFILE_VALUE_KEYS = ("min", "max", "top_values", "top_values_estimated")


class ValidationReportSerializer(serializers.ModelSerializer[ValidationReport]):
    """A check's report. Whatever quotes the checked file's cells (error messages, the
    profile's values, the inferred schema with its enums) is shown only with the context
    `checked_file=True` (`permissions.can_see_checked_file`); others get codes and counts."""

    version = serializers.UUIDField(source="version_id", read_only=True)
    sample = serializers.UUIDField(source="sample_id", read_only=True, allow_null=True)
    message = LocalizedTextField(read_only=True)
    schema_needed = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "The sample was read with no schema to check it against: the version needs one "
            "before it can be published (see next_steps)."
        ),
    )
    next_steps = serializers.SerializerMethodField(
        help_text=_("What to do next, when the report calls for something (codes are stable).")
    )

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
            "sheet",
            "schema_needed",
            "next_steps",
            "timings",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

        extra_kwargs = {
            "errors": {
                "help_text": _(
                    "The first errors: row, field, field_number, code, message. The message "
                    "quotes the cell: null unless you may see the checked file (the "
                    "publisher's data stewards and the secretariat)."
                )
            },
            "profile": {
                "help_text": _(
                    "Per column; min, max and top_values only for who may see the checked file."
                )
            },
            "inferred_schema": {
                "help_text": _("Only for who may see the checked file (null for others).")
            },
        }

    def to_representation(self, instance: ValidationReport) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if self.context.get("checked_file"):
            return data
        data["errors"] = [
            {**error, "message": None} for error in instance.errors if isinstance(error, dict)
        ]
        data["profile"] = [
            {key: value for key, value in column.items() if key not in PROFILE_VALUE_KEYS}
            for column in instance.profile
            if isinstance(column, dict)
        ]
        data["inferred_schema"] = None
        return data

    @extend_schema_field(NextStepSerializer(many=True))
    def get_next_steps(self, obj: ValidationReport) -> list[dict[str, str]]:
        if not obj.schema_needed:
            return []
        kwargs = {"dataset": str(obj.version.dataset_id), "pk": str(obj.version_id)}
        steps = []
        if obj.inferred_schema is not None:
            steps.append(
                {
                    "code": "accept_inferred_schema",
                    "method": "POST",
                    "href": reverse("version-schema-accept-inferred", kwargs=kwargs),
                    "detail": str(_("Accept the schema inferred from the sample.")),
                }
            )
        steps.append(
            {
                "code": "upload_schema",
                "method": "PUT",
                "href": reverse("version-schema", kwargs=kwargs),
                "detail": str(_("Upload a schema (inline JSON, or a JSON file).")),
            }
        )
        return steps


def report_context(actor: Actor, dataset: Dataset) -> dict[str, Any]:
    """The context of ValidationReportSerializer (and the version serializers that embed it)
    for `actor` reading `dataset`'s reports: whether they may read what quotes the checked
    file's cells."""
    return {"checked_file": can_see_checked_file(actor, dataset)}


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
            "preview_rows",
            "preview_excluded_columns",
            "waiver_reason",
            "created_at",
            "modified_at",
            "published_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_has_schema(self, obj: DatasetVersion) -> bool:
        # Annotated by the selector, which defers the schema itself: no query per version.
        present = getattr(obj, "schema_present", None)
        return bool(present) if present is not None else obj.schema is not None

    @extend_schema_field(ValidationReportSerializer(allow_null=True))
    def get_latest_report(self, obj: DatasetVersion) -> dict[str, Any] | None:
        # Prefetched as `latest_reports` by the selector: no query per version.
        reports = getattr(obj, "latest_reports", None)
        if reports is None:
            reports = list(obj.validation_reports.order_by("-created_at")[:1])
        if not reports:
            return None
        return ValidationReportSerializer(reports[0], context=self.context).data


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
                DataFormat.XLSX,
            )
        ],
        required=False,
        help_text=_(
            "Leave out to tell it from the file's name and content (400 `format_undetected` "
            "when they do not say; 400 `format_mismatch` when a given format is not what the "
            "content is)."
        ),
    )
    sheet = serializers.CharField(
        max_length=100,
        required=False,
        help_text=_("For an Excel workbook: the sheet to check. Leave out for the first one."),
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
    """Create and change a draft; on a published version only the preview settings change."""

    preview_excluded_columns = serializers.ListField(
        child=serializers.CharField(max_length=300),
        max_length=1000,
        required=False,
        help_text=_("Columns the preview leaves out (the schema's field names, when it has one)."),
    )

    class Meta:
        model = DatasetVersion
        fields = [
            "version",
            "release_notes",
            "record_count",
            "byte_size",
            "preview_rows",
            "preview_excluded_columns",
        ]
        validators: list[Any] = []


class PreviewSerializer(serializers.ModelSerializer[Preview]):
    """The first rows of the version's checked file, made by the workers."""

    version = serializers.UUIDField(source="version_id", read_only=True)
    columns = serializers.ListField(child=serializers.CharField())
    excluded_columns = serializers.ListField(
        child=serializers.CharField(), help_text=_("Columns of the file left out on purpose.")
    )
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField(allow_null=True)),
        help_text=_("One list per row, its cells in the order of `columns`."),
    )

    class Meta:
        model = Preview
        fields = ["version", "columns", "excluded_columns", "rows", "row_count", "made_at"]
        read_only_fields = fields


# --- distributions ----------------------------------------------------------------------------


class DistributionOutputSerializer(serializers.ModelSerializer[Distribution]):
    version = serializers.UUIDField(source="version_id", read_only=True)
    has_file = serializers.SerializerMethodField()
    role = serializers.ChoiceField(
        choices=DistributionRole.choices,
        read_only=True,
        help_text=_(
            "`data`: the release's data. `sample`: the file the check ran on, listed only to "
            "the publisher's data stewards and the secretariat (others see the preview)."
        ),
    )
    file_name = serializers.CharField(
        read_only=True, help_text=_("The stored file's name, as a download names it; empty: none.")
    )
    download_url = serializers.SerializerMethodField(
        help_text=_("Where to download the file (access is checked there); null: no file.")
    )

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
            "file_name",
            "download_url",
            "access_url",
            "role",
            "sheet",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_has_file(self, obj: Distribution) -> bool:
        return bool(obj.file)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, obj: Distribution) -> str | None:
        if not obj.file:
            return None
        path = reverse(
            "distribution-download",
            kwargs={"dataset": obj.version.dataset_id, "version": obj.version_id, "pk": obj.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DistributionInputSerializer(InputModelSerializer[Distribution]):
    file = serializers.FileField(
        required=False,
        write_only=True,
        help_text=_("Upload the data (multipart/form-data); its SHA-256 and size are computed."),
    )

    class Meta:
        model = Distribution
        fields = [
            "title",
            "format",
            "media_type",
            "byte_size",
            "sha256",
            "access_url",
            "sheet",
            "file",
        ]
        extra_kwargs = {
            "format": {
                "required": False,
                "help_text": _(
                    "Leave out to tell it from the file's name and content, or the access "
                    "URL's path (400 `format_undetected` when they do not say)."
                ),
            },
            "media_type": {
                "required": False,
                "help_text": _("Leave out to take the format's."),
            },
        }


class DistributionUpdateSerializer(DistributionInputSerializer):
    class Meta(DistributionInputSerializer.Meta):
        fields = ["title", "format", "media_type", "byte_size", "sha256", "access_url", "sheet"]
