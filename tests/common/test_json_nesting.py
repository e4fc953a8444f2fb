"""JSON nested deeper than 100 levels is a 400 before Python's recursive parser sees it.

5,000 levels sent anonymously to the token endpoint were a RecursionError (500); so were
10,000 levels of inline schema. `common.parsers.JSONParser` scans the raw bytes first.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from common.parsers import MAX_JSON_DEPTH, json_deeper_than
from datasets.models import DatasetVersion, Sensitivity, VersionStatus
from tests.common.problems import assert_problem
from tests.factories import DatasetFactory, DatasetVersionFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("token-obtain")


def nested(depth: int, opening: str = "[", closing: str = "]", inner: str = "1") -> str:
    """`depth` levels of arrays (or objects, with `opening='{"a":'` and `closing='}'`)."""
    return opening * depth + inner + closing * depth


def assert_too_deep(response: Any) -> None:
    body = assert_problem(response, 400, "nesting_too_deep")
    assert body["max_depth"] == MAX_JSON_DEPTH
    assert str(MAX_JSON_DEPTH) in body["detail"]


@pytest.fixture
def draft(world: Any) -> DatasetVersion:
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=Sensitivity.MEMBERS)
    return DatasetVersionFactory.create(
        dataset=dataset, version="2.0.0", status=VersionStatus.DRAFT
    )


def schema_url(version: DatasetVersion) -> str:
    return reverse("version-schema", kwargs={"dataset": version.dataset_id, "pk": version.pk})


@pytest.mark.parametrize(
    "document",
    [
        nested(5000),
        nested(5000, '{"a":', "}"),
        '{"email": ' + nested(5000) + "}",
        nested(50_000),
    ],
    ids=["arrays", "objects", "in-a-field", "50000-arrays"],
)
def test_deep_json_to_the_token_endpoint_is_400(world, document):
    started = time.monotonic()

    response = APIClient().post(TOKEN_URL, document, content_type="application/json")

    assert_too_deep(response)
    assert time.monotonic() - started < 2


def test_the_problem_is_in_korean_by_default(world):
    response = APIClient().post(TOKEN_URL, nested(5000), content_type="application/json")

    assert "JSON 문서" in assert_problem(response, 400, "nesting_too_deep")["detail"]


def test_a_10000_deep_inline_schema_is_400_and_changes_nothing(client_for, draft):
    schema = '{"schema": {"fields": [{"name": "x", "constraints": ' + nested(10_000) + "}]}}"

    response = client_for("steward").put(schema_url(draft), schema, content_type="application/json")

    assert_too_deep(response)
    draft.refresh_from_db()
    assert draft.schema is None


def test_a_deep_schema_file_is_refused_too(client_for, draft):
    document = nested(10_000, '{"a":', "}").encode()
    upload = SimpleUploadedFile("schema.json", document, content_type="application/json")

    response = client_for("steward").put(
        schema_url(draft), {"file": upload, "kind": "table_schema"}, format="multipart"
    )

    body = assert_problem(response, 400, "validation_error")
    assert [e["code"] for e in body["errors"]] == ["schema-too-deep"]


def test_exactly_the_limit_is_parsed(world):
    # 100 levels in all: the outer object and 99 arrays. The serializer then refuses the value.
    document = '{"email": ' + nested(MAX_JSON_DEPTH - 1) + ', "password": "x"}'

    response = APIClient().post(TOKEN_URL, document, content_type="application/json")

    assert_problem(response, 400, "validation_error")


def test_one_level_more_is_refused(world):
    document = '{"email": ' + nested(MAX_JSON_DEPTH) + ', "password": "x"}'

    response = APIClient().post(TOKEN_URL, document, content_type="application/json")

    assert_too_deep(response)


def test_brackets_inside_strings_do_not_count(world):
    document = json.dumps({"email": "[{" * 5000 + '\\"]', "password": "x"})

    response = APIClient().post(TOKEN_URL, document, content_type="application/json")

    assert_problem(response, 400, "validation_error")  # an invalid email, nothing deeper


@pytest.mark.parametrize(
    ("text", "deepest"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["]]]]", "[[[[[", "\\"[["]', 1),
        ("[[]] [[[]]]", 3),
    ],
)
def test_the_scan_measures_depth_without_parsing(text, deepest):
    data = text.encode()

    assert not json_deeper_than(data, deepest)
    assert json_deeper_than(data, deepest - 1) == (deepest > 0)
