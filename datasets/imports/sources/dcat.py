"""DCAT (JSON-LD or Turtle) to import records: every dcat:Dataset of the document.

The registry's own export reads back field for field: language-tagged titles and descriptions,
dcat:keyword, dcat:theme concepts of our scheme, dct:license, max:sensitivity (else
dct:accessRights), dct:accrualPeriodicity, dct:temporal with dcat:startDate/endDate,
dct:spatial with locn:geographicName, dcat:contactPoint with vcard:fn/hasEmail, max:division.
Other catalogs' vocabularies map through interop.dcat (URIs, codes, last
segments); a theme outside our scheme becomes a warning, since foreign catalogs use many.

The document is parsed whole (within IMPORT_LIMITS["document_max_bytes"]). JSON-LD contexts
must be inline: a remote @context is refused rather than fetched, since fetching it would be a
request from the worker to wherever the document points.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from interop.dcat import (
    ACCESS_RIGHTS,
    DCAT,
    DCTERMS,
    FOAF,
    FREQUENCIES,
    LOCN,
    MAX,
    RDF,
    RDFS,
    SKOS,
    VCARD,
)

from ..limits import ImportLimits
from ..records import ParsedSource, Record, SourceError
from .detect import JSON_LD, TURTLE, rdf_syntax
from .values import (
    SENSITIVITIES,
    THEMES,
    check_temporal,
    map_license,
    set_code,
    set_date,
    set_email,
    set_formats,
    set_keywords,
    set_languages,
    set_text,
    text,
)

# rdflib's DCAT namespace is DCAT 2's closed term list and warns on DCAT 3 terms
# (dcat:isVersionOf, dcat:hasVersion): the same IRIs through an open namespace.
DCAT3 = Namespace(str(DCAT))
SCHEMA = "http://schema.org/"
SCHEMA_S = "https://schema.org/"
BASE_IRI = "urn:max-registry:import:"
MAX_JSON_DEPTH = 200


def read_text(path: Path, limits: ImportLimits) -> str:
    size = path.stat().st_size
    if size > limits.document_max_bytes:
        raise SourceError(
            _(
                "The document is %(size)d bytes: DCAT and CKAN documents are read whole, up to "
                "%(limit)d bytes. Split it, or import CSV, which is read as a stream."
            ),
            params={"size": size, "limit": limits.document_max_bytes},
            code="document_too_large",
            limit_bytes=limits.document_max_bytes,
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            _("The document is not UTF-8 (invalid byte at offset %(offset)d)."),
            params={"offset": exc.start},
            code="encoding_error",
        ) from exc


def load_json(content: str) -> Any:
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        raise SourceError(
            _("Not valid JSON: %(error)s (line %(line)d, column %(column)d)."),
            params={"error": exc.msg, "line": exc.lineno, "column": exc.colno},
            code="invalid_json",
        ) from exc
    except RecursionError as exc:
        raise SourceError(_("The JSON is nested too deeply."), code="invalid_json") from exc


def _refuse_remote_contexts(value: Any, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise SourceError(_("The JSON is nested too deeply."), code="invalid_json")
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("@context", "@import"):
                _refuse_remote_context(item, depth + 1)
            _refuse_remote_contexts(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _refuse_remote_contexts(item, depth + 1)


def _refuse_remote_context(context: Any, depth: int) -> None:
    items = context if isinstance(context, list) else [context]
    for item in items:
        if isinstance(item, str):
            raise SourceError(
                _(
                    "The JSON-LD refers to a remote @context (%(url)s), which is not fetched: "
                    "put the context in the document, or send Turtle."
                ),
                params={"url": item[:200]},
                code="remote_context",
            )
        if isinstance(item, dict) and "@import" in item:
            _refuse_remote_context(item["@import"], depth + 1)


def parse_graph(path: Path, limits: ImportLimits) -> Graph:
    content = read_text(path, limits)
    syntax = rdf_syntax(content[:1024].encode())
    graph = Graph()
    if syntax == JSON_LD:
        _refuse_remote_contexts(load_json(content))
    try:
        graph.parse(
            data=content, format=JSON_LD if syntax == JSON_LD else TURTLE, publicID=BASE_IRI
        )
    except SourceError:
        raise
    except Exception as exc:  # rdflib raises many kinds (BadSyntax, ValueError, KeyError...)
        label = "JSON-LD" if syntax == JSON_LD else "Turtle"
        raise SourceError(
            _("The %(syntax)s cannot be read: %(error)s"),
            params={"syntax": label, "error": str(exc).strip()[:500] or type(exc).__name__},
            code="invalid_rdf",
        ) from exc
    return graph


def dataset_nodes(graph: Graph) -> set[Node]:
    """The datasets of the document, without their versions (the registry's export, like
    DCAT 3, makes each release a dcat:Dataset that dcat:isVersionOf the dataset)."""
    nodes = set(graph.subjects(RDF.type, DCAT.Dataset)) | set(graph.objects(None, DCAT.dataset))
    versions = (
        set(graph.subjects(DCAT3.isVersionOf, None))
        | set(graph.objects(None, DCAT3.hasVersion))
        | set(graph.objects(None, DCAT3.hasCurrentVersion))
    )
    return nodes - versions


def read(path: Path, limits: ImportLimits) -> ParsedSource:
    graph = parse_graph(path, limits)
    nodes = dataset_nodes(graph)
    if not nodes and not set(graph.subjects(RDF.type, DCAT.Catalog)):
        raise SourceError(
            _("The document has no dcat:Dataset and no dcat:Catalog: is it DCAT?"),
            code="no_datasets",
        )
    # RDF has no order: sort, so every run (a dry run, then the real one) reports alike.
    ordered = sorted(nodes, key=lambda node: (_identifier(graph, node), str(node)))
    return ParsedSource(records=_records(graph, ordered), total=len(ordered))


def _records(graph: Graph, nodes: list[Node]) -> Iterator[Record]:
    for index, node in enumerate(nodes, start=1):
        yield dataset_record(graph, node, index)


# --- one dataset ------------------------------------------------------------------------------


def _values(graph: Graph, node: Node, *predicates: URIRef) -> list[Node]:
    found: list[Node] = []
    for predicate in predicates:
        found.extend(graph.objects(node, predicate))
    return sorted(found, key=str)


def _first(graph: Graph, node: Node, *predicates: URIRef) -> Node | None:
    values = _values(graph, node, *predicates)
    return values[0] if values else None


def _identifier(graph: Graph, node: Node) -> str:
    literal = _first(graph, node, DCTERMS.identifier)
    if literal is not None and text(literal):
        return text(literal)
    if isinstance(node, URIRef) and not str(node).startswith(BASE_IRI):
        return str(node)
    return ""


def _label(graph: Graph, node: Node) -> str:
    """A literal's text, or a resource's name (locn:geographicName, skos:prefLabel...)."""
    if isinstance(node, Literal):
        return text(node)
    label = _first(graph, node, LOCN.geographicName, SKOS.prefLabel, RDFS.label, FOAF.name)
    return text(label) if label is not None else ""


def _language(node: Node) -> str | None:
    return node.language if isinstance(node, Literal) else None


def dataset_record(graph: Graph, node: Node, index: int) -> Record:
    record = Record(index=index, identifier=_identifier(graph, node))
    record.require_identifier()

    titles = _values(graph, node, DCTERMS.title)
    set_languages(record, "title", ((_language(t), t) for t in titles), max_length=300)
    record.require_title()
    descriptions = _values(graph, node, DCTERMS.description)
    if descriptions:
        set_languages(
            record, "description", ((_language(d), d) for d in descriptions), max_length=None
        )

    keywords = _values(graph, node, DCAT.keyword)
    if keywords:
        set_keywords(record, keywords)
    _theme(graph, node, record)
    _formats(graph, node, record)
    _license(graph, node, record)
    _sensitivity(graph, node, record)

    frequency = _first(graph, node, DCTERMS.accrualPeriodicity)
    if frequency is not None:
        set_code(
            record,
            "update_frequency",
            str(frequency),
            dict(FREQUENCIES),
            strict=False,
        )
    _temporal(graph, node, record)
    spatial = _first(graph, node, DCTERMS.spatial)
    if spatial is not None:
        name = _label(graph, spatial)
        if name:
            set_text(record, "spatial", name, max_length=200)
        else:
            record.warn(
                "spatial",
                "no_spatial_name",
                _("dct:spatial %(value)s has no name (locn:geographicName): left out"),
                params={"value": str(spatial)[:200]},
            )
    _contact(graph, node, record)
    division = _first(graph, node, MAX.division)
    if division is not None:
        value = text(division)
        record.division = (
            value.rstrip("/").rsplit("/", 1)[-1] if isinstance(division, URIRef) else value
        )
    return record


def _theme(graph: Graph, node: Node, record: Record) -> None:
    themes = _values(graph, node, DCAT.theme)
    if not themes:
        return
    for theme in themes:
        # Only our own scheme (or a bare code): EU data themes are broader than ours.
        value = str(theme)
        code = None
        if value.startswith("https://registry.max-alliance.kr/vocab/theme/") or not (
            value.startswith(("http://", "https://"))
        ):
            code = next((c for c in THEMES if value.rstrip("/").rsplit("/", 1)[-1] == c), None)
        if code is not None:
            record.values["theme"] = code
            return
    record.warn(
        "theme",
        "foreign_theme",
        _("no theme of the registry's scheme (%(values)s): left out"),
        params={"values": ", ".join(str(t) for t in themes[:3])},
    )


def _distributions(graph: Graph, node: Node) -> list[Node]:
    return _values(graph, node, DCAT.distribution)


def _formats(graph: Graph, node: Node, record: Record) -> None:
    """dct:format on the dataset states its formats; its distributions' formats are added to
    what the dataset has (a dataset lists formats it has no distribution of yet)."""
    stated = [str(v) for v in _values(graph, node, DCTERMS.format)]
    if stated:
        set_formats(record, stated)
    found: list[str] = []
    for distribution in _distributions(graph, node):
        formats = _values(graph, distribution, DCTERMS.format)
        found.extend(str(v) for v in (formats or _values(graph, distribution, DCAT.mediaType)))
    if found:
        set_formats(record, found, merge=True)


def _license(graph: Graph, node: Node, record: Record) -> None:
    licence = _first(graph, node, DCTERMS.license)
    if licence is None:
        # DCAT-AP puts licences on distributions: take theirs when they agree.
        found = {
            str(value)
            for distribution in _distributions(graph, node)
            for value in _values(graph, distribution, DCTERMS.license)
        }
        if len(found) > 1:
            codes = {map_license(value) for value in found}
            if len(codes) == 1 and None not in codes:
                found = {sorted(found)[0]}
            else:
                record.error(
                    "license",
                    "several_licenses",
                    _("the distributions have different licences (%(values)s)"),
                    params={"values": ", ".join(sorted(found))},
                )
                return
        if not found:
            return
        licence = URIRef(found.pop())
    raw = text(licence) if isinstance(licence, Literal) else str(licence)
    title = _label(graph, licence) if not isinstance(licence, Literal) else ""
    code = map_license(raw) or (map_license(title) if title else None)
    if code is None:
        record.error(
            "license", "unknown_license", _("unknown licence '%(value)s'"), params={"value": raw}
        )
    else:
        record.values["license"] = code


def _sensitivity(graph: Graph, node: Node, record: Record) -> None:
    # max:sensitivity is exact; dct:accessRights maps two of ours onto one EU value.
    exact = _first(graph, node, MAX.sensitivity)
    if exact is not None:
        set_code(record, "sensitivity", str(exact), SENSITIVITIES)
        return
    rights = _first(graph, node, DCTERMS.accessRights)
    if rights is not None:
        set_code(
            record,
            "sensitivity",
            str(rights),
            dict(ACCESS_RIGHTS),
            kind="access_rights",
            strict=False,
        )


def _temporal(graph: Graph, node: Node, record: Record) -> None:
    period = _first(graph, node, DCTERMS.temporal)
    if period is None or isinstance(period, Literal):
        return
    start = _first(
        graph, period, DCAT.startDate, URIRef(f"{SCHEMA}startDate"), URIRef(f"{SCHEMA_S}startDate")
    )
    end = _first(
        graph, period, DCAT.endDate, URIRef(f"{SCHEMA}endDate"), URIRef(f"{SCHEMA_S}endDate")
    )
    if start is not None:
        set_date(record, "temporal_start", start)
    if end is not None:
        set_date(record, "temporal_end", end)
    check_temporal(record)


def _contact(graph: Graph, node: Node, record: Record) -> None:
    contact = _first(graph, node, DCAT.contactPoint)
    if contact is None or isinstance(contact, Literal):
        return
    name = _first(graph, contact, VCARD.fn, VCARD["organization-name"])
    # DCAT-AP requires vcard:fn, so exports name the publisher when there is no contact
    # person (ours does): that says nothing about contact_name.
    publishers = {
        text(label)
        for publisher in _values(graph, node, DCTERMS.publisher)
        for label in _values(graph, publisher, FOAF.name)
    }
    if name is not None and text(name) not in publishers:
        set_text(record, "contact_name", name, max_length=150)
    email = _first(graph, contact, VCARD.hasEmail)
    if email is not None:
        if isinstance(email, BNode):  # vcard:hasEmail [ vcard:value <mailto:...> ]
            email = _first(graph, email, VCARD.value) or email
        set_email(record, str(email))
