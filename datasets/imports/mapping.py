"""One import record onto the organisation's datasets, through the catalog services.

Records are matched by their source identifier within the organisation (and a UUID identifier
also by the dataset's own id: the registry's export reads back into the datasets it came
from). Unchanged records are not written at all; changed ones go through `dataset_update` with
only the fields that changed, which records a revision; new ones become drafts through
`dataset_create`. What the services refuse (the model's rules, a conflict) becomes the
record's reasons, stored like the parsers' problems.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext_noop as _
from django.utils.translation import override

from accounts.models import Division
from common.errors import Conflict

from ..models import Dataset, DatasetStatus, ImportJob, Theme
from ..services.catalog import dataset_create, dataset_update, unique_dataset_slug
from .records import Problem, Record, stored_message

LIST_FIELDS = ("keywords", "formats")


@dataclass
class Destination:
    """Where a job's records go: its organisation's datasets, the divisions a record may name,
    and the identifiers seen so far in the source (a repeated one is rejected)."""

    job: ImportJob
    divisions: dict[str, Division]  # by code and names, lower case
    organization_divisions: list[Division]
    seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_job(cls, job: ImportJob) -> Destination:
        return cls(
            job=job,
            divisions=_division_index(list(Division.objects.all())),
            organization_divisions=list(job.organization.divisions.all()),
        )


def _division_index(divisions: list[Division]) -> dict[str, Division]:
    index: dict[str, Division] = {}
    for division in divisions:
        for key in (division.code, division.name_ko, division.name_en):
            if key:
                index.setdefault(key.strip().lower(), division)
    return index


class _Rejected(Exception):
    def __init__(self, field_name: str, code: str, template: str, **params: Any) -> None:
        self.problem = Problem(field_name, code, template, params).to_dict()
        super().__init__(self.problem["message"])


def _entry(record: Record) -> dict[str, Any]:
    entry: dict[str, Any] = {"index": record.index, "identifier": record.identifier}
    if record.line is not None:
        entry["line"] = record.line
    if record.title:
        entry["title"] = record.title
    return entry


def record_import(*, destination: Destination, record: Record) -> dict[str, Any]:
    """One record onto the datasets, in a savepoint of the batch (only it is undone when it
    fails): its report entry."""
    entry = _entry(record)
    warnings = [problem.to_dict() for problem in record.warnings]
    reasons = [problem.to_dict() for problem in record.errors]
    if record.identifier:
        first = destination.seen.setdefault(record.identifier, record.index)
        if first != record.index:
            reasons.append(
                Problem(
                    "identifier",
                    "duplicate_identifier",
                    _("identifier '%(identifier)s' is also record %(first)d"),
                    {"identifier": record.identifier, "first": first},
                ).to_dict()
            )
    if not reasons:
        try:
            with transaction.atomic():  # a savepoint: this record alone is undone on failure
                entry.update(_apply(destination, record, warnings))
        except _Rejected as exc:
            reasons.append(exc.problem)
        except DjangoValidationError as exc:
            reasons.extend(_validation_reasons(exc))
        except Conflict as exc:
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else "conflict"
            # English (the job runs in English): translated on output when it is a whole msgid.
            text = str(exc.detail)
            reasons.append({"field": "", "code": code, "message": text, "template": text})
        except IntegrityError:
            reasons.append(
                Problem(
                    "",
                    "integrity_error",
                    _("conflicts with existing data (imported twice at once?)"),
                ).to_dict()
            )
    if reasons:
        entry.update(outcome="rejected", reasons=reasons)
    if warnings:
        entry["warnings"] = warnings
    return entry


def _validation_reasons(exc: DjangoValidationError) -> list[dict[str, Any]]:
    """The model's reasons, stored like ours: the English template and its parameters, so
    that Django's catalogs (and ours, for our validators) show them in the reader's language."""
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    reasons: list[dict[str, Any]] = []
    with override("en"):
        for name, items in errors.items():
            for error in items:
                text = str(error.message % error.params if error.params else error.message)
                template = str(error.message)
                params = _message_params(template, error.params)
                if not _renders_as(template, params, text):
                    # A plural message (ngettext_lazy) has no one template: the text itself.
                    template, params = text, {}
                reasons.append(
                    {
                        "field": "" if name == NON_FIELD_ERRORS else name,
                        **stored_message("invalid", template, **params),
                    }
                )
    return reasons


def _renders_as(template: str, params: dict[str, Any], text: str) -> bool:
    try:
        return bool(template) and (template % params if params else template) == text
    except (KeyError, TypeError, ValueError):
        return False


def _message_params(template: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters a template uses, as JSON values (lazy texts in the active language)."""
    return {
        key: value if isinstance(value, int | float) else str(value)
        for key, value in (params or {}).items()
        if f"%({key})" in template
    }


def _match(destination: Destination, record: Record) -> Dataset | None:
    organization = destination.job.organization
    found = (
        Dataset.objects.select_for_update()
        .filter(publisher=organization, source_identifier=record.identifier)
        .first()
    )
    if found is None:
        # Our own export: dct:identifier is the dataset's id.
        try:
            key = uuid.UUID(record.identifier)
        except ValueError:
            return None
        found = Dataset.objects.select_for_update().filter(publisher=organization, pk=key).first()
    return found


def _division(
    destination: Destination, record: Record, existing: Dataset | None
) -> Division | None:
    if record.division:
        division = destination.divisions.get(record.division.strip().lower())
        if division is None:
            raise _Rejected(
                "division",
                "unknown_division",
                _("division '%(value)s' does not exist"),
                value=record.division,
            )
        return division
    if existing is not None:
        return None  # an update keeps the dataset's division
    if destination.job.division is not None:
        return destination.job.division
    if len(destination.organization_divisions) == 1:
        return destination.organization_divisions[0]
    raise _Rejected(
        "division",
        "no_division",
        _(
            "no division: give one in the record or a default division with the import "
            "(the organisation belongs to %(count)d divisions)"
        ),
        count=len(destination.organization_divisions),
    )


def _same(current: Any, new: Any, name: str) -> bool:
    if name in LIST_FIELDS:  # order carries no meaning (RDF has none)
        return set(current or []) == set(new or [])
    if current is None or new is None:
        return (current or None) == (new or None)
    return bool(current == new)


def _apply(
    destination: Destination, record: Record, warnings: list[dict[str, Any]]
) -> dict[str, Any]:
    job = destination.job
    existing = _match(destination, record)
    if existing is not None and existing.status == DatasetStatus.WITHDRAWN:
        raise _Rejected(
            "",
            "dataset_withdrawn",
            _("dataset '%(slug)s' is withdrawn: imports never change it"),
            slug=existing.slug,
        )
    division = _division(destination, record, existing)
    values = dict(record.values)
    for name, items in record.merge.items():
        base = values.get(name, getattr(existing, name) if existing is not None else [])
        values[name] = list(dict.fromkeys([*(base or []), *items]))
    if existing is None:
        if "license" not in values:
            raise _Rejected("license", "no_license", _("no licence"))
        if "theme" not in values:
            values["theme"] = Theme.OTHER
            warnings.append(Problem("theme", "no_theme", _("no theme: 'other' was used")).to_dict())
        assert division is not None
        slug = (
            unique_dataset_slug(slugify(record.slug))
            if record.slug and slugify(record.slug)
            else None
        )
        dataset = dataset_create(
            publisher=job.organization,
            division=division,
            slug=slug,
            source_identifier=record.identifier,
            changed_by=job.created_by,
            import_job=job,
            **values,
        )
        return {
            "outcome": "created",
            "dataset": None if job.dry_run else str(dataset.pk),
            "slug": None if job.dry_run else dataset.slug,
        }
    changes = {
        name: value
        for name, value in values.items()
        if not _same(getattr(existing, name), value, name)
    }
    if division is not None and division.pk != existing.division_id:
        changes["division"] = division
    result: dict[str, Any] = {"dataset": str(existing.pk), "slug": existing.slug}
    if not changes:
        return {"outcome": "unchanged", **result}
    dataset_update(dataset=existing, changed_by=job.created_by, import_job=job, **changes)
    return {"outcome": "updated", "changed_fields": sorted(changes), **result}
