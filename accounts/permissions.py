"""Who may do what with organisations and memberships.

The rules are `can_*` predicates on an `Actor`, as in every app's permissions module; the DRF
permission classes below only apply them to a view's request and object.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.views import APIView

from .models import Membership, Organization
from .selectors import Actor, actor_for


def can_create_or_delete_organization(actor: Actor) -> bool:
    return actor.is_secretariat


def can_change_organization(actor: Actor, organization_id: int) -> bool:
    return actor.is_secretariat or actor.is_admin_of(organization_id)


def can_manage_memberships(actor: Actor, organization_id: int) -> bool:
    return actor.is_secretariat or actor.is_admin_of(organization_id)


def can_manage_invitations(actor: Actor, organization_id: int) -> bool:
    """Who may invite people into an organisation, list and revoke its invitations: the
    same people who manage its memberships."""
    return can_manage_memberships(actor, organization_id)


def require_invitation_rights(actor: Actor, organization_id: int) -> None:
    if not can_manage_invitations(actor, organization_id):
        raise PermissionDenied(
            _("Only the organisation's admins or the secretariat may manage its invitations.")
        )


def _actor(request: Request, view: APIView) -> Actor:
    actor = getattr(view, "actor", None)
    return actor if isinstance(actor, Actor) else actor_for(request.user)


class OrganizationPermission(permissions.BasePermission):
    """Signed-in members read; the secretariat creates and deletes; org admins edit their own."""

    message = _("Only the organisation's admins or the secretariat may change it.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        actor = _actor(request, view)
        if view.action in ("create", "destroy"):  # type: ignore[attr-defined]
            return can_create_or_delete_organization(actor)
        return True

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        assert isinstance(obj, Organization)
        return can_change_organization(_actor(request, view), obj.pk)


class MembershipPermission(permissions.BasePermission):
    """Members see their organisation's memberships; its admins and the secretariat change them."""

    message = _("Only the organisation's admins or the secretariat may manage its memberships.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        assert isinstance(obj, Membership)
        return can_manage_memberships(_actor(request, view), obj.organization_id)
