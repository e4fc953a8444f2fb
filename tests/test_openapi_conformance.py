"""The API answers as its own OpenAPI document says (Schemathesis, issue 12).

The document is the one the registry serves, built in process by drf-spectacular from the
URLconf, so an endpoint added anywhere is covered the day it lands. Every operation gets
`EXAMPLES` generated requests (valid and invalid ones, a fixed seed: a CI run can be repeated)
for each of three callers: anonymous, a data steward of the publisher "acme", and a member of
the AI company "other", signed in with bearer tokens. Each request goes through the WSGI
application into the test database and is checked:

- not_a_server_error: no 5xx;
- status_code_conformance: the status is documented for the operation;
- content_type_conformance: the Content-Type is documented for that status;
- response_schema_conformance: the body validates against the documented schema;
- response_headers_conformance: documented headers are present and valid.

Invalid requests are generated too (they must get a documented 4xx, not a 500), but
negative_data_rejection is not run: the API is lenient where DRF and django-filter are (an
empty or malformed `page_size` falls back to the default, one above the maximum is capped, an
empty filter value is no filter), which that check counts as a failure.

The scene (tests/personas.py plus a dataset with a file, a sharing request with its agreement
and grant, a webhook) is built once for the module; every request runs in a savepoint that is
rolled back, so a request that deletes or revokes does not change the world of the next one.
Path parameters are either generated or the id of an object in the scene, so the 2xx answers
are checked too, not only the 404s.

A failure prints Schemathesis' report: the check, the response, and a curl command that
reproduces it against `make run` (add the bearer token of a persona there). CONTRIBUTING.md
("The API against its document") says more.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import TestCase, override_settings
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import strategies as st
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.selectors import actor_for
from accounts.services import api_token_create
from datasets.models import Distribution, Sensitivity
from registry.models import ApprovalRoute
from registry.models import SharingRequestState as S
from registry.services import policies, sharing_requests, webhooks
from tests.factories import DatasetFactory, DatasetVersionFactory
from tests.personas import build_world
from tests.sharing import CSV_BYTES

pytestmark = pytest.mark.django_db

EXAMPLES = 12
SEED = 20261204
IDENTITIES = ("anonymous", "steward", "outsider_member")
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _document() -> dict[str, Any]:
    """The served document, as JSON (lazy translations resolved, in English)."""
    with translation.override("en"):
        generated = SchemaGenerator().get_schema(request=None, public=True)
        document: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(generated))
    return document


schema = schemathesis.openapi.from_dict(
    _document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Generating from the larger bodies is slow on a loaded CI machine; that is no
            # finding about the API.
            "suppress-health-check": ["too_slow"],
            "generation": {
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
                # Valid and invalid requests; NUL characters and any date included: the API
                # answers them with 400, not 500 (docs/operations.md, "Input the API refuses").
                "mode": "all",
                "allow-x00": True,
            },
            # The coverage phase adds dozens of boundary cases per operation and parameter:
            # minutes, not the bounded run CI can afford on every push.
            "phases": {"coverage": {"enabled": False}},
        }
    ),
)
schema.app = WSGIHandler()


# --- the scene --------------------------------------------------------------------------------


@dataclass
class Scene:
    media_root: Path
    headers: dict[str, dict[str, str]]
    # Path parameter values that name an object of the scene, by the path segment before them.
    known: dict[str, list[str]] = field(default_factory=dict)


# The module's scene while it exists, for the generation hook below (hooks take no fixtures).
_current: list[Scene] = []


def _build(media_root: Path) -> Scene:
    world = build_world()
    users = world.users
    dataset = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.MEMBERS
    )
    version = DatasetVersionFactory.create(dataset=dataset, version="1.0.0")
    distribution = Distribution(
        version=version, format="csv", media_type="text/csv", byte_size=len(CSV_BYTES)
    )
    with override_settings(MEDIA_ROOT=str(media_root)):
        distribution.file.save("vibration.csv", ContentFile(CSV_BYTES), save=False)
    distribution.save()
    policies.policy_set(
        dataset=dataset, actor=users["steward"], approval_route=ApprovalRoute.PUBLISHER
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        request, _created = sharing_requests.sharing_request_create(
            actor=actor_for(users["outsider_member"]),
            dataset=dataset,
            requester=world.other,
            purpose="ai_model_training",
            justification="conformance",
            period_days=90,
            accepted_obligations=["attribution", "delete_at_expiry"],
        )
        request = sharing_requests.sharing_request_check(sharing_request_id=request.pk)
        request = sharing_requests.sharing_request_approve(
            actor=actor_for(users["steward"]), sharing_request=request
        )
    assert request.state == S.ACTIVE, request.decision_reasons
    grant = request.agreement.grant
    webhook = webhooks.webhook_create(
        organization=world.acme,
        url="https://hooks.example.kr/max",
        events=["sharing_request.submitted"],
    )
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    tokens = []
    for persona in IDENTITIES[1:]:
        token, secret = api_token_create(user=users[persona], name="conformance")
        headers[persona] = {"Authorization": f"Bearer {secret}"}
        tokens.append(str(token.pk))
    membership = users["steward"].memberships.get()
    return Scene(
        media_root=media_root,
        headers=headers,
        known={
            "agreements": [str(request.agreement.pk)],
            "tokens": tokens,
            "datasets": [dataset.slug, str(dataset.pk)],
            "versions": [str(version.pk)],
            "distributions": [str(distribution.pk)],
            "grants": [str(grant.pk)],
            "memberships": [str(membership.pk)],
            "sharing-requests": [str(request.pk)],
            "webhooks": [str(webhook.pk)],
            "divisions": ["ai-factory"],
            "organizations": ["acme", "other"],
            "vocabularies": ["purposes"],
        },
    )


@pytest.fixture(scope="module")
def scene(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scene]:
    """Built once; rolled back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        _current.append(_build(tmp_path_factory.mktemp("media")))
        yield _current[0]
        transaction.set_rollback(True)
    _current.clear()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, scene: Scene) -> None:
    """The scene's files (this replaces the per-test media directory of tests/conftest.py)."""
    settings.MEDIA_ROOT = str(scene.media_root)


@pytest.fixture(scope="module", autouse=True)
def _connections_stay_open() -> Iterator[None]:
    """Django closes a connection at the start and end of a request when it finds it inside a
    transaction; the scene's and each test's transactions must survive the requests (Django's
    own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """A path parameter is the generated value or the id of an object of the scene, so that
    the answers to real objects (200, 409) are checked too, not only the 404s."""
    if not path_parameters or not _current or context.operation is None:
        return st.just(path_parameters)
    segments = context.operation.path.strip("/").split("/")
    scene: dict[str, Any] = {}
    for name, value in path_parameters.items():
        placeholder = "{" + name + "}"
        known: list[str] = []
        if placeholder in segments:
            known = _current[0].known.get(segments[segments.index(placeholder) - 1], [])
        scene[name] = st.sampled_from(known) if known else st.just(value)
    # All of them at once: a file is found only when dataset, version and distribution match.
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries(scene))


# --- the run ----------------------------------------------------------------------------------


@schema.parametrize()
@pytest.mark.parametrize("identity", IDENTITIES)
def test_the_api_answers_as_its_document_says(case: Any, identity: str, scene: Scene) -> None:
    with transaction.atomic():
        case.call_and_validate(headers=scene.headers[identity], checks=CHECKS)
        transaction.set_rollback(True)
