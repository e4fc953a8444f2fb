"""Publishing in three calls, and the organisation's publishing defaults.

POST /datasets/from-file/ (a draft, version 1.0.0, the file and its check: 202),
GET /datasets/{dataset}/status/ (the check, the inferred schema, what is `missing`),
POST /datasets/{dataset}/publish/ (accept or edit the schema, pick a policy preset, publish),
GET/PUT/PATCH /organizations/{slug}/publishing-defaults/.

Mounted before the catalog's routes (config/urls.py): `datasets/from-file/` would otherwise be
read as a dataset called "from-file".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.mixins import ActorMixin
from accounts.models import Division, Organization
from accounts.selectors import Actor, acting_organization
from common.parsers import FormParser, JSONParser, MultiPartParser
from common.serializers import InputModelSerializer
from common.uploads import limit_uploads
from common.urls import absolute_url
from datasets import selectors as dataset_selectors
from datasets.api.serializers import (
    DatasetInputSerializer,
    DatasetOutputSerializer,
    ValidationReportSerializer,
)
from datasets.models import (
    DataFormat,
    Dataset,
    DatasetVersion,
    Distribution,
    SchemaKind,
    ValidationReport,
)
from datasets.permissions import (
    require_any_steward,
    require_dataset_steward,
    require_publisher_unchanged,
)

from ..models import PolicyPreset, PublishingDefaults
from ..permissions import can_change_publishing_defaults, can_read_publishing_defaults
from ..services import publishing

DATASET_KEY = OpenApiParameter(
    "dataset", OpenApiTypes.STR, OpenApiParameter.PATH, description="Dataset UUID or slug."
)


def _status_url(request: Request, dataset: Dataset) -> str:
    return absolute_url(reverse("dataset-status", kwargs={"dataset": dataset.pk}), request=request)


def _visible(actor: Any, key: str) -> Dataset:
    dataset = dataset_selectors.dataset_get(actor=actor, key=key)
    if dataset is None:
        raise Http404
    return dataset


# --- call 1 -----------------------------------------------------------------------------------


def sample_format_choices() -> list[tuple[str, Any]]:
    """The formats a checked file may have, as the sample upload lists them (and the OpenAPI
    document names them once: SampleFormatEnum in SPECTACULAR_SETTINGS)."""
    return [
        (data_format.value, data_format.label)
        for data_format in (
            DataFormat.CSV,
            DataFormat.TSV,
            DataFormat.JSONL,
            DataFormat.PARQUET,
            DataFormat.XLSX,
        )
    ]


class FromFileInputSerializer(DatasetInputSerializer):
    """The file, and any dataset metadata; all but the file optional."""

    publisher = None  # type: ignore[assignment]  # `organization` names it here
    file = serializers.FileField(
        help_text=_("The data file (CSV, TSV, JSON Lines, Parquet, Excel).")
    )
    title = serializers.CharField(
        required=False,
        max_length=300,
        help_text=_(
            "In one language: Korean text goes to title_ko, other to title_en. "
            "Default: the file's name."
        ),
    )
    format = serializers.ChoiceField(
        choices=sample_format_choices(),
        required=False,
        help_text=_("Leave out to detect it from the file's name and content."),
    )
    encoding = serializers.ChoiceField(
        choices=[("utf-8", "UTF-8"), ("utf-8-sig", _("UTF-8 with BOM")), ("cp949", "CP949/EUC-KR")],
        required=False,
        help_text=_("Leave out to detect it."),
    )
    delimiter = serializers.CharField(
        max_length=1, required=False, help_text=_("Leave out to sniff it.")
    )
    sheet = serializers.CharField(
        required=False, max_length=100, help_text=_("The sheet of a workbook (default: the first).")
    )
    organization = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("The publisher's slug; needed only when you steward several."),
    )
    policy_preset = serializers.ChoiceField(choices=PolicyPreset.choices, required=False)

    class Meta(DatasetInputSerializer.Meta):
        fields = [name for name in DatasetInputSerializer.Meta.fields if name != "publisher"] + [
            "file",
            "title",
            "format",
            "encoding",
            "delimiter",
            "sheet",
            "organization",
            "policy_preset",
        ]
        extra_kwargs: dict[str, Any] = {}


class FromFileOutputSerializer(serializers.Serializer[Any]):
    dataset = DatasetOutputSerializer()
    version = serializers.UUIDField()
    distribution = serializers.UUIDField()
    report = serializers.UUIDField()
    status_url = serializers.URLField()


def dataset_from_file(
    actor: Actor, data: Any
) -> tuple[Dataset, DatasetVersion, Distribution, ValidationReport]:
    """Call 1 from a multipart body (the API's and the console's upload form): its fields
    read by FromFileInputSerializer, the publisher the caller acts for, then the service."""
    require_any_steward(actor)
    serializer = FromFileInputSerializer(data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    fields = dict(serializer.validated_data)
    if "file" not in fields:
        raise serializers.ValidationError({"file": [gettext("Upload the data file.")]})
    publisher = acting_organization(
        actor=actor, named=fields.pop("organization", None), role="steward"
    )
    assert actor.user is not None
    return publishing.dataset_create_from_file(
        publisher=publisher,
        actor=actor.user,
        file=fields.pop("file"),
        title=fields.pop("title", ""),
        data_format=fields.pop("format", ""),
        encoding=fields.pop("encoding", ""),
        delimiter=fields.pop("delimiter", ""),
        sheet=fields.pop("sheet", ""),
        policy_preset=fields.pop("policy_preset", ""),
        **fields,
    )


@extend_schema(tags=["publishing"])
class DatasetFromFileView(ActorMixin):
    parser_classes = [MultiPartParser, FormParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The file is checked: the check's cap, while it streams in, before anything reads it.
        if request.method == "POST":
            limit_uploads(request, settings.UPLOAD_LIMITS["sample"])
        super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Publish step 1: a draft dataset from one file",
        description=(
            "Creates the draft (metadata left out comes from the organisation's publishing "
            "defaults), its policy, version 1.0.0, the distribution holding the file and its "
            "check, in one transaction. 202 with the dataset and `status_url`. 413 over the "
            "upload limit (`limit_bytes`)."
        ),
        request={"multipart/form-data": FromFileInputSerializer},
        responses={202: FromFileOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        dataset, version, distribution, report = dataset_from_file(self.actor, request.data)
        fresh = dataset_selectors.dataset_get(actor=self.actor, key=str(dataset.pk))
        return Response(
            {
                "dataset": DatasetOutputSerializer(fresh).data,
                "version": version.pk,
                "distribution": distribution.pk,
                "report": report.pk,
                "status_url": _status_url(request, dataset),
            },
            status=status.HTTP_202_ACCEPTED,
        )


# --- call 2 -----------------------------------------------------------------------------------


class MissingSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        help_text=_("The API's field name, or a step: schema, check, file, version, policy.")
    )
    code = serializers.CharField()
    detail = serializers.CharField()


class CheckSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    rows_read = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    report = ValidationReportSerializer()


class StatusOutputSerializer(serializers.Serializer[Any]):
    dataset = DatasetOutputSerializer()
    version = serializers.DictField(allow_null=True)
    check = CheckSerializer(allow_null=True)
    inferred_schema = serializers.JSONField(allow_null=True)
    policy = serializers.DictField()
    missing = MissingSerializer(many=True)
    status_url = serializers.URLField()


def _status_body(request: Request, dataset: Dataset) -> dict[str, Any]:
    current = publishing.publishing_status(dataset)
    version, report, inferred = current.version, current.report, current.inferred_schema
    policy, preset = current.policy, current.preset
    return {
        "dataset": DatasetOutputSerializer(dataset).data,
        "version": None
        if version is None
        else {
            "id": str(version.pk),
            "version": version.version,
            "status": version.status,
            "has_schema": version.schema is not None,
            "publish_requested_at": version.publish_requested_at,
            "publish_request_dropped_reason": gettext(version.publish_request_dropped_reason)
            if version.publish_request_dropped_reason
            else "",
        },
        "check": None
        if report is None
        else {
            "status": report.status,
            "rows_read": report.row_count,
            "started_at": report.started_at,
            "finished_at": report.finished_at,
            "report": ValidationReportSerializer(report, context={"checked_file": True}).data,
        },
        "inferred_schema": inferred,
        "policy": {
            "revision": policy.revision,
            "preset": preset,
            "approval_route": policy.approval_route,
        },
        "missing": current.missing,
        "status_url": _status_url(request, dataset),
    }


@extend_schema(tags=["publishing"], parameters=[DATASET_KEY])
class DatasetStatusView(ActorMixin):
    @extend_schema(
        summary="Publish step 2: the check's progress, the inferred schema, what is missing",
        description=(
            "For the publisher's data stewards and the secretariat. `missing` lists what "
            "publishing still needs, by the API's own field names (or a step: schema, check, "
            "file, version, policy); the publish call's 409 lists the same."
        ),
        responses=StatusOutputSerializer,
    )
    def get(self, request: Request, dataset: str) -> Response:
        obj = _visible(self.actor, dataset)
        publishing.require_status_reader(self.actor, obj)
        return Response(_status_body(request, obj))


# --- call 3 -----------------------------------------------------------------------------------


class SchemaChoiceField(serializers.JSONField):
    """ "inferred", or a schema object."""

    def to_internal_value(self, data: Any) -> Any:
        value: Any = super().to_internal_value(data)
        if value == "inferred" or isinstance(value, dict):
            return value
        raise serializers.ValidationError(
            gettext('Give "inferred" or a schema object.'), code="invalid"
        )


class DatasetPublishInputSerializer(DatasetInputSerializer):
    """Call 3 takes the schema and a preset, and any dataset field still missing (a PATCH's
    subset), so a 409's `missing` can be answered in the same call."""

    schema = SchemaChoiceField(
        required=False,
        help_text=_('"inferred": accept the schema the check inferred; or an edited schema.'),
    )
    schema_kind = serializers.ChoiceField(
        choices=SchemaKind.choices, default=SchemaKind.TABLE_SCHEMA
    )
    policy_preset = serializers.ChoiceField(choices=PolicyPreset.choices, required=False)

    class Meta(DatasetInputSerializer.Meta):
        fields = [*DatasetInputSerializer.Meta.fields, "schema", "schema_kind", "policy_preset"]


@extend_schema(tags=["publishing"], parameters=[DATASET_KEY])
class DatasetPublishView(ActorMixin):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Publish step 3: publish the dataset and its newest draft version",
        description=(
            'Optional body: `schema` ("inferred" or an edited schema object), '
            "`policy_preset`, and any dataset field still missing (as in a PATCH; applied in the "
            "same transaction, so a 409 changes nothing). 200 with the dataset when published; "
            "202 with `status_url` when the file must first be checked against an edited "
            "schema (the workers publish when the check passes); 409 `dataset_incomplete` with "
            "`missing` otherwise. Without a body, publishes a draft (or deprecated) dataset "
            "whose rules allow it."
        ),
        request=DatasetPublishInputSerializer,
        responses={200: DatasetOutputSerializer, 202: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, dataset: str) -> Response:
        obj = _visible(self.actor, dataset)
        require_dataset_steward(self.actor, obj)
        serializer = DatasetPublishInputSerializer(obj, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        schema = data.pop("schema", None)
        schema_kind = data.pop("schema_kind", SchemaKind.TABLE_SCHEMA)  # partial: no defaults
        policy_preset = data.pop("policy_preset", "")
        require_publisher_unchanged(obj, data.pop("publisher", None))
        assert self.actor.user is not None
        obj, requested = publishing.dataset_publish_request(
            dataset=obj,
            actor=self.actor.user,
            schema=schema,
            schema_kind=schema_kind,
            policy_preset=policy_preset,
            metadata=data,
        )
        fresh = dataset_selectors.dataset_get(actor=self.actor, key=str(obj.pk))
        if requested:
            return Response(
                {
                    "dataset": DatasetOutputSerializer(fresh).data,
                    "publish_requested": True,
                    "status_url": _status_url(request, obj),
                },
                status=status.HTTP_202_ACCEPTED,
            )
        return Response(DatasetOutputSerializer(fresh).data)


# --- organisation defaults --------------------------------------------------------------------


class PublishingDefaultsSerializer(InputModelSerializer[PublishingDefaults]):
    """Read and written: on writes, the read-only fields count as unknown (400)."""

    organization = serializers.SlugRelatedField[Organization](slug_field="slug", read_only=True)
    # Null until the defaults are first set.
    modified_at = serializers.DateTimeField(read_only=True, allow_null=True)
    division = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("Division code."),
    )

    class Meta:
        model = PublishingDefaults
        fields = [
            "organization",
            "division",
            "theme",
            "license",
            "sensitivity",
            "contact_name",
            "contact_email",
            "policy_preset",
            "modified_at",
        ]
        read_only_fields = ["organization", "modified_at"]


@extend_schema(
    tags=["organizations"],
    parameters=[OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH)],
)
class PublishingDefaultsView(ActorMixin):
    """Members read their organisation's defaults; its admins (and the secretariat) set them."""

    def _organization(self, slug: str) -> Organization:
        if not self.actor.is_authenticated:
            raise NotAuthenticated()
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise Http404
        if not can_read_publishing_defaults(self.actor, organization.pk):
            raise PermissionDenied(
                _("Only members of the organisation may read its publishing defaults.")
            )
        return organization

    @extend_schema(
        summary="An organisation's publishing defaults", responses=PublishingDefaultsSerializer
    )
    def get(self, request: Request, slug: str) -> Response:
        organization = self._organization(slug)
        defaults = PublishingDefaults.objects.filter(organization=organization).first()
        return Response(
            PublishingDefaultsSerializer(
                defaults or PublishingDefaults(organization=organization)
            ).data
        )

    def _set(self, request: Request, slug: str, partial: bool) -> Response:
        organization = self._organization(slug)
        if not can_change_publishing_defaults(self.actor, organization.pk):
            raise PermissionDenied(
                _(
                    "Only the organisation's admins or the secretariat may set its publishing "
                    "defaults."
                )
            )
        serializer = PublishingDefaultsSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        defaults = publishing.publishing_defaults_set(
            organization=organization,
            actor=self.actor.user,
            replace=not partial,
            **serializer.validated_data,
        )
        return Response(PublishingDefaultsSerializer(defaults).data)

    @extend_schema(
        summary="Set an organisation's publishing defaults (fields left out become empty)",
        request=PublishingDefaultsSerializer,
        responses=PublishingDefaultsSerializer,
    )
    def put(self, request: Request, slug: str) -> Response:
        return self._set(request, slug, partial=False)

    @extend_schema(
        summary="Change some of an organisation's publishing defaults",
        request=PublishingDefaultsSerializer,
        responses=PublishingDefaultsSerializer,
    )
    def patch(self, request: Request, slug: str) -> Response:
        return self._set(request, slug, partial=True)


urlpatterns: list[URLPattern] = [
    path("datasets/from-file/", DatasetFromFileView.as_view(), name="dataset-from-file"),
    path("datasets/<str:dataset>/status/", DatasetStatusView.as_view(), name="dataset-status"),
    path("datasets/<str:dataset>/publish/", DatasetPublishView.as_view(), name="dataset-publish"),
    path(
        "organizations/<str:slug>/publishing-defaults/",
        PublishingDefaultsView.as_view(),
        name="publishing-defaults",
    ),
]
