"""Writes and state changes for accounts. Every function runs in a transaction."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from audit.chain import audit_append
from common.errors import Conflict
from common.services import model_update

from .models import ApiToken, Division, Membership, MembershipRole, Organization, User
from .validators import normalize_business_registration_number

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
