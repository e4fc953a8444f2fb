from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.admin import ReadOnlyAdmin

from . import services
from .models import (
    Dataset,
    DatasetRevision,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    ImportJob,
)


class VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DatasetVersion
    extra = 0
    fields = ["version", "status", "record_count", "byte_size", "published_at"]
    readonly_fields = ["published_at"]
    show_change_link = True


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "title_ko",
        "title_en",
        "publisher",
        "division",
        "status",
        "sensitivity",
        "modified_at",
    ]
    list_filter = ["status", "sensitivity", "theme", "license", "division"]
    search_fields = ["title_ko", "title_en", "slug", "publisher__name_ko", "keywords"]
    autocomplete_fields = ["publisher"]
    list_select_related = ["publisher", "division"]
    readonly_fields = ["id", "created_at", "modified_at", "published_at", "source_identifier"]
    fieldsets = (
        (None, {"fields": ("slug", "title_ko", "title_en", "description_ko", "description_en")}),
        (
            _("Publisher and contact"),
            {"fields": ("publisher", "division", "contact_name", "contact_email")},
        ),
        (
            _("Classification"),
            {"fields": ("theme", "keywords", "formats", "license", "sensitivity")},
        ),
        (
            _("Coverage"),
            {"fields": ("temporal_start", "temporal_end", "spatial", "update_frequency")},
        ),
        (_("Publication"), {"fields": ("status", "compatibility_mode", "published_at")}),
        (
            _("Identifiers and dates"),
            {"fields": ("id", "source_identifier", "created_at", "modified_at")},
        ),
    )
    inlines = [VersionInline]
    date_hierarchy = "modified_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A withdrawn dataset is frozen, here as through the API (dataset_update refuses it).
        if obj is not None and obj.status == DatasetStatus.WITHDRAWN:
            return [field.name for field in obj._meta.fields]
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Dataset, form: Any, change: bool) -> None:
        # Through the services, as the API: search index, revision, and the access policy that
        # follows sensitivity (restricted data always needs the division lead).
        user = request.user if isinstance(request.user, User) else None
        fields = dict(form.cleaned_data)
        if change:
            services.dataset_update(dataset=obj, changed_by=user, **fields)
            return
        created = services.dataset_create(changed_by=user, **fields)
        obj.pk, obj.slug = created.pk, created.slug
        obj._state.adding = False


class DistributionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Distribution
    extra = 0
    fields = ["title", "format", "media_type", "byte_size", "sha256", "file", "access_url"]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["dataset", "version", "status", "record_count", "published_at"]
    list_filter = ["status"]
    search_fields = ["version", "dataset__title_ko", "dataset__title_en"]
    raw_id_fields = ["dataset"]
    inlines = [DistributionInline]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "organization",
        "format",
        "source_name",
        "dry_run",
        "status",
        "records_processed",
        "created_at",
    ]
    list_filter = ["status", "format", "dry_run"]
    search_fields = ["id", "source_name", "source_url", "organization__slug"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"


@admin.register(DatasetRevision)
class DatasetRevisionAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "number", "changed_fields", "created_by", "import_job", "created_at"]
    search_fields = ["dataset__slug", "dataset__title_ko", "dataset__title_en"]
    list_select_related = ["dataset", "created_by"]
    raw_id_fields = ["dataset", "import_job"]
