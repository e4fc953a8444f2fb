from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ApiTokenViewSet,
    DivisionViewSet,
    InvitationAcceptView,
    InvitationTokenView,
    InvitationViewSet,
    MembershipViewSet,
    MeView,
    OrganizationViewSet,
    TokenObtainView,
)

router = SimpleRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("auth/tokens", ApiTokenViewSet, basename="api-token")

invitation_list = InvitationViewSet.as_view({"get": "list", "post": "create"})
invitation_detail = InvitationViewSet.as_view({"get": "retrieve", "delete": "destroy"})

urlpatterns = [
    path("organizations/<slug:slug>/invitations/", invitation_list, name="invitation-list"),
    path(
        "organizations/<slug:slug>/invitations/<int:pk>/",
        invitation_detail,
        name="invitation-detail",
    ),
    path("invitations/<str:token>/", InvitationTokenView.as_view(), name="invitation-token"),
    path(
        "invitations/<str:token>/accept/", InvitationAcceptView.as_view(), name="invitation-accept"
    ),
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
