"""OpenAPI post-processing: every operation documents the problem-details errors it can return."""

from __future__ import annotations

from typing import Any

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
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "409": "Conflicts with the resource's current state.",
    "413": "Request body too large.",
    "429": "Too many requests; see `Retry-After`.",
}


def add_problem_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            codes = ["401", "403", "405", "429"]
            if "{" in path:
                codes.append("404")
            if method in {"post", "put", "patch"}:
                codes += ["400", "409", "413"]
            if method == "delete":
                codes.append("409")
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/problem+json": {"schema": ref}},
                    },
                )
    return result
