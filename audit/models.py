"""The audit chain's rows: append-only, hash-chained events and the chain's head."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One security-relevant action. Append-only and hash-chained: each row stores the digest of
    the row before it, so editing or deleting any row breaks the chain (`verify_audit`)."""

    id = models.BigAutoField(_("ID"), primary_key=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    # PROTECT: the actor is part of the digest, so a user with history is deactivated, never
    # deleted (and the table refuses updates anyway).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_email = models.CharField(_("actor's email address"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object ID"), max_length=64)
    organization_ids = ArrayField(
        models.BigIntegerField(),
        verbose_name=_("organisations concerned"),
        default=list,
        blank=True,
        help_text=_("Organisations this event concerns: they may read it."),
    )
    steward_organization_ids = ArrayField(
        models.BigIntegerField(),
        verbose_name=_("organisations concerned (data stewards only)"),
        default=list,
        blank=True,
        help_text=_("Organisations whose data stewards (only) may read it: the publisher's side."),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_digest = models.CharField(_("previous digest"), max_length=64)
    digest = models.CharField(_("digest"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            GinIndex(fields=["organization_ids"], name="audit_organizations_gin"),
            GinIndex(fields=["steward_organization_ids"], name="audit_steward_orgs_gin"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The newest event's id and digest, kept outside the chain: deleting the newest events
    would otherwise leave a shorter chain that still verifies. One row; it only moves forward
    (a database trigger refuses going back or deleting it)."""

    id = models.PositiveSmallIntegerField(_("ID"), primary_key=True, default=1)
    last_id = models.BigIntegerField(_("last event ID"))
    last_digest = models.CharField(_("last digest"), max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return gettext("audit chain head at event %(id)s") % {"id": self.last_id}
