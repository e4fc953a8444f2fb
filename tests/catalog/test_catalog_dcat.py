"""GET /api/v1/catalog: what the DCAT-AP 3 graph says about the catalog and each dataset."""

from __future__ import annotations

import copy
import json

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from datasets.models import Dataset, Preview, Theme
from interop import dcat as v
from interop.dcat import DCAT3, ODRL, ODRL_PROFILE, PREFIXES
from interop.odrl import organization_uri
from registry.catalog.export import SECRETARIAT
from tests.catalog.helpers import local_path, public_url
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

DCAT = DCAT3
CATALOG = URIRef(public_url(reverse("catalog")))
EU = "http://publications.europa.eu/resource/authority/"


def uri(path: str) -> URIRef:
    return URIRef(public_url(path))


def dataset_uri(dataset) -> URIRef:
    return uri(reverse("dataset-detail", kwargs={"dataset": dataset.pk}))


def version_uri(version) -> URIRef:
    return uri(reverse("version-detail", kwargs={"dataset": version.dataset_id, "pk": version.pk}))


def distribution_uri(distribution) -> URIRef:
    version = distribution.version
    return uri(
        reverse(
            "distribution-detail",
            kwargs={"dataset": version.dataset_id, "version": version.pk, "pk": distribution.pk},
        )
    )


def texts(graph: Graph, subject, predicate) -> set[tuple[str, str | None]]:
    return {(str(o), getattr(o, "language", None)) for o in graph.objects(subject, predicate)}


def one(graph: Graph, subject, predicate):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


@pytest.fixture
def graph(rich, client_for, read_catalog) -> Graph:
    return read_catalog(client_for("anonymous"))


# --- the catalog ------------------------------------------------------------------------------


def test_the_catalog_node(rich, graph):
    assert (CATALOG, v.RDF.type, DCAT.Catalog) in graph
    assert texts(graph, CATALOG, v.DCTERMS.title) == {
        ("M.AX 데이터 교환 레지스트리", "ko"),
        ("M.AX Data Exchange Registry", "en"),
    }
    assert {language for _text, language in texts(graph, CATALOG, v.DCTERMS.description)} == {
        "ko",
        "en",
    }
    assert one(graph, CATALOG, v.DCTERMS.publisher) == SECRETARIAT
    assert (SECRETARIAT, v.RDF.type, v.FOAF.Organization) in graph
    assert {language for _t, language in texts(graph, SECRETARIAT, v.FOAF.name)} == {"ko", "en"}
    assert set(graph.objects(CATALOG, DCAT.dataset)) == {dataset_uri(rich.dataset)}
    modified = one(graph, CATALOG, v.DCTERMS.modified)
    assert modified.datatype == v.XSD.dateTime
    assert modified.toPython() == Dataset.objects.get(pk=rich.dataset.pk).modified_at


def test_the_catalog_modified_is_its_newest_change(rich, world, client_for, read_catalog):
    newer = DatasetFactory.create(publisher=world.acme, sensitivity="public")

    graph = read_catalog(client_for("anonymous"), {"page_size": 1})

    assert one(graph, CATALOG, v.DCTERMS.modified).toPython() == newer.modified_at
    assert set(graph.objects(CATALOG, DCAT.dataset)) == {dataset_uri(rich.dataset)}


# --- a dataset --------------------------------------------------------------------------------


def test_identifier_titles_and_descriptions(rich, graph):
    node = dataset_uri(rich.dataset)

    assert node == URIRef(f"http://testserver/api/v1/datasets/{rich.dataset.pk}/")
    assert (node, v.RDF.type, DCAT.Dataset) in graph
    assert one(graph, node, v.DCTERMS.identifier) == Literal(str(rich.dataset.pk))
    assert texts(graph, node, v.DCTERMS.title) == {
        ("프레스 진동 데이터", "ko"),
        ("Press vibration data", "en"),
    }
    assert texts(graph, node, v.DCTERMS.description) == {
        ("프레스 라인의 진동 신호", "ko"),
        ("Vibration signals of a press line.", "en"),
    }


def test_empty_texts_are_left_out(world, client_for, read_catalog):
    dataset = DatasetFactory.create(
        publisher=world.acme,
        sensitivity="public",
        title_en="",
        description_ko="",
        contact_name="",
        contact_email="",
        keywords=[],
    )

    graph = read_catalog(client_for("anonymous"))
    node = dataset_uri(dataset)

    assert texts(graph, node, v.DCTERMS.title) == {(dataset.title_ko, "ko")}
    assert texts(graph, node, v.DCTERMS.description) == {(dataset.description_en, "en")}
    assert list(graph.objects(node, DCAT.keyword)) == []
    assert list(graph.objects(node, DCAT.contactPoint)) == []
    assert list(graph.objects(node, v.DCTERMS.temporal)) == []
    assert list(graph.objects(node, v.DCTERMS.spatial)) == []
    assert list(graph.objects(node, DCAT.hasVersion)) == []


def test_keywords_are_tagged_korean_when_hangul(rich, graph):
    assert texts(graph, dataset_uri(rich.dataset), DCAT.keyword) == {
        ("진동", "ko"),
        ("CNC", "en"),
        ("press line", "en"),
    }


def test_themes_ours_and_the_eu_data_theme(rich, graph):
    node = dataset_uri(rich.dataset)
    ours = URIRef("https://registry.max-alliance.kr/vocab/theme/energy")
    eu = URIRef(f"{EU}data-theme/ENER")

    assert set(graph.objects(node, DCAT.theme)) == {ours, eu}
    assert (ours, v.RDF.type, v.SKOS.Concept) in graph
    assert (ours, v.SKOS.inScheme, URIRef("https://registry.max-alliance.kr/vocab/theme")) in graph
    assert (ours, v.SKOS.notation, Literal("energy")) in graph
    with translation.override("ko"):
        korean = str(Theme.ENERGY.label)
    expected = {("Energy and utilities", "en")}
    if korean != "Energy and utilities":  # the message catalog translates it
        expected.add((korean, "ko"))
    assert texts(graph, ours, v.SKOS.prefLabel) == expected
    assert (eu, v.RDF.type, v.SKOS.Concept) in graph
    assert texts(graph, eu, v.SKOS.prefLabel) == {("Energy", "en"), ("에너지", "ko")}


def test_the_publisher_is_the_organisation_of_the_odrl_policies(rich, graph):
    publisher = one(graph, dataset_uri(rich.dataset), v.DCTERMS.publisher)

    assert publisher == URIRef(organization_uri("acme")) == URIRef("urn:max:organization:acme")
    assert (publisher, v.RDF.type, v.FOAF.Organization) in graph
    assert (publisher, v.RDF.type, PREFIXES["org"].Organization) in graph
    assert texts(graph, publisher, v.FOAF.name) == {
        ("에이씨엠이정밀", "ko"),
        ("Acme Precision", "en"),
    }


def test_the_contact_point(rich, graph):
    contact = one(graph, dataset_uri(rich.dataset), DCAT.contactPoint)

    assert (contact, v.RDF.type, v.VCARD.Organization) in graph
    assert one(graph, contact, v.VCARD.fn) == Literal("데이터팀")
    assert one(graph, contact, v.VCARD.hasEmail) == URIRef("mailto:data@acme.example.kr")


def test_licence_on_the_dataset_and_its_distributions(rich, graph):
    licence = URIRef("http://spdx.org/licenses/CC-BY-4.0")

    assert one(graph, dataset_uri(rich.dataset), v.DCTERMS.license) == licence
    assert (licence, v.RDF.type, v.DCTERMS.LicenseDocument) in graph
    for distribution in (rich.stored, rich.external, rich.stored_v2):
        assert one(graph, distribution_uri(distribution), v.DCTERMS.license) == licence


@pytest.mark.parametrize(
    ("sensitivity", "right"),
    [
        ("public", "PUBLIC"),
        ("members", "RESTRICTED"),
        ("confidential", "NON_PUBLIC"),
        ("restricted", "NON_PUBLIC"),
    ],
)
def test_access_rights_and_sensitivity(world, client_for, read_catalog, sensitivity, right):
    dataset = DatasetFactory.create(publisher=world.acme, sensitivity=sensitivity)

    graph = read_catalog(client_for("member"))
    node = dataset_uri(dataset)

    assert one(graph, node, v.DCTERMS.accessRights) == URIRef(f"{EU}access-right/{right}")
    assert one(graph, node, v.MAX.sensitivity) == Literal(sensitivity)


def test_temporal_coverage(rich, graph):
    period = one(graph, dataset_uri(rich.dataset), v.DCTERMS.temporal)

    assert isinstance(period, BNode)
    assert (period, v.RDF.type, v.DCTERMS.PeriodOfTime) in graph
    assert one(graph, period, DCAT.startDate) == Literal("2024-01-01", datatype=v.XSD.date)
    assert one(graph, period, DCAT.endDate) == Literal("2024-12-31", datatype=v.XSD.date)


def test_an_open_ended_period_has_only_its_start(world, client_for, read_catalog):
    import datetime as dt

    dataset = DatasetFactory.create(
        publisher=world.acme, sensitivity="public", temporal_start=dt.date(2025, 1, 1)
    )

    graph = read_catalog(client_for("anonymous"))
    period = one(graph, dataset_uri(dataset), v.DCTERMS.temporal)

    assert one(graph, period, DCAT.startDate) == Literal("2025-01-01", datatype=v.XSD.date)
    assert list(graph.objects(period, DCAT.endDate)) == []


def test_spatial_coverage(rich, graph):
    location = one(graph, dataset_uri(rich.dataset), v.DCTERMS.spatial)

    assert (location, v.RDF.type, v.DCTERMS.Location) in graph
    assert one(graph, location, v.LOCN.geographicName) == Literal("경남 창원 공장", lang="ko")
    assert one(graph, location, v.SKOS.prefLabel) == Literal("경남 창원 공장", lang="ko")


def test_a_place_without_hangul_is_tagged_english(world, client_for, read_catalog):
    dataset = DatasetFactory.create(
        publisher=world.acme, sensitivity="public", spatial="Changwon plant"
    )

    graph = read_catalog(client_for("anonymous"))
    location = one(graph, dataset_uri(dataset), v.DCTERMS.spatial)

    assert one(graph, location, v.LOCN.geographicName) == Literal("Changwon plant", lang="en")


def test_frequency_issued_and_modified(rich, graph):
    node = dataset_uri(rich.dataset)
    dataset = Dataset.objects.get(pk=rich.dataset.pk)

    assert one(graph, node, v.DCTERMS.accrualPeriodicity) == URIRef(f"{EU}frequency/MONTHLY")
    issued = one(graph, node, v.DCTERMS.issued)
    modified = one(graph, node, v.DCTERMS.modified)
    assert issued.datatype == modified.datatype == v.XSD.dateTime
    assert issued.toPython() == dataset.published_at
    assert modified.toPython() == dataset.modified_at


def test_the_division_as_a_concept_of_the_division_scheme(rich, graph):
    division = one(graph, dataset_uri(rich.dataset), v.MAX.division)

    assert division == URIRef("https://registry.max-alliance.kr/vocab/division/humanoids")
    assert (division, v.RDF.type, v.SKOS.Concept) in graph
    assert one(graph, division, v.SKOS.notation) == Literal("humanoids")
    assert {language for _t, language in texts(graph, division, v.SKOS.prefLabel)} == {"ko", "en"}


# --- versions ---------------------------------------------------------------------------------


def test_published_versions_are_datasets_of_their_own(rich, graph):
    node = dataset_uri(rich.dataset)
    v1, v2 = version_uri(rich.v1), version_uri(rich.v2)

    assert set(graph.objects(node, DCAT.hasVersion)) == {v1, v2}
    assert one(graph, node, DCAT.hasCurrentVersion) == v2
    for version, uri_ in ((rich.v1, v1), (rich.v2, v2)):
        assert (uri_, v.RDF.type, DCAT.Dataset) in graph
        assert one(graph, uri_, DCAT.isVersionOf) == node
        assert one(graph, uri_, DCAT.version) == Literal(version.version)
        assert one(graph, uri_, v.DCTERMS.identifier) == Literal(str(version.pk))
        issued = one(graph, uri_, v.DCTERMS.issued)
        assert issued.datatype == v.XSD.dateTime
        assert issued.toPython() == version.published_at
    assert one(graph, v1, v.ADMS.versionNotes) == Literal("첫 공개", lang="ko")
    assert one(graph, v2, v.ADMS.versionNotes) == Literal("Adds spindle temperature.", lang="en")


def test_previous_version_links_consecutive_versions(rich, graph):
    assert list(graph.objects(version_uri(rich.v1), DCAT.previousVersion)) == []
    assert one(graph, version_uri(rich.v2), DCAT.previousVersion) == version_uri(rich.v1)


def test_draft_versions_and_their_distributions_never_appear(rich, client_for, read_catalog):
    graph = read_catalog(client_for("steward"))  # even for the publisher

    draft = version_uri(rich.draft)
    assert (draft, None, None) not in graph
    assert (None, None, draft) not in graph
    assert (distribution_uri(rich.draft_distribution), None, None) not in graph


def test_conforms_to_the_schema_endpoint_when_the_version_has_a_schema(rich, graph, client_for):
    schema = one(graph, version_uri(rich.v1), v.DCTERMS.conformsTo)

    assert schema == uri(
        reverse("version-schema", kwargs={"dataset": rich.dataset.pk, "pk": rich.v1.pk})
    )
    assert list(graph.objects(version_uri(rich.v2), v.DCTERMS.conformsTo)) == []
    response = client_for("anonymous").get(local_path(str(schema)))
    assert response.status_code == 200
    assert response.json()["schema"]["primaryKey"] == ["ts"]


# --- distributions ----------------------------------------------------------------------------


def test_a_stored_file_downloads_through_the_api(rich, graph, client_for):
    node = distribution_uri(rich.stored)
    download = uri(
        reverse(
            "distribution-download",
            kwargs={"dataset": rich.dataset.pk, "version": rich.v1.pk, "pk": rich.stored.pk},
        )
    )

    assert (version_uri(rich.v1), DCAT.distribution, node) in graph
    assert (node, v.RDF.type, DCAT.Distribution) in graph
    assert one(graph, node, DCAT.downloadURL) == download
    assert one(graph, node, DCAT.accessURL) == download
    response = client_for("anonymous").get(local_path(str(download)))
    assert response.status_code == 200  # public data: anyone
    assert b"".join(response.streaming_content).startswith(b"ts,spindle_rpm")


def test_an_external_distribution_is_reached_at_its_access_url(rich, graph):
    node = distribution_uri(rich.external)

    assert one(graph, node, DCAT.accessURL) == URIRef(
        "https://data.acme.example.kr/press/vibration.parquet"
    )
    assert list(graph.objects(node, DCAT.downloadURL)) == []


def test_media_type_format_and_size(rich, graph):
    node = distribution_uri(rich.external)

    assert one(graph, node, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet"
    )
    assert one(graph, node, v.DCTERMS.format) == URIRef(f"{EU}file-type/PARQUET")
    size = one(graph, node, DCAT.byteSize)
    assert size == Literal("123456", datatype=v.XSD.nonNegativeInteger)
    assert size.toPython() == 123456
    stored = distribution_uri(rich.stored)
    assert one(graph, stored, v.DCTERMS.format) == URIRef(f"{EU}file-type/CSV")
    assert one(graph, stored, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )


def test_the_checksum_is_an_spdx_checksum(rich, graph):
    checksum = one(graph, distribution_uri(rich.stored), v.SPDX.checksum)

    assert (checksum, v.RDF.type, v.SPDX.Checksum) in graph
    assert one(graph, checksum, v.SPDX.algorithm) == v.SPDX.checksumAlgorithm_sha256
    value = one(graph, checksum, v.SPDX.checksumValue)
    assert value.datatype == v.XSD.hexBinary
    assert str(value) == rich.stored.sha256
    assert list(graph.objects(distribution_uri(rich.sample), v.SPDX.checksum)) == []


def test_the_checked_file_stays_out_and_the_preview_is_the_adms_sample(
    rich, client_for, read_catalog
):
    Preview.objects.create(
        version=rich.v2, source=rich.sample, columns=["a"], rows=[["1"]], made_at=timezone.now()
    )
    graph = read_catalog(client_for("anonymous"))
    v2 = version_uri(rich.v2)
    sample = distribution_uri(rich.sample)
    preview = uri(reverse("version-preview", kwargs={"dataset": rich.dataset.pk, "pk": rich.v2.pk}))

    assert not set(graph.triples((sample, None, None)))
    assert not set(graph.triples((None, None, sample)))
    assert set(graph.objects(v2, v.ADMS.sample)) == {preview}
    assert (preview, v.RDF.type, DCAT.Distribution) in graph
    assert one(graph, preview, DCAT.accessURL) == preview
    assert set(graph.objects(v2, DCAT.distribution)) == {
        distribution_uri(rich.external),
        distribution_uri(rich.stored_v2),
    }
    assert set(graph.objects(dataset_uri(rich.dataset), v.ADMS.sample)) == {preview}


def test_a_version_without_a_preview_has_no_sample(rich, graph):
    assert list(graph.objects(version_uri(rich.v2), v.ADMS.sample)) == []


def test_the_dataset_carries_the_current_versions_distributions(rich, graph):
    node = dataset_uri(rich.dataset)

    assert set(graph.objects(node, DCAT.distribution)) == {
        distribution_uri(rich.external),
        distribution_uri(rich.stored_v2),
    }


# --- the access policy ------------------------------------------------------------------------

# The few terms of the ODRL 2.2 context (https://www.w3.org/ns/odrl.jsonld) the offers use,
# inline, so the test reads the policy endpoint's JSON-LD without the network.
ODRL_CONTEXT = {
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "@vocab": "http://www.w3.org/ns/odrl/2/",
    "uid": "@id",
    "type": "@type",
    "profile": {"@id": "odrl:profile", "@type": "@id"},
    "target": {"@id": "odrl:target", "@type": "@id"},
    "assigner": {"@id": "odrl:assigner", "@type": "@id"},
    "assignee": {"@id": "odrl:assignee", "@type": "@id"},
    "action": {"@id": "odrl:action", "@type": "@vocab"},
    "leftOperand": {"@id": "odrl:leftOperand", "@type": "@vocab"},
    "operator": {"@id": "odrl:operator", "@type": "@vocab"},
    "rightOperand": {"@id": "odrl:rightOperand"},
    "permission": {"@id": "odrl:permission", "@container": "@set"},
    "prohibition": {"@id": "odrl:prohibition", "@container": "@set"},
    "duty": {"@id": "odrl:duty", "@container": "@set"},
    "constraint": {"@id": "odrl:constraint", "@container": "@set"},
}


def reachable(graph: Graph, root) -> Graph:
    """The triples about `root` and the blank nodes it leads to (the policy's own content)."""
    found = Graph()
    todo, seen = [root], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for predicate, obj in graph.predicate_objects(node):
            found.add((node, predicate, obj))
            if isinstance(obj, BNode):
                todo.append(obj)
    return found


def test_the_current_policy_is_an_odrl_offer(rich, graph):
    policy = one(graph, dataset_uri(rich.dataset), ODRL.hasPolicy)

    assert policy == URIRef(f"urn:uuid:{rich.policy.pk}")
    assert (policy, v.RDF.type, ODRL.Offer) in graph
    assert one(graph, policy, ODRL.assigner) == URIRef("urn:max:organization:acme")
    assert one(graph, policy, ODRL_PROFILE.revision) == Literal(rich.policy.revision)
    [permission] = graph.objects(policy, ODRL.permission)
    assert one(graph, permission, ODRL.action) == ODRL.use
    constraints = {
        (one(graph, c, ODRL.leftOperand), one(graph, c, ODRL.operator)): set(
            graph.objects(c, ODRL.rightOperand)
        )
        for c in graph.objects(permission, ODRL.constraint)
    }
    assert constraints[(ODRL.purpose, ODRL.isAnyOf)] == {
        Literal("research"),
        Literal("ai_model_training"),
    }
    assert constraints[(ODRL.elapsedTime, ODRL.lteq)] == {Literal("P120D", datatype=v.XSD.duration)}
    assert constraints[(ODRL.recipient, ODRL.isAnyOf)] == {Literal("urn:max:organization:other")}
    assert constraints[(ODRL.recipient, ODRL.isNoneOf)] == {Literal("urn:max:organization:acme")}
    assert constraints[(ODRL.industry, ODRL.isAnyOf)] == {
        Literal("ai-factory"),
        Literal("humanoids"),
    }
    assert constraints[(ODRL_PROFILE.organizationKind, ODRL.isAnyOf)] == {Literal("ai_company")}
    assert {one(graph, d, ODRL.action) for d in graph.objects(permission, ODRL.duty)} == {
        ODRL.attribute,
        ODRL.inform,
    }
    assert {one(graph, p, ODRL.action) for p in graph.objects(policy, ODRL.prohibition)} == {
        ODRL.sell,
        ODRL.use,  # use abroad
        ODRL_PROFILE.reidentify,
    }


def test_the_offer_says_what_the_policy_endpoint_says(rich, graph, client_for):
    response = client_for("anonymous").get(
        reverse("access-policy-odrl", kwargs={"dataset": rich.dataset.pk})
    )
    assert response.status_code == 200
    document = copy.deepcopy(response.json())
    assert document["@context"][0] == "http://www.w3.org/ns/odrl.jsonld"
    document["@context"][0] = ODRL_CONTEXT
    offer = Graph().parse(data=json.dumps(document), format="json-ld")

    in_catalog = reachable(graph, URIRef(f"urn:uuid:{rich.policy.pk}"))

    assert len(offer) > 30
    assert isomorphic(in_catalog, offer)


def test_a_dataset_without_a_current_policy_has_no_offer(world, client_for, read_catalog):
    from tests.datasets.helpers import make_public_datasets

    [dataset] = make_public_datasets(world, 1)  # bulk-created: no policy row

    graph = read_catalog(client_for("anonymous"))

    assert list(graph.objects(dataset_uri(dataset), ODRL.hasPolicy)) == []
    assert (dataset_uri(dataset), v.RDF.type, DCAT.Dataset) in graph


# --- paging terms on a single page ------------------------------------------------------------


def test_a_single_page_has_a_first_page_and_no_next(rich, graph):
    view = one(graph, CATALOG, v.HYDRA.view)

    assert view != CATALOG
    assert (view, v.RDF.type, v.HYDRA.PartialCollectionView) in graph
    assert one(graph, view, v.HYDRA.first) == uri(reverse("catalog") + "?page_size=50")
    assert one(graph, view, v.HYDRA.itemsPerPage) == Literal(50)
    assert one(graph, CATALOG, v.HYDRA.totalItems) == Literal(1)
    assert list(graph.objects(view, v.HYDRA.next)) == []
    assert list(graph.objects(view, v.HYDRA.previous)) == []
