"""DCAT 3 (DCAT-AP 3 profile): namespaces, the registry's URIs, and the controlled vocabularies
DCAT-AP 3 expects, mapped to the registry's codes.

Export and import share these tables, so a catalog exported here imports back unchanged. Each
mapping goes from our code to a URI; `code_for` reads it backwards and also accepts the bare
code or the URI's last segment, which is what other catalogs (CKAN, spreadsheets) tend to hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ODRL2, ORG, RDF, RDFS, SKOS, XSD

from .odrl import PROFILE

__all__ = [
    "ACCESS_RIGHTS",
    "ADMS",
    "DCAT",
    "DCAT3",
    "DCATAP",
    "DCTERMS",
    "DIVISION_SCHEME",
    "EU_FILE_TYPE",
    "FILE_TYPES",
    "FOAF",
    "FREQUENCIES",
    "HYDRA",
    "JSONLD_CONTEXT",
    "LICENSES",
    "LOCN",
    "MAX",
    "MEDIA_TYPES",
    "ODRL",
    "ODRL2",
    "ODRL_PROFILE",
    "PREFIXES",
    "RDF",
    "RDFS",
    "SKOS",
    "SPDX",
    "THEME_EU",
    "THEME_SCHEME",
    "VCARD",
    "XSD",
    "Uris",
    "code_for",
    "division_uri",
    "media_type_uri",
    "theme_uri",
]

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# The registry's own terms (sensitivity, division, revision) and concept schemes.
MAX = Namespace("https://registry.max-alliance.kr/ns#")
THEME_SCHEME = URIRef("https://registry.max-alliance.kr/vocab/theme")

EU = "http://publications.europa.eu/resource/authority/"
EU_DATA_THEME = Namespace(f"{EU}data-theme/")
EU_FREQUENCY = Namespace(f"{EU}frequency/")
EU_ACCESS_RIGHT = Namespace(f"{EU}access-right/")
EU_FILE_TYPE = Namespace(f"{EU}file-type/")
IANA = "https://www.iana.org/assignments/media-types/"


def theme_uri(code: str) -> URIRef:
    """Our theme as a skos:Concept of the registry's theme scheme."""
    return URIRef(f"{THEME_SCHEME}/{code}")


# datasets.models.Theme -> the EU data theme it belongs to (DCAT-AP recommends that scheme).
THEME_EU: dict[str, URIRef] = {
    "sensor_time_series": EU_DATA_THEME.TECH,
    "machine_vision_images": EU_DATA_THEME.TECH,
    "process_quality_records": EU_DATA_THEME.ECON,
    "maintenance_logs": EU_DATA_THEME.TECH,
    "robot_trajectories": EU_DATA_THEME.TECH,
    "cad_3d": EU_DATA_THEME.TECH,
    "documents": EU_DATA_THEME.TECH,
    "energy": EU_DATA_THEME.ENER,
    "logistics": EU_DATA_THEME.TRAN,
    "simulation": EU_DATA_THEME.TECH,
    "other": EU_DATA_THEME.TECH,
}

# datasets.models.UpdateFrequency -> EU frequency authority table.
FREQUENCIES: dict[str, URIRef] = {
    "continuous": EU_FREQUENCY.CONT,
    "daily": EU_FREQUENCY.DAILY,
    "weekly": EU_FREQUENCY.WEEKLY,
    "monthly": EU_FREQUENCY.MONTHLY,
    "quarterly": EU_FREQUENCY.QUARTERLY,
    "annual": EU_FREQUENCY.ANNUAL,
    "irregular": EU_FREQUENCY.IRREG,
    "never": EU_FREQUENCY.NEVER,
}

# datasets.models.Sensitivity -> EU access right (dct:accessRights holds one value; the exact
# sensitivity goes out as max:sensitivity too, since two of ours share NON_PUBLIC).
ACCESS_RIGHTS: dict[str, URIRef] = {
    "public": EU_ACCESS_RIGHT.PUBLIC,
    "members": EU_ACCESS_RIGHT.RESTRICTED,
    "confidential": EU_ACCESS_RIGHT.NON_PUBLIC,
    "restricted": EU_ACCESS_RIGHT.NON_PUBLIC,
}

# datasets.models.License -> licence document URI (SPDX for Creative Commons).
LICENSES: dict[str, URIRef] = {
    "CC-BY-4.0": URIRef("http://spdx.org/licenses/CC-BY-4.0"),
    "CC-BY-SA-4.0": URIRef("http://spdx.org/licenses/CC-BY-SA-4.0"),
    "CC-BY-NC-4.0": URIRef("http://spdx.org/licenses/CC-BY-NC-4.0"),
    "CC0-1.0": URIRef("http://spdx.org/licenses/CC0-1.0"),
    "KOGL-Type-1": URIRef("https://www.kogl.or.kr/info/licenseType1.do"),
    "KOGL-Type-2": URIRef("https://www.kogl.or.kr/info/licenseType2.do"),
    "KOGL-Type-3": URIRef("https://www.kogl.or.kr/info/licenseType3.do"),
    "KOGL-Type-4": URIRef("https://www.kogl.or.kr/info/licenseType4.do"),
    "MAX-DSA-1.0": URIRef("https://registry.max-alliance.kr/licenses/MAX-DSA-1.0"),
    "proprietary": URIRef("https://registry.max-alliance.kr/licenses/proprietary"),
}

# datasets.models.DataFormat -> EU file type (dct:format) and IANA media type (dcat:mediaType).
FILE_TYPES: dict[str, URIRef] = {
    "csv": EU_FILE_TYPE.CSV,
    "tsv": EU_FILE_TYPE.TSV,
    "jsonl": EU_FILE_TYPE.JSONL,
    "json": EU_FILE_TYPE.JSON,
    "parquet": EU_FILE_TYPE.PARQUET,
    "xlsx": EU_FILE_TYPE.XLSX,
    "hdf5": EU_FILE_TYPE.HDF,
    "png": EU_FILE_TYPE.PNG,
    "jpeg": EU_FILE_TYPE.JPEG,
    "tiff": EU_FILE_TYPE.TIFF,
    "mp4": EU_FILE_TYPE.MP4,
    "stl": EU_FILE_TYPE.STL,
    "step": EU_FILE_TYPE.STEP,
    "pdf": EU_FILE_TYPE.PDF,
    "xml": EU_FILE_TYPE.XML,
    "zip": EU_FILE_TYPE.ZIP,
}
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "jsonl": "application/jsonl",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "hdf5": "application/x-hdf5",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "mp4": "video/mp4",
    "stl": "model/stl",
    "step": "model/step",
    "pdf": "application/pdf",
    "xml": "application/xml",
    "zip": "application/zip",
}


def media_type_uri(media_type: str) -> URIRef:
    return URIRef(f"{IANA}{media_type}")


def code_for(mapping: Mapping[str, URIRef | str], value: str | None) -> str | None:
    """Our code for a URI, a code, or a URI's last segment (any case); None if unknown."""
    if not value:
        return None
    text = str(value).strip()
    for code, uri in mapping.items():
        if text == str(uri) or text == code:
            return code
    tail = text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].lower()
    for code, uri in mapping.items():
        if tail in (code.lower(), str(uri).rstrip("/").rsplit("/", 1)[-1].lower()):
            return code
    return None


# Paging of catalog pages (Hydra core), as harvesters such as CKAN's DCAT extension read it.
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
# The alliance's divisions as a concept scheme: max:division points at one of its concepts.
DIVISION_SCHEME = URIRef("https://registry.max-alliance.kr/vocab/division")


def division_uri(code: str) -> URIRef:
    """A division (accounts.models.Division.code) as a skos:Concept; its last segment is the
    code, so `code_for`-style readers get the code back."""
    return URIRef(f"{DIVISION_SCHEME}/{code}")


# Other spellings of our licences that harvested catalogs hold, for imports: CKAN licence ids
# (CKAN's version-less Creative Commons ids are taken as 4.0), Creative Commons deed URLs as
# `license_key` in datasets.imports.records normalises them (no scheme, "www.", "legalcode",
# "deed.xx" or trailing "/"), opendefinition.org URLs CKAN links to, and KOGL's names.
LICENSE_ALIASES: dict[str, str] = {
    "cc-by": "CC-BY-4.0",
    "cc-by-4": "CC-BY-4.0",
    "cc-by-sa": "CC-BY-SA-4.0",
    "cc-by-sa-4": "CC-BY-SA-4.0",
    "cc-nc": "CC-BY-NC-4.0",
    "cc-by-nc": "CC-BY-NC-4.0",
    "cc-by-nc-4": "CC-BY-NC-4.0",
    "cc-zero": "CC0-1.0",
    "cc0": "CC0-1.0",
    "other-closed": "proprietary",
    "creativecommons.org/licenses/by/4.0": "CC-BY-4.0",
    "creativecommons.org/licenses/by-sa/4.0": "CC-BY-SA-4.0",
    "creativecommons.org/licenses/by-nc/4.0": "CC-BY-NC-4.0",
    "creativecommons.org/publicdomain/zero/1.0": "CC0-1.0",
    "opendefinition.org/licenses/cc-by": "CC-BY-4.0",
    "opendefinition.org/licenses/cc-by-sa": "CC-BY-SA-4.0",
    "opendefinition.org/licenses/cc-zero": "CC0-1.0",
    "kogl-1": "KOGL-Type-1",
    "kogl-2": "KOGL-Type-2",
    "kogl-3": "KOGL-Type-3",
    "kogl-4": "KOGL-Type-4",
    "kogl-type1": "KOGL-Type-1",
    "kogl-type2": "KOGL-Type-2",
    "kogl-type3": "KOGL-Type-3",
    "kogl-type4": "KOGL-Type-4",
    "공공누리-제1유형": "KOGL-Type-1",
    "공공누리-제2유형": "KOGL-Type-2",
    "공공누리-제3유형": "KOGL-Type-3",
    "공공누리-제4유형": "KOGL-Type-4",
}

# Other names of our update frequencies (CKAN extras, spreadsheets), for imports.
FREQUENCY_ALIASES: dict[str, str] = {
    "annually": "annual",
    "yearly": "annual",
    "realtime": "continuous",
    "real-time": "continuous",
    "irreg": "irregular",
    "as-needed": "irregular",
    "once": "never",
    "one-off": "never",
}


# rdflib's DCAT and ODRL namespaces are closed term lists from DCAT 2 and warn on DCAT 3
# terms (dcat:version, dcat:hasVersion...); the same IRIs through open namespaces.
DCAT3 = Namespace(str(DCAT))
ODRL = Namespace(str(ODRL2))
# The alliance's ODRL profile, whose terms interop.odrl writes as `max:`.
ODRL_PROFILE = Namespace(f"{PROFILE}#")

PREFIXES: dict[str, Namespace] = {
    "dcat": DCAT3,
    "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)),
    "org": Namespace(str(ORG)),
    "vcard": VCARD,
    "skos": Namespace(str(SKOS)),
    "adms": ADMS,
    "spdx": SPDX,
    "locn": LOCN,
    "odrl": ODRL,
    "hydra": HYDRA,
    "max": MAX,
    "maxodrl": ODRL_PROFILE,
    "xsd": Namespace(str(XSD)),
}
# The JSON-LD output's context: prefixes only, so any JSON-LD reader expands it offline.
JSONLD_CONTEXT: dict[str, str] = {prefix: str(ns) for prefix, ns in PREFIXES.items()}


# --- URIs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uris:
    """The registry's URIs under its public base address."""

    base_url: str

    @property
    def api(self) -> str:
        return f"{self.base_url.rstrip('/')}/api/v1"

    def catalog(self) -> URIRef:
        return URIRef(f"{self.api}/catalog")

    def dataset(self, dataset_id: object) -> URIRef:
        return URIRef(f"{self.api}/datasets/{dataset_id}/")

    def version(self, dataset_id: object, version_id: object) -> URIRef:
        return URIRef(f"{self.dataset(dataset_id)}versions/{version_id}/")

    def schema(self, dataset_id: object, version_id: object) -> URIRef:
        return URIRef(f"{self.version(dataset_id, version_id)}schema/")

    def preview(self, dataset_id: object, version_id: object) -> URIRef:
        return URIRef(f"{self.version(dataset_id, version_id)}preview/")

    def distribution(
        self, dataset_id: object, version_id: object, distribution_id: object
    ) -> URIRef:
        return URIRef(f"{self.version(dataset_id, version_id)}distributions/{distribution_id}/")

    def download(self, dataset_id: object, version_id: object, distribution_id: object) -> URIRef:
        return URIRef(f"{self.distribution(dataset_id, version_id, distribution_id)}download/")

    def organization(self, slug: str) -> str:
        return f"{self.api}/organizations/{slug}/"
