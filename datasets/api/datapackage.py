"""`GET .../versions/{id}/datapackage.json`: a version as a Frictionless Data Package."""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..datapackage import MEDIA_TYPE as DATA_PACKAGE
from .formats import DataPackageRenderer, datapackage_response
from .views import DATASET_KEY, DatasetScopedMixin


@extend_schema(tags=["versions"], parameters=[DATASET_KEY])
class VersionDataPackageView(DatasetScopedMixin):
    """A version as a Frictionless Data Package: whoever may see the version may read it."""

    renderer_classes = [JSONRenderer, DataPackageRenderer]

    @extend_schema(
        operation_id="datasets_versions_datapackage_retrieve",
        summary="The version as a Frictionless Data Package descriptor",
        description=(
            "One resource per data distribution (samples are left out), with the version's "
            "Table Schema on tabular resources. The version detail returns the same with "
            "`Accept: application/vnd.datapackage+json`."
        ),
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, DATA_PACKAGE): OpenApiTypes.OBJECT,
        },
    )
    def retrieve(self, request: Request, dataset: str, pk: str) -> Response:
        return datapackage_response(
            request=request, actor=self.actor, dataset=self.get_dataset(), version_id=pk
        )


urlpatterns: list[URLPattern] = [
    path(
        "datasets/<str:dataset>/versions/<uuid:pk>/datapackage.json",
        VersionDataPackageView.as_view({"get": "retrieve"}),
        name="version-datapackage",
    ),
]
