"""Every write endpoint refuses fields it does not know: 400, code `unknown_field`, naming it.

The test walks the OpenAPI document: every POST, PUT and PATCH operation gets, from a caller
allowed to write, a valid-looking body plus `no_such_field` (a file part for multipart-only
uploads), and must answer 400 naming it. An endpoint that takes no body refuses any field. A
new write endpoint is walked too: build its input serializer on
`common.serializers.InputSerializer` / `InputModelSerializer`, or call
`NoBodySerializer.check(request)` when it takes no body. A new path parameter or collection
needs a line in `_path_value` / `_persona` below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.selectors import actor_for
from datasets.models import Dataset, DatasetStatus, DatasetVersion, Distribution, VersionStatus
from registry.models import ApprovalRoute, Grant, SharingRequest
from registry.models import SharingRequestState as S
from registry.services import policies, sharing_requests, webhooks
from tests.datasets.helpers import dataset_payload
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import World, client_as
from tests.sharing import CSV_BYTES, REQUEST_BODY

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch")


def _schema_operations() -> list[tuple[str, str, list[str]]]:
    """(method, path, request media types) of every write operation in the OpenAPI document,
    read once at collection time (the schema needs no database)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in WRITE_METHODS:
                content = (operation.get("requestBody") or {}).get("content", {})
                found.append((method, path, list(content)))
    return found


OPERATIONS = _schema_operations()


@dataclass
class Scene:
    world: World
    draft: Dataset
    draft_version: DatasetVersion
    distribution: Distribution
    published: Dataset
    pending: SharingRequest
    grant: Grant
    membership: Membership
    webhook_id: str


def _published_with_file(world: World) -> Dataset:
    dataset = DatasetFactory.create(publisher=world.acme, division=world.ai_factory)
    version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    distribution = Distribution(version=version, format="csv", media_type="text/csv")
    distribution.file.save("data.csv", ContentFile(CSV_BYTES), save=False)
    distribution.save()
    return dataset


def _ask(world: World, dataset: Dataset) -> SharingRequest:
    request, _created = sharing_requests.sharing_request_create(
        actor=actor_for(world.users["outsider_member"]),
        dataset=dataset,
        requester=world.other,
        purpose="ai_model_training",
        justification="예지보전 모델 학습 / predictive maintenance model",
        period_days=90,
        accepted_obligations=["attribution", "delete_at_expiry"],
    )
    return sharing_requests.sharing_request_check(sharing_request_id=request.pk)


@pytest.fixture
def scene(world: World, django_capture_on_commit_callbacks: Any) -> Scene:
    """acme's draft dataset with a draft version and a distribution; two published datasets,
    one that other asks for (pending), one it holds a grant for; a membership; a webhook."""
    draft = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, status=DatasetStatus.DRAFT
    )
    draft_version = DatasetVersionFactory.create(
        dataset=draft, version="0.1.0", status=VersionStatus.DRAFT
    )
    distribution = Distribution.objects.create(
        version=draft_version, format="csv", access_url="https://data.example.kr/x.csv"
    )
    published, granted = _published_with_file(world), _published_with_file(world)
    for dataset in (published, granted):
        policies.policy_set(
            dataset=dataset, actor=world.users["steward"], approval_route=ApprovalRoute.PUBLISHER
        )
    with django_capture_on_commit_callbacks(execute=True):
        pending = _ask(world, published)
        active = sharing_requests.sharing_request_approve(
            actor=actor_for(world.users["steward"]), sharing_request=_ask(world, granted)
        )
    assert (pending.state, active.state) == (S.AWAITING_PUBLISHER, S.ACTIVE)
    webhook = webhooks.webhook_create(
        organization=world.acme, url="https://hooks.example.kr/max", events=[]
    )
    return Scene(
        world=world,
        draft=draft,
        draft_version=draft_version,
        distribution=distribution,
        published=published,
        pending=pending,
        grant=Grant.objects.get(agreement__sharing_request=active),
        membership=Membership.objects.get(user=world.users["member"]),
        webhook_id=str(webhook.pk),
    )


def _for_requester(path: str) -> bool:
    """Operations of the asking organisation (other), on acme's published data."""
    return (
        path.endswith("/eligibility/")
        or (path.endswith("/withdraw/") and "/sharing-requests/" in path)
        or path == "/api/v1/sharing-requests/"
        or path.startswith("/api/v1/grants/")
    )


def _persona(method: str, path: str) -> str:
    """A caller allowed to make this write."""
    if path == "/api/v1/auth/token/" or path.startswith("/api/v1/invitations/"):
        return "anonymous"
    if path == "/api/v1/organizations/":
        return "secretariat"
    if path.startswith(("/api/v1/organizations/", "/api/v1/memberships/", "/api/v1/webhooks/")):
        return "org_admin"
    if _for_requester(path):
        return "outsider_member"
    return "steward"  # datasets, versions, distributions, policies, imports, decisions


def _path_value(scene: Scene, path: str, name: str) -> str:
    before = path.split("{" + name + "}")[0].rstrip("/").rsplit("/", 1)[-1]
    if name == "dataset":
        return scene.published.slug if _for_requester(path) else scene.draft.slug
    if name == "version" or (name == "id" and before == "versions"):
        return str(scene.draft_version.pk)
    if name == "slug" and before == "organizations":
        return scene.world.acme.slug
    if name == "token":  # the body is checked before the invitation is looked up
        return "no-such-invitation"
    if name == "id":
        ids = {
            "distributions": str(scene.distribution.pk),
            "sharing-requests": str(scene.pending.pk),
            "grants": str(scene.grant.pk),
            "memberships": str(scene.membership.pk),
            "webhooks": scene.webhook_id,
        }
        if before in ids:
            return ids[before]
    raise AssertionError(f"teach this test the {{{name}}} of {path} (_path_value)")


def _valid_body(scene: Scene, method: str, path: str) -> dict[str, Any]:
    """A body the endpoint would take, where one is known; {} otherwise (an endpoint must name
    the unknown field beside any other error too)."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("post", "/api/v1/auth/token/"): {
            "email": "member@example.kr",
            "password": "x",
            "name": "ci",
        },
        ("post", "/api/v1/datasets/"): dataset_payload(),
        ("put", "/api/v1/datasets/{dataset}/"): dataset_payload(),
        ("patch", "/api/v1/datasets/{dataset}/"): {"title_en": "Renamed"},
        ("post", "/api/v1/datasets/{dataset}/eligibility/"): {
            key: REQUEST_BODY[key] for key in ("purpose", "period_days", "accepted_obligations")
        },
        ("patch", "/api/v1/datasets/{dataset}/policy/"): {"max_period_days": 90},
        ("post", "/api/v1/datasets/{dataset}/versions/"): {"version": "2.0.0"},
        ("patch", "/api/v1/datasets/{dataset}/versions/{id}/"): {"release_notes": "notes"},
        ("put", "/api/v1/datasets/{dataset}/versions/{id}/schema/"): {
            "schema": {"fields": [{"name": "ts", "type": "datetime"}]}
        },
        ("post", "/api/v1/datasets/{dataset}/versions/{version}/distributions/"): {
            "format": "csv",
            "access_url": "https://data.example.kr/y.csv",
        },
        ("patch", "/api/v1/datasets/{dataset}/versions/{version}/distributions/{id}/"): {
            "title": "data"
        },
        ("post", "/api/v1/imports/"): {"url": "https://catalog.example.kr/dcat.jsonld"},
        ("post", "/api/v1/memberships/"): {
            "organization": "acme",
            "email": "outsider_member@example.kr",
            "role": "member",
        },
        ("patch", "/api/v1/memberships/{id}/"): {"role": "data_steward"},
        ("patch", "/api/v1/organizations/{slug}/"): {"name_en": "Acme"},
        ("post", "/api/v1/sharing-requests/"): {
            **REQUEST_BODY,
            "dataset": str(scene.draft.pk),  # replaced below
        },
        ("post", "/api/v1/sharing-requests/{id}/reject/"): {"reason": "no"},
        ("post", "/api/v1/sharing-requests/{id}/revoke/"): {"reason": "breach"},
        ("post", "/api/v1/sharing-requests/{id}/approve/"): {"reason": "ok"},
        ("post", "/api/v1/sharing-requests/{id}/withdraw/"): {"reason": "done"},
        ("post", "/api/v1/webhooks/"): {"url": "https://hooks.example.kr/other"},
        ("patch", "/api/v1/webhooks/{id}/"): {"is_active": False},
    }
    body = dict(bodies.get((method, path), {}))
    if path == "/api/v1/sharing-requests/":
        body["dataset"] = str(scene.published.pk)
    return body


def _send(client: APIClient, method: str, url: str, body: dict[str, Any], media: list[str]) -> Any:
    send: Callable[..., Any] = getattr(client, method)
    if media and "application/json" not in media:
        # A multipart-only upload: the unknown field comes as a file part, beside the file.
        parts: dict[str, Any] = {
            key: json.dumps(value) if isinstance(value, dict | list) else value
            for key, value in body.items()
            if key != "no_such_field"
        }
        parts["file"] = SimpleUploadedFile("data.csv", CSV_BYTES, content_type="text/csv")
        parts["format"] = "csv"
        parts["no_such_field"] = SimpleUploadedFile("extra.csv", b"a\n1\n")
        return send(url, parts, format="multipart")
    return send(url, body, format="json")


@pytest.mark.parametrize(
    ("method", "path", "media"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _media in OPERATIONS],
)
def test_every_write_refuses_an_unknown_field(
    method: str, path: str, media: list[str], scene: Scene
) -> None:
    url = path
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        url = url.replace("{" + name + "}", _path_value(scene, path, name))
    client = client_as(scene.world.users, _persona(method, path))
    body = {**_valid_body(scene, method, path), "no_such_field": 1}

    response = _send(client, method, url, body, media)

    assert response.status_code == 400, (response.status_code, response.content[:500])
    errors = response.json()["errors"]
    assert {"field": "no_such_field", "code": "unknown_field"} in [
        {"field": error["field"], "code": error["code"]} for error in errors
    ], errors


def test_every_write_operation_is_walked() -> None:
    """The walk sees the endpoints of every app (a broken schema would walk nothing)."""
    walked = {(method, path) for method, path, _media in OPERATIONS}
    assert len(walked) >= 33
    assert ("post", "/api/v1/sharing-requests/{id}/reject/") in walked
    assert ("post", "/api/v1/datasets/{dataset}/versions/{id}/samples/") in walked


# --- the details of the rule --------------------------------------------------------------------


def test_only_the_unknown_fields_are_named_when_the_rest_is_valid(
    scene: Scene, client_for: Callable[[str], APIClient]
) -> None:
    response = client_for("steward").post(
        f"/api/v1/datasets/{scene.draft.slug}/versions/",
        {"version": "2.0.0", "id": "x", "status": "published", "colour": "blue"},
        format="json",
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "validation_error"
    assert sorted((e["field"], e["code"]) for e in body["errors"]) == [
        ("colour", "unknown_field"),
        ("id", "unknown_field"),
        ("status", "unknown_field"),
    ]
    assert not DatasetVersion.objects.filter(version="2.0.0").exists()


def test_unknown_fields_are_named_beside_other_errors(
    client_for: Callable[[str], APIClient], scene: Scene
) -> None:
    response = client_for("outsider_member").post(
        f"/api/v1/datasets/{scene.published.slug}/eligibility/",
        {"purpose": "ai_model_training", "obligations": ["attribution"]},
        format="json",
    )

    assert response.status_code == 400
    errors = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert errors == {("obligations", "unknown_field"), ("period_days", "required")}


def test_a_form_body_is_checked_too(client_for: Callable[[str], APIClient], scene: Scene) -> None:
    response = client_for("steward").patch(
        f"/api/v1/datasets/{scene.draft.slug}/versions/{scene.draft_version.pk}/",
        "release_notes=hello&colour=blue",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("colour", "unknown_field")
    ]


def test_an_empty_body_passes_where_none_is_taken(
    client_for: Callable[[str], APIClient], scene: Scene
) -> None:
    response = client_for("outsider_member").post(
        f"/api/v1/grants/{scene.grant.pk}/download-links/", format="json"
    )

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 404),  # a draft is hidden
        ("member", 403),
        ("org_admin", 403),
        ("outsider_member", 404),
        ("outsider_steward", 404),
        ("division_lead", 404),
        ("secretariat", 403),
        ("steward", 400),
    ],
)
def test_permissions_come_first(
    persona: str, status: int, client_for: Callable[[str], APIClient], scene: Scene
) -> None:
    """A caller who may not write learns that, not which fields the endpoint takes."""
    response = client_for(persona).post(
        f"/api/v1/datasets/{scene.draft.slug}/publish/", {"no_such_field": 1}, format="json"
    )

    assert response.status_code == status, response.content
