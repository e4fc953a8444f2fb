"""Input and output serializers of the sharing workflow."""

from __future__ import annotations

from typing import Any

from django.core.validators import URLValidator
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from accounts.api.serializers import OrganizationBriefSerializer, UserBriefSerializer
from accounts.models import Division, Organization, OrganizationKind
from audit.models import AuditEvent
from common.i18n import LocalizedTextField, stored_text
from common.serializers import InputSerializer
from datasets.models import DistributionRole

from ..models import (
    AccessPolicy,
    Agreement,
    ApprovalRoute,
    Download,
    Grant,
    Obligation,
    Prohibition,
    Purpose,
    SharingRequest,
    SharingRequestEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..services.agreements import grant_is_valid

# --- policies ---------------------------------------------------------------------------------


class AccessPolicyOutputSerializer(serializers.ModelSerializer[AccessPolicy]):
    dataset = serializers.UUIDField(source="dataset_id")
    allowed_divisions = serializers.SerializerMethodField()
    allowed_organizations = serializers.SerializerMethodField()
    denied_organizations = serializers.SerializerMethodField()
    created_by = serializers.EmailField(source="created_by.email", default=None)

    class Meta:
        model = AccessPolicy
        fields = [
            "id",
            "dataset",
            "revision",
            "is_current",
            "allowed_divisions",
            "allowed_organization_kinds",
            "allowed_organizations",
            "denied_organizations",
            "permitted_purposes",
            "prohibitions",
            "obligations",
            "max_period_days",
            "approval_route",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    def _lookup(self) -> tuple[dict[int, str], dict[int, str]]:
        """Division codes and organisation slugs for every policy being serialised: two queries
        per response, however many revisions it lists."""
        if not hasattr(self, "_codes_slugs"):
            parent = self.parent
            instances = parent.instance if parent is not None else [self.instance]
            org_ids: set[int] = set()
            for policy in instances or []:
                org_ids.update(policy.allowed_organization_ids, policy.denied_organization_ids)
            codes = dict(Division.objects.values_list("id", "code"))
            slugs = dict(Organization.objects.filter(pk__in=org_ids).values_list("id", "slug"))
            self._codes_slugs = (codes, slugs)
        return self._codes_slugs

    def _slugs(self, ids: list[int]) -> list[str]:
        slugs = self._lookup()[1]
        return sorted(slugs[i] for i in ids if i in slugs)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_divisions(self, obj: AccessPolicy) -> list[str]:
        codes = self._lookup()[0]
        return [codes[i] for i in obj.allowed_division_ids if i in codes]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_organizations(self, obj: AccessPolicy) -> list[str]:
        return self._slugs(list(obj.allowed_organization_ids))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_denied_organizations(self, obj: AccessPolicy) -> list[str]:
        return self._slugs(list(obj.denied_organization_ids))


class AccessPolicyInputSerializer(InputSerializer):
    """Every field optional on PATCH: what is left out keeps its current value."""

    allowed_divisions = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.all(), many=True, required=False
    )
    allowed_organization_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=OrganizationKind.choices),
        required=False,
        max_length=10,
    )
    allowed_organizations = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all(), many=True, required=False
    )
    denied_organizations = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all(), many=True, required=False
    )
    permitted_purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=Purpose.choices), required=False, allow_empty=False
    )
    prohibitions = serializers.ListField(
        child=serializers.ChoiceField(choices=Prohibition.choices), required=False
    )
    obligations = serializers.ListField(
        child=serializers.ChoiceField(choices=Obligation.choices), required=False
    )
    max_period_days = serializers.IntegerField(min_value=1, max_value=3660, required=False)
    approval_route = serializers.ChoiceField(choices=ApprovalRoute.choices, required=False)

    def to_terms(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        terms: dict[str, Any] = {}
        if "allowed_divisions" in data:
            terms["allowed_division_ids"] = sorted(d.pk for d in data.pop("allowed_divisions"))
        if "allowed_organizations" in data:
            terms["allowed_organization_ids"] = sorted(
                o.pk for o in data.pop("allowed_organizations")
            )
        if "denied_organizations" in data:
            terms["denied_organization_ids"] = sorted(
                o.pk for o in data.pop("denied_organizations")
            )
        for key, value in data.items():
            terms[key] = sorted(set(value)) if isinstance(value, list) else value
        return terms


# --- eligibility ------------------------------------------------------------------------------


class EligibilityInputSerializer(InputSerializer):
    organization = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("Asking organisation (slug); defaults to yours when you belong to one."),
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    period_days = serializers.IntegerField(min_value=1, max_value=36600)
    accepted_obligations = serializers.ListField(
        child=serializers.ChoiceField(choices=Obligation.choices), required=False, default=list
    )


class ReasonSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


def localized_reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed-rule reasons with their English `message` in the caller's language."""
    return [{**reason, "message": stored_text(reason.get("message"))} for reason in reasons]


class LocalizedReasonsField(serializers.ListField):
    child = serializers.DictField()

    def to_representation(self, data: Any) -> list[Any]:
        return localized_reasons(list(data or []))


class OpenRequestSerializer(serializers.Serializer[Any]):
    """The organisation's open request for a dataset: a second one is refused."""

    id = serializers.UUIDField()
    state = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj: SharingRequest) -> str:
        return reverse("sharing-request-detail", kwargs={"pk": obj.pk})


class EligibilityOutputSerializer(serializers.Serializer[Any]):
    eligible = serializers.BooleanField()
    approval_route = serializers.ChoiceField(choices=ApprovalRoute.choices)
    policy_revision = serializers.IntegerField()
    reasons = LocalizedReasonsField()
    open_request = OpenRequestSerializer(allow_null=True)


# --- sharing requests -------------------------------------------------------------------------


class SharingRequestCreateSerializer(EligibilityInputSerializer):
    dataset = serializers.CharField(help_text=_("Dataset UUID or slug."))
    version = serializers.UUIDField(
        required=False, allow_null=True, help_text=_("A published version; default: the latest.")
    )
    justification = serializers.CharField(max_length=5000)
    start_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("Timed release: access begins then (within a year); default: on approval."),
    )

    def validate_start_at(self, value: Any) -> Any:
        from datetime import timedelta

        from django.utils import timezone

        if value is not None and not (
            timezone.now() - timedelta(minutes=5) <= value <= timezone.now() + timedelta(days=366)
        ):
            raise serializers.ValidationError(gettext("Must be between now and a year from now."))
        return value


class SharingRequestResubmitSerializer(SharingRequestCreateSerializer):
    """A returned request submitted again: any term a new request takes, but the dataset and
    the organisation (they make it another request); a term left out stays as it was."""

    dataset = None  # type: ignore[assignment]
    organization = None  # type: ignore[assignment]
    comment = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text=_("What you changed, if you wish to say: recorded in the history."),
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            field.default = empty  # left out: unchanged, not the default of a new request
        return fields


class ReturnInputSerializer(InputSerializer):
    comment = serializers.CharField(
        max_length=5000,
        help_text=_(
            "What to change (required): the requester reads it; recorded in "
            "`decision_reasons` and the history."
        ),
    )


class SharingRequestEventSerializer(serializers.ModelSerializer[SharingRequestEvent]):
    actor = serializers.EmailField(source="actor.email", default=None)
    comment = LocalizedTextField()

    class Meta:
        model = SharingRequestEvent
        fields = ["from_state", "to_state", "actor", "comment", "created_at"]
        read_only_fields = fields


class DatasetRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    title_ko = serializers.CharField()
    title_en = serializers.CharField()
    publisher = OrganizationBriefSerializer()
    division = serializers.CharField(source="division.code")


class SharingRequestOutputSerializer(serializers.ModelSerializer[SharingRequest]):
    dataset = DatasetRefSerializer()
    version = serializers.UUIDField(source="version_id", allow_null=True)
    requester = OrganizationBriefSerializer()
    requested_by = UserBriefSerializer()
    policy_revision = serializers.IntegerField(source="policy.revision")
    dsp_state = serializers.CharField(
        help_text=_("The Dataspace Protocol contract-negotiation state this state maps to.")
    )
    agreement = serializers.SerializerMethodField()
    grant = serializers.SerializerMethodField()

    decision_reasons = LocalizedReasonsField()

    class Meta:
        model = SharingRequest
        fields = [
            "id",
            "dataset",
            "version",
            "requester",
            "requested_by",
            "purpose",
            "justification",
            "period_days",
            "start_at",
            "accepted_obligations",
            "policy_revision",
            "approval_route",
            "state",
            "dsp_state",
            "decision_reasons",
            "agreement",
            "grant",
            "created_at",
            "modified_at",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_agreement(self, obj: SharingRequest) -> str | None:
        agreement = getattr(obj, "agreement", None)
        return str(agreement.pk) if agreement is not None else None

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_grant(self, obj: SharingRequest) -> str | None:
        agreement = getattr(obj, "agreement", None)
        grant = getattr(agreement, "grant", None) if agreement is not None else None
        return str(grant.pk) if grant is not None else None


class SharingRequestDetailSerializer(SharingRequestOutputSerializer):
    events = SharingRequestEventSerializer(many=True)

    class Meta(SharingRequestOutputSerializer.Meta):
        fields = [*SharingRequestOutputSerializer.Meta.fields, "events"]
        read_only_fields = fields


class DecisionInputSerializer(InputSerializer):
    """Approve and withdraw: a reason is optional."""

    reason = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why, if you wish to say: recorded in `decision_reasons` and the history."),
    )


class RejectInputSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=5000,
        help_text=_(
            "Why (required): the requester reads it; recorded in `decision_reasons` and the "
            "history."
        ),
    )


class RevokeInputSerializer(InputSerializer):
    reason = serializers.CharField(
        max_length=5000,
        help_text=_(
            "Why (required): the grantee reads it; recorded on the grant, in "
            "`decision_reasons` and the history."
        ),
    )


# --- agreements, grants, downloads ------------------------------------------------------------


class AgreementOutputSerializer(serializers.ModelSerializer[Agreement]):
    identifier = serializers.CharField()
    sharing_request = serializers.UUIDField(source="sharing_request_id")

    class Meta:
        model = Agreement
        fields = ["id", "identifier", "sharing_request", "digest", "document", "created_at"]
        read_only_fields = fields


class GrantOutputSerializer(serializers.ModelSerializer[Grant]):
    organization = OrganizationBriefSerializer()
    agreement = serializers.UUIDField(source="agreement_id")
    sharing_request = serializers.UUIDField(source="agreement.sharing_request_id")
    dataset = serializers.UUIDField(source="version.dataset_id")
    version = serializers.UUIDField(source="version_id")
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Grant
        fields = [
            "id",
            "agreement",
            "sharing_request",
            "organization",
            "dataset",
            "version",
            "valid_from",
            "valid_until",
            "revoked_at",
            "revocation_reason",
            "is_active",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_is_active(self, obj: Grant) -> bool:
        return grant_is_valid(obj)


class DownloadLinkSerializer(serializers.Serializer[Any]):
    distribution = serializers.UUIDField()
    role = serializers.ChoiceField(
        choices=[(DistributionRole.DATA.value, DistributionRole.DATA.label)],
        help_text=_(
            "What the file is: always `data` (a grant gives the data; the checked file is not "
            "downloaded through grants, its preview is `…/versions/{id}/preview/`)."
        ),
    )
    file_name = serializers.CharField(help_text=_("The name the download saves the file under."))
    title = serializers.CharField()
    format = serializers.CharField()
    url = serializers.URLField()
    expires_in_seconds = serializers.IntegerField()


class DownloadOutputSerializer(serializers.ModelSerializer[Download]):
    grant = serializers.UUIDField(source="grant_id")
    distribution = serializers.UUIDField(source="distribution_id")
    user = serializers.EmailField(source="user.email")

    class Meta:
        model = Download
        fields = ["id", "grant", "distribution", "user", "byte_size", "created_at"]
        read_only_fields = fields


class AuditEventOutputSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = serializers.EmailField(source="actor_email", allow_blank=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "organization_ids",
            "steward_organization_ids",
            "data",
            "prev_digest",
            "digest",
        ]
        read_only_fields = fields


# --- webhooks ---------------------------------------------------------------------------------


class WebhookEndpointOutputSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    organization: serializers.SlugRelatedField[Organization] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "organization", "url", "events", "is_active", "created_at", "modified_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("The HMAC key. Shown only in this response.")
    )

    class Meta(WebhookEndpointOutputSerializer.Meta):
        fields = [*WebhookEndpointOutputSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(InputSerializer):
    organization = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all(), required=False
    )
    url = serializers.URLField(
        max_length=1000, validators=[URLValidator(schemes=["http", "https"])]
    )
    events = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list, max_length=50
    )
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields
