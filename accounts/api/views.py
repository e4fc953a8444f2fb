"""Account endpoints: divisions, organisations, memberships, API tokens and the caller."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from .. import selectors, services
from ..filters import MembershipFilter, OrganizationFilter
from ..models import ApiToken, Division, Membership, Organization, User
from ..permissions import MembershipPermission, OrganizationPermission, can_manage_memberships
from .mixins import ActorMixin, RegistryViewSet
from .serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenOutputSerializer,
    DivisionOutputSerializer,
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
