"""Account endpoints: divisions, organisations, memberships, API tokens and the caller."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from .. import selectors, services
from ..filters import MembershipFilter, OrganizationFilter
from ..models import ApiToken, Division, Invitation, Membership, Organization, User
from ..permissions import (
    MembershipPermission,
    OrganizationPermission,
    can_manage_memberships,
    require_invitation_rights,
)
from .mixins import ActorMixin, RegistryViewSet
from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenOutputSerializer,
    DivisionOutputSerializer,
    InvitationAcceptedSerializer,
    InvitationAcceptSerializer,
    InvitationCreateSerializer,
    InvitationOutputSerializer,
    InvitationPublicSerializer,
    MembershipCreateSerializer,
    MembershipOutputSerializer,
    MembershipUpdateSerializer,
    MeSerializer,
    OrganizationInputSerializer,
    OrganizationOutputSerializer,
    TokenObtainSerializer,
)


@extend_schema(tags=["divisions"])
@extend_schema_view(
    list=extend_schema(summary="List the alliance's divisions"),
    retrieve=extend_schema(summary="Get a division by its code"),
)
class DivisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    """The ten divisions. Public."""

    queryset = Division.objects.all()
    serializer_class = DivisionOutputSerializer
    lookup_field = "code"
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Division]:
        return selectors.division_list()


@extend_schema(tags=["organizations"])
@extend_schema_view(
    list=extend_schema(summary="List member organisations"),
    retrieve=extend_schema(summary="Get an organisation"),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = OrganizationOutputSerializer
    permission_classes = [OrganizationPermission]
    filterset_class = OrganizationFilter
    ordering_fields = ["slug", "created_at"]
    ordering = "slug"
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Organization]:
        return selectors.organization_list()

    @extend_schema(
        summary="Create an organisation (secretariat)",
        request=OrganizationInputSerializer,
        responses={201: OrganizationOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = OrganizationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(**serializer.validated_data)
        return Response(
            OrganizationOutputSerializer(organization).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change an organisation (its admins or the secretariat)",
        request=OrganizationInputSerializer,
        responses=OrganizationOutputSerializer,
    )
    def partial_update(self, request: Request, slug: str) -> Response:
        organization = self.get_object()
        serializer = OrganizationInputSerializer(organization, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_update(
            organization=organization, **serializer.validated_data
        )
        return Response(OrganizationOutputSerializer(organization).data)

    @extend_schema(summary="Delete an organisation (secretariat)", responses={204: None})
    def destroy(self, request: Request, slug: str) -> Response:
        services.organization_delete(organization=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["memberships"])
@extend_schema_view(
    list=extend_schema(summary="List memberships of your organisations"),
    retrieve=extend_schema(summary="Get a membership"),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = MembershipOutputSerializer
    permission_classes = [MembershipPermission]
    filterset_class = MembershipFilter
    ordering_fields = ["created_at"]
    ordering = "created_at"

    def get_queryset(self) -> QuerySet[Membership]:
        return selectors.membership_list(actor=self.actor)

    @extend_schema(
        summary="Add a user to an organisation (its admins or the secretariat)",
        request=MembershipCreateSerializer,
        responses={201: MembershipOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = MembershipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization: Organization = serializer.validated_data["organization"]
        if not can_manage_memberships(self.actor, organization.pk):
            raise PermissionDenied(MembershipPermission.message)
        # The email is resolved only after the permission check, so that outsiders cannot
        # probe which addresses are registered.
        membership = services.membership_create(
            organization=organization,
            email=serializer.validated_data["email"],
            role=serializer.validated_data["role"],
        )
        return Response(MembershipOutputSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a member's role",
        request=MembershipUpdateSerializer,
        responses=MembershipOutputSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        membership = self.get_object()
        serializer = MembershipUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_update(
            membership=membership, role=serializer.validated_data["role"]
        )
        return Response(MembershipOutputSerializer(membership).data)

    @extend_schema(summary="Remove a member", responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.membership_delete(membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _client_ip(request: Request) -> str | None:
    # Honours NUM_PROXIES, as DRF's throttles do: behind a proxy REMOTE_ADDR is the proxy's.
    return BaseThrottle().get_ident(request)


class TokenObtainView(APIView):
    """Exchange email and password for a new API token."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []
    throttle_scope = "login"

    def get_authenticate_header(self, request: Request) -> str:
        # A failed login is a 401 challenge, not a 403.
        return 'Bearer realm="api"'

    def get_throttles(self) -> list[Any]:
        from rest_framework.throttling import ScopedRateThrottle

        return [ScopedRateThrottle()]

    @extend_schema(
        tags=["auth"],
        summary="Get an API token with email and password",
        description=(
            "Returns a new token; its secret is shown only in this response. Send it as "
            "`Authorization: Bearer <token>`. Repeated failures for one email or one address "
            "are refused with 429 for a while."
        ),
        request=TokenObtainSerializer,
        responses={201: ApiTokenCreatedSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = TokenObtainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_authenticate(
            email=data["email"], password=data["password"], client_ip=_client_ip(request)
        )
        token, secret = services.api_token_create(
            user=user, name=data["name"], expires_at=data.get("expires_at")
        )
        body = ApiTokenOutputSerializer(token).data
        return Response({"token": secret, **body}, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"])
@extend_schema_view(
    list=extend_schema(summary="List your API tokens"),
    retrieve=extend_schema(summary="Get one of your API tokens"),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    queryset = ApiToken.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = ApiTokenOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list[Any] = []
    ordering = "-created_at"

    def get_queryset(self) -> QuerySet[ApiToken]:
        assert isinstance(self.request.user, User)
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(summary="Revoke one of your API tokens", responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.api_token_revoke(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(ActorMixin):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["auth"],
        summary="Who am I: your organisations, roles and divisions you lead",
        responses=MeSerializer,
    )
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        return Response(MeSerializer(selectors.user_profile(user=request.user)).data)


# --- invitations ------------------------------------------------------------------------------

ORGANIZATION_SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Organisation slug."
)
INVITATION_TOKEN = OpenApiParameter(
    "token", OpenApiTypes.STR, OpenApiParameter.PATH, description="The token of the email's link."
)


@extend_schema(tags=["invitations"], parameters=[ORGANIZATION_SLUG])
@extend_schema_view(
    list=extend_schema(summary="List an organisation's invitations (its admins, the secretariat)"),
    retrieve=extend_schema(summary="Get one of an organisation's invitations"),
)
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    """Invitations by email into one organisation, for its admins and the secretariat: other
    signed-in callers get 403, an unknown organisation 404."""

    queryset = Invitation.objects.none()  # for the schema; get_queryset scopes to the org
    serializer_class = InvitationOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list[Any] = []
    ordering = "-created_at"

    @cached_property
    def organization(self) -> Organization:
        if not self.actor.is_authenticated:
            raise NotAuthenticated()
        organization = Organization.objects.filter(slug=self.kwargs["slug"]).first()
        if organization is None:
            raise Http404
        require_invitation_rights(self.actor, organization.pk)
        return organization

    def get_queryset(self) -> QuerySet[Invitation]:
        return selectors.invitation_list(organization=self.organization)

    @extend_schema(
        summary="Invite someone without an account by email (its admins, the secretariat)",
        description=(
            "Creates the invitation and emails its link (valid `INVITATION_TTL_DAYS` days). "
            "The token is never returned. 409 `already_member` when the address belongs to a "
            "member, `account_exists` when it belongs to an account (add it through "
            "`POST /memberships/` instead), `invitation_exists` when one is open already."
        ),
        request=InvitationCreateSerializer,
        responses={201: InvitationOutputSerializer},
    )
    def create(self, request: Request, slug: str) -> Response:
        organization = self.organization
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assert isinstance(request.user, User)
        invitation, _token = services.invitation_create(
            organization=organization,
            email=serializer.validated_data["email"],
            role=serializer.validated_data["role"],
            invited_by=request.user,
        )
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an invitation (its link stops working)",
        responses={204: None},
    )
    def destroy(self, request: Request, slug: str, pk: str) -> Response:
        assert isinstance(request.user, User)
        services.invitation_revoke(invitation=self.get_object(), revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublicInvitationView(APIView):
    """For anyone holding an invitation's link: no authentication, throttled like signing in."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []
    throttle_scope = "login"

    def get_throttles(self) -> list[Any]:
        return [ScopedRateThrottle()]


class InvitationTokenView(PublicInvitationView):
    @extend_schema(
        tags=["invitations"],
        summary="An open invitation, by the token of its link",
        description=(
            "What the accept page shows: the organisation, the email invited, the role and "
            "when the invitation expires. 404 unless the invitation is open (not accepted, "
            "revoked or expired)."
        ),
        parameters=[INVITATION_TOKEN],
        responses=InvitationPublicSerializer,
    )
    def get(self, request: Request, token: str) -> Response:
        invitation = selectors.invitation_get_live(token=token)
        if invitation is None:
            raise Http404
        return Response(InvitationPublicSerializer(invitation).data)


class InvitationAcceptView(PublicInvitationView):
    @extend_schema(
        tags=["invitations"],
        summary="Accept an invitation: create your account and join the organisation",
        description=(
            "Creates the account (the invited email, this password) and its membership. "
            "Then get a token with `POST /auth/token/`. 400 when the password rules refuse the "
            "password; 404 for an unknown token; 409 `invitation_accepted`, "
            "`invitation_revoked`, `invitation_expired` or `account_exists`."
        ),
        parameters=[INVITATION_TOKEN],
        request=InvitationAcceptSerializer,
        responses={201: InvitationAcceptedSerializer},
    )
    def post(self, request: Request, token: str) -> Response:
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.invitation_accept(token=token, **serializer.validated_data)
        membership = user.memberships.select_related("organization").get()
        return Response(
            InvitationAcceptedSerializer(membership).data, status=status.HTTP_201_CREATED
        )
