from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from .views import (
    AccessPolicyOdrlView,
    AccessPolicyRevisionsView,
    AccessPolicyView,
    AgreementViewSet,
    AuditEventViewSet,
    DownloadFileView,
    DownloadViewSet,
    EligibilityView,
    GrantViewSet,
    SharingRequestViewSet,
    WebhookEndpointViewSet,
)

router = SimpleRouter()
router.register("sharing-requests", SharingRequestViewSet, basename="sharing-request")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("grants", GrantViewSet, basename="grant")
router.register("downloads", DownloadViewSet, basename="download")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path("datasets/<str:dataset>/policy/", AccessPolicyView.as_view(), name="access-policy"),
    path(
        "datasets/<str:dataset>/policy/revisions/",
        AccessPolicyRevisionsView.as_view(),
        name="access-policy-revisions",
    ),
    path(
        "datasets/<str:dataset>/policy/odrl/",
        AccessPolicyOdrlView.as_view(),
        name="access-policy-odrl",
    ),
    re_path(
        r"^datasets/(?P<dataset>[^/]+)/eligibility/?$",
        EligibilityView.as_view(),
        name="dataset-eligibility",
    ),
    path("download-links/<str:signed>/", DownloadFileView.as_view(), name="download-file"),
    *router.urls,
]

from .catalog import urlpatterns as catalog_urlpatterns  # noqa: E402

urlpatterns += catalog_urlpatterns
