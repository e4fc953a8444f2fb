"""Input serializers that refuse what they do not know.

Every write endpoint validates its body with a serializer built on `InputSerializer` (or
`InputModelSerializer`), and an endpoint that takes no body validates it with
`NoBodySerializer`. A field the serializer does not accept (a typo, a field of another
endpoint, a read-only field such as `id` or `status`, an extra file part of a multipart
upload) is a 400 naming it, with the code `unknown_field`, beside any other invalid field: a
misspelt optional field silently ignored reads as "accepted" to the caller.
tests/common/test_unknown_fields.py walks every write operation of the OpenAPI document and
fails for one that forgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

UNKNOWN_FIELD = "unknown_field"

# Form fields that are not data: Django's CSRF middleware reads the token of a browser form
# (the browsable API's) before the view runs.
_TRANSPORT_FIELDS = frozenset({"csrfmiddlewaretoken"})


def unknown_fields(data: Any, accepted: set[str]) -> list[str]:
    """The names in a request body (JSON object, form or multipart, files included) that are
    not among `accepted`, in the order sent."""
    if not isinstance(data, Mapping):
        return []
    return [str(name) for name in data if name not in accepted and name not in _TRANSPORT_FIELDS]


class StrictFieldsMixin:
    """Refuses body fields the serializer does not accept for writing (see the module)."""

    unknown_field_message = _("Unknown field: this endpoint does not accept it.")

    def accepted_fields(self) -> set[str]:
        fields: Mapping[str, serializers.Field[Any, Any, Any, Any]] = self.fields  # type: ignore[attr-defined]
        return {name for name, field in fields.items() if not field.read_only}

    def to_internal_value(self, data: Any) -> Any:
        unknown = unknown_fields(data, self.accepted_fields())
        errors: dict[str, Any] = {}
        value: Any = None
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if not unknown or not isinstance(exc.detail, dict):
                raise
            errors.update(exc.detail)
        if unknown:
            message = str(self.unknown_field_message)
            for name in unknown:
                errors[name] = [ErrorDetail(message, code=UNKNOWN_FIELD)]
            raise serializers.ValidationError(errors)
        return value


class InputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    """The base of every input serializer: a plain serializer that refuses unknown fields."""


M = TypeVar("M", bound=Model)


class InputModelSerializer(StrictFieldsMixin, serializers.ModelSerializer[M]):
    """The base of every input serializer built from a model: refuses unknown fields,
    read-only ones included."""


class NoBodySerializer(InputSerializer):
    """For endpoints that take no body (publish, deprecate, ping...): any field is unknown.

    `NoBodySerializer.check(request)` in the view; an empty body passes."""

    @classmethod
    def check(cls, request: Any) -> None:
        serializer = cls(data=request.data if isinstance(request.data, Mapping) else {})
        serializer.is_valid(raise_exception=True)
