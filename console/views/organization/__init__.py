"""Pages of the organisation section: members and roles, invitations (and their public accept
page), webhooks, and the reader's API tokens."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import invitations, members, tokens, webhooks

urlpatterns: list[URLPattern | URLResolver] = [
    path("organization/", members.index, name="organization"),
    path("organization/tokens/", tokens.tokens, name="api-tokens"),
    # The link of an invitation's email (accounts.invitations.INVITATION_ACCEPT_PATH).
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation-accept"),
    path(
        "organization/<slug:slug>/invitations/",
        invitations.invitation_add,
        name="organization-invitation-add",
    ),
    path(
        "organization/<slug:slug>/invitations/<int:pk>/revoke/",
        invitations.invitation_revoke,
        name="organization-invitation-revoke",
    ),
    path("organization/tokens/<int:pk>/revoke/", tokens.token_revoke, name="api-token-revoke"),
    path("organization/<slug:slug>/", members.detail, name="organization-detail"),
    path("organization/<slug:slug>/members/", members.member_add, name="organization-member-add"),
    path(
        "organization/<slug:slug>/members/<int:pk>/",
        members.member_update,
        name="organization-member-update",
    ),
    path(
        "organization/<slug:slug>/members/<int:pk>/remove/",
        members.member_remove,
        name="organization-member-remove",
    ),
    path(
        "organization/<slug:slug>/webhooks/", webhooks.webhook_add, name="organization-webhook-add"
    ),
    path(
        "organization/<slug:slug>/webhooks/<uuid:pk>/",
        webhooks.webhook_detail,
        name="organization-webhook",
    ),
    path(
        "organization/<slug:slug>/webhooks/<uuid:pk>/ping/",
        webhooks.webhook_ping,
        name="organization-webhook-ping",
    ),
]
