"""The OpenAPI document tells the truth about what the API answers.

- `AutoSchema`: a response field documents the blank `""` and the `null` the field can really
  hold (drf-spectacular reads both from the serializer field, but a read-only field built from
  a model has lost `allow_blank`, and a field read through a nullable relation is `null` when
  the relation is empty).
- `add_problem_responses` (a postprocessing hook): every operation documents the
  problem-details errors it can return.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


def _model_field_path(field: serializers.Field[Any, Any, Any, Any]) -> list[models.Field[Any, Any]]:
    """The model fields a serializer field's dotted `source` walks through (empty when unknown)."""
    parent = getattr(field, "parent", None)
    model: Any = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or source == "*":
        return []
    path: list[models.Field[Any, Any]] = []
    for name in source.split("."):
        if not (isinstance(model, type) and issubclass(model, models.Model)):
            return []
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return []
        if not isinstance(model_field, models.Field):
            return []
        path.append(model_field)
        model = model_field.related_model if model_field.is_relation else None
    return path


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, with blank and null read from the model for responses."""

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        if direction == "response":
            path = _model_field_path(field)
            # DRF drops `allow_blank` from read-only fields it builds from a model; the model
            # still stores "" for a blank CharField (URL, e-mail, choices), and answers it.
            if (
                isinstance(field, serializers.CharField | serializers.ChoiceField)
                and len(path) == 1
                and isinstance(path[0], models.CharField | models.TextField)
                and path[0].blank
            ):
                field.allow_blank = True
            # A value read through a relation that may be empty (`created_by.email`) is null
            # when it is; so is a field whose default, used when the lookup fails, is None.
            through_nullable = any(f.is_relation and f.null for f in path[:-1])
            if through_nullable or field.default is None:
                field.allow_null = True
        schema: dict[str, Any] = super()._map_serializer_field(  # type: ignore[no-untyped-call]
            field, direction, bypass_extensions
        )
        return schema


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "example": "urn:max-registry:problem:not_found"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "Machine-readable error code."},
        "errors": {
            "type": "array",
            "description": "Field errors (validation problems only).",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
                "required": ["field", "code", "detail"],
            },
        },
        "retry_after_seconds": {"type": "integer", "description": "On 429 only."},
        "limit_bytes": {"type": "integer", "description": "On 413 only."},
    },
    "required": ["type", "title", "status", "detail", "code"],
}

_DESCRIPTIONS = {
    "400": "Invalid input (field errors in `errors`).",
    "401": "Not authenticated, or the token is invalid, expired or revoked.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "Not found, or not visible to the caller (a list: the `cursor` is not one of its own).",
    "405": "Method not allowed.",
    "406": "None of the media types in `Accept` can be served.",
    "409": "Conflicts with the resource's current state.",
    "413": "Request body too large.",
    "415": "The body's Content-Type is not one this operation reads.",
    "429": "Too many requests; see `Retry-After`.",
    "503": (
        "The database cannot be reached or has no free connection; nothing was changed. "
        "Retry after `Retry-After` seconds."
    ),
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_WRITES = {"post", "put", "patch"}


def problem_response(description: str) -> OpenApiResponse:
    """An error an operation answers beyond those every operation documents, for
    `extend_schema(responses={404: problem_response("No such dataset ...")})`."""
    return OpenApiResponse(description=description)


def _takes_input(operation: dict[str, Any]) -> bool:
    """Query or header parameters, or a body: input the API may refuse with 400."""
    return "requestBody" in operation or any(
        parameter.get("in") in {"query", "header"} for parameter in operation.get("parameters", [])
    )


def _pages_by_cursor(operation: dict[str, Any]) -> bool:
    return any(
        parameter.get("in") == "query" and parameter.get("name") == "cursor"
        for parameter in operation.get("parameters", [])
    )


def add_problem_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Document, on every operation, the problems it can answer with:

    - everywhere: 401, 403, 405, 406, 429 and 503 (with `Retry-After`);
    - 400 on writes, and where the operation takes input (query or header parameters);
    - 404 where the path names an object, and on lists paged by a cursor (a cursor that is
      not the list's own);
    - 409, 413 and 415 on writes with a body; 409 on deletes;
    - any other error the view declares (`problem_response`), as a problem.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = ["401", "403", "405", "406", "429", "503"]
            if method in _WRITES or _takes_input(operation):
                codes.append("400")
            if "{" in path or _pages_by_cursor(operation):
                codes.append("404")
            if method in _WRITES:
                codes += ["409", "413", "415"]
            if method == "delete":
                codes.append("409")
            for code in codes:
                response: dict[str, Any] = {
                    "description": _DESCRIPTIONS[code],
                    "content": {"application/problem+json": {"schema": ref}},
                }
                if code in {"429", "503"}:
                    response["headers"] = _RETRY_AFTER
                responses.setdefault(code, response)
            # An error a view declares itself, by its description (`problem_response`).
            for code, response in responses.items():
                if code[0] in "45" and not response.get("content"):
                    response["content"] = {"application/problem+json": {"schema": ref}}
    return result
