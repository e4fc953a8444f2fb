"""Access policies, sharing requests, agreements, grants, downloads and the audit chain."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, Organization, OrganizationKind
from common.models import uuid7
from datasets.models import Dataset, DatasetVersion, Distribution, License, Sensitivity, Theme

# --- vocabularies -----------------------------------------------------------------------------


class Purpose(models.TextChoices):
    AI_MODEL_TRAINING = "ai_model_training", _("AI model training")
    RESEARCH = "research", _("Research")
    TESTING_AND_VALIDATION = "testing_and_validation", _("Testing and validation")
    PRODUCT_DEVELOPMENT = "product_development", _("Product development")
    BENCHMARKING = "benchmarking", _("Benchmarking")
    PROCESS_IMPROVEMENT = "process_improvement", _("Process and quality improvement")
    EDUCATION = "education", _("Education and training")


class Prohibition(models.TextChoices):
    REDISTRIBUTION = "redistribution", _("Redistribution")
    RESALE = "resale", _("Resale")
    REIDENTIFICATION = "reidentification", _("Re-identification")
    TRANSFER_ABROAD = "transfer_abroad", _("Transfer abroad")
    PUBLISH_DERIVED_DATA = "publish_derived_data", _("Publishing derived data")


class Obligation(models.TextChoices):
    ATTRIBUTION = "attribution", _("Attribution")
    DELETE_AT_EXPIRY = "delete_at_expiry", _("Deletion at expiry")
    USAGE_REPORT = "usage_report", _("Usage report")
    CONFIDENTIALITY_PLEDGE = "confidentiality_pledge", _("Confidentiality pledge")


class ApprovalRoute(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic when eligible")
    PUBLISHER = "publisher", _("Publisher")
    PUBLISHER_THEN_DIVISION_LEAD = (
        "publisher_then_division_lead",
        _("Publisher, then division lead"),
    )


class PolicyPreset(models.TextChoices):
    """Named sets of policy terms a steward picks when publishing (registry.policy_presets)."""

    OPEN = "open", _("Open: every member, approved automatically")
    MEMBERS = "members", _("Members: every member, the publisher approves")
    RESEARCH_PARTNERS = (
        "research_partners",
        _("Research partners: research and testing only, with a usage report"),
    )
    RESTRICTED = (
        "restricted",
        _("Restricted: the publisher and the division lead approve, short periods"),
    )


# --- access policy ----------------------------------------------------------------------------


class AccessPolicy(models.Model):
    """One revision of a dataset's access policy. Revisions are never changed; an edit adds one.

    The newest revision of a dataset is `is_current`; agreements point at the revision they
    were made under, so editing the policy never changes an agreement.
    """

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    dataset = models.ForeignKey(
        Dataset, verbose_name=_("dataset"), on_delete=models.CASCADE, related_name="policies"
    )
    revision = models.PositiveIntegerField(_("revision"))
    is_current = models.BooleanField(_("current"), default=True)

    # Who may ask. Empty lists mean "no restriction on this axis"; the deny list always wins.
    allowed_division_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("allowed divisions"), default=list, blank=True
    )
    allowed_organization_kinds = ArrayField(
        models.CharField(max_length=30, choices=OrganizationKind.choices),
        verbose_name=_("allowed organisation kinds"),
        default=list,
        blank=True,
    )
    allowed_organization_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("allowed organisations"), default=list, blank=True
    )
    denied_organization_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("denied organisations"), default=list, blank=True
    )

    permitted_purposes = ArrayField(
        models.CharField(max_length=40, choices=Purpose.choices),
        verbose_name=_("permitted purposes"),
        default=list,
    )
    prohibitions = ArrayField(
        models.CharField(max_length=40, choices=Prohibition.choices),
        verbose_name=_("prohibitions"),
        default=list,
        blank=True,
    )
    obligations = ArrayField(
        models.CharField(max_length=40, choices=Obligation.choices),
        verbose_name=_("obligations"),
        default=list,
        blank=True,
    )
    max_period_days = models.PositiveIntegerField(
        _("longest period (days)"), validators=[MinValueValidator(1), MaxValueValidator(3660)]
    )
    approval_route = models.CharField(
        _("approval route"), max_length=40, choices=ApprovalRoute.choices
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("access policy")
        verbose_name_plural = _("access policies")
        ordering = ["dataset_id", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "revision"], name="policy_revision_unique"),
            models.UniqueConstraint(
                fields=["dataset"], condition=Q(is_current=True), name="policy_one_current"
            ),
        ]

    def __str__(self) -> str:
        return gettext("policy revision %(revision)s of %(dataset)s") % {
            "revision": self.revision,
            "dataset": self.dataset_id,
        }


# --- sharing requests -------------------------------------------------------------------------


class SharingRequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_PUBLISHER = "awaiting_publisher", _("Waiting for the publisher")
    AWAITING_DIVISION_LEAD = "awaiting_division_lead", _("Waiting for the division lead")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


S = SharingRequestState

# Dataspace Protocol contract-negotiation state for each of ours (shown in the API).
DSP_STATE = {
    S.SUBMITTED: "REQUESTED",
    S.AWAITING_PUBLISHER: "REQUESTED",
    S.AWAITING_DIVISION_LEAD: "OFFERED",
    # Returned for changes: the provider's counter-offer; the consumer answers with a new
    # request (the resubmission, REQUESTED again).
    S.RETURNED: "OFFERED",
    S.APPROVED: "AGREED",
    S.ACTIVE: "FINALIZED",
    S.REJECTED: "TERMINATED",
    S.WITHDRAWN: "TERMINATED",
    S.EXPIRED: "TERMINATED",
    S.REVOKED: "TERMINATED",
}

# Waiting for the check or an approver's decision. Not `returned`: a returned request waits for
# its requester, so it is no approver's business (reminders, escalation, inboxes).
PENDING_STATES = (S.SUBMITTED, S.AWAITING_PUBLISHER, S.AWAITING_DIVISION_LEAD)
FINAL_STATES = (S.REJECTED, S.WITHDRAWN, S.EXPIRED, S.REVOKED)
# An open request is one still undecided: pending, or returned to its requester for changes.
# An organisation has at most one open request per dataset (the `sharing_request_one_open`
# constraint). A decided one (approved, active) is an agreement, not an open question: the
# organisation may ask again, e.g. to renew before its grant ends. The requester may withdraw
# an open request.
OPEN_REQUEST_STATES = (*PENDING_STATES, S.RETURNED)
OPEN_REQUEST_CONSTRAINT = "sharing_request_one_open"


class SharingRequest(models.Model):
    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    dataset = models.ForeignKey(
        Dataset,
        verbose_name=_("dataset"),
        on_delete=models.PROTECT,
        related_name="sharing_requests",
    )
    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=pgettext_lazy("dataset", "version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sharing_requests",
        help_text=_("The version asked for; empty means the latest published one."),
    )
    requester = models.ForeignKey(
        Organization,
        verbose_name=_("requesting organisation"),
        on_delete=models.PROTECT,
        related_name="sharing_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="sharing_requests",
    )
    purpose = models.CharField(_("purpose"), max_length=40, choices=Purpose.choices)
    justification = models.TextField(_("justification"))
    period_days = models.PositiveIntegerField(_("period (days)"), validators=[MinValueValidator(1)])
    start_at = models.DateTimeField(
        _("access begins at"),
        null=True,
        blank=True,
        help_text=_("When access should begin (timed release); empty means on approval."),
    )
    accepted_obligations = ArrayField(
        models.CharField(max_length=40, choices=Obligation.choices),
        verbose_name=_("accepted obligations"),
        default=list,
        blank=True,
    )
    policy = models.ForeignKey(
        AccessPolicy,
        verbose_name=_("access policy"),
        on_delete=models.PROTECT,
        related_name="sharing_requests",
    )
    approval_route = models.CharField(
        _("approval route"), max_length=40, choices=ApprovalRoute.choices
    )
    state = models.CharField(
        _("state"), max_length=30, choices=SharingRequestState.choices, default=S.SUBMITTED
    )
    decision_reasons = models.JSONField(_("decision reasons"), default=list, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    routed_to_division_lead_at = models.DateTimeField(
        _("routed to the division lead at"),
        null=True,
        blank=True,
        help_text=_("When the division lead got it: at their approval step or by escalation."),
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The worker's policy check of a `submitted` request: how often it was started (a check
    # that kills its worker every time is given up), and when the sweep may queue it again.
    check_attempts = models.PositiveIntegerField(_("policy check attempts"), default=0)
    check_due_at = models.DateTimeField(_("policy check due again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sharing request")
        verbose_name_plural = _("sharing requests")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="sharing_request_idempotency",
            ),
            models.UniqueConstraint(
                fields=["requester", "dataset"],
                condition=Q(state__in=OPEN_REQUEST_STATES),
                name=OPEN_REQUEST_CONSTRAINT,
                violation_error_code="open_request_exists",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="sharing_request_state"),
            models.Index(fields=["requester", "-created_at"], name="sharing_request_requester"),
            models.Index(fields=["dataset", "-created_at"], name="sharing_request_dataset"),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} → {self.dataset_id} ({self.get_state_display()})"

    @property
    def dsp_state(self) -> str:
        return DSP_STATE[SharingRequestState(self.state)]


class SharingRequestEvent(models.Model):
    """A state change of a sharing request: who, when, from, to, why."""

    sharing_request = models.ForeignKey(
        SharingRequest,
        verbose_name=_("sharing request"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty for the system (the policy check, expiry)."),
    )
    from_state = models.CharField(
        _("from state"), max_length=30, choices=SharingRequestState.choices, blank=True
    )
    to_state = models.CharField(_("to state"), max_length=30, choices=SharingRequestState.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sharing request event")
        verbose_name_plural = _("sharing request events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_state_display() or '-'} → {self.get_to_state_display()}"


# --- agreements, grants, downloads ------------------------------------------------------------


class Agreement(models.Model):
    """The frozen terms of an approved request. Never updated (a database trigger enforces it)."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    sharing_request = models.OneToOneField(
        SharingRequest,
        verbose_name=_("sharing request"),
        on_delete=models.PROTECT,
        related_name="agreement",
    )
    document = models.JSONField(
        _("document"), help_text=_("Canonical snapshot: parties, target, terms, window.")
    )
    digest = models.CharField(
        _("digest"), max_length=64, help_text=_("SHA-256 of the canonical JSON.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return gettext("agreement %(id)s") % {"id": self.id}

    @property
    def identifier(self) -> str:
        return f"urn:uuid:{self.id}"


class Grant(models.Model):
    """Time-limited access of an organisation to a dataset version, from an agreement."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    agreement = models.OneToOneField(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="grant"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("grantee organisation"),
        on_delete=models.PROTECT,
        related_name="grants",
    )
    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=pgettext_lazy("dataset", "version"),
        on_delete=models.PROTECT,
        related_name="grants",
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    # "revoked at" is an API token's 폐기 in accounts; a grant is 회수.
    revoked_at = models.DateTimeField(pgettext_lazy("grant", "revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("grant", "revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    expiry_notice_sent_at = models.DateTimeField(_("expiry notice sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["-valid_from"]
        indexes = [models.Index(fields=["valid_until"], name="grant_valid_until")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__lt=models.F("valid_until")), name="grant_window_ordered"
            )
        ]

    def __str__(self) -> str:
        return gettext("grant %(id)s") % {"id": self.id}


class Download(models.Model):
    """One download through a grant: who, when, which file, how many bytes."""

    grant = models.ForeignKey(
        Grant, verbose_name=_("grant"), on_delete=models.PROTECT, related_name="downloads"
    )
    distribution = models.ForeignKey(
        Distribution,
        verbose_name=_("distribution"),
        on_delete=models.PROTECT,
        related_name="downloads",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    byte_size = models.BigIntegerField(_("size in bytes"), default=0)
    client_ip = models.GenericIPAddressField(_("client IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("downloaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return gettext("download %(id)s") % {"id": self.pk}


# --- notifications ----------------------------------------------------------------------------


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class EmailNotification(models.Model):
    """An email someone must act on. A row first, then a task: sending twice is impossible."""

    recipient = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    event = models.CharField(_("event"), max_length=60)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Sending: until when the worker's claim holds; pending: when the sweep may hand it out
    # again (common.jobs).
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email notification")
        verbose_name_plural = _("email notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["status", "lease_expires_at"],
                name="email_unfinished_lease",
                condition=models.Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient}"


class WebhookEndpoint(models.Model):
    """An organisation's URL that receives signed JSON events."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(
        _("URL"), max_length=1000, validators=[URLValidator(schemes=["http", "https"])]
    )
    secret = models.CharField(
        _("secret"), max_length=100, help_text=_("HMAC-SHA256 key; shown once.")
    )
    events = ArrayField(
        models.CharField(max_length=60),
        verbose_name=_("event types"),
        default=list,
        blank=True,
        help_text=_("Event types to send; empty means all."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, with its attempts."""

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid7, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # Sending: until when the worker's claim holds; pending: when the sweep may hand it out
    # again (common.jobs).
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(
                fields=["status", "lease_expires_at"],
                name="webhook_unfinished_lease",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


# --- publishing defaults ----------------------------------------------------------------------


class PublishingDefaults(models.Model):
    """What an organisation's datasets get when a steward leaves it out (a dataset made from a
    file): set by the organisation's admins. Every field is optional."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="publishing_defaults",
    )
    division = models.ForeignKey(
        Division,
        verbose_name=_("division"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    theme = models.CharField(_("theme"), max_length=40, choices=Theme.choices, blank=True)
    license = models.CharField(_("licence"), max_length=30, choices=License.choices, blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=20, choices=Sensitivity.choices, blank=True
    )
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    policy_preset = models.CharField(
        _("policy preset"), max_length=30, choices=PolicyPreset.choices, blank=True
    )
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    class Meta:
        verbose_name = _("publishing defaults")
        verbose_name_plural = _("publishing defaults")

    def __str__(self) -> str:
        return gettext("publishing defaults of %(organization)s") % {
            "organization": self.organization_id
        }
