"""The OpenAPI document: valid, secured with bearerAuth, and every error documented as a Problem."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.common.problems import PROBLEM_CONTENT_TYPE

SCHEMA_URL = reverse("schema")
SCHEMA_JSON_URL = reverse("schema-json")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ACCOUNTS_OPERATIONS = {
    ("/api/v1/auth/token/", "post"),
    ("/api/v1/auth/tokens/", "get"),
    ("/api/v1/auth/tokens/{id}/", "get"),
    ("/api/v1/auth/tokens/{id}/", "delete"),
    ("/api/v1/me/", "get"),
    ("/api/v1/divisions/", "get"),
    ("/api/v1/divisions/{code}/", "get"),
    ("/api/v1/organizations/", "get"),
    ("/api/v1/organizations/", "post"),
    ("/api/v1/organizations/{slug}/", "get"),
    ("/api/v1/organizations/{slug}/", "patch"),
    ("/api/v1/organizations/{slug}/", "delete"),
    ("/api/v1/memberships/", "get"),
    ("/api/v1/memberships/", "post"),
    ("/api/v1/memberships/{id}/", "get"),
    ("/api/v1/memberships/{id}/", "patch"),
    ("/api/v1/memberships/{id}/", "delete"),
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get(SCHEMA_JSON_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    document: dict[str, Any] = json.loads(response.content)
    return document


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "M.AX Data Exchange Registry API"
    validate_schema(schema)


@pytest.mark.django_db
def test_the_schema_is_served_as_json_on_request(schema):
    response = APIClient().get(SCHEMA_URL, HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(response.content)["paths"].keys() == schema["paths"].keys()


@pytest.mark.django_db
def test_the_schema_is_yaml_by_default():
    response = APIClient().get(SCHEMA_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_every_accounts_operation_is_documented(schema):
    documented = {(path, method) for path, method, _op in operations(schema)}

    assert documented >= ACCOUNTS_OPERATIONS


def test_operation_ids_are_unique(schema):
    ids = [operation["operationId"] for _path, _method, operation in operations(schema)]

    assert len(ids) == len(set(ids))


def test_every_operation_documents_401_and_403_as_problems(schema):
    for path, method, operation in operations(schema):
        for code in ("401", "403", "429"):
            response = operation["responses"].get(code)
            assert response is not None, (path, method, code)
            assert response["content"] == {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}, (
                path,
                method,
                code,
            )


def test_lookups_document_404_and_writes_document_400(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if "{" in path:
            assert "404" in responses, (path, method)
        if method in {"post", "put", "patch"}:
            assert "400" in responses, (path, method)
            assert "413" in responses, (path, method)


def test_the_problem_schema_is_a_component(schema):
    problem = schema["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert problem["properties"]["errors"]["items"]["required"] == ["field", "code", "detail"]


def test_the_bearer_scheme_is_declared_and_used(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    me = schema["paths"]["/api/v1/me/"]["get"]
    assert {"bearerAuth": []} in me["security"]
    assert {} not in me["security"]


def test_public_and_login_operations_allow_anonymous_callers(schema):
    assert {} in schema["paths"]["/api/v1/divisions/"]["get"]["security"]
    assert schema["paths"]["/api/v1/auth/token/"]["post"]["security"] == [{}]


def test_the_login_response_documents_the_secret(schema):
    created = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]["201"]
    ref = created["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert "token" in component["properties"]


def test_lists_document_the_bounded_count(schema):
    listed = schema["paths"]["/api/v1/organizations/"]["get"]["responses"]["200"]
    ref = listed["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]

    assert {"count", "count_is_capped", "results"} <= set(page["required"])
    assert {"next", "previous"} <= set(page["properties"])


@pytest.mark.django_db
def test_real_problem_bodies_match_the_documented_schema(schema, client_for, world):
    problem = schema["components"]["schemas"]["Problem"]
    anonymous, member = APIClient(), client_for("member")
    responses = [
        anonymous.get(reverse("me")),
        anonymous.post(reverse("token-obtain"), {"email": "member@example.kr", "password": "x"}),
        anonymous.post(reverse("token-obtain"), {}),
        anonymous.get(reverse("division-detail", kwargs={"code": "nope"})),
        anonymous.post(reverse("division-list")),
        anonymous.get("/api/v1/nowhere/"),
        member.post(reverse("organization-list"), {}),
        member.post(
            reverse("membership-list"), {"organization": "acme", "email": "steward@example.kr"}
        ),
    ]

    assert [r.status_code for r in responses] == [401, 401, 400, 404, 405, 404, 403, 403]
    for response in responses:
        assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
        jsonschema.validate(response.json(), problem)


@pytest.mark.django_db
def test_swagger_ui_is_served():
    response = APIClient().get(reverse("swagger-ui"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "swagger-ui" in content
    # Its settings come as a script file of ours (no inline script), naming the schema.
    script = APIClient().get(reverse("swagger-ui") + "?script=")
    assert SCHEMA_URL in script.content.decode()


def test_schema_generation_raises_no_warning():
    # A warning (an unnamed enum collision, a view it cannot introspect) means an endpoint is
    # documented less well than the others; `spectacular --fail-on-warn` in one call.
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--lang", "en", "--file", "/dev/null"
    )


def test_new_endpoints_are_documented(schema):
    paths = set(schema["paths"])
    for path in (
        "/api/v1/catalog",
        "/api/v1/imports/",
        "/api/v1/imports/{id}/",
        "/api/v1/stats/",
        "/api/v1/stats/divisions/",
        "/api/v1/vocabularies/",
        "/api/v1/datasets/{dataset}/revisions/",
    ):
        assert path in paths, path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "content_type", "starts"),
    [
        ("?format=json", "application/vnd.oai.openapi+json", b"{"),
        ("?format=yaml", "application/vnd.oai.openapi", b"openapi: 3."),
    ],
)
def test_the_schema_reads_the_format_parameter(query, content_type, starts):
    # DRF's ?format= override is off for the API (`format` is a dataset filter); this view
    # reads it itself.
    response = APIClient().get(SCHEMA_URL + query)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response.content.startswith(starts)


@pytest.mark.django_db
def test_an_unknown_schema_format_is_404():
    response = APIClient().get(SCHEMA_URL + "?format=xml")

    assert response.status_code == 404
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)


def _component(schema, name):
    return schema["components"]["schemas"][name]


def test_blank_and_null_answers_are_documented(schema):
    # Read-only fields built from blank model fields answer "" (the URL, the e-mail, the
    # choice); fields read through an empty relation answer null.
    website = _component(schema, "OrganizationOutput")["properties"]["website"]
    assert {"type": "string", "maxLength": 0} in website["oneOf"]
    assert {"type": "string", "format": "uri"} in [
        {k: v for k, v in option.items() if k in {"type", "format"}} for option in website["oneOf"]
    ]
    event = _component(schema, "SharingRequestEvent")["properties"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in event["from_state"]["oneOf"]
    assert event["actor"]["nullable"] is True
    assert _component(schema, "AccessPolicyOutput")["properties"]["created_by"]["nullable"] is True


def test_every_operation_documents_503_with_retry_after(schema):
    for path, method, operation in operations(schema):
        unavailable = operation["responses"].get("503")
        assert unavailable is not None, (path, method)
        assert "Retry-After" in unavailable["headers"], (path, method)
        assert "Retry-After" in operation["responses"]["429"]["headers"], (path, method)


def test_input_cursors_and_bodies_document_their_problems(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        if "cursor" in names:  # a cursor from another list is a 404
            assert "404" in responses, (path, method)
        if names - {"dataset", "id", "version", "code", "slug", "name", "signed", "token"}:
            assert "400" in responses, (path, method)
        if method in {"post", "put", "patch"}:
            assert {"409", "413", "415"} <= set(responses), (path, method)
        assert "406" in responses, (path, method)


def test_downloads_are_any_media_type_and_links_a_plain_list(schema):
    download = schema["paths"]["/api/v1/download-links/{signed}/"]["get"]
    assert set(download["responses"]["200"]["content"]) == {"*/*"}
    links = schema["paths"]["/api/v1/grants/{id}/download-links/"]["post"]["responses"]["200"]
    assert links["content"]["application/json"]["schema"]["type"] == "array"


def test_an_error_a_view_declares_is_a_problem(schema):
    create = schema["paths"]["/api/v1/sharing-requests/"]["post"]["responses"]["404"]
    assert create["content"] == {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}
    assert "dataset" in create["description"]
