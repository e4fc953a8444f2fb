from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import Dataset, DatasetVersion, Distribution


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
    readonly_fields = ["id", "created_at", "modified_at", "published_at"]
    inlines = [VersionInline]
    date_hierarchy = "modified_at"

    def save_model(self, request: HttpRequest, obj: Dataset, form: Any, change: bool) -> None:
        # Keep the search index in step with edits made here.
        services.dataset_index(obj)
        super().save_model(request, obj, form, change)


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
