from django.urls import path

from .views import DatasetRevisionViewSet, DatasetViewSet, DistributionViewSet, VersionViewSet

dataset_list = DatasetViewSet.as_view({"get": "list", "post": "create"})
dataset_detail = DatasetViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
version_list = VersionViewSet.as_view({"get": "list", "post": "create"})
version_detail = VersionViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)
distribution_list = DistributionViewSet.as_view({"get": "list", "post": "create"})
distribution_detail = DistributionViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

V = "datasets/<str:dataset>/versions/<uuid:version>"

urlpatterns = [
    path("datasets/", dataset_list, name="dataset-list"),
    path("datasets/<str:dataset>/", dataset_detail, name="dataset-detail"),
    # datasets/<dataset>/publish/ (dataset-publish) is the registry's: publishing sets the
    # policy too (registry/api/publishing.py).
    path(
        "datasets/<str:dataset>/deprecate/",
        DatasetViewSet.as_view({"post": "deprecate"}),
        name="dataset-deprecate",
    ),
    path(
        "datasets/<str:dataset>/withdraw/",
        DatasetViewSet.as_view({"post": "withdraw"}),
        name="dataset-withdraw",
    ),
    path(
        "datasets/<str:dataset>/revisions/",
        DatasetRevisionViewSet.as_view({"get": "list"}),
        name="dataset-revisions",
    ),
    path("datasets/<str:dataset>/versions/", version_list, name="version-list"),
    path("datasets/<str:dataset>/versions/<uuid:pk>/", version_detail, name="version-detail"),
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/publish/",
        VersionViewSet.as_view({"post": "publish"}),
        name="version-publish",
    ),
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/schema/",
        VersionViewSet.as_view({"get": "version_schema", "put": "version_schema"}),
        name="version-schema",
    ),
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/schema/accept-inferred/",
        VersionViewSet.as_view({"post": "accept_inferred_schema"}),
        name="version-schema-accept-inferred",
    ),
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/samples/",
        VersionViewSet.as_view({"post": "samples"}),
        name="version-samples",
    ),
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/validate/",
        VersionViewSet.as_view({"post": "validate"}),
        name="version-validate",
    ),
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/reports/",
        VersionViewSet.as_view({"get": "reports"}),
        name="version-reports",
    ),
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/preview/",
        VersionViewSet.as_view({"get": "preview"}),
        name="version-preview",
    ),
    path(f"{V}/distributions/", distribution_list, name="distribution-list"),
    path(f"{V}/distributions/<uuid:pk>/", distribution_detail, name="distribution-detail"),
    path(
        f"{V}/distributions/<uuid:pk>/download/",
        DistributionViewSet.as_view({"get": "download"}),
        name="distribution-download",
    ),
]

# Open standards in and out, kept in their own modules.
from ..imports.api.urls import urlpatterns as import_urlpatterns  # noqa: E402
from .datapackage import urlpatterns as datapackage_urlpatterns  # noqa: E402

urlpatterns += datapackage_urlpatterns + import_urlpatterns
