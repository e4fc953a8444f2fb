"""The publish wizard: a data file becomes a published dataset in one page per draft.

/publish/ takes the file (call 1 of the publishing API) and lists the drafts in progress;
/publish/<dataset>/ watches the check, edits the inferred schema, the metadata and the policy
preset, and publishes (calls 2 and 3). Everything lives in the draft itself (the database),
so a steward may leave and come back. Editing a dataset, a new version from a file and a
waiver have a page each. Every write goes through the API's input serializers and services.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from rest_framework import exceptions

from accounts.models import Organization
from common.uploads import limit_uploads
from datasets import selectors as dataset_selectors
from datasets import services as dataset_services
from datasets.api.serializers import (
    DatasetInputSerializer,
    DatasetOutputSerializer,
    PublishInputSerializer,
)
from datasets.models import (
    Dataset,
    SchemaKind,
    ValidationStatus,
    VersionStatus,
)
from datasets.permissions import require_any_steward, require_dataset_steward
from datasets.services import validation as validation_services
from registry.api.publishing import dataset_from_file
from registry.services import publishing

from ...forms.publish import (
    SCHEMA_TYPES,
    MetadataForm,
    PresetForm,
    UploadForm,
    VersionForm,
    WaiverForm,
    metadata_initial,
)
from ..base import console_page, form_service_call, page_actor
from . import words
from .schema import rows_with_problems, schema_edited, schema_rows

T = TypeVar("T")
DRAFTS_SHOWN = 50
CHECKING = (ValidationStatus.QUEUED, ValidationStatus.RUNNING)
# What a checked version may be published despite, with a waiver (a finished check said no).
WAIVABLE = frozenset({"sample_failed", "check_error", "schema_invalid", "incompatible_schema"})


def dataset_page_url(dataset: Dataset) -> str:
    """The dataset's page in the console (the catalog section's console:dataset)."""
    try:
        return reverse("console:dataset", args=[dataset.slug])
    except NoReverseMatch:  # the catalog's pages are not mounted (yet)
        return f"/datasets/{dataset.slug}/"


def _visible(request: HttpRequest, key: str) -> Dataset:
    """The dataset as the API finds it for the caller (404 otherwise), for its stewards."""
    actor = page_actor(request)
    dataset = dataset_selectors.dataset_get(actor=actor, key=key)
    if dataset is None:
        raise Http404
    require_dataset_steward(actor, dataset)
    return dataset


def _run(form: forms.Form, call: Callable[[], T]) -> tuple[T | None, int]:
    """form_service_call, and the status the API would have answered (200 when it ran)."""
    status = {"code": 200}

    def wrapped() -> T:
        try:
            return call()
        except exceptions.APIException as exc:
            status["code"] = exc.status_code
            raise
        except DjangoValidationError:
            status["code"] = 400
            raise

    result = form_service_call(form, wrapped)
    return result, status["code"] if result is None else 200


def _filled(form: forms.Form, names: list[str]) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in names if form.cleaned_data.get(name)}


# --- 1. the file ------------------------------------------------------------------------------


@csrf_exempt
def index(request: HttpRequest) -> HttpResponse:
    # The file is checked: the check's cap, while it streams in, before anything (the CSRF
    # check included) reads the body, as the API's from-file call has it.
    if request.method == "POST":
        limit_uploads(request, settings.UPLOAD_LIMITS["sample"])
    return _index(request)


@console_page
@csrf_protect
def _index(request: HttpRequest) -> HttpResponse:
    actor = page_actor(request)
    require_any_steward(actor)
    organizations = list(
        Organization.objects.filter(pk__in=actor.steward_organization_ids).order_by("slug")
    )
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, organizations=organizations)
        if form.is_valid():
            data = _filled(form, ["organization", "title", "format", "encoding"])
            if form.cleaned_data.get("file"):
                data["file"] = form.cleaned_data["file"]
            created, status = _run(form, lambda: dataset_from_file(actor, data))
            if created is not None:
                return redirect("console:publish-draft", dataset=created[0].pk, permanent=False)
        else:
            status = 400
    else:
        form = UploadForm(organizations=organizations)
    drafts = list(dataset_selectors.dataset_drafts_in_progress(actor=actor)[:DRAFTS_SHOWN])
    return render(
        request,
        "console/publish/index.html",
        {"form": form, "drafts": drafts, "drafts_shown": DRAFTS_SHOWN},
        status=status,
    )


# --- 2-6. the draft ---------------------------------------------------------------------------


def _state(dataset: Dataset, current: publishing.PublishingStatus) -> str:
    """What the page shows, in a word: the status panel reloads the page when it changes."""
    version, report = current.version, current.report
    return "/".join(
        [
            dataset.status,
            version.status if version is not None else "-",
            report.status if report is not None else "-",
            "requested" if version is not None and version.publish_requested_at else "-",
        ]
    )


def _status_context(request: HttpRequest, dataset: Dataset) -> dict[str, Any]:
    current = publishing.publishing_status(dataset)
    version, report = current.version, current.report
    checking = report is not None and report.status in CHECKING
    waiting = (
        version is not None
        and version.status == VersionStatus.DRAFT
        and version.publish_requested_at is not None
    )
    return {
        "dataset": dataset,
        "current": current,
        "version": version,
        "report": report,
        "checking": checking,
        "polling": checking or waiting,
        "waiting": waiting,
        "state": _state(dataset, current),
        "dataset_url": dataset_page_url(dataset),
        "missing": words.missing_in_words(current.missing),
        "dropped_reason": gettext(version.publish_request_dropped_reason)
        if version is not None and version.publish_request_dropped_reason
        else "",
    }


@console_page
def status_panel(request: HttpRequest, dataset: str) -> HttpResponse:
    """Call 2 as a fragment: the check's progress, polled while the workers run."""
    actor = page_actor(request)
    obj = dataset_selectors.dataset_get(actor=actor, key=dataset)
    if obj is None:
        raise Http404
    publishing.require_status_reader(actor, obj)
    context = _status_context(request, obj)
    response = render(request, "console/publish/_status.html", context)
    seen = request.GET.get("seen")
    if seen and seen != context["state"] and not context["polling"]:
        # The check (or the publish) finished since the page was drawn: draw it again, with
        # the inferred schema or the published dataset.
        response["HX-Refresh"] = "true"
    return response


def _base_schema(current: publishing.PublishingStatus) -> Any:
    version = current.version
    if version is not None and version.schema is not None:
        return version.schema if version.schema_kind != SchemaKind.JSON_SCHEMA else None
    return current.inferred_schema


def _changed_metadata(form: MetadataForm, dataset: Dataset) -> dict[str, Any]:
    """The fields the steward changed, as a PATCH of the dataset would send them."""
    initial = metadata_initial(dataset)
    initial["keywords"] = list(dataset.keywords or [])
    return {
        name: value for name, value in form.api_data().items() if value != (initial[name] or "")
    }


def _metadata(dataset: Dataset, changed: dict[str, Any]) -> dict[str, Any]:
    serializer = DatasetInputSerializer(dataset, data=changed, partial=True)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@console_page
def draft(request: HttpRequest, dataset: str) -> HttpResponse:
    obj = _visible(request, dataset)
    user = page_actor(request).user
    assert user is not None
    context = _status_context(request, obj)
    current: publishing.PublishingStatus = context["current"]
    base = _base_schema(current)
    schema_problems: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        form = MetadataForm(request.POST, dataset=obj)
        preset_form = PresetForm(request.POST)
        edited = schema_edited(base, request.POST) if base is not None else None
        if edited is not None:
            schema_problems = validation_services.schema_problems(
                kind=SchemaKind.TABLE_SCHEMA, schema=edited
            )
        valid = all([form.is_valid(), preset_form.is_valid()])
        if valid and not schema_problems:
            schema: Any = edited
            if edited is not None and current.version is not None:
                if edited == current.version.schema:
                    schema = None  # unchanged: nothing to set
                elif edited == current.inferred_schema:
                    schema = "inferred"
            preset = preset_form.cleaned_data.get("policy_preset") or ""
            publish = request.POST.get("action") == "publish"

            def call() -> Any:
                metadata = _metadata(obj, _changed_metadata(form, obj))
                if publish:
                    return publishing.dataset_publish_request(
                        dataset=obj,
                        actor=user,
                        schema=schema,
                        policy_preset=preset,
                        metadata=metadata,
                    )
                return publishing.dataset_draft_save(
                    dataset=obj,
                    actor=user,
                    schema=schema,
                    policy_preset=preset,
                    metadata=metadata,
                )

            result, status = _run(form, call)
            if result is not None:
                if not publish:
                    messages.success(request, _("The draft is saved."))
                elif result[1]:
                    messages.success(
                        request,
                        _(
                            "Publishing is requested: the file is checked against the schema, "
                            "and the dataset is published when the check passes."
                        ),
                    )
                else:
                    messages.success(request, _("The dataset is published."))
                return redirect("console:publish-draft", dataset=obj.pk)
        else:
            status = 400
        # Drawn again with the steward's edits, whatever refused them.
        rows, other_problems = rows_with_problems(edited, schema_problems)
    else:
        form = MetadataForm(dataset=obj)
        preset_form = PresetForm(initial={"policy_preset": current.preset or ""})
        rows, other_problems = schema_rows(base), []
    # Refusals of the whole step (a 409 of publishing) show above the form, not in step 4.
    page_errors = [str(error) for error in form.errors.pop("__all__", [])] if form.is_bound else []
    return render(
        request,
        "console/publish/draft.html",
        {
            **context,
            "page_errors": page_errors,
            "form": form,
            "preset_form": preset_form,
            "presets": words.presets(obj.sensitivity),
            "chosen_preset": preset_form["policy_preset"].value() or "",
            "rows": rows,
            "schema_types": SCHEMA_TYPES,
            "schema_errors": other_problems,
            "has_schema": current.version is not None and current.version.schema is not None,
            "json_schema": current.version is not None
            and current.version.schema_kind == SchemaKind.JSON_SCHEMA,
            "waivable": current.version is not None
            and not context["checking"]
            and any(
                blocker["code"] in WAIVABLE
                for blocker in validation_services.publication_blockers(current.version)
            ),
            "output": DatasetOutputSerializer(obj).data,
        },
        status=status,
    )


# --- edit, a new version, a waiver ------------------------------------------------------------


@console_page
def edit(request: HttpRequest, dataset: str) -> HttpResponse:
    """The dataset's metadata, as PATCH /api/v1/datasets/<key>/ changes it."""
    obj = _visible(request, dataset)
    actor = page_actor(request)
    status = 200
    if request.method == "POST":
        form = MetadataForm(request.POST, dataset=obj)
        if form.is_valid():
            changed = _changed_metadata(form, obj)
            result, status = _run(
                form,
                lambda: dataset_services.dataset_update(
                    dataset=obj, changed_by=actor.user, **_metadata(obj, changed)
                ),
            )
            if result is not None:
                messages.success(request, _("The dataset is saved."))
                return redirect("console:publish-edit", dataset=obj.slug)
        else:
            status = 400
    else:
        form = MetadataForm(dataset=obj)
    return render(
        request,
        "console/publish/edit.html",
        {"dataset": obj, "form": form, "dataset_url": dataset_page_url(obj)},
        status=status,
    )


def _next_version(dataset: Dataset) -> str:
    newest = dataset.versions.order_by("-created_at").values_list("version", flat=True).first()
    parts = (newest or "").split(".")
    if len(parts) == 3 and all(part.isdigit() for part in parts):
        return f"{parts[0]}.{int(parts[1]) + 1}.0"
    return ""


@csrf_exempt
def version_new(request: HttpRequest, dataset: str) -> HttpResponse:
    if request.method == "POST":
        limit_uploads(request, settings.UPLOAD_LIMITS["sample"])
    return _version_new(request, dataset)


@console_page
@csrf_protect
def _version_new(request: HttpRequest, dataset: str) -> HttpResponse:
    """A new draft version from a file; it starts from the previous version's schema and the
    dataset keeps its policy."""
    obj = _visible(request, dataset)
    user = page_actor(request).user
    assert user is not None
    status = 200
    if request.method == "POST":
        form = VersionForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            if not data.get("file"):
                form.add_error("file", gettext("Upload the data file."))
                status = 400
            else:
                created, status = _run(
                    form,
                    lambda: publishing.version_create_from_file(
                        dataset=obj,
                        actor=user,
                        file=data["file"],
                        version=data["version"],
                        data_format=data.get("format") or "",
                        encoding=data.get("encoding") or "",
                    ),
                )
                if created is not None:
                    return redirect("console:publish-draft", dataset=obj.pk)
        else:
            status = 400
    else:
        form = VersionForm(initial={"version": _next_version(obj)})
    return render(
        request,
        "console/publish/version_new.html",
        {"dataset": obj, "form": form, "dataset_url": dataset_page_url(obj)},
        status=status,
    )


@console_page
def waiver(request: HttpRequest, dataset: str, version: str) -> HttpResponse:
    """Publish a version although its checks did not pass, with the reason every reader sees
    (POST /api/v1/datasets/<key>/versions/<id>/publish/ with a waiver_reason)."""
    obj = _visible(request, dataset)
    user = page_actor(request).user
    assert user is not None
    found = dataset_selectors.version_of_dataset(dataset=obj, version_id=_uuid(version))
    if found is None:
        raise Http404
    status = 200
    form = WaiverForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():

            def call() -> Any:
                serializer = PublishInputSerializer(data=form.cleaned_data)
                serializer.is_valid(raise_exception=True)
                return validation_services.version_publish_validated(
                    version=found,
                    actor=user,
                    waiver_reason=serializer.validated_data.get("waiver_reason", ""),
                )

            result, status = _run(form, call)
            if result is not None:
                messages.success(request, _("The version is published with the waiver."))
                return redirect("console:publish-draft", dataset=obj.pk)
        else:
            status = 400
    return render(
        request,
        "console/publish/waiver.html",
        {
            "dataset": obj,
            "version": found,
            "form": form,
            "blockers": validation_services.publication_blockers(found),
            "dataset_url": dataset_page_url(obj),
        },
        status=status,
    )


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Http404 from None
