"""Reads of import jobs, starting from what the caller may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.selectors import Actor

from ..models import ImportJob


def import_job_list(*, actor: Actor) -> QuerySet[ImportJob]:
    """Jobs of the organisations the caller stewards; every job for the secretariat."""
    jobs = ImportJob.objects.select_related("organization", "created_by", "division").defer(
        "report"
    )
    if actor.is_secretariat:
        return jobs
    if not actor.steward_organization_ids:
        return jobs.none()
    return jobs.filter(organization_id__in=actor.steward_organization_ids)


def import_job_get(*, actor: Actor, job_id: str) -> ImportJob | None:
    try:
        return import_job_list(actor=actor).defer(None).filter(pk=job_id).first()
    except (ValueError, TypeError):
        return None
