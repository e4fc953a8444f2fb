"""The controlled vocabularies (enum codes) of the API with their Korean and English labels.

Clients show labels, scripts send codes: `GET /api/v1/vocabularies/` lists every vocabulary,
`GET /api/v1/vocabularies/{name}/` one of them. `label` follows Accept-Language (Korean by
default); `label_ko` and `label_en` are always there, so a bilingual page needs one request.
"""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from django.http import Http404
from django.urls import path
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import InvitationStatus, MembershipRole, OrganizationKind, OrganizationSize
from datasets.models import (
    CompatibilityMode,
    DataFormat,
    DatasetStatus,
    DistributionRole,
    License,
    SchemaKind,
    Sensitivity,
    Theme,
    UpdateFrequency,
    ValidationStatus,
    VersionStatus,
)
from registry.models import (
    ApprovalRoute,
    Obligation,
    PolicyPreset,
    Prohibition,
    Purpose,
    SharingRequestState,
)

# The API field each vocabulary fills, by name; one name per concept, as in the models.
VOCABULARIES: dict[str, type[TextChoices]] = {
    "organization_kind": OrganizationKind,
    "organization_size": OrganizationSize,
    "membership_role": MembershipRole,
    "invitation_status": InvitationStatus,
    "theme": Theme,
    "format": DataFormat,
    "license": License,
    "sensitivity": Sensitivity,
    "update_frequency": UpdateFrequency,
    "dataset_status": DatasetStatus,
    "compatibility_mode": CompatibilityMode,
    "schema_kind": SchemaKind,
    "version_status": VersionStatus,
    "distribution_role": DistributionRole,
    "validation_status": ValidationStatus,
    "purpose": Purpose,
    "prohibition": Prohibition,
    "obligation": Obligation,
    "approval_route": ApprovalRoute,
    "policy_preset": PolicyPreset,
    "sharing_request_state": SharingRequestState,
}


def _labels(choices: type[TextChoices], language: str) -> dict[str, str]:
    with translation.override(language):
        return {str(value): str(label) for value, label in choices.choices}


def vocabulary_terms(name: str) -> list[dict[str, str]]:
    choices = VOCABULARIES[name]
    korean, english = _labels(choices, "ko"), _labels(choices, "en")
    current = _labels(choices, translation.get_language() or "ko")
    return [
        {"code": code, "label": current[code], "label_ko": korean[code], "label_en": english[code]}
        for code in english
    ]


class VocabularyTermSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    label = serializers.CharField(help_text="In the language of Accept-Language.")  # type: ignore[assignment]
    label_ko = serializers.CharField()
    label_en = serializers.CharField()


@extend_schema(tags=["vocabularies"])
class VocabularyListView(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        summary="Every controlled vocabulary with its labels",
        responses={200: OpenApiTypes.OBJECT},
        description="An object keyed by vocabulary name: "
        + ", ".join(f"`{name}`" for name in VOCABULARIES)
        + "; each value is a list of terms (code, label, label_ko, label_en).",
    )
    def get(self, request: Request) -> Response:
        return Response({name: vocabulary_terms(name) for name in VOCABULARIES})


@extend_schema(tags=["vocabularies"])
class VocabularyDetailView(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []

    @extend_schema(
        summary="One controlled vocabulary",
        parameters=[
            OpenApiParameter(
                "name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(VOCABULARIES)
            )
        ],
        responses={200: VocabularyTermSerializer(many=True)},
    )
    def get(self, request: Request, name: str) -> Response:
        if name not in VOCABULARIES:
            raise Http404
        return Response(vocabulary_terms(name))


urlpatterns = [
    path("vocabularies/", VocabularyListView.as_view(), name="vocabulary-list"),
    path("vocabularies/<str:name>/", VocabularyDetailView.as_view(), name="vocabulary-detail"),
]
