"""The dataset page (/datasets/<key>/): what the API shows each persona, and no more.

Parity: for every persona the page answers as GET /api/v1/datasets/<key>/ does, lists the
versions the API lists, quotes a check's cells only where the report endpoint does, shows the
preview only where the preview endpoint serves it, and offers "Request access" exactly when
the eligibility endpoint says the reader may ask."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from console.views import dataset as dataset_views
from datasets.models import (
    Dataset,
    DatasetStatus,
    DatasetVersion,
    Distribution,
    Preview,
    SchemaKind,
    Sensitivity,
    ValidationReport,
    VersionStatus,
)
from registry.models import ApprovalRoute
from tests.factories import DatasetFactory, DatasetVersionFactory, DistributionFactory
from tests.personas import PERSONAS, World
from tests.sharing import REQUEST_BODY

SCHEMA = {
    "fields": [
        {"name": "ts", "type": "datetime", "description": "Sampling time"},
        {
            "name": "value",
            "type": "number",
            "constraints": {"required": True, "minimum": 0},
            "description": "Vibration (mm/s)",
        },
        {"name": "operator", "type": "string"},
    ]
}
STORED_ERRORS = 120  # more than the page shows (100)


@dataclass
class Scene:
    members: Dataset  # acme's published members-only dataset
    public: Dataset
    draft: Dataset
    withdrawn: Dataset
    version: DatasetVersion  # the members dataset's version, checked, with a preview


def checked(version: DatasetVersion, sample: Distribution) -> None:
    """A schema, a failed check quoting cells, and a preview leaving `operator` out."""
    DatasetVersion.objects.filter(pk=version.pk).update(
        schema=SCHEMA, schema_kind=SchemaKind.TABLE_SCHEMA, preview_excluded_columns=["operator"]
    )
    report = ValidationReport.objects.create(
        version=version,
        sample=sample,
        status="failed",
        row_count=500,
        error_count=250,
        errors_by_code={"type-error": 250},
        errors=[
            {
                "row": row,
                "field": "value",
                "field_number": 2,
                "code": "type-error",
                "message": f"quoted-cell-{row}",
            }
            for row in range(2, 2 + STORED_ERRORS)
        ],
        profile=[
            {
                "name": "value",
                "type": "number",
                "rows": 500,
                "nulls": 0,
                "invalid": 250,
                "distinct": 7,
                "distinct_estimated": False,
                "min": "secret-min-cell",
                "max": "secret-max-cell",
                "mean": 1.5,
            }
        ],
        finished_at=timezone.now(),
    )
    Preview.objects.create(
        version=version,
        source=sample,
        report=report,
        columns=["ts", "value", "operator"],
        rows=[["2025-01-01T00:00:00", "preview-cell-1.5", "operator-kim"]],
        row_count=1,
        made_at=timezone.now(),
    )


@pytest.fixture
def scene(world: World, shared_dataset: Dataset) -> Scene:
    version = shared_dataset.versions.get()
    checked(version, version.distributions.get())
    public = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.PUBLIC
    )
    DistributionFactory.create(version=DatasetVersionFactory.create(dataset=public))
    draft = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, status=DatasetStatus.DRAFT
    )
    DatasetVersionFactory.create(dataset=draft, status=VersionStatus.DRAFT)
    withdrawn = DatasetFactory.create(
        publisher=world.acme, division=world.ai_factory, status=DatasetStatus.WITHDRAWN
    )
    DatasetVersionFactory.create(dataset=withdrawn)
    return Scene(shared_dataset, public, draft, withdrawn, version)


def page_client(world: World, persona: str, language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def page_of(world: World, persona: str, dataset: Dataset, **extra: Any) -> Any:
    return page_client(world, persona).get(
        reverse("console:dataset", kwargs={"key": dataset.slug}), **extra
    )


# --- who sees which dataset ------------------------------------------------------------------

INSIDERS = ("member", "steward", "org_admin", "secretariat")
STATUS = {
    # dataset: the personas that get 200 (all others 404)
    "members": set(PERSONAS) - {"anonymous"},
    "public": set(PERSONAS),
    "draft": set(INSIDERS),
    "withdrawn": set(INSIDERS),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", list(STATUS))
def test_status_per_persona_is_the_apis(
    scene: Scene, world: World, client_for: Callable[[str], Any], persona: str, which: str
) -> None:
    dataset = getattr(scene, which)
    expected = 200 if persona in STATUS[which] else 404
    page = page_of(world, persona, dataset)
    api = client_for(persona).get(reverse("dataset-detail", kwargs={"dataset": dataset.slug}))
    assert page.status_code == expected
    assert api.status_code == expected
    if expected == 200:
        body = page.content.decode()
        assert api.json()["title_en"] in body
        if which == "withdrawn":
            assert 'id="dataset-status"' in body
            assert "Withdrawn" in body


def test_the_dataset_answers_by_id_as_by_slug(scene: Scene, world: World) -> None:
    response = page_client(world, "anonymous").get(
        reverse("console:dataset", kwargs={"key": str(scene.public.pk)})
    )
    assert response.status_code == 200


def test_the_title_is_in_the_readers_language(scene: Scene, world: World) -> None:
    korean = page_client(world, "member", language="ko").get(
        reverse("console:dataset", kwargs={"key": scene.members.slug})
    )
    english = page_of(world, "member", scene.members)
    assert f'<h1 id="dataset-title">{scene.members.title_ko}</h1>' in korean.content.decode()
    assert f'<h1 id="dataset-title">{scene.members.title_en}</h1>' in english.content.decode()


# --- parity with the API ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_versions_listed_are_the_apis(
    scene: Scene, world: World, client_for: Callable[[str], Any], persona: str
) -> None:
    DatasetVersionFactory.create(dataset=scene.members, status=VersionStatus.DRAFT)
    page = page_of(world, persona, scene.members)
    api = client_for(persona).get(reverse("version-list", kwargs={"dataset": scene.members.slug}))
    if api.status_code == 404:
        assert page.status_code == 404
        return
    body = page.content.decode()
    api_ids = {version["id"] for version in api.json()["results"]}
    every = {str(pk) for pk in scene.members.versions.values_list("pk", flat=True)}
    for version_id in every:
        assert (f'id="version-link-{version_id}"' in body) == (version_id in api_ids)


@pytest.mark.parametrize("persona", PERSONAS)
def test_cell_quotes_and_profile_values_only_where_the_report_endpoint_has_them(
    scene: Scene, world: World, client_for: Callable[[str], Any], persona: str
) -> None:
    api = client_for(persona).get(
        reverse("version-reports", kwargs={"dataset": scene.members.slug, "pk": scene.version.pk})
    )
    page = page_of(world, persona, scene.members)
    if api.status_code == 404:
        assert page.status_code == 404
        return
    body = page.content.decode()
    report = api.json()["results"][0]
    quoted = report["errors"][0]["message"] is not None
    assert ("quoted-cell-2" in body) == quoted
    assert ("secret-min-cell" in body) == ("min" in report["profile"][0])
    assert ('id="cells-hidden"' in body) == (not quoted)
    assert quoted == (persona in ("steward", "secretariat"))
    # Errors with row, field and code for everyone who sees the report, bounded.
    assert body.count("<code>type-error</code>") == 100 + 1  # the table, and the by-code table
    assert "The first 100 of 250 errors." in body
    assert "Vibration (mm/s)" in body
    assert "minimum: 0" in body


@pytest.mark.parametrize("persona", PERSONAS)
def test_preview_rows_only_where_the_preview_endpoint_serves_them(
    scene: Scene, world: World, client_for: Callable[[str], Any], persona: str
) -> None:
    api = client_for(persona).get(
        reverse("version-preview", kwargs={"dataset": scene.members.slug, "pk": scene.version.pk})
    )
    page = page_of(world, persona, scene.members)
    if page.status_code == 404:
        assert api.status_code == 404
        return
    body = page.content.decode()
    assert ("preview-cell-1.5" in body) == (api.status_code == 200)
    if api.status_code == 200:
        assert api.json()["excluded_columns"] == ["operator"]
        assert "operator-kim" not in body
        assert "Left out of the preview on purpose: operator." in body


def test_a_version_without_preview_says_so(scene: Scene, world: World) -> None:
    body = page_of(world, "anonymous", scene.public).content.decode()
    assert 'id="no-preview"' in body
    assert 'id="no-schema"' in body
    assert 'id="no-report"' in body


# --- the access policy in words --------------------------------------------------------------

ROUTE_SENTENCES: dict[str, str] = {
    ApprovalRoute.AUTOMATIC: "A request that meets the policy is approved automatically.",
    ApprovalRoute.PUBLISHER: "The publisher's data stewards decide on each request.",
    ApprovalRoute.PUBLISHER_THEN_DIVISION_LEAD: (
        "The publisher's data stewards, then the division lead, approve each request."
    ),
}


@pytest.mark.parametrize("route", list(ROUTE_SENTENCES))
def test_policy_sentences_for_each_route(
    scene: Scene, world: World, set_route: Callable[..., Any], route: str
) -> None:
    set_route(
        route,
        permitted_purposes=["research"],
        prohibitions=["resale"],
        obligations=["usage_report"],
        max_period_days=120,
        allowed_organization_kinds=["ai_company"],
    )
    body = page_of(world, "outsider_member", scene.members).content.decode()
    assert ROUTE_SENTENCES[route] in body
    assert "The data may be used for: Research." in body
    assert "Forbidden: Resale." in body
    assert "Whoever asks accepts these obligations: Usage report." in body
    assert "Access is granted for at most 120 days." in body
    assert "Other organisations must be of one of these kinds: AI company." in body


def test_default_policy_lets_any_member_ask(scene: Scene, world: World) -> None:
    body = page_of(world, "outsider_member", scene.members).content.decode()
    assert "Any member organisation of the alliance may ask, other than the publisher." in body
    assert "Access is granted for at most 365 days." in body


# --- the Request access button ---------------------------------------------------------------


def api_says_may_ask(client: Any, dataset: Dataset) -> bool:
    response = client.post(
        reverse("dataset-eligibility", kwargs={"dataset": dataset.slug}),
        {key: REQUEST_BODY[key] for key in ("purpose", "period_days", "accepted_obligations")},
        format="json",
    )
    return response.status_code == 200 and response.json()["eligible"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_request_button_exactly_when_the_api_says_the_reader_may_ask(
    scene: Scene, world: World, client_for: Callable[[str], Any], persona: str
) -> None:
    page = page_of(world, persona, scene.members)
    if page.status_code == 404:
        return
    body = page.content.decode()
    may_ask = api_says_may_ask(client_for(persona), scene.members)
    assert ('id="request-access"' in body) == may_ask
    assert may_ask == (persona in ("outsider_member", "outsider_steward"))
    if may_ask:
        assert f'href="/datasets/{scene.members.slug}/request/"' in body
    else:
        assert 'id="ask-reasons"' in body


def test_why_not_in_words(
    scene: Scene, world: World, submit: Callable[..., Any], set_route: Callable[..., Any]
) -> None:
    assert (
        "Sign in to ask for this dataset."
        in page_of(world, "anonymous", scene.public).content.decode()
    )
    assert (
        "Your organisation publishes this dataset."
        in page_of(world, "steward", scene.members).content.decode()
    )
    assert (
        "Only members of an organisation may ask for data."
        in page_of(world, "division_lead", scene.members).content.decode()
    )
    set_route(ApprovalRoute.PUBLISHER, denied_organization_ids=[world.other.pk])
    assert (
        "The publisher does not share with your organisation."
        in page_of(world, "outsider_member", scene.members).content.decode()
    )


def test_an_open_request_hides_the_button_as_the_409_would(
    scene: Scene, world: World, client_for: Callable[[str], Any], submit: Callable[..., Any]
) -> None:
    sharing_request = submit()
    body = page_of(world, "outsider_member", scene.members).content.decode()
    assert not api_says_may_ask(client_for("outsider_member"), scene.members)
    assert 'id="request-access"' not in body
    assert "Your organisation already has an open request for this dataset." in body
    assert f"/sharing-requests/{sharing_request.pk}/" in body


def test_a_withdrawn_dataset_cannot_be_asked_for(scene: Scene, world: World) -> None:
    body = page_of(world, "member", scene.withdrawn).content.decode()
    assert 'id="request-access"' not in body
    assert 'id="dcat-link"' not in body  # not in the catalog


# --- versions, fragments, links --------------------------------------------------------------


def test_a_chosen_version_and_its_htmx_fragment(scene: Scene, world: World) -> None:
    newer = DatasetVersionFactory.create(dataset=scene.members, version="2.0.0")
    url = reverse(
        "console:dataset-version", kwargs={"key": scene.members.slug, "version": newer.pk}
    )
    client = page_client(world, "outsider_member")
    # Without JS: the latest published version by default, any other by its own address.
    default = client.get(reverse("console:dataset", kwargs={"key": scene.members.slug}))
    assert f'id="version-link-{newer.pk}"' in default.content.decode()
    assert "Version 2.0.0" in default.content.decode()
    full = client.get(
        reverse(
            "console:dataset-version",
            kwargs={"key": scene.members.slug, "version": scene.version.pk},
        )
    )
    assert "Version 1.0.0" in full.content.decode()
    assert "<html" in full.content.decode()
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body
    assert 'id="version-panel"' in body
    assert 'hx-swap-oob="true"' in body
    assert "Showing version 2.0.0" in body
    # The version list comes with the panel, the chosen version marked.
    assert f'id="version-link-{scene.version.pk}"' in body
    assert body.count('aria-current="true"') == 1


def test_a_version_the_reader_does_not_see_is_404(scene: Scene, world: World) -> None:
    draft = DatasetVersionFactory.create(dataset=scene.members, status=VersionStatus.DRAFT)
    url = reverse(
        "console:dataset-version", kwargs={"key": scene.members.slug, "version": draft.pk}
    )
    assert page_client(world, "outsider_member").get(url).status_code == 404
    assert page_client(world, "steward").get(url).status_code == 200


def test_a_version_older_than_those_listed_still_opens(
    scene: Scene, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dataset_views, "VERSIONS_SHOWN", 1)
    DatasetVersionFactory.create(dataset=scene.members, version="2.0.0")
    url = reverse(
        "console:dataset-version", kwargs={"key": scene.members.slug, "version": scene.version.pk}
    )
    body = page_client(world, "outsider_member").get(url).content.decode()
    assert "Version 1.0.0" in body
    assert "Only the newest versions are listed." in body


def test_dcat_and_data_package_links_answer(scene: Scene, world: World) -> None:
    body = page_of(world, "anonymous", scene.public).content.decode()
    dcat = reverse("dataset-dcat", kwargs={"dataset": scene.public.pk})
    version = scene.public.versions.get()
    package = reverse("version-datapackage", kwargs={"dataset": scene.public.pk, "pk": version.pk})
    assert f'href="{dcat}"' in body
    assert f'href="{package}"' in body
    client = Client()
    response = client.get(dcat)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert str(scene.public.pk) in response.content.decode()
    assert client.get(package).status_code == 200
    assert client.get(dcat, HTTP_ACCEPT="text/turtle")["Content-Type"].startswith("text/turtle")


@pytest.mark.parametrize(
    ("persona", "which", "status"),
    [
        ("anonymous", "members", 404),
        ("outsider_member", "draft", 404),
        ("steward", "draft", 404),  # drafts are not in the catalog, not even for their publisher
        ("outsider_member", "members", 200),
    ],
)
def test_dcat_of_one_dataset_is_the_catalogs(
    scene: Scene, client_for: Callable[[str], Any], persona: str, which: str, status: int
) -> None:
    dataset = getattr(scene, which)
    response = client_for(persona).get(reverse("dataset-dcat", kwargs={"dataset": dataset.slug}))
    assert response.status_code == status


# --- a constant number of queries ------------------------------------------------------------


def queries_for(world: World, persona: str, dataset: Dataset) -> int:
    client = page_client(world, persona)
    url = reverse("console:dataset", kwargs={"key": dataset.slug})
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["anonymous", "outsider_member", "steward"])
def test_the_page_makes_the_same_queries_for_1_or_10_versions(world: World, persona: str) -> None:
    def dataset_with(count: int) -> Dataset:
        dataset = DatasetFactory.create(
            publisher=world.acme, division=world.ai_factory, sensitivity=Sensitivity.PUBLIC
        )
        for number in range(count):
            version = DatasetVersionFactory.create(dataset=dataset, version=f"{number}.0.0")
            sample = DistributionFactory.create(version=version)
            checked(version, sample)
        return dataset

    one, ten = dataset_with(1), dataset_with(10)
    assert queries_for(world, persona, one) == queries_for(world, persona, ten)
    assert queries_for(world, persona, ten) <= 20
