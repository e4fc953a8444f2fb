from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ApiTokenViewSet,
    DivisionViewSet,
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

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
