"""Writes and state changes for accounts. Every function runs in a transaction."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from audit.chain import audit_append
from common import jobs
from common.errors import Conflict
from common.outbound import TransientDeliveryError
from common.services import model_update

from .invitations import (
    invitation_email,
    invitation_nonce,
    invitation_token,
    invitation_token_hash,
)
from .models import (
    ApiToken,
    Division,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    User,
)
from .selectors import actor_for
from .validators import normalize_business_registration_number

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "maxr_"  # noqa: S105 (a label, not a secret)
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _hash_secret(secret: str) -> str:
    # The secret has 256 bits of entropy, so a fast hash is enough (no offline guessing).
    return hashlib.sha256(secret.encode()).hexdigest()


# --- login and tokens -------------------------------------------------------------------------


def _failure_keys(email: str, client_ip: str | None) -> list[str]:
    keys = [f"login-fail:email:{hashlib.sha256(email.lower().encode()).hexdigest()}"]
    if client_ip:
        keys.append(f"login-fail:ip:{client_ip}")
    return keys


def user_authenticate(*, email: str, password: str, client_ip: str | None) -> User:
    """Check a password; after repeated failures for an email or an address, refuse with 429."""
    keys = _failure_keys(email, client_ip)
    limit = settings.LOGIN_FAILURE_LIMIT
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    counts = cache.get_many(keys)
    if any(int(count) >= limit for count in counts.values()):
        raise exceptions.Throttled(
            wait=window, detail=_("Too many failed logins. Try again later.")
        )
    user = authenticate(email=email.lower(), password=password)
    if user is None or not isinstance(user, User):
        for key in keys:
            cache.add(key, 0, timeout=window)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=window)
        raise exceptions.AuthenticationFailed(_("Wrong email or password."))
    cache.delete(keys[0])
    return user


def _audit_token(user: User, token: ApiToken, action: str) -> None:
    audit_append(
        actor=user,
        action=action,
        object_type="api_token",
        object_id=token.pk,
        organization_ids=user.memberships.values_list("organization_id", flat=True),
        data={"name": token.name, "prefix": token.prefix},
    )


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored nor shown again."""
    if expires_at is not None and expires_at <= timezone.now():
        raise exceptions.ValidationError({"expires_at": [_("Must be in the future.")]})
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if active.count() >= settings.API_TOKEN_MAX_PER_USER:
        raise Conflict(
            _("You have too many active tokens; revoke one first."), code="too_many_tokens"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash_secret(secret),
        expires_at=expires_at,
    )
    _audit_token(user, token, "api_token.created")
    return token, secret


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_secret(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not token.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    # Conditional update: revoking twice keeps the first revocation time.
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db()
    if changed:
        _audit_token(token.user, token, "api_token.revoked")
    return token


@transaction.atomic
def api_token_purge_expired(*, older_than: timedelta = timedelta(days=90)) -> int:
    """Delete tokens that expired or were revoked long ago. Safe to run twice."""
    cutoff = timezone.now() - older_than
    deleted, _counts = ApiToken.objects.filter(
        Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    ).delete()
    return deleted


# --- organisations and memberships ------------------------------------------------------------


@transaction.atomic
def organization_create(*, divisions: list[Division] | None = None, **fields: Any) -> Organization:
    fields["business_registration_number"] = normalize_business_registration_number(
        fields["business_registration_number"]
    )
    organization = Organization(**fields)
    organization.full_clean()
    organization.save()
    if divisions:
        organization.divisions.set(divisions)
    return organization


@transaction.atomic
def organization_update(
    *, organization: Organization, divisions: list[Division] | None = None, **fields: Any
) -> Organization:
    if "business_registration_number" in fields:
        fields["business_registration_number"] = normalize_business_registration_number(
            fields["business_registration_number"]
        )
    model_update(instance=organization, data=fields)
    if divisions is not None:
        organization.divisions.set(divisions)
    return organization


@transaction.atomic
def organization_delete(*, organization: Organization) -> None:
    if organization.datasets.exists():
        raise Conflict(
            _("This organisation still publishes datasets."), code="organization_has_datasets"
        )
    organization.delete()


def _lock_organization(organization_id: int) -> None:
    """Serialise role changes in one organisation: two admins demoting each other at once
    would otherwise each lock their own row first and deadlock."""
    Organization.objects.select_for_update().filter(pk=organization_id).values_list("pk").get()


def _ensure_an_admin_remains(membership: Membership) -> None:
    others = (
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=MembershipRole.ORG_ADMIN)
        .exclude(pk=membership.pk)
    )
    if not list(others):
        raise Conflict(
            _("An organisation must keep at least one organisation admin."),
            code="last_org_admin",
        )


@transaction.atomic
def membership_create(*, organization: Organization, email: str, role: str) -> Membership:
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise exceptions.ValidationError(
            {"email": [exceptions.ErrorDetail(_("No active user has this email."), "unknown_user")]}
        )
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise Conflict(_("This user is already a member."), code="membership_exists")
    return Membership.objects.create(organization=organization, user=user, role=role)


@transaction.atomic
def membership_update(*, membership: Membership, role: str) -> Membership:
    _lock_organization(membership.organization_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == MembershipRole.ORG_ADMIN and role != MembershipRole.ORG_ADMIN:
        _ensure_an_admin_remains(membership)
    membership.role = role
    membership.save(update_fields=["role", "modified_at"])
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    _lock_organization(membership.organization_id)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == MembershipRole.ORG_ADMIN:
        _ensure_an_admin_remains(membership)
    membership.delete()


# --- invitations ------------------------------------------------------------------------------
#
# An invitation brings someone without an account into an organisation: an org admin (or the
# secretariat) invites an email address with a role; the invitee gets a link by email, chooses
# a password, and their account and membership are created together. Someone who already has
# an account is not invited (409 `account_exists`): their admin adds the membership directly
# (POST /api/v1/memberships/). That keeps accepting free of any sign-in: the link alone never
# adds a membership to an account that exists.


def _audit_invitation(actor: User | None, invitation: Invitation, action: str) -> None:
    audit_append(
        actor=actor,
        action=action,
        object_type="invitation",
        object_id=invitation.pk,
        organization_ids=[invitation.organization_id],
        data={"email": invitation.email, "role": invitation.role},
    )


def _require_invitation_rights(user: User, organization_id: int) -> None:
    # Imported here: `permissions` imports DRF's views, whose settings import the bearer
    # authentication, which imports this module.
    from .permissions import require_invitation_rights

    require_invitation_rights(actor_for(user), organization_id)


def _refuse_unless_live(invitation: Invitation) -> None:
    """The 409 for an invitation that can no longer be accepted (or revoked)."""
    status = invitation.status
    if status == InvitationStatus.ACCEPTED:
        raise Conflict(_("This invitation has already been accepted."), code="invitation_accepted")
    if status == InvitationStatus.REVOKED:
        raise Conflict(_("This invitation has been revoked."), code="invitation_revoked")
    if status == InvitationStatus.EXPIRED:
        raise Conflict(_("This invitation has expired."), code="invitation_expired")


def invitation_email_normalize(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: User
) -> tuple[Invitation, str]:
    """Invite `email` into `organization` with `role` and queue the email; returns the
    invitation and its token, which is stored only as a hash and goes out by email only.

    `invited_by` must be an admin of the organisation or the secretariat (403). 409
    `already_member` when the address belongs to a member, `account_exists` when it belongs
    to an account (add the membership instead), `invitation_exists` when a live invitation
    for it is already open (revoke it first)."""
    _require_invitation_rights(invited_by, organization.pk)
    email = invitation_email_normalize(email)
    _lock_organization(organization.pk)  # one live invitation per address, even under races
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(_("This person is already a member."), code="already_member")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(
            _("This person already has an account: add them as a member instead."),
            code="account_exists",
        )
    now = timezone.now()
    if Invitation.objects.filter(
        organization=organization,
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).exists():
        raise Conflict(
            _("An invitation for this address is already open; revoke it first."),
            code="invitation_exists",
        )
    nonce = invitation_nonce()
    token = invitation_token(nonce)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        invited_by=invited_by,
        token_hash=invitation_token_hash(token),
        token_nonce=nonce,
        created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    _audit_invitation(invited_by, invitation, "invitation.created")
    jobs.enqueue_on_commit("accounts.invitation_send", invitation.pk)
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, revoked_by: User) -> Invitation:
    """Revoke an open invitation (its link stops working). Revoking twice keeps the first
    revocation; an accepted invitation cannot be revoked (409 `invitation_accepted`)."""
    _require_invitation_rights(revoked_by, invitation.organization_id)
    changed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), token_nonce="")
    invitation.refresh_from_db()
    if changed:
        _audit_invitation(revoked_by, invitation, "invitation.revoked")
    elif invitation.accepted_at is not None:
        _refuse_unless_live(invitation)
    return invitation


def _password_errors(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(
            {
                "password": [
                    exceptions.ErrorDetail(" ".join(error.messages), error.code or "invalid")
                    for error in exc.error_list
                ]
            }
        ) from exc


@transaction.atomic
def invitation_accept(*, token: str, password: str, full_name: str = "") -> User:
    """Accept an invitation: create the invitee's account (their email, this password) and
    their membership with the invited role, in one transaction.

    404 `invitation_not_found` for an unknown token; 409 `invitation_accepted`,
    `invitation_revoked` or `invitation_expired` for one that is no longer open, and
    `account_exists` when the address got an account meanwhile; 400 on `password` when
    Django's password validators refuse it. The invitation is taken with a conditional
    UPDATE, so of two concurrent accepts one creates the user and the other gets 409."""
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )
    if invitation is None:
        raise exceptions.NotFound(_("No such invitation."), code="invitation_not_found")
    _refuse_unless_live(invitation)
    _password_errors(password, User(email=invitation.email, full_name=full_name))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise Conflict(
            _("An account with this email exists already: sign in instead."),
            code="account_exists",
        )
    now = timezone.now()
    taken = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now, token_nonce="")
    if not taken:  # another request accepted (or someone revoked) it meanwhile
        invitation.refresh_from_db()
        _refuse_unless_live(invitation)
        raise Conflict(_("This invitation has already been accepted."), code="invitation_accepted")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=invitation.email, password=password, full_name=full_name
            )
    except IntegrityError as exc:  # an account for the address was created meanwhile
        raise Conflict(
            _("An account with this email exists already: sign in instead."),
            code="account_exists",
        ) from exc
    Membership.objects.create(organization=invitation.organization, user=user, role=invitation.role)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    invitation.accepted_at, invitation.accepted_by = now, user
    _audit_invitation(user, invitation, "invitation.accepted")
    return user


def invitation_send(*, invitation_id: int) -> bool:
    """Send an invitation's email; False when there is nothing to send (sent already, no
    longer open, or another worker is sending it right now).

    The row is locked while the email is handed to the mail server (the task's time limit
    bounds it), so two deliveries of the task never send at once; `email_sent_at` is set, and
    the nonce emptied, in the same transaction. A worker that dies before committing leaves the
    row unsent and the broker delivers the task again (acks_late): email goes out at least
    once, every copy with the same Message-ID. A mail server error raises
    `TransientDeliveryError` for the task to retry.

    No sweep: the outbox publishes the task even when the broker was down at commit, a dead
    worker's task is delivered again, and a mail server that refuses every retry leaves
    `email_sent_at` empty on the invitation, for its admins to see (revoke and invite again)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization", "invited_by")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or invitation.email_sent_at is not None or not invitation.is_live:
            return False
        token = invitation_token(invitation.token_nonce) if invitation.token_nonce else ""
        if not token or invitation_token_hash(token) != invitation.token_hash:
            # SECRET_KEY changed since the invitation was made: its link cannot be written.
            logger.error("invitation %s: its token cannot be made again; not sent", invitation.pk)
            return False
        try:
            invitation_email(invitation, token).send()
        except Exception as exc:  # SMTP errors are many; all of them mean "try again later"
            raise TransientDeliveryError(str(exc)) from exc
        invitation.email_sent_at = timezone.now()
        invitation.token_nonce = ""
        invitation.save(update_fields=["email_sent_at", "token_nonce"])
    return True
