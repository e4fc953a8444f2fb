"""The published catalog as a DCAT 3 graph (DCAT-AP 3 profile), built from prefetched rows.

Pure functions: nothing here queries the database. `registry.catalog.selectors` reads a page of
datasets with their published versions, distributions and current policies, and the
organisation slugs and division codes the policies name; `catalog_graph` turns them into an
rdflib Graph, which the API serialises as JSON-LD or Turtle.

URIs. Everything the registry serves is named by its API address under
`settings.PUBLIC_BASE_URL`: the catalog `/api/v1/catalog`, a dataset
`/api/v1/datasets/<uuid>/`, a version `.../versions/<uuid>/`, a distribution
`.../distributions/<uuid>/`. Organisations use the URNs of the ODRL policies
(`interop.odrl.organization_uri`), so a publisher and a policy's assigner are one node.

Versions. The dataset is the abstract resource; each published version is a dcat:Dataset of
its own (dcat:isVersionOf, dcat:version, adms:versionNotes, dcat:previousVersion), linked from
the dataset with dcat:hasVersion and dcat:hasCurrentVersion. Distributions and samples hang
off their version; the current version's are repeated on the dataset, because harvesters that
do not follow versions (CKAN) read dcat:distribution on the dataset.

The division goes out as `max:division`, a skos:Concept of the registry's division scheme
(its last segment and skos:notation are the division code).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import ORG
from rdflib.term import Node

from accounts.models import Division, Organization
from datasets.models import Dataset, DatasetVersion, Distribution, DistributionRole, Theme
from interop.dcat import (
    ACCESS_RIGHTS,
    ADMS,
    DCAT3,
    DCTERMS,
    DIVISION_SCHEME,
    FILE_TYPES,
    FOAF,
    FREQUENCIES,
    HYDRA,
    LICENSES,
    LOCN,
    MAX,
    MEDIA_TYPES,
    ODRL,
    ODRL_PROFILE,
    PREFIXES,
    RDF,
    SKOS,
    SPDX,
    THEME_EU,
    THEME_SCHEME,
    VCARD,
    XSD,
    Uris,
    division_uri,
    media_type_uri,
    theme_uri,
)
from interop.odrl import OdrlLookups, organization_uri, policy_offer

CATALOG_TITLE = {"ko": "M.AX 데이터 교환 레지스트리", "en": "M.AX Data Exchange Registry"}
CATALOG_DESCRIPTION = {
    "ko": "M.AX 제조AI 얼라이언스 회원사가 공개한 제조 데이터셋의 메타데이터 카탈로그",
    "en": "Metadata catalog of the manufacturing datasets that members of the M.AX "
    "manufacturing AI alliance publish.",
}
SECRETARIAT = URIRef("urn:max:alliance:secretariat")
SECRETARIAT_NAME = {"ko": "M.AX 얼라이언스 사무국", "en": "M.AX Alliance Secretariat"}

# The EU data themes our themes map to (vocabulary.THEME_EU), labelled for readers that do
# not dereference the EU authority table.
EU_THEME_LABELS: dict[str, dict[str, str]] = {
    "TECH": {"en": "Science and technology", "ko": "과학기술"},
    "ECON": {"en": "Economy and finance", "ko": "경제·금융"},
    "ENER": {"en": "Energy", "ko": "에너지"},
    "TRAN": {"en": "Transport", "ko": "교통"},
}
EU_DATA_THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")

HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def language_of(text: str) -> str:
    """`ko` for text with Hangul in it, `en` otherwise (keywords, place names)."""
    return "ko" if HANGUL.search(text) else "en"


# --- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageLinks:
    """Where this page of the catalog sits among the others (Hydra paging)."""

    current: str
    first: str
    next: str | None
    previous: str | None
    items_per_page: int
    total_items: int
    total_is_capped: bool


@dataclass(frozen=True)
class CatalogPage:
    datasets: Sequence[Dataset]
    lookups: OdrlLookups
    links: PageLinks
    modified: dt.datetime | None


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def catalog_graph(page: CatalogPage, *, base_url: str) -> Graph:
    """The catalog node, its paging, and every dataset of the page with what hangs off it."""
    uris = Uris(base_url)
    graph = new_graph()
    catalog = uris.catalog()
    graph.add((catalog, RDF.type, DCAT3.Catalog))
    _texts(graph, catalog, DCTERMS.title, CATALOG_TITLE)
    _texts(graph, catalog, DCTERMS.description, CATALOG_DESCRIPTION)
    graph.add((catalog, DCTERMS.publisher, SECRETARIAT))
    graph.add((SECRETARIAT, RDF.type, FOAF.Organization))
    _texts(graph, SECRETARIAT, FOAF.name, SECRETARIAT_NAME)
    if page.modified is not None:
        graph.add((catalog, DCTERMS.modified, _datetime(page.modified)))
    _paging(graph, catalog, page.links)
    for dataset in page.datasets:
        graph.add((catalog, DCAT3.dataset, uris.dataset(dataset.pk)))
        add_dataset(graph, dataset, uris=uris, lookups=page.lookups)
    return graph


def dataset_graph(dataset: Dataset, *, lookups: OdrlLookups, base_url: str) -> Graph:
    """One dataset of the catalog, described as on a catalog page (its node is its API URL),
    with the catalog that lists it."""
    uris = Uris(base_url)
    graph = new_graph()
    graph.add((uris.catalog(), DCAT3.dataset, uris.dataset(dataset.pk)))
    add_dataset(graph, dataset, uris=uris, lookups=lookups)
    return graph


def _paging(graph: Graph, catalog: URIRef, links: PageLinks) -> None:
    view = URIRef(links.current)
    graph.add((catalog, RDF.type, HYDRA.Collection))
    graph.add((catalog, HYDRA.totalItems, Literal(links.total_items)))
    graph.add((catalog, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, URIRef(links.first)))
    graph.add((view, HYDRA.itemsPerPage, Literal(links.items_per_page)))
    graph.add((view, HYDRA.totalItems, Literal(links.total_items)))
    # The older Hydra paging terms too: ckanext-dcat before 1.0 only reads
    # hydra:PagedCollection and hydra:nextPage.
    graph.add((view, RDF.type, HYDRA.PagedCollection))
    graph.add((view, HYDRA.firstPage, URIRef(links.first)))
    if links.next:
        graph.add((view, HYDRA.next, URIRef(links.next)))
        graph.add((view, HYDRA.nextPage, URIRef(links.next)))
    if links.previous:
        graph.add((view, HYDRA.previous, URIRef(links.previous)))
        graph.add((view, HYDRA.previousPage, URIRef(links.previous)))
    if links.total_is_capped:
        # The count stops at the pagination's cap (common.pagination): there are more.
        graph.add((catalog, MAX.totalItemsIsCapped, Literal(True)))


# --- datasets ---------------------------------------------------------------------------------


def add_dataset(graph: Graph, dataset: Dataset, *, uris: Uris, lookups: OdrlLookups) -> URIRef:
    """A dataset with its publisher, contact, coverage, versions, distributions and policy.

    Reads `published_versions` and `current_policies` as `catalog_dataset_list` prefetches
    them; the division and the publisher must be selected with the dataset.
    """
    node = uris.dataset(dataset.pk)
    graph.add((node, RDF.type, DCAT3.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.pk))))
    _texts(graph, node, DCTERMS.title, {"ko": dataset.title_ko, "en": dataset.title_en})
    _texts(
        graph,
        node,
        DCTERMS.description,
        {"ko": dataset.description_ko, "en": dataset.description_en},
    )
    for keyword in dataset.keywords or []:
        if keyword.strip():
            graph.add((node, DCAT3.keyword, Literal(keyword, lang=language_of(keyword))))
    _themes(graph, node, dataset.theme)
    graph.add((node, DCTERMS.publisher, _organization(graph, dataset.publisher)))
    _contact_point(graph, node, dataset)
    license_node = _license(graph, dataset.license)
    if license_node is not None:
        graph.add((node, DCTERMS.license, license_node))
    if dataset.sensitivity in ACCESS_RIGHTS:
        rights = ACCESS_RIGHTS[dataset.sensitivity]
        graph.add((node, DCTERMS.accessRights, rights))
        graph.add((rights, RDF.type, DCTERMS.RightsStatement))
    graph.add((node, MAX.sensitivity, Literal(dataset.sensitivity)))
    graph.add((node, MAX.status, Literal(dataset.status)))
    _temporal(graph, node, dataset.temporal_start, dataset.temporal_end)
    _spatial(graph, node, dataset.spatial)
    if dataset.update_frequency in FREQUENCIES:
        frequency = FREQUENCIES[dataset.update_frequency]
        graph.add((node, DCTERMS.accrualPeriodicity, frequency))
        graph.add((frequency, RDF.type, DCTERMS.Frequency))
    if dataset.published_at is not None:
        graph.add((node, DCTERMS.issued, _datetime(dataset.published_at)))
    graph.add((node, DCTERMS.modified, _datetime(dataset.modified_at)))
    graph.add((node, MAX.division, _division(graph, dataset.division)))

    versions: list[DatasetVersion] = list(getattr(dataset, "published_versions", []))
    previous: URIRef | None = None
    version_node: URIRef | None = None
    for version in versions:
        version_node = _version(graph, dataset, version, uris=uris, license_node=license_node)
        graph.add((node, DCAT3.hasVersion, version_node))
        if previous is not None:
            graph.add((version_node, DCAT3.previousVersion, previous))
        previous = version_node
    if versions and version_node is not None:
        current = versions[-1]
        graph.add((node, DCAT3.hasCurrentVersion, version_node))
        # Harvesters that ignore versions find the current data on the dataset itself.
        for distribution in _distributions_of(current):
            graph.add(
                (
                    node,
                    _distribution_link(distribution),
                    _distribution_uri(uris, current, distribution),
                )
            )
        if getattr(current, "has_preview", False):
            graph.add((node, ADMS.sample, uris.preview(dataset.pk, current.pk)))

    for policy in getattr(dataset, "current_policies", []):
        offer = policy_offer(policy, lookups)
        graph.add((node, ODRL.hasPolicy, add_odrl_node(graph, offer)))
    return node


def _version(
    graph: Graph,
    dataset: Dataset,
    version: DatasetVersion,
    *,
    uris: Uris,
    license_node: URIRef | None,
) -> URIRef:
    node = uris.version(dataset.pk, version.pk)
    graph.add((node, RDF.type, DCAT3.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(version.pk))))
    titles = {
        "ko": f"{dataset.title_ko} {version.version}" if dataset.title_ko else "",
        "en": f"{dataset.title_en} {version.version}" if dataset.title_en else "",
    }
    _texts(graph, node, DCTERMS.title, titles)
    graph.add((node, DCAT3.version, Literal(version.version)))
    if version.release_notes.strip():
        notes = version.release_notes
        graph.add((node, ADMS.versionNotes, Literal(notes, lang=language_of(notes))))
    if version.published_at is not None:
        graph.add((node, DCTERMS.issued, _datetime(version.published_at)))
    graph.add((node, DCAT3.isVersionOf, uris.dataset(dataset.pk)))
    # `has_schema` comes annotated (catalog_dataset_list defers the schema itself).
    has_schema = getattr(version, "has_schema", None)
    if has_schema is None:
        has_schema = version.schema is not None
    if has_schema:
        schema = uris.schema(dataset.pk, version.pk)
        graph.add((node, DCTERMS.conformsTo, schema))
        graph.add((schema, RDF.type, DCTERMS.Standard))
    for distribution in _distributions_of(version):
        dist_node = _distribution(graph, dataset, version, distribution, uris, license_node)
        graph.add((node, _distribution_link(distribution), dist_node))
    if getattr(version, "has_preview", False):
        graph.add((node, ADMS.sample, _preview(graph, dataset, version, uris)))
    return node


def _preview(graph: Graph, dataset: Dataset, version: DatasetVersion, uris: Uris) -> URIRef:
    """The version's preview as its adms:sample: what the catalog shows of the checked file,
    which itself stays with the publisher's stewards (datasets.permissions)."""
    node = uris.preview(dataset.pk, version.pk)
    graph.add((node, RDF.type, DCAT3.Distribution))
    graph.add((node, DCTERMS.title, Literal("미리보기: 처음 몇 행", lang="ko")))
    graph.add((node, DCTERMS.title, Literal("Preview: the first rows", lang="en")))
    graph.add((node, DCAT3.accessURL, node))
    media = media_type_uri("application/json")
    graph.add((node, DCAT3.mediaType, media))
    graph.add((media, RDF.type, DCTERMS.MediaType))
    return node


def _distributions_of(version: DatasetVersion) -> list[Distribution]:
    return list(getattr(version, "catalog_distributions", []))


def _distribution_link(distribution: Distribution) -> URIRef:
    return ADMS.sample if distribution.role == DistributionRole.SAMPLE else DCAT3.distribution


def _distribution_uri(uris: Uris, version: DatasetVersion, distribution: Distribution) -> URIRef:
    return uris.distribution(version.dataset_id, version.pk, distribution.pk)


def _distribution(
    graph: Graph,
    dataset: Dataset,
    version: DatasetVersion,
    distribution: Distribution,
    uris: Uris,
    license_node: URIRef | None,
) -> URIRef:
    node = uris.distribution(dataset.pk, version.pk, distribution.pk)
    graph.add((node, RDF.type, DCAT3.Distribution))
    graph.add((node, DCTERMS.identifier, Literal(str(distribution.pk))))
    if distribution.title:
        graph.add(
            (node, DCTERMS.title, Literal(distribution.title, lang=language_of(distribution.title)))
        )
    # A stored file downloads through the API (which checks access); an external address
    # is where to get the data, not necessarily a file: dcat:accessURL only.
    if distribution.file:
        download = uris.download(dataset.pk, version.pk, distribution.pk)
        graph.add((node, DCAT3.downloadURL, download))
        graph.add((node, DCAT3.accessURL, URIRef(distribution.access_url or download)))
    elif distribution.access_url:
        graph.add((node, DCAT3.accessURL, URIRef(distribution.access_url)))
    media_type = distribution.media_type or MEDIA_TYPES.get(distribution.format, "")
    if media_type:
        media = media_type_uri(media_type)
        graph.add((node, DCAT3.mediaType, media))
        graph.add((media, RDF.type, DCTERMS.MediaType))
    if distribution.format in FILE_TYPES:
        file_type = FILE_TYPES[distribution.format]
        graph.add((node, DCTERMS.format, file_type))
        graph.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
    if distribution.byte_size is not None:
        graph.add(
            (node, DCAT3.byteSize, Literal(distribution.byte_size, datatype=XSD.nonNegativeInteger))
        )
    if distribution.sha256:
        checksum = BNode()
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add(
            (checksum, SPDX.checksumValue, Literal(distribution.sha256, datatype=XSD.hexBinary))
        )
    if license_node is not None:
        graph.add((node, DCTERMS.license, license_node))
    return node


# --- the nodes datasets share -----------------------------------------------------------------


def _organization(graph: Graph, organization: Organization) -> URIRef:
    node = URIRef(organization_uri(organization.slug))
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, RDF.type, ORG.Organization))
    _texts(graph, node, FOAF.name, {"ko": organization.name_ko, "en": organization.name_en})
    return node


def _division(graph: Graph, division: Division) -> URIRef:
    node = division_uri(division.code)
    graph.add((node, RDF.type, SKOS.Concept))
    graph.add((node, SKOS.inScheme, DIVISION_SCHEME))
    graph.add((node, SKOS.notation, Literal(division.code)))
    _texts(graph, node, SKOS.prefLabel, {"ko": division.name_ko, "en": division.name_en})
    graph.add((DIVISION_SCHEME, RDF.type, SKOS.ConceptScheme))
    return node


def _themes(graph: Graph, node: URIRef, code: str) -> None:
    ours = theme_uri(code)
    graph.add((node, DCAT3.theme, ours))
    graph.add((ours, RDF.type, SKOS.Concept))
    graph.add((ours, SKOS.inScheme, THEME_SCHEME))
    graph.add((ours, SKOS.notation, Literal(code)))
    graph.add((THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    _texts(graph, ours, SKOS.prefLabel, theme_labels(code))
    eu = THEME_EU.get(code)
    if eu is not None:
        graph.add((node, DCAT3.theme, eu))
        graph.add((eu, RDF.type, SKOS.Concept))
        graph.add((eu, SKOS.inScheme, EU_DATA_THEME_SCHEME))
        _texts(graph, eu, SKOS.prefLabel, EU_THEME_LABELS.get(str(eu).rsplit("/", 1)[-1], {}))


def theme_labels(code: str) -> dict[str, str]:
    """Our theme's label in English and, when the message catalog translates it, Korean."""
    try:
        label = Theme(code).label
    except ValueError:
        return {"en": code}
    with translation.override("en"):
        english = str(label)
    with translation.override("ko"):
        korean = str(label)
    # An untranslated label is English text: never tag it as Korean.
    return {"en": english, "ko": korean if korean != english else ""}


def _contact_point(graph: Graph, node: URIRef, dataset: Dataset) -> None:
    if not (dataset.contact_name or dataset.contact_email):
        return
    contact = BNode()
    graph.add((node, DCAT3.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Organization))
    name = dataset.contact_name or dataset.publisher.name_ko or dataset.publisher.name_en
    graph.add((contact, VCARD.fn, Literal(name)))
    if dataset.contact_email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}")))


def _license(graph: Graph, code: str) -> URIRef | None:
    uri = LICENSES.get(code)
    if uri is not None:
        graph.add((uri, RDF.type, DCTERMS.LicenseDocument))
        graph.add((uri, DCTERMS.identifier, Literal(code)))
    return uri


def _temporal(graph: Graph, node: URIRef, start: dt.date | None, end: dt.date | None) -> None:
    if start is None and end is None:
        return
    period = BNode()
    graph.add((node, DCTERMS.temporal, period))
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    if start is not None:
        graph.add((period, DCAT3.startDate, Literal(start.isoformat(), datatype=XSD.date)))
    if end is not None:
        graph.add((period, DCAT3.endDate, Literal(end.isoformat(), datatype=XSD.date)))


def _spatial(graph: Graph, node: URIRef, place: str) -> None:
    if not place.strip():
        return
    location = BNode()
    language = language_of(place)
    graph.add((node, DCTERMS.spatial, location))
    graph.add((location, RDF.type, DCTERMS.Location))
    graph.add((location, LOCN.geographicName, Literal(place, lang=language)))
    graph.add((location, SKOS.prefLabel, Literal(place, lang=language)))


def _texts(graph: Graph, node: Node, predicate: URIRef, texts: Mapping[str, str]) -> None:
    for language, text in texts.items():
        if text and text.strip():
            graph.add((node, predicate, Literal(text, lang=language)))


def _datetime(value: dt.datetime) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)


# --- ODRL -------------------------------------------------------------------------------------

# How the ODRL 2.2 JSON-LD context (https://www.w3.org/ns/odrl.jsonld) reads the keys that
# interop.odrl writes: node references, vocabulary terms, nested rules, plain values.
_ODRL_IRI_KEYS = {"target", "assigner", "assignee", "profile"}
_ODRL_VOCAB_KEYS = {"action", "leftOperand", "operator"}
_ODRL_NODE_KEYS = {"permission", "prohibition", "obligation", "duty", "constraint"}


def _odrl_term(term: str) -> URIRef:
    if term.startswith("max:"):
        return ODRL_PROFILE[term.removeprefix("max:")]
    if term.startswith("xsd:"):
        return XSD[term.removeprefix("xsd:")]
    return ODRL[term]


def _odrl_values(value: Any) -> Iterable[Any]:
    # ODRL's context declares no @list: an array is a set of values.
    return value if isinstance(value, list) else [value]


def _odrl_literal(value: Any) -> Literal:
    if isinstance(value, dict):
        datatype = value.get("@type")
        return Literal(value["@value"], datatype=_odrl_term(datatype) if datatype else None)
    return Literal(value)


def add_odrl_node(graph: Graph, document: Mapping[str, Any]) -> Node:
    """Add an ODRL policy (or rule, or constraint) in interop.odrl's JSON-LD shape to the graph,
    as the ODRL context reads it, without fetching that context. Returns its node."""
    uid = document.get("uid")
    node: Node = URIRef(uid) if uid else BNode()
    for key, value in document.items():
        if key in ("@context", "uid"):
            continue
        if key == "@type":
            for kind in _odrl_values(value):
                graph.add((node, RDF.type, _odrl_term(kind)))
        elif key in _ODRL_IRI_KEYS:
            for item in _odrl_values(value):
                graph.add((node, ODRL[key], URIRef(item)))
        elif key in _ODRL_VOCAB_KEYS:
            for item in _odrl_values(value):
                graph.add((node, ODRL[key], _odrl_term(item)))
        elif key in _ODRL_NODE_KEYS:
            for item in _odrl_values(value):
                graph.add((node, ODRL[key], add_odrl_node(graph, item)))
        elif key == "rightOperand":
            for item in _odrl_values(value):
                graph.add((node, ODRL.rightOperand, _odrl_literal(item)))
        elif key.startswith("max:"):
            for item in _odrl_values(value):
                graph.add((node, _odrl_term(key), _odrl_literal(item)))
    return node
