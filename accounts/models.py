"""Users, organisations, divisions, memberships and API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.models import TimeStampedModel

from .validators import validate_business_registration_number


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError(_("Users need an email address."))
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are unique case-insensitively; log in whatever case was typed or stored.
        return self.get(email__iexact=username)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, is_secretariat=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with their email address."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("May log in to the admin site.")
    )
    is_secretariat = models.BooleanField(
        _("secretariat"),
        default=False,
        help_text=_("Alliance secretariat staff: read access to everything."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class Division(models.Model):
    """One of the alliance's ten divisions (분과). Created by a data migration."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ko = models.CharField(_("name (Korean)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.name_ko})"


class OrganizationKind(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")
    AI_COMPANY = "ai_company", _("AI company")
    PARTS_SUPPLIER = "parts_supplier", _("Parts supplier")
    MATERIALS_SUPPLIER = "materials_supplier", _("Materials supplier")
    RESEARCH_INSTITUTE = "research_institute", _("Research institute")
    UNIVERSITY = "university", _("University")
    PUBLIC_AGENCY = "public_agency", _("Public agency")


class OrganizationSize(models.TextChoices):
    LARGE = "large", _("Large enterprise")
    MIDSIZE = "midsize", _("Mid-sized enterprise")
    SME = "sme", _("Small or medium enterprise")
    STARTUP = "startup", _("Startup")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Organization(TimeStampedModel):
    """A member organisation of the alliance."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_ko = models.CharField(_("name (Korean)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    size = models.CharField(
        _("size"), max_length=20, choices=OrganizationSize.choices, default=OrganizationSize.SME
    )
    business_registration_number = models.CharField(
        _("business registration number"),
        max_length=10,
        unique=True,
        validators=[validate_business_registration_number],
        help_text=_("10-digit Korean business registration number (사업자등록번호)."),
    )
    divisions = models.ManyToManyField(
        Division, verbose_name=_("divisions"), related_name="organizations", blank=True
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name_ko


class MembershipRole(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation admin")
    DATA_STEWARD = "data_steward", _("Data steward")
    MEMBER = "member", _("Member")


class Membership(TimeStampedModel):
    """A user's role in an organisation."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class DivisionLead(TimeStampedModel):
    """A user who leads a division: the second approver for that division's sharing requests."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="division_leads"
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.CASCADE, related_name="leads"
    )

    class Meta:
        verbose_name = _("division lead")
        verbose_name_plural = _("division leads")
        constraints = [
            models.UniqueConstraint(fields=["user", "division"], name="division_lead_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} leads {self.division.code}"


class ApiToken(models.Model):
    """A bearer token for scripts. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=16, help_text=_("First characters, to recognise it.")
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class InvitationStatus(models.TextChoices):
    # In context: a revoked invitation is 취소됨 (cancelled), a revoked grant 회수됨 (taken
    # back); one catalog holds both apps' messages, so the same msgid cannot say both.
    PENDING = "pending", pgettext_lazy("invitation", "Pending")
    ACCEPTED = "accepted", pgettext_lazy("invitation", "Accepted")
    REVOKED = "revoked", pgettext_lazy("invitation", "Revoked")
    EXPIRED = "expired", pgettext_lazy("invitation", "Expired")


class Invitation(models.Model):
    """An invitation by email for someone without an account to join an organisation.

    Only the SHA-256 of the token is stored, as for API tokens. `token_nonce` lets the email
    task make the token again (with SECRET_KEY, `accounts.invitations.invitation_token`); it
    is emptied once the email is sent, and then nothing here leads back to the token."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(
        _("role"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    invited_by = models.ForeignKey(
        User,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_sent",
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    token_nonce = models.CharField(_("token nonce"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        verbose_name=_("accepted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "email"], name="invitation_org_email"),
            models.Index(fields=["organization", "-created_at"], name="invitation_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.role})"

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_live(self) -> bool:
        return self.status == InvitationStatus.PENDING
