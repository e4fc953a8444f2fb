"""Harvesting a source over HTTP(S), safe to point at any URL a steward types.

http and https only; the destination must not resolve to a private, loopback, link-local or
reserved address (`common.outbound.check_destination`, the one webhooks use, so
WEBHOOK_ALLOW_PRIVATE_NETWORKS governs both); every redirect is checked the same way before it
is followed (five at most); a timeout on connecting and reading; and the body is counted while
it streams in, refused past the size limit. A CKAN `package_search` URL is paged with
`rows`/`start` until the result count, the record limit or the size limit.
"""

from __future__ import annotations

import io
import json
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext_noop as _
from rdflib import URIRef

from common.outbound import TransientDeliveryError, check_destination
from interop.dcat import HYDRA

from ..models import ImportFormat
from .limits import ImportLimits
from .records import SourceError, stored_error, stored_message
from .sources import dcat
from .sources.detect import detect_format, read_head

USER_AGENT = "max-registry-import/1"
ACCEPT = "text/turtle, application/ld+json;q=0.9, application/json;q=0.9, text/csv;q=0.8, */*;q=0.1"
CHUNK = 64 * 1024


class TransientFetchError(Exception):
    """The server may answer later (timeout, 5xx, 429, DNS): the task retries."""


def fetch_error(exc: TransientFetchError, *, retrying: bool = False) -> dict[str, Any]:
    """The job's stored error after a transient failure: retried, or the last try."""
    error = str(exc)[:2000]
    if retrying:
        return stored_error(
            "retrying",
            _("The source could not be fetched; the import will try again: %(error)s"),
            error=error,
        )
    return stored_error(
        "fetch_failed", _("The source could not be fetched: %(error)s"), error=error
    )


def source_too_large(limit: int) -> SourceError:
    return SourceError(
        _("The source is larger than the import limit of %(limit)d bytes."),
        params={"limit": limit},
        code="source_too_large",
        limit_bytes=limit,
    )


def check_url(url: str) -> None:
    """SourceError unless `url` is http(s) to a public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(
            _("Only http and https URLs can be imported."), code="unsupported_url_scheme"
        )
    try:
        check_destination(url)
    except ValueError as exc:
        raise SourceError(
            _("Refused: %(reason)s."), params={"reason": str(exc)}, code="destination_refused"
        ) from exc
    except TransientDeliveryError as exc:
        raise TransientFetchError(str(exc)) from exc


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to where a first request would be allowed to go."""

    max_redirections = 5

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_CheckedRedirects)


@dataclass
class Fetched:
    url: str
    content_type: str
    size: int
    warnings: list[dict[str, Any]] = field(default_factory=list)
    total: int | None = None


def fetch(url: str, out: IO[bytes], *, limit: int, timeout: float) -> Fetched:
    """Stream `url` into `out`, at most `limit` bytes."""
    check_url(url)
    request = urllib.request.Request(  # noqa: S310 (check_url allows http(s) only)
        url, headers={"User-Agent": USER_AGENT, "Accept": ACCEPT}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise source_too_large(limit)
            size = 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise source_too_large(limit)
                out.write(chunk)
            return Fetched(
                url=response.geturl(), content_type=response.headers.get_content_type(), size=size
            )
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise TransientFetchError(f"HTTP {exc.code} from {url}") from exc
        raise SourceError(
            _("The server answered HTTP %(status)d for %(url)s."),
            params={"status": exc.code, "url": url},
            code="fetch_failed",
            status=exc.code,
        ) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, SourceError):
            raise exc.reason from exc
        raise TransientFetchError(f"{url}: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise TransientFetchError(f"{url}: {exc}") from exc


# --- CKAN paging ------------------------------------------------------------------------------


def is_ckan_search(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").endswith("/action/package_search")


def _page_url(url: str, rows: int, start: int) -> str:
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("rows", "start")
    ]
    query += [("rows", str(rows)), ("start", str(start))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def fetch_ckan_search(url: str, out: IO[bytes], limits: ImportLimits) -> Fetched:
    """Page through package_search and write one package_search answer with every package."""
    query = dict(parse_qsl(urlsplit(url).query))
    try:
        rows = max(1, min(int(query.get("rows", limits.ckan_page_rows)), 1000))
        start = max(0, int(query.get("start", 0)))
    except ValueError as exc:
        raise SourceError(_("rows and start must be integers."), code="invalid_url") from exc
    budget = limits.max_bytes
    fetched_records = 0
    count: int | None = None
    warnings: list[dict[str, Any]] = []
    out.write(b'{"success": true, "result": {"results": [')
    content_type = "application/json"
    while True:
        page = io.BytesIO()
        result = fetch(
            _page_url(url, rows, start), page, limit=budget, timeout=limits.fetch_timeout_seconds
        )
        budget -= result.size
        content_type = result.content_type
        try:
            document = json.loads(page.getvalue())
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise SourceError(
                _("The CKAN API answered with something that is not JSON (start=%(start)d)."),
                params={"start": start},
                code="invalid_json",
            ) from exc
        if not isinstance(document, dict) or document.get("success") is False:
            error = document.get("error") if isinstance(document, dict) else None
            raise SourceError(
                _("The CKAN API answered with an error: %(error)s"),
                params={"error": str(error)[:500]},
                code="ckan_error",
            )
        body = document.get("result") or {}
        packages = body.get("results") if isinstance(body, dict) else None
        if not isinstance(packages, list):
            raise SourceError(_("Not a package_search answer: no result.results."), code="not_ckan")
        if count is None and isinstance(body.get("count"), int):
            count = body["count"]
        room = limits.max_records - fetched_records
        for package in packages[:room]:
            if fetched_records:
                out.write(b",")
            out.write(json.dumps(package, ensure_ascii=False).encode())
            fetched_records += 1
        start += len(packages)
        if not packages or (count is not None and start >= count):
            break
        if fetched_records >= limits.max_records:
            warnings.append(
                stored_message(
                    "more_records",
                    _("The CKAN API has %(count)d datasets: only the first %(max)d were fetched."),
                    count=count,
                    max=limits.max_records,
                )
                if count is not None
                else stored_message(
                    "more_records",
                    _("The CKAN API has more datasets: only the first %(max)d were fetched."),
                    max=limits.max_records,
                )
            )
            break
    out.write(b"]}}")
    return Fetched(
        url=url,
        content_type=content_type,
        size=limits.max_bytes - budget,
        warnings=warnings,
        total=fetched_records,
    )


# --- DCAT paging -------------------------------------------------------------------------------

MAX_DCAT_PAGES = 1000


def _next_page(graph: Any) -> str | None:
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for value in sorted(graph.objects(None, predicate), key=str):
            if isinstance(value, URIRef) and str(value).startswith(("http://", "https://")):
                return str(value)
    return None


def fetch_dcat_pages(url: str, target: Path, first: Fetched, limits: ImportLimits) -> Fetched:
    """Follow hydra:next from a paged DCAT catalog (the registry's own, CKAN's DCAT extension)
    and write every page's triples to `target` as one Turtle document."""
    graph = dcat.parse_graph(target, limits)
    next_url = _next_page(graph)
    if next_url is None:
        return first
    budget = limits.document_max_bytes - first.size
    seen = {url, first.url}
    warnings: list[dict[str, Any]] = []
    pages = 1
    while next_url is not None and next_url not in seen:
        if len(dcat.dataset_nodes(graph)) >= limits.max_records or pages >= MAX_DCAT_PAGES:
            warnings.append(
                stored_message(
                    "more_pages",
                    _("The catalog has more pages: only the first %(pages)d were fetched."),
                    pages=pages,
                )
            )
            break
        seen.add(next_url)
        with tempfile.TemporaryDirectory(prefix="maxr-page-") as tmp:
            page_path = Path(tmp) / "page"
            with open(page_path, "wb") as out:
                try:
                    result = fetch(
                        next_url, out, limit=budget, timeout=limits.fetch_timeout_seconds
                    )
                except SourceError as exc:
                    if exc.code == "source_too_large":
                        raise source_too_large(limits.document_max_bytes) from exc
                    raise
            budget -= result.size
            page = dcat.parse_graph(page_path, limits)
        graph += page
        next_url = _next_page(page)
        pages += 1
    with open(target, "wb") as out:
        out.write(graph.serialize(format="turtle").encode())
    return Fetched(
        url=url,
        content_type="text/turtle",
        size=target.stat().st_size,
        warnings=warnings,
    )


def harvest(url: str, target: Path, limits: ImportLimits) -> Fetched:
    """Fetch `url` into `target`: CKAN package_search and Hydra-paged DCAT page by page."""
    with open(target, "wb") as out:
        if is_ckan_search(url):
            return fetch_ckan_search(url, out, limits)
        first = fetch(url, out, limit=limits.max_bytes, timeout=limits.fetch_timeout_seconds)
    head = read_head(target)
    looks_rdf = detect_format(head, content_type=first.content_type) == ImportFormat.DCAT
    if looks_rdf and first.size <= limits.document_max_bytes:
        return fetch_dcat_pages(url, target, first, limits)
    return first
