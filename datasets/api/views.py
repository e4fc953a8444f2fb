"""Catalog endpoints. Views validate input, call a service or selector, serialise the result."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.mixins import RegistryViewSet
from accounts.selectors import acting_organization
from common.parsers import FormParser, JSONParser, MultiPartParser
from common.serializers import NoBodySerializer
from common.uploads import limit_uploads

from .. import selectors, services
from ..datapackage import MEDIA_TYPE as DATA_PACKAGE
from ..filters import DatasetFilter, DatasetOrderingFilter
from ..models import Dataset, DatasetRevision, DatasetVersion, Distribution
from ..permissions import (
    can_see_revision_authors,
    require_any_steward,
    require_dataset_steward,
    require_distribution_download,
    require_publisher_unchanged,
)
from ..services import validation as validation_services
from .formats import DataPackageNegotiationMixin, datapackage_response
from .serializers import (
    DatasetInputSerializer,
    DatasetOutputSerializer,
    DatasetRevisionSerializer,
    DistributionInputSerializer,
    DistributionOutputSerializer,
    DistributionUpdateSerializer,
    PreviewSerializer,
    PublishInputSerializer,
    SampleInputSerializer,
    SchemaInputSerializer,
    SchemaOutputSerializer,
    ValidationReportSerializer,
    VersionInputSerializer,
    VersionOutputSerializer,
    report_context,
)

DATASET_KEY = OpenApiParameter(
    "dataset", OpenApiTypes.STR, OpenApiParameter.PATH, description="Dataset UUID or slug."
)


class DatasetScopedMixin(RegistryViewSet):
    """Resolves the dataset in the URL from the caller's visible set (404 otherwise)."""

    dataset_url_kwarg = "dataset"

    def get_dataset(self) -> Dataset:
        if not hasattr(self, "_dataset"):
            dataset = selectors.dataset_get(
                actor=self.actor, key=self.kwargs[self.dataset_url_kwarg]
            )
            if dataset is None:
                raise Http404
            self._dataset = dataset
        return self._dataset

    def require_steward(self, dataset: Dataset) -> None:
        require_dataset_steward(self.actor, dataset)


@extend_schema(tags=["datasets"])
@extend_schema_view(
    list=extend_schema(summary="List and search datasets"),
    retrieve=extend_schema(summary="Get a dataset", parameters=[DATASET_KEY]),
)
class DatasetViewSet(DatasetScopedMixin):
    """The catalog. Drafts: the publisher only. Anonymous callers: public datasets only."""

    filter_backends = [DjangoFilterBackend, DatasetOrderingFilter]
    filterset_class = DatasetFilter
    ordering_fields = ["modified_at", "created_at", "title_ko", "title_en", "relevance"]
    ordering = "-modified_at"
    lookup_value_regex = "[^/]+"
    lookup_url_kwarg = "dataset"
    serializer_class = DatasetOutputSerializer

    def get_queryset(self) -> QuerySet[Dataset]:
        return selectors.dataset_list(actor=self.actor)

    def get_object(self) -> Dataset:
        return self.get_dataset()

    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DatasetOutputSerializer(page, many=True).data)

    def retrieve(self, request: Request, dataset: str) -> Response:
        return Response(DatasetOutputSerializer(self.get_object()).data)

    def _output(self, dataset: Dataset, status_code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the selector so the answer has the same shape as a GET.
        fresh = selectors.dataset_get(actor=self.actor, key=str(dataset.pk))
        return Response(DatasetOutputSerializer(fresh).data, status=status_code)

    @extend_schema(
        summary="Create a dataset (as a draft)",
        request=DatasetInputSerializer,
        responses={201: DatasetOutputSerializer},
    )
    def create(self, request: Request) -> Response:
        require_any_steward(self.actor)
        serializer = DatasetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        publisher = acting_organization(
            actor=self.actor, named=data.pop("publisher", None), role="steward"
        )
        dataset = services.dataset_create(publisher=publisher, changed_by=self.actor.user, **data)
        return self._output(dataset, status.HTTP_201_CREATED)

    def _update(self, request: Request, partial: bool) -> Response:
        dataset = self.get_object()
        self.require_steward(dataset)
        serializer = DatasetInputSerializer(dataset, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        require_publisher_unchanged(dataset, data.pop("publisher", None))
        dataset = services.dataset_update(dataset=dataset, changed_by=self.actor.user, **data)
        return self._output(dataset)

    @extend_schema(
        summary="Replace a dataset's metadata",
        parameters=[DATASET_KEY],
        request=DatasetInputSerializer,
        responses=DatasetOutputSerializer,
    )
    def update(self, request: Request, dataset: str) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        summary="Change some of a dataset's metadata",
        parameters=[DATASET_KEY],
        request=DatasetInputSerializer,
        responses=DatasetOutputSerializer,
    )
    def partial_update(self, request: Request, dataset: str) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        summary="Delete a draft dataset", parameters=[DATASET_KEY], responses={204: None}
    )
    def destroy(self, request: Request, dataset: str) -> Response:
        obj = self.get_object()
        self.require_steward(obj)
        services.dataset_delete(dataset=obj)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, service: Any) -> Response:
        dataset = self.get_object()
        self.require_steward(dataset)
        NoBodySerializer.check(self.request)
        return self._output(service(dataset=dataset))

    @extend_schema(
        summary="Mark a published dataset deprecated",
        parameters=[DATASET_KEY],
        request=None,
        responses=DatasetOutputSerializer,
    )
    @action(detail=True, methods=["post"])
    def deprecate(self, request: Request, dataset: str) -> Response:
        return self._transition(services.dataset_deprecate)

    @extend_schema(
        summary="Withdraw a dataset from the catalog",
        parameters=[DATASET_KEY],
        request=None,
        responses=DatasetOutputSerializer,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, dataset: str) -> Response:
        return self._transition(services.dataset_withdraw)


@extend_schema(tags=["datasets"], parameters=[DATASET_KEY])
class DatasetRevisionViewSet(DatasetScopedMixin):
    """A dataset's metadata history, newest first; visible to whoever sees the dataset."""

    serializer_class = DatasetRevisionSerializer
    filter_backends: list[Any] = []
    ordering = "-number"
    queryset = DatasetRevision.objects.none()

    def get_queryset(self) -> QuerySet[DatasetRevision]:
        return selectors.revision_list(dataset=self.get_dataset())

    @extend_schema(summary="A dataset's revisions, newest first")
    def list(self, request: Request, dataset: str) -> Response:
        parent = self.get_dataset()
        page = self.paginate_queryset(self.get_queryset())
        insider = can_see_revision_authors(self.actor, parent)
        return self.get_paginated_response(
            DatasetRevisionSerializer(page, many=True, context={"insider": insider}).data
        )


@extend_schema(tags=["versions"], parameters=[DATASET_KEY])
class VersionViewSet(DataPackageNegotiationMixin, DatasetScopedMixin):
    """Versions of one dataset. Drafts: the publisher only. Published versions are immutable."""

    serializer_class = VersionOutputSerializer
    ordering = "-created_at"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[DatasetVersion]:
        return selectors.version_list(actor=self.actor, dataset=self.get_dataset())

    def get_object(self) -> DatasetVersion:
        try:
            version = self.get_queryset().get(pk=self.kwargs["pk"])
        except (DatasetVersion.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        version.dataset = self.get_dataset()
        return version

    def report_context(self) -> dict[str, Any]:
        """Whether the caller may read what quotes the checked file's cells in reports."""
        return report_context(self.actor, self.get_dataset())

    def version_output(self, version: DatasetVersion) -> Any:
        return VersionOutputSerializer(version, context=self.report_context()).data

    @extend_schema(summary="List a dataset's versions")
    def list(self, request: Request, dataset: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            VersionOutputSerializer(page, many=True, context=self.report_context()).data
        )

    @extend_schema(
        summary="Get a version",
        description="With `Accept: application/vnd.datapackage+json`: the version as a "
        "Frictionless Data Package descriptor (as `…/datapackage.json`).",
        responses={
            (200, "application/json"): VersionOutputSerializer,
            (200, DATA_PACKAGE): OpenApiTypes.OBJECT,
        },
    )
    def retrieve(self, request: Request, dataset: str, pk: str) -> Response:
        if self.wants_datapackage(request):
            return datapackage_response(
                request=request, actor=self.actor, dataset=self.get_dataset(), version_id=pk
            )
        return Response(self.version_output(self.get_object()))

    @extend_schema(
        summary="Create a draft version",
        request=VersionInputSerializer,
        responses={201: VersionOutputSerializer},
    )
    def create(self, request: Request, dataset: str) -> Response:
        parent = self.get_dataset()
        self.require_steward(parent)
        serializer = VersionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.version_create(dataset=parent, **serializer.validated_data)
        return Response(self.version_output(version), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a draft version",
        request=VersionInputSerializer,
        responses=VersionOutputSerializer,
    )
    def partial_update(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        self.require_steward(version.dataset)
        serializer = VersionInputSerializer(version, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = services.version_update(version=version, fields=dict(serializer.validated_data))
        return Response(self.version_output(self._fresh(version)))

    @extend_schema(summary="Delete a draft version", responses={204: None})
    def destroy(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        self.require_steward(version.dataset)
        services.version_delete(version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Cap uploads while they stream in, before anything reads the body.
        kind = {"samples": "sample", "version_schema": "schema"}.get(
            getattr(self, "action", ""), ""
        )
        if kind and request.method in ("POST", "PUT"):
            limit_uploads(request, settings.UPLOAD_LIMITS[kind])
        super().initial(request, *args, **kwargs)

    def _fresh(self, version: DatasetVersion) -> DatasetVersion:
        return self.get_queryset().get(pk=version.pk)

    @extend_schema(
        summary="Publish a version (it becomes immutable)",
        description=(
            "Allowed when the version's schema is valid, its sample passed its check and the "
            "schema keeps the dataset's compatibility mode; otherwise 409 with `reasons`. A "
            "`waiver_reason` publishes anyway and is shown to every reader."
        ),
        request=PublishInputSerializer,
        responses=VersionOutputSerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        self.require_steward(version.dataset)
        serializer = PublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assert self.actor.user is not None
        version = validation_services.version_publish_validated(
            version=version,
            actor=self.actor.user,
            waiver_reason=serializer.validated_data.get("waiver_reason", ""),
        )
        return Response(self.version_output(self._fresh(version)))

    @extend_schema(
        methods=["GET"], summary="The version's schema", responses=SchemaOutputSerializer
    )
    @extend_schema(
        methods=["PUT"],
        summary="Set the schema of a draft version (inline JSON or a file); the workers check it",
        request={
            "application/json": SchemaInputSerializer,
            "multipart/form-data": SchemaInputSerializer,
        },
        responses=VersionOutputSerializer,
    )
    @action(
        detail=True,
        methods=["get", "put"],
        parser_classes=[JSONParser, MultiPartParser],
        url_path="schema",
    )
    def version_schema(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        if request.method == "GET":
            if version.schema is None:
                # Http404 would lose its message (the problem handler says "Not found.").
                raise NotFound(_("This version has no schema yet."))
            return Response({"kind": version.schema_kind, "schema": version.schema})
        self.require_steward(version.dataset)
        serializer = SchemaInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = validation_services.schema_set(
            version=version, kind=data["kind"], schema=data.get("schema"), file=data.get("file")
        )
        return Response(self.version_output(self._fresh(version)))

    @extend_schema(
        summary="Accept the schema the workers inferred from the sample",
        request=None,
        responses=VersionOutputSerializer,
    )
    @action(detail=True, methods=["post"], url_path="schema/accept-inferred")
    def accept_inferred_schema(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        self.require_steward(version.dataset)
        NoBodySerializer.check(request)
        version = validation_services.schema_accept_inferred(version=version)
        return Response(self.version_output(self._fresh(version)))

    @extend_schema(
        summary="Upload a sample (CSV/TSV, JSON Lines, Parquet, Excel); the workers check it",
        description="Streams to storage; SHA-256 and size are computed on the way. 413 over "
        "the sample size limit (in `limit_bytes`). `format` may be left out: the file's name "
        "and first bytes tell it.",
        request={"multipart/form-data": SampleInputSerializer},
        responses={201: DistributionOutputSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def samples(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        self.require_steward(version.dataset)
        serializer = SampleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sample = validation_services.sample_upload(
            version=version,
            file=data["file"],
            data_format=data.get("format"),
            encoding=data.get("encoding", ""),
            delimiter=data.get("delimiter", ""),
            sheet=data.get("sheet", ""),
            sha256=data.get("sha256", ""),
        )
        return Response(
            DistributionOutputSerializer(sample, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Check the version again (e.g. after a worker fault)",
        request=None,
        responses={202: ValidationReportSerializer},
    )
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        self.require_steward(version.dataset)
        NoBodySerializer.check(request)
        report = validation_services.validation_enqueue(version=version)
        return Response(
            ValidationReportSerializer(report, context=self.report_context()).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="The version's check reports, newest first",
        responses=ValidationReportSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def reports(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        page = self.paginate_queryset(selectors.validation_report_list(version=version))
        return self.get_paginated_response(
            ValidationReportSerializer(page, many=True, context=self.report_context()).data
        )

    @extend_schema(
        summary="The version's preview: the first rows of its checked file",
        description=(
            "Made by the workers when they check the file, with the version's `preview_rows` "
            "(default 20, at most 100) and without its `preview_excluded_columns`. Visible to "
            "whoever sees the version; the checked file itself only to the publisher's data "
            "stewards and the secretariat, and the data only through a grant (or when the "
            "dataset is public and the version published). 404 when the version has no "
            "preview (no checked file yet, or `preview_rows` is 0)."
        ),
        responses={200: PreviewSerializer},
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, dataset: str, pk: str) -> Response:
        version = self.get_object()
        preview = selectors.preview_get(
            actor=self.actor, dataset=version.dataset, version_id=version.pk
        )
        if preview is None:
            # Http404 would lose its message (the problem handler says "Not found.").
            raise NotFound(_("This version has no preview yet."))
        return Response(PreviewSerializer(preview).data)


@extend_schema(
    tags=["distributions"],
    parameters=[
        DATASET_KEY,
        OpenApiParameter("version", OpenApiTypes.UUID, OpenApiParameter.PATH),
    ],
)
class DistributionViewSet(DatasetScopedMixin):
    """Files or access URLs of one version."""

    serializer_class = DistributionOutputSerializer
    ordering = "created_at"
    filter_backends: list[Any] = []
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Data files are capped while they stream in, like samples and schemas.
        if request.method == "POST":
            limit_uploads(request, settings.UPLOAD_LIMITS["data"])
        super().initial(request, *args, **kwargs)

    def get_version(self) -> DatasetVersion:
        if not hasattr(self, "_version"):
            dataset = self.get_dataset()
            try:
                version = selectors.version_list(actor=self.actor, dataset=dataset).get(
                    pk=self.kwargs["version"]
                )
            except (DatasetVersion.DoesNotExist, ValueError) as exc:
                raise Http404 from exc
            version.dataset = dataset
            self._version = version
        return self._version

    def get_queryset(self) -> QuerySet[Distribution]:
        return selectors.distribution_list(actor=self.actor, version=self.get_version())

    def get_object(self) -> Distribution:
        try:
            distribution = self.get_queryset().get(pk=self.kwargs["pk"])
        except (Distribution.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        distribution.version = self.get_version()
        return distribution

    @extend_schema(summary="List a version's distributions")
    def list(self, request: Request, dataset: str, version: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            DistributionOutputSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(summary="Get a distribution")
    def retrieve(self, request: Request, dataset: str, version: str, pk: str) -> Response:
        return Response(
            DistributionOutputSerializer(self.get_object(), context={"request": request}).data
        )

    @extend_schema(
        summary="Add a distribution to a draft version (JSON with access_url, or a file upload)",
        request={
            "application/json": DistributionInputSerializer,
            "multipart/form-data": DistributionInputSerializer,
        },
        responses={201: DistributionOutputSerializer},
    )
    def create(self, request: Request, dataset: str, version: str) -> Response:
        parent = self.get_version()
        self.require_steward(parent.dataset)
        serializer = DistributionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        distribution = services.distribution_create(version=parent, **serializer.validated_data)
        return Response(
            DistributionOutputSerializer(distribution, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change a distribution of a draft version",
        request=DistributionUpdateSerializer,
        responses=DistributionOutputSerializer,
    )
    def partial_update(self, request: Request, dataset: str, version: str, pk: str) -> Response:
        distribution = self.get_object()
        self.require_steward(distribution.version.dataset)
        serializer = DistributionUpdateSerializer(distribution, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        distribution = services.distribution_update(
            distribution=distribution, **serializer.validated_data
        )
        output = DistributionOutputSerializer(distribution, context={"request": request})
        return Response(output.data)

    @extend_schema(summary="Delete a distribution of a draft version", responses={204: None})
    def destroy(self, request: Request, dataset: str, version: str, pk: str) -> Response:
        distribution = self.get_object()
        self.require_steward(distribution.version.dataset)
        services.distribution_delete(distribution=distribution)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download a distribution's file",
        description=(
            "The data (`role` `data`): the publishing organisation and the secretariat, and "
            "anyone for public datasets' published versions; other data comes through grants "
            "(`POST /grants/{id}/download-links/`). The checked file (`role` `sample`): the "
            "publisher's data stewards and the secretariat only (404 for others, who see "
            "`…/versions/{id}/preview/`)."
        ),
        # The file is served in its own media type (the distribution's `media_type`).
        responses={(200, "*/*"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, dataset: str, version: str, pk: str) -> FileResponse:
        distribution = self.get_object()
        require_distribution_download(self.actor, distribution)
        if not distribution.file:
            raise NotFound(_("This distribution has no file; use its access_url."))
        return FileResponse(
            distribution.file.open("rb"),
            as_attachment=True,
            filename=distribution.file_name,
            content_type=distribution.media_type or "application/octet-stream",
        )
