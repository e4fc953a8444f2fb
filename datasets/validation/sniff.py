"""What format a file is in, from its name and its first bytes.

`format_detect` answers with a `datasets.models.DataFormat` value (a plain string here: the
engine knows no Django) or None. Content decides over the name: a file named .csv that starts
with PAR1 is Parquet. The name decides only where content cannot: CSV against TSV for text
that splits either way, a workbook whose first zip entries do not show `xl/` yet, a compressed
file whose head does not inflate.

`format_conflict` says whether a declared format is contradicted by what the content is, for
uploads that name one.
"""

from __future__ import annotations

import bz2
import codecs
import json
import lzma
import zlib
from pathlib import Path

from .csvfile import sniff_delimiter
from .encoding import looks_binary, sniff_magic

# Enough for every decision below; callers pass at least this much when the file has it.
HEAD_BYTES = 64 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_COMPRESSED = (".gz", ".gzip", ".bz2", ".xz")
_BY_EXTENSION = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".mp4": "mp4",
    ".stl": "stl",
    ".step": "step",
    ".stp": "step",
    ".pdf": "pdf",
    ".xml": "xml",
    ".zip": "zip",
}
# Magic numbers of the registry's binary formats (encoding.sniff_magic covers the rest).
_MAGIC = (
    (b"PAR1", "parquet"),
    (b"\x89HDF\r\n\x1a\n", "hdf5"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"%PDF", "pdf"),
)
# Formats told by a signature in their first bytes.
SIGNATURES = frozenset({"parquet", "xlsx", "hdf5", "png", "jpeg", "tiff", "pdf", "zip"})
# Formats that read the same content: declaring one for content of another is no contradiction.
_FAMILIES = {"csv": "text", "tsv": "text", "jsonl": "json", "json": "json"}


def _extension(filename: str) -> str | None:
    """The format the name says: "csv" for data.csv and data.csv.gz."""
    suffixes = [suffix.lower() for suffix in Path(filename or "").suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    return _BY_EXTENSION.get(suffixes[-1]) if suffixes else None


def _inflate(head: bytes, compression: str) -> bytes:
    """As much of a compressed head as inflates (a head is cut, so no end is expected)."""
    try:
        if compression == "gzip":
            return zlib.decompressobj(wbits=47).decompress(head, HEAD_BYTES)
        if compression == "bzip2":
            return bz2.BZ2Decompressor().decompress(head, HEAD_BYTES)
        return lzma.LZMADecompressor().decompress(head, HEAD_BYTES)
    except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError):
        return b""


def _text_kind(head: bytes) -> str | None:
    """csv, tsv, jsonl, json or xml for text; "" for text we cannot decode; None for binary."""
    if looks_binary(head):
        return None
    text = ""
    for encoding in ("utf-8-sig", "cp949", "utf-16"):
        try:
            text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(head)
            break
        except UnicodeError:
            continue
    else:
        return ""  # text, but in no encoding we read: the name may still say what it is
    stripped = text.lstrip()
    if not stripped:
        return None
    if stripped.startswith("<"):
        return "xml"
    if stripped[0] in "{[":
        lines = [line for line in stripped.splitlines() if line.strip()]
        if len(lines) > 1 and len(head) >= HEAD_BYTES:
            lines = lines[:-1]  # possibly cut off
        parsed = 0
        for line in lines[:20]:
            try:
                value = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, (dict, list)):
                parsed += 1
        if lines and parsed * 2 > min(len(lines), 20):
            return "jsonl"
        first = lines[0].strip() if lines else ""
        if first in ("{", "[") or first.startswith(('{"', '["', "[{", "[[")):
            return "json"  # a JSON document over several lines
    return "tsv" if sniff_delimiter(stripped) == "\t" else "csv"


def format_detect(filename: str, head: bytes) -> str | None:
    """A DataFormat value for a file called `filename` that starts with `head` (64 KiB is
    plenty), or None when neither says what it is."""
    by_name = _extension(filename)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        # A workbook's zip names its parts; [Content_Types].xml comes first, xl/ soon after.
        if b"xl/" in head[:HEAD_BYTES] or by_name == "xlsx":
            return "xlsx"
        # A zip named for something else (.docx, .jar) is that thing, not a data archive.
        return "zip" if by_name == "zip" or not Path(filename or "").suffix else None
    if head.startswith(OLE_MAGIC):
        # An encrypted .xlsx is an OLE container: let the check say it is password-protected.
        return "xlsx" if by_name == "xlsx" else None
    for signature, name in _MAGIC:
        if head.startswith(signature):
            return name
    magic = sniff_magic(head)
    if magic in ("gzip", "bzip2", "xz"):
        inner = _inflate(head, magic)
        kind = _text_kind(inner) if inner else None
        if kind in ("csv", "tsv", "jsonl"):
            return _prefer_name(by_name, kind)
        return by_name if by_name in ("csv", "tsv", "jsonl") else None
    if magic is not None:
        return None  # a container or binary format the registry does not describe
    if not head:
        return by_name
    kind = _text_kind(head)
    if kind is None:
        return None
    if not kind:  # let the check report the encoding
        return by_name if by_name in ("csv", "tsv", "jsonl", "json", "xml") else None
    return _prefer_name(by_name, kind)


def _prefer_name(by_name: str | None, kind: str) -> str:
    """The content's kind, or the name's where it only refines it (CSV or TSV: text that
    splits either way)."""
    if by_name in ("csv", "tsv") and kind in ("csv", "tsv"):
        return by_name
    return kind


def format_conflict(declared: str, detected: str | None) -> bool:
    """Whether content detected as `detected` contradicts a `declared` format.

    Only what detection is sure of counts: a signature (Parquet, a workbook, PDF...) that is not
    the declared format, a declared signature format whose signature is missing, or one tabular
    text format for another (CSV declared, JSON Lines inside). Text that detection reads as CSV
    contradicts no text format it does not know (an ASCII STL, a STEP file), and unknown
    content contradicts nothing."""
    if detected is None or declared == detected:
        return False
    if declared == "zip" and detected == "xlsx":
        return False  # a workbook is a zip archive
    if detected in SIGNATURES or declared in SIGNATURES:
        return True
    if declared in _FAMILIES and detected in _FAMILIES:
        return _FAMILIES[declared] != _FAMILIES[detected]
    return False
