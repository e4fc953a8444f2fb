"""Input and output serializers of catalog imports."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import OrganizationBriefSerializer
from accounts.models import Division, Organization
from common.serializers import InputSerializer

from ...models import ImportFormat, ImportJob
from ..records import localize


class ImportInputSerializer(InputSerializer):
    file = serializers.FileField(
        required=False, help_text=_("The source (multipart/form-data); or give `url`.")
    )
    url = serializers.URLField(
        required=False,
        max_length=2000,
        help_text=_(
            "Harvest the source from this http(s) URL. A CKAN `.../action/package_search` URL "
            "is paged with rows/start."
        ),
    )
    format = serializers.ChoiceField(
        choices=ImportFormat.choices,
        required=False,
        help_text=_("Leave out to detect it from the content, the file name or content type."),
    )
    dry_run = serializers.BooleanField(
        default=False, help_text=_("Report what would change without changing anything.")
    )
    division = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        required=False,
        help_text=_("Division code for new datasets whose record names none."),
    )
    publisher = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("Slug of the organisation to import into; needed when you steward several."),
    )

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError(_("Only http and https URLs can be imported."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("file" in attrs) == ("url" in attrs):
            raise serializers.ValidationError(
                {"file": [_("Send the source as a file or give its url (one of them).")]}
            )
        return attrs


class ImportProgressSerializer(serializers.Serializer[Any]):
    processed = serializers.IntegerField(source="records_processed")
    total = serializers.IntegerField(
        source="records_total", allow_null=True, help_text=_("Null until the source is read.")
    )
    percent = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_percent(self, job: ImportJob) -> int | None:
        if not job.records_total:
            return 100 if job.records_total == 0 and job.status == "succeeded" else None
        return min(100, job.records_processed * 100 // job.records_total)


class ImportTotalsSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ImportProblemSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class ImportReportEntrySerializer(serializers.Serializer[Any]):
    """One record's outcome (documentation only: the report is stored as JSON)."""

    index = serializers.IntegerField(help_text=_("1-based position of the record in the source."))
    line = serializers.IntegerField(required=False, help_text=_("CSV: the record's last line."))
    identifier = serializers.CharField()
    title = serializers.CharField(required=False)
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    dataset = serializers.UUIDField(
        required=False, allow_null=True, help_text=_("Null for datasets a dry run would create.")
    )
    slug = serializers.CharField(required=False, allow_null=True)
    changed_fields = serializers.ListField(child=serializers.CharField(), required=False)
    reasons = ImportProblemSerializer(many=True, required=False)
    warnings = ImportProblemSerializer(many=True, required=False)


class ImportWarningSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


class ImportErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    detail = serializers.CharField()
    limit_bytes = serializers.IntegerField(required=False)


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    organization = OrganizationBriefSerializer()
    created_by = serializers.EmailField(source="created_by.email", allow_null=True, default=None)
    division = serializers.CharField(source="division.code", allow_null=True, default=None)
    progress = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "organization",
            "created_by",
            "format",
            "source_name",
            "source_url",
            "dry_run",
            "division",
            "status",
            "progress",
            "totals",
            "warnings",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict[str, Any]:
        return dict(ImportProgressSerializer(job).data)

    @extend_schema_field(ImportTotalsSerializer)
    def get_totals(self, job: ImportJob) -> dict[str, int]:
        return dict(job.totals)

    @extend_schema_field(ImportWarningSerializer(many=True))
    def get_warnings(self, job: ImportJob) -> list[dict[str, Any]]:
        # Stored in English; shown in the caller's language.
        return [localize(warning) for warning in job.warnings]

    @extend_schema_field(ImportErrorSerializer(allow_null=True))
    def get_error(self, job: ImportJob) -> dict[str, Any] | None:
        # A transient error on a job that then succeeded is history, not its state.
        if not job.error or job.status not in ("failed", "queued"):
            return None
        return localize(job.error)


class ImportJobDetailSerializer(ImportJobSerializer):
    report = serializers.SerializerMethodField(
        help_text=_(
            "One entry per record, in source order: the first 1,000 rejections and the first "
            "1,000 other outcomes (report_truncated says whether some were left out; totals "
            "count them all)."
        )
    )

    class Meta(ImportJobSerializer.Meta):
        fields = [*ImportJobSerializer.Meta.fields, "report", "report_truncated"]
        read_only_fields = fields

    @extend_schema_field(ImportReportEntrySerializer(many=True))
    def get_report(self, job: ImportJob) -> list[dict[str, Any]]:
        return [localized_entry(entry) for entry in job.report]


def localized_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A report entry with its reasons and warnings in the caller's language."""
    shown = dict(entry)
    for key in ("reasons", "warnings"):
        if key in shown:
            shown[key] = [localize(problem) for problem in shown[key]]
    return shown
