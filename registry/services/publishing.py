"""Publishing in three calls: a dataset from one file, its status, and one publish.

The catalog (datasets) keeps its own writes: the dataset, its version and distribution, the
schema and the check, the publication rules. This module puts them together with what the
registry adds: the organisation's publishing defaults and the access policy's presets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from accounts.models import Division, Organization, User
from accounts.selectors import Actor
from audit.chain import audit_append
from common.errors import Conflict
from datasets import selectors as dataset_selectors
from datasets import services as dataset_services
from datasets.models import (
    DataFormat,
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    DistributionRole,
    SchemaKind,
    Sensitivity,
    Theme,
    ValidationReport,
    ValidationStatus,
    VersionStatus,
)
from datasets.permissions import can_see_checked_file
from datasets.services import catalog as catalog_services
from datasets.services import validation as validation_services

from .. import policy_presets, selectors
from ..models import AccessPolicy, PolicyPreset, PublishingDefaults
from .policies import policy_set, policy_terms_dict

FIRST_VERSION = "1.0.0"
FALLBACK_THEME = Theme.OTHER
FALLBACK_SENSITIVITY = Sensitivity.MEMBERS
# Bytes read from the head of the file to tell its format when the caller names none.
HEAD_BYTES = 64 * 1024

# --- organisation defaults --------------------------------------------------------------------

DEFAULT_FIELDS = (
    "division",
    "theme",
    "license",
    "sensitivity",
    "contact_name",
    "contact_email",
    "policy_preset",
)


@transaction.atomic
def publishing_defaults_set(
    *, organization: Organization, actor: User | None, replace: bool = False, **fields: Any
) -> PublishingDefaults:
    """Set an organisation's defaults (fields left out keep their value, or, with `replace`,
    become empty). A preset that cannot serve the default sensitivity is refused (409)."""
    defaults, _created = PublishingDefaults.objects.select_for_update().get_or_create(
        organization=organization
    )
    for name in DEFAULT_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(defaults, name, value if value is not None or name == "division" else "")
        elif replace:
            setattr(defaults, name, None if name == "division" else "")
    if defaults.policy_preset and defaults.sensitivity:
        _require_preset_allowed(defaults.policy_preset, defaults.sensitivity, "policy_preset")
    defaults.full_clean()
    defaults.save()
    audit_append(
        actor=actor,
        action="publishing_defaults.changed",
        object_type="organization",
        object_id=organization.pk,
        organization_ids=[organization.pk],
        data={
            name: (defaults.division.code if defaults.division else None)
            if name == "division"
            else getattr(defaults, name)
            for name in DEFAULT_FIELDS
        },
    )
    return defaults


# --- policy presets ---------------------------------------------------------------------------


def _require_preset_allowed(preset: str, sensitivity: str, field: str) -> None:
    if not policy_presets.preset_allowed(preset, sensitivity):
        raise Conflict(
            _(
                "The policy preset '%(preset)s' cannot serve %(sensitivity)s data; use one of: "
                "%(allowed)s."
            )
            % {
                "preset": preset,
                "sensitivity": sensitivity,
                "allowed": ", ".join(policy_presets.presets_allowed(sensitivity)),
            },
            code="preset_not_allowed",
            field=field,
            sensitivity=sensitivity,
            allowed_presets=policy_presets.presets_allowed(sensitivity),
        )


def policy_preset_apply(*, dataset: Dataset, preset: str, actor: User | None) -> AccessPolicy:
    """Make the preset's terms the dataset's policy (a new revision only when they differ)."""
    _require_preset_allowed(preset, dataset.sensitivity, "policy_preset")
    terms = policy_presets.preset_terms(preset)
    current = AccessPolicy.objects.filter(dataset=dataset, is_current=True).first()
    if current is not None and _same_terms(policy_terms_dict(current), terms):
        return current
    return policy_set(dataset=dataset, actor=actor, replace=True, **terms)


def _same_terms(current: dict[str, Any], terms: dict[str, Any]) -> bool:
    return all(
        sorted(current[key]) == sorted(value) if isinstance(value, list) else current[key] == value
        for key, value in terms.items()
    )


def policy_preset_of(policy: AccessPolicy) -> str | None:
    """The preset whose terms the policy has (no extra constraint on who may ask), if any."""
    current = policy_terms_dict(policy)
    if any(
        current[key]
        for key in (
            "allowed_division_ids",
            "allowed_organization_kinds",
            "allowed_organization_ids",
            "denied_organization_ids",
        )
    ):
        return None
    for preset in PolicyPreset.values:
        if _same_terms(current, policy_presets.preset_terms(preset)):
            return preset
    return None


# --- call 1: a dataset from a file ------------------------------------------------------------


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= char <= "\ud7a3" or "\u3131" <= char <= "\u318e" for char in text)


def _division(organization: Organization, defaults: PublishingDefaults | None) -> Division:
    if defaults is not None and defaults.division is not None:
        return defaults.division
    divisions = list(organization.divisions.order_by("code")[:2])
    if len(divisions) == 1:
        return divisions[0]
    raise ValidationError(
        {
            "division": ValidationError(
                _(
                    "Name the division (a code from /vocabularies/ or /divisions/): your "
                    "organisation is in %(count)s divisions and its publishing defaults name "
                    "none."
                )
                % {"count": organization.divisions.count()},
                code="required",
            )
        }
    )


@transaction.atomic
def dataset_create_from_file(
    *,
    publisher: Organization,
    actor: User,
    file: File[Any],
    title: str = "",
    data_format: str = "",
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
    policy_preset: str = "",
    **metadata: Any,
) -> tuple[Dataset, DatasetVersion, Distribution, ValidationReport]:
    """A draft dataset, its policy, version 1.0.0, the distribution holding the file (the data,
    which is also the file checked) and the queued check, in one transaction. What the caller
    leaves out comes from the organisation's publishing defaults, then from fallbacks."""
    filename = Path(file.name or "data").name
    data_format = _resolved_format(file, filename, data_format)
    defaults = PublishingDefaults.objects.filter(organization=publisher).first()

    def default(name: str) -> Any:
        return getattr(defaults, name) if defaults is not None else ""

    fields = dict(metadata)
    title = title.strip() or Path(filename).stem.replace("_", " ").strip() or filename
    if not (fields.get("title_ko") or fields.get("title_en")):
        fields["title_ko" if _has_hangul(title) else "title_en"] = title[:300]
    if not fields.get("slug") and not slugify(
        fields.get("title_en") or fields.get("title_ko") or ""
    ):
        # A Korean title makes no ASCII slug ("dataset-7"); the file's name usually does.
        fields["slug"] = catalog_services.unique_dataset_slug(Path(filename).stem.replace("_", "-"))
    division = fields.pop("division", None) or _division(publisher, defaults)
    fields["theme"] = fields.get("theme") or default("theme") or FALLBACK_THEME
    fields["license"] = fields.get("license") or default("license") or ""
    fields["sensitivity"] = (
        fields.get("sensitivity") or default("sensitivity") or FALLBACK_SENSITIVITY
    )
    for name in ("contact_name", "contact_email"):
        fields[name] = fields.get(name) or default(name) or ""
    if not fields.get("formats") and data_format in DataFormat.values:
        fields["formats"] = [data_format]
    if policy_preset:
        _require_preset_allowed(policy_preset, fields["sensitivity"], "policy_preset")
    elif default("policy_preset") and policy_presets.preset_allowed(
        default("policy_preset"), fields["sensitivity"]
    ):
        # A default that cannot serve this dataset's sensitivity is left out: the engine's
        # defaults for that sensitivity apply, as for any dataset.
        policy_preset = default("policy_preset")

    dataset = dataset_services.dataset_create(
        publisher=publisher, division=division, changed_by=actor, **fields
    )
    if policy_preset:
        policy_preset_apply(dataset=dataset, preset=policy_preset, actor=actor)
    version = dataset_services.version_create(dataset=dataset, version=FIRST_VERSION)
    distribution, report = _data_file_checked(
        version=version,
        file=file,
        filename=filename,
        data_format=data_format,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
    )
    _audit_file_added(
        actor=actor,
        action="dataset.created_from_file",
        dataset=dataset,
        version=version,
        distribution=distribution,
        data_format=data_format,
        slug=dataset.slug,
        policy_preset=policy_preset or None,
    )
    return dataset, version, distribution, report


def _audit_file_added(
    *,
    actor: User,
    action: str,
    dataset: Dataset,
    version: DatasetVersion,
    distribution: Distribution,
    data_format: str,
    **extra: Any,
) -> None:
    """The audit event of a data file arriving with a new version (call 1, or a new version)."""
    audit_append(
        actor=actor,
        action=action,
        object_type="dataset",
        object_id=dataset.pk,
        steward_organization_ids=[dataset.publisher_id],
        data={
            **extra,
            "version": version.version,
            "distribution": str(distribution.pk),
            "format": data_format,
            "byte_size": distribution.byte_size,
            "sha256": distribution.sha256,
        },
    )


def _data_file_checked(
    *,
    version: DatasetVersion,
    file: File[Any],
    filename: str,
    data_format: str,
    encoding: str,
    delimiter: str,
    sheet: str,
) -> tuple[Distribution, ValidationReport]:
    """The version's data file (which is also the file checked) and its queued check."""
    distribution = dataset_services.distribution_create(
        version=version,
        file=file,
        title=filename[:300],
        format=data_format,
        role=DistributionRole.DATA,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
    )
    return distribution, validation_services.validation_enqueue(version=version)


def _resolved_format(file: File[Any], filename: str, declared: str) -> str:
    # The engine's rule (datasets.validation.sniff): the declared format unless the content
    # contradicts it, else the one the name and first bytes show; 400 on `format` otherwise.
    return catalog_services.data_format_resolve(
        filename=filename,
        head=catalog_services.file_head(file),
        declared=declared or None,
        allowed=validation_services.SAMPLE_FORMATS,
    )


@transaction.atomic
def version_create_from_file(
    *,
    dataset: Dataset,
    actor: User,
    file: File[Any],
    version: str,
    data_format: str = "",
    encoding: str = "",
    delimiter: str = "",
    sheet: str = "",
) -> tuple[DatasetVersion, Distribution, ValidationReport]:
    """A new draft version holding one data file, and its queued check: call 1 for a dataset
    that exists. The version starts from the previous one's schema (the catalog's
    version_create carries it) and the dataset keeps its policy, so the file is checked
    against what readers already rely on."""
    filename = Path(file.name or "data").name
    data_format = _resolved_format(file, filename, data_format)
    new = dataset_services.version_create(dataset=dataset, version=version)
    distribution, report = _data_file_checked(
        version=new,
        file=file,
        filename=filename,
        data_format=data_format,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
    )
    _audit_file_added(
        actor=actor,
        action="version.created_from_file",
        dataset=dataset,
        version=new,
        distribution=distribution,
        data_format=data_format,
    )
    return new, distribution, report


# --- call 2: what publishing still needs ------------------------------------------------------


def version_to_publish(dataset: Dataset) -> DatasetVersion | None:
    """The version a publish call would publish: the newest draft, if any."""
    return (
        DatasetVersion.objects.filter(dataset=dataset, status=VersionStatus.DRAFT)
        .order_by("-created_at")
        .first()
    )


def publication_missing(
    dataset: Dataset, *, publishing: DatasetVersion | None
) -> list[dict[str, str]]:
    """The catalog's rules (datasets.selectors.dataset_publication_missing), and the policy's:
    the one function behind the status endpoint's `missing` and every 409 of publishing."""
    missing = dataset_selectors.dataset_publication_missing(dataset, publishing=publishing)
    if not AccessPolicy.objects.filter(dataset=dataset, is_current=True).exists():
        missing.append(
            {
                "field": "policy",
                "code": "no_policy",
                "detail": _("The dataset has no access policy yet: give a policy_preset."),
            }
        )
    return missing


@dataclass(frozen=True)
class PublishingStatus:
    """Call 2's answer: the version a publish would publish, its newest check, the schema the
    workers inferred, the current policy (and the preset it matches) and what is missing."""

    version: DatasetVersion | None
    report: ValidationReport | None
    inferred_schema: Any
    policy: AccessPolicy
    preset: str | None
    missing: list[dict[str, str]]


def require_status_reader(actor: Actor, dataset: Dataset) -> None:
    """The status shows the checked file's report and inferred schema: the same readers
    (datasets.permissions.can_see_checked_file), 401 for anonymous callers."""
    if not can_see_checked_file(actor, dataset):
        if not actor.is_authenticated:
            raise NotAuthenticated()
        raise PermissionDenied(
            _(
                "Only data stewards of the publishing organisation and the secretariat may "
                "read its publishing status."
            )
        )


def publishing_status(dataset: Dataset) -> PublishingStatus:
    """The status endpoint's and the console's one reading of a draft's progress."""
    version = version_to_publish(dataset)
    report = dataset_selectors.latest_report(version) if version is not None else None
    inferred = None
    if version is not None:
        with_inferred = (
            version.validation_reports.filter(inferred_schema__isnull=False)
            .order_by("-created_at")
            .only("inferred_schema")
            .first()
        )
        inferred = with_inferred.inferred_schema if with_inferred is not None else None
    policy, preset = policy_current_preset(dataset)
    return PublishingStatus(
        version=version,
        report=report,
        inferred_schema=inferred,
        policy=policy,
        preset=preset,
        missing=publication_missing(dataset, publishing=version),
    )


# --- call 3: publish --------------------------------------------------------------------------

CHECK_CODES = frozenset({"not_checked", "check_pending"})


def _published_with_data(dataset: Dataset) -> bool:
    return not any(
        entry["code"] == "no_published_version"
        for entry in dataset_selectors.dataset_publication_missing(dataset)
    )


def _schema_to_set(version: DatasetVersion, schema: Any) -> Any:
    if schema != "inferred":
        return schema
    report = (
        ValidationReport.objects.filter(version=version, inferred_schema__isnull=False)
        .order_by("-created_at")
        .first()
    )
    if report is None:
        raise Conflict(
            _("No inferred schema yet: wait for the check of the file (see the status)."),
            code="no_inferred_schema",
            missing=[
                {
                    "field": "schema",
                    "code": "no_inferred_schema",
                    "detail": _("The check has not inferred a schema (yet)."),
                }
            ],
        )
    return report.inferred_schema


def _schema_apply(version: DatasetVersion | None, schema: Any, schema_kind: str) -> DatasetVersion:
    """Give the draft version the schema ("inferred" or an edited one); an unchanged schema
    is left alone (and no second check runs)."""
    if version is None:
        raise Conflict(
            _("The dataset has no draft version to take the schema."),
            code="no_draft_version",
            missing=[
                {
                    "field": "version",
                    "code": "no_draft_version",
                    "detail": _("Create a draft version first."),
                }
            ],
        )
    new_schema = _schema_to_set(version, schema)
    kind = SchemaKind.TABLE_SCHEMA if schema == "inferred" else schema_kind
    if version.schema != new_schema or version.schema_kind != kind:
        version = validation_services.schema_set(version=version, kind=kind, schema=new_schema)
    return version


@transaction.atomic
def dataset_draft_save(
    *,
    dataset: Dataset,
    actor: User,
    schema: Any = None,
    schema_kind: str = SchemaKind.TABLE_SCHEMA,
    policy_preset: str = "",
    metadata: dict[str, Any] | None = None,
) -> Dataset:
    """What the publish call takes (metadata, a policy preset, the draft version's schema),
    kept without publishing: a steward fills the draft in over several sittings. A new schema
    is checked against the file by the workers, as the publish call would have it."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if metadata:
        dataset = catalog_services.dataset_update(dataset=dataset, changed_by=actor, **metadata)
    catalog_services.dataset_lock_writable(dataset.pk)
    if policy_preset:
        policy_preset_apply(dataset=dataset, preset=policy_preset, actor=actor)
    if schema is not None:
        _schema_apply(version_to_publish(dataset), schema, schema_kind)
    return dataset


@transaction.atomic
def dataset_publish_request(
    *,
    dataset: Dataset,
    actor: User,
    schema: Any = None,
    schema_kind: str = SchemaKind.TABLE_SCHEMA,
    policy_preset: str = "",
    metadata: dict[str, Any] | None = None,
) -> tuple[Dataset, bool]:
    """Publish the dataset with its newest draft version, taking the inferred schema
    (`schema="inferred"`) or an edited one, a policy preset, and `metadata` (dataset fields
    still missing, changed first; a 409 rolls them back with the rest). Returns (dataset,
    requested): `requested` when the file must first be checked against the new schema; the
    worker then publishes when the check passes. Otherwise publishes now, or 409
    `dataset_incomplete` with `missing`."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if metadata:
        dataset = catalog_services.dataset_update(dataset=dataset, changed_by=actor, **metadata)
    publishable = dataset_services.DATASET_TRANSITIONS[DatasetStatus.PUBLISHED]
    nothing_new = dataset.status == DatasetStatus.WITHDRAWN or version_to_publish(dataset) is None
    if schema is None and dataset.status not in publishable and nothing_new:
        # Nothing to publish: the catalog's answer (409 invalid_transition).
        return dataset_services.dataset_publish(dataset=dataset, actor=actor), False
    catalog_services.dataset_lock_writable(dataset.pk)
    if policy_preset:
        policy_preset_apply(dataset=dataset, preset=policy_preset, actor=actor)
    version = version_to_publish(dataset)
    if version is not None and schema is None and _published_with_data(dataset):
        version = None  # a bare publish of a dataset with a release: the dataset only, as before
    if schema is not None:
        version = _schema_apply(version, schema, schema_kind)
    missing = publication_missing(dataset, publishing=version)
    waiting = version is not None and _check_waiting(version)
    if waiting and all(entry["code"] in CHECK_CODES for entry in missing):
        assert version is not None
        validation_services.publish_request_record(version=version, actor=actor)
        audit_append(
            actor=actor,
            action="dataset.publish_requested",
            object_type="dataset",
            object_id=dataset.pk,
            steward_organization_ids=[dataset.publisher_id],
            data={"version": version.version, "policy_preset": policy_preset or None},
        )
        return dataset, True
    if missing:
        raise Conflict(
            _("This dataset cannot be published yet: %(fields)s (see `missing`).")
            % {"fields": ", ".join(dict.fromkeys(entry["field"] for entry in missing))},
            code="dataset_incomplete",
            missing=missing,
        )
    return dataset_services.dataset_publish(dataset=dataset, version=version, actor=actor), False


def _check_waiting(version: DatasetVersion) -> bool:
    report = dataset_selectors.latest_report(version)
    return report is not None and report.status in (
        ValidationStatus.QUEUED,
        ValidationStatus.RUNNING,
    )


def policy_current_preset(dataset: Dataset) -> tuple[AccessPolicy, str | None]:
    policy = selectors.policy_current_get(dataset=dataset)
    return policy, policy_preset_of(policy)
