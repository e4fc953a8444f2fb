"""The dataset page: what the API shows the reader about one dataset (its metadata, versions,
schemas, checks, preview and access policy) and whether they may ask for it.

Everything is read through the API's selectors and rendered from its output serializers, so the
page shows a persona exactly what `GET /api/v1/datasets/<key>/` and its versions, reports,
preview and policy endpoints show them. A fixed number of queries, however many versions,
fields or errors."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, URLResolver, path, reverse
from django.utils.translation import get_language

from accounts.models import OrganizationKind
from common.i18n import stored_text
from datasets import selectors as dataset_selectors
from datasets.api.serializers import (
    DatasetOutputSerializer,
    PreviewSerializer,
    VersionOutputSerializer,
    report_context,
)
from datasets.models import (
    LISTED_STATUSES,
    DataFormat,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    License,
    SchemaKind,
    Sensitivity,
    Theme,
    UpdateFrequency,
    ValidationStatus,
    VersionStatus,
)
from registry import selectors as registry_selectors
from registry.api.serializers import AccessPolicyOutputSerializer
from registry.models import ApprovalRoute, Obligation, Prohibition, Purpose
from registry.services.policies import asking_eligibility

from .base import page_actor, public_page

# The versions the page lists (newest first), and the check errors it shows of a version.
VERSIONS_SHOWN = 100
ERRORS_SHOWN = 100


@public_page
def dataset_page(request: HttpRequest, key: str, version: uuid.UUID | None = None) -> HttpResponse:
    """`/datasets/<key>/` (the latest published version) and `/datasets/<key>/versions/<id>/`
    (a chosen one); an htmx request for a version gets its panel alone."""
    actor = page_actor(request)
    dataset = dataset_selectors.dataset_get(actor=actor, key=key)
    if dataset is None:
        raise Http404
    reports = report_context(actor, dataset)  # the API's: cell quotes for who may see them
    visible = dataset_selectors.version_list(actor=actor, dataset=dataset)
    versions = list(visible.order_by("-created_at", "-pk")[:VERSIONS_SHOWN])
    chosen = _chosen_version(versions, version)
    if chosen is None and version is not None:  # older than the versions listed
        chosen = visible.filter(pk=version).first()
        if chosen is None:
            raise Http404
    listed = VersionOutputSerializer(versions, many=True, context=reports).data
    shown = next((item for item in listed if chosen and item["id"] == str(chosen.pk)), None)
    panel = {
        **_version_panel(request, key, dataset, chosen, shown, reports=reports),
        "versions": listed,
        "versions_capped": len(versions) == VERSIONS_SHOWN,
    }
    if request.htmx and version is not None:  # type: ignore[attr-defined]
        return render(request, "console/dataset/_version.html", panel)

    data = DatasetOutputSerializer(dataset).data
    policy = registry_selectors.policy_current_get(dataset=dataset)
    eligibility = asking_eligibility(actor=actor, dataset=dataset, policy=policy)
    context = {
        **panel,
        "dataset": data,
        "key": key,
        "title": _in_language(data["title_ko"], data["title_en"]),
        "description": _in_language(data["description_ko"], data["description_en"]),
        "labels": _metadata_labels(data),
        "policy": _policy_terms(AccessPolicyOutputSerializer(policy).data),
        "may_ask": eligibility.may_ask,
        "ask_reasons": [stored_text(str(reason["message"])) for reason in eligibility.reasons],
        "open_request_url": _page_url(
            "console:sharing-request",
            f"/sharing-requests/{eligibility.open_request.pk}/",
            pk=eligibility.open_request.pk,
        )
        if eligibility.open_request is not None
        else None,
        "request_url": _page_url(
            "console:sharing-request-new", f"/datasets/{key}/request/", key=key
        ),
        "dcat_url": reverse("dataset-dcat", kwargs={"dataset": dataset.pk})
        if dataset.status in LISTED_STATUSES
        else None,
    }
    return render(request, "console/dataset/page.html", context)


def _chosen_version(
    versions: list[DatasetVersion], wanted: uuid.UUID | None
) -> DatasetVersion | None:
    """The version asked for (None when it is not among `versions`), else the latest published
    one, else the newest the reader sees (a draft, for the publisher)."""
    if wanted is not None:
        return next((version for version in versions if version.pk == wanted), None)
    published = [v for v in versions if v.status == VersionStatus.PUBLISHED and v.published_at]
    if published:
        return max(published, key=lambda v: v.published_at)  # type: ignore[arg-type,return-value]
    return versions[0] if versions else None


def _version_panel(
    request: HttpRequest,
    key: str,
    dataset: Dataset,
    version: DatasetVersion | None,
    serialized: Any,
    *,
    reports: dict[str, Any],
) -> dict[str, Any]:
    """A version's schema, check report (with its profile) and preview, as the API's version,
    schema, reports and preview endpoints show them to the reader."""
    if version is None:
        return {"key": key, "version": None}
    version.dataset = dataset
    # As listed (the same serializer and context), else on its own (older than those listed).
    data = serialized or VersionOutputSerializer(version, context=reports).data
    report = data["latest_report"]
    errors = list(report["errors"]) if report else []
    preview = dataset_selectors.preview_get(
        actor=page_actor(request), dataset=dataset, version_id=version.pk
    )
    kind = version.schema_kind
    schema = version.schema  # deferred by the selector: the chosen version's only
    return {
        "key": key,
        "version": data,
        "schema_kind": dict(SchemaKind.choices).get(kind, kind),
        "schema_fields": schema_fields(kind, schema) if schema is not None else None,
        "report": report,
        "report_status": dict(ValidationStatus.choices).get(report["status"], "") if report else "",
        "errors": errors[:ERRORS_SHOWN],
        "errors_total": max(report["error_count"] or 0, len(errors)) if report else 0,
        "cells_shown": bool(reports["checked_file"]),
        "profile": report["profile"] if report else [],
        "preview": PreviewSerializer(preview).data if preview is not None else None,
        "datapackage_url": reverse(
            "version-datapackage", kwargs={"dataset": dataset.pk, "pk": version.pk}
        ),
    }


def schema_fields(kind: str, schema: Any) -> list[dict[str, Any]]:
    """One row per field of a Table Schema (or a JSON Schema's properties): its name, type,
    constraints (as `name: value` texts) and description."""
    rows: list[dict[str, Any]] = []
    if not isinstance(schema, dict):
        return rows
    if kind == SchemaKind.JSON_SCHEMA:
        required = set(schema.get("required") or [])
        properties = schema.get("properties") or {}
        for name, spec in properties.items() if isinstance(properties, dict) else []:
            spec = spec if isinstance(spec, dict) else {}
            constraints = {
                k: v for k, v in spec.items() if k not in ("type", "description", "title")
            }
            if name in required:
                constraints = {"required": True, **constraints}
            rows.append(_field_row(name, spec, constraints))
        return rows
    for spec in schema.get("fields") or []:
        if not isinstance(spec, dict):
            continue
        constraints = dict(spec.get("constraints") or {})
        if spec.get("format") not in (None, "default"):
            constraints = {"format": spec["format"], **constraints}
        rows.append(_field_row(str(spec.get("name", "")), spec, constraints))
    return rows


def _field_row(name: str, spec: dict[str, Any], constraints: dict[str, Any]) -> dict[str, Any]:
    kind = spec.get("type", "")
    return {
        "name": name,
        "title": spec.get("title", ""),
        "type": ", ".join(map(str, kind)) if isinstance(kind, list) else str(kind or ""),
        "constraints": [f"{k}: {_text(v)}" for k, v in constraints.items()],
        "description": spec.get("description", ""),
    }


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    return str(value)


def _in_language(ko: str, en: str) -> str:
    """A text stored in both languages, in the reader's (the other when it is missing)."""
    if (get_language() or "ko").startswith("en"):
        return en or ko
    return ko or en


def _metadata_labels(data: Any) -> dict[str, Any]:
    """The vocabulary values of the dataset, in the reader's language."""
    return {
        "theme": dict(Theme.choices).get(data["theme"], data["theme"]),
        "license": dict(License.choices).get(data["license"], data["license"]),
        "sensitivity": dict(Sensitivity.choices).get(data["sensitivity"], data["sensitivity"]),
        "status": dict(DatasetStatus.choices).get(data["status"], data["status"]),
        "update_frequency": dict(UpdateFrequency.choices).get(
            data["update_frequency"], data["update_frequency"]
        ),
        "formats": [dict(DataFormat.choices).get(f, f) for f in data["formats"] or []],
        "publisher": _in_language(data["publisher"]["name_ko"], data["publisher"]["name_en"])
        if data.get("publisher")
        else "",
        "division": _in_language(data["division"]["name_ko"], data["division"]["name_en"])
        if data.get("division")
        else "",
    }


def _policy_terms(policy: Any) -> dict[str, Any]:
    """The policy as the API shows it, with its vocabulary values in the reader's language
    (the template writes the sentences)."""
    kinds = dict(OrganizationKind.choices)
    return {
        **policy,
        "organization_kind_labels": [kinds.get(k, k) for k in policy["allowed_organization_kinds"]],
        "purpose_labels": [dict(Purpose.choices).get(p, p) for p in policy["permitted_purposes"]],
        "prohibition_labels": [dict(Prohibition.choices).get(p, p) for p in policy["prohibitions"]],
        "obligation_labels": [dict(Obligation.choices).get(o, o) for o in policy["obligations"]],
        "route_label": dict(ApprovalRoute.choices).get(
            policy["approval_route"], policy["approval_route"]
        ),
        "anyone_may_ask": not (
            policy["allowed_divisions"]
            or policy["allowed_organization_kinds"]
            or policy["allowed_organizations"]
        ),
    }


def _page_url(name: str, fallback: str, **kwargs: Any) -> str:
    """A console page of another section by its URL name; until that section has it, its
    path (the section serves it there)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback


urlpatterns: list[URLPattern | URLResolver] = [
    path("datasets/<str:key>/", dataset_page, name="dataset"),
    path("datasets/<str:key>/versions/<uuid:version>/", dataset_page, name="dataset-version"),
]
