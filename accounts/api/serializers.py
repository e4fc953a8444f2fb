"""Input and output serializers for accounts."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from common.serializers import InputModelSerializer, InputSerializer

from ..models import (
    ApiToken,
    Division,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    Organization,
    User,
)
from ..validators import (
    normalize_business_registration_number,
    validate_business_registration_number,
)


class DivisionBriefSerializer(serializers.ModelSerializer[Division]):
    class Meta:
        model = Division
        fields = ["id", "code", "name_ko", "name_en"]
        read_only_fields = fields


class DivisionOutputSerializer(serializers.ModelSerializer[Division]):
    class Meta:
        model = Division
        fields = ["id", "code", "name_ko", "name_en", "description_ko", "description_en"]
        read_only_fields = fields


class OrganizationBriefSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["id", "slug", "name_ko", "name_en", "kind"]
        read_only_fields = fields


class OrganizationOutputSerializer(serializers.ModelSerializer[Organization]):
    divisions = DivisionBriefSerializer(many=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "slug",
            "name_ko",
            "name_en",
            "kind",
            "size",
            "business_registration_number",
            "divisions",
            "website",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields


class OrganizationInputSerializer(InputModelSerializer[Organization]):
    divisions = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        many=True,
        required=False,
        help_text="Division codes.",
    )
    business_registration_number = serializers.CharField(
        max_length=14, help_text="10 digits, with or without dashes: 123-45-67890."
    )

    class Meta:
        model = Organization
        fields = [
            "slug",
            "name_ko",
            "name_en",
            "kind",
            "size",
            "business_registration_number",
            "divisions",
            "website",
        ]

    def validate_business_registration_number(self, value: str) -> str:
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            validate_business_registration_number(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0], code=exc.code) from exc
        return normalize_business_registration_number(value)


class UserBriefSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]
        read_only_fields = fields


class MembershipOutputSerializer(serializers.ModelSerializer[Membership]):
    user = UserBriefSerializer()
    organization = OrganizationBriefSerializer()

    class Meta:
        model = Membership
        fields = ["id", "user", "organization", "role", "created_at", "modified_at"]
        read_only_fields = fields


class MembershipCreateSerializer(InputSerializer):
    organization = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all(), help_text="Organisation slug."
    )
    email = serializers.EmailField(help_text="Email of an existing user.")
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)


class MembershipUpdateSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=MembershipRole.choices)


class TokenObtainSerializer(InputSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=256, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, default="api", help_text="A label for the token.")
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Optional expiry (ISO 8601)."
    )


class ApiTokenOutputSerializer(serializers.ModelSerializer[ApiToken]):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields


class ApiTokenCreatedSerializer(ApiTokenOutputSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The secret. Shown only in this response: store it now."
    )

    class Meta(ApiTokenOutputSerializer.Meta):
        fields = ["token", *ApiTokenOutputSerializer.Meta.fields]
        read_only_fields = fields


class MeMembershipSerializer(serializers.ModelSerializer[Membership]):
    organization = OrganizationBriefSerializer()

    class Meta:
        model = Membership
        fields = ["organization", "role"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="user.id")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    is_secretariat = serializers.BooleanField()
    memberships = MeMembershipSerializer(many=True)
    lead_divisions = DivisionBriefSerializer(many=True)


class InvitationCreateSerializer(InputSerializer):
    email = serializers.EmailField(help_text="Email of the person invited (without an account).")
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)


class InvitationOutputSerializer(serializers.ModelSerializer[Invitation]):
    """An invitation as its organisation's admins see it; never its token."""

    organization = OrganizationBriefSerializer()
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)
    invited_by = UserBriefSerializer(allow_null=True)
    accepted_by = UserBriefSerializer(allow_null=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "organization",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "email_sent_at",
            "accepted_at",
            "accepted_by",
            "revoked_at",
        ]
        read_only_fields = fields


class InvitationPublicSerializer(serializers.ModelSerializer[Invitation]):
    """What the holder of an open invitation's link may read."""

    organization = OrganizationBriefSerializer()

    class Meta:
        model = Invitation
        fields = ["organization", "email", "role", "expires_at"]
        read_only_fields = fields


class InvitationAcceptSerializer(InputSerializer):
    password = serializers.CharField(
        max_length=256,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The new account's password (checked by the password rules).",
    )
    full_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)


class InvitationAcceptedSerializer(serializers.Serializer[Any]):
    """The account an accepted invitation created: sign in with its email and password."""

    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    organization = OrganizationBriefSerializer()
    role = serializers.ChoiceField(choices=MembershipRole.choices)
