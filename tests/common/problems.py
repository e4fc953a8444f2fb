"""Assertions on RFC 9457 problem documents, shared by the API tests."""

from __future__ import annotations

from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is a problem document with this status and code; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:max-registry:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body


def assert_field_error(response: Any, field: str, code: str) -> dict[str, Any]:
    """The response is a 400 validation problem naming this field with this code."""
    body = assert_problem(response, 400, "validation_error")
    errors = body["errors"]
    assert all(set(error) == {"field", "code", "detail"} for error in errors), errors
    assert {"field": field, "code": code} in [
        {"field": error["field"], "code": error["code"]} for error in errors
    ], errors
    return body
