"""Text encodings and file-type sniffing from the first bytes of a file.

Korean publishers produce UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8") and CP949 (Excel's
default "CSV" on a Korean Windows; CP949 is a superset of EUC-KR). Statistical guessers get
these wrong, so the rule is deterministic: a BOM decides; otherwise the bytes must decode
strictly as UTF-8, then strictly as CP949; otherwise the file is refused with the position of
the first byte that fits neither. An explicit encoding always wins.
"""

from __future__ import annotations

import codecs

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP949 = "cp949"
UTF16 = "utf-16"

BOM_UTF8 = codecs.BOM_UTF8


class EncodingProblem(ValueError):
    """The bytes fit none of the encodings we accept; the message says where and what to do."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


def normalize_encoding(name: str) -> str:
    """Canonical codec name ("UTF8" → "utf-8", "euc-kr" → "cp949") or EncodingProblem."""
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise EncodingProblem(f'unknown encoding "{name}"') from None
    # EUC-KR files routinely contain CP949-only characters (e.g. 똠, 햏): decode them as CP949.
    if canonical in {"euc_kr", "cp949"}:
        return CP949
    return {"utf-8": UTF8, "utf-8-sig": UTF8_BOM, "utf-16": UTF16}.get(canonical, canonical)


def _first_invalid(head: bytes, encoding: str) -> int | None:
    """Offset of the first byte `encoding` rejects, ignoring a sequence cut off at the end."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def detect_encoding(head: bytes) -> str:
    """Encoding of a file from its first bytes: "utf-8-sig", "utf-16", "utf-8" or "cp949".

    `head` may end in the middle of a character. Raises EncodingProblem when the bytes are
    neither UTF-8 nor CP949.
    """
    if head.startswith(BOM_UTF8):
        return UTF8_BOM
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16
    bad_utf8 = _first_invalid(head, UTF8)
    if bad_utf8 is None:
        return UTF8
    if _first_invalid(head, CP949) is None:
        return CP949
    byte = head[bad_utf8 : bad_utf8 + 1].hex()
    raise EncodingProblem(
        f"the file is neither UTF-8 nor CP949 (EUC-KR): byte 0x{byte} at offset {bad_utf8} "
        "is invalid in both; save it as UTF-8 or give its encoding explicitly",
        offset=bad_utf8,
    )


# Magic numbers of formats people upload by mistake, or compress their data with.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PAR1", "parquet"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2 (legacy Excel .xls or Word)"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"ARROW1", "arrow ipc"),
    (b"ORC", "orc"),
    (b"Obj\x01", "avro"),
    (b"\x7fELF", "elf executable"),
    (b"MZ", "windows executable"),
)

# A CSV or JSON file has no reason to contain these control bytes; binary data nearly always does.
_BINARY_BYTES = frozenset(range(0, 9)) | frozenset({11, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23})
_BINARY_BYTES |= frozenset({24, 25, 26, 27, 28, 29, 30, 31})
_BINARY_TABLE = bytes(sorted(_BINARY_BYTES))


def sniff_magic(head: bytes) -> str | None:
    """Name of the binary or container format `head` starts with, or None."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def looks_binary(head: bytes, encoding: str | None = None) -> bool:
    """True when the first bytes are not text: NUL or many control bytes (UTF-16 aside)."""
    if encoding and encoding.startswith("utf-16"):
        return False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = head[:65536]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _BINARY_TABLE))
    return controls > max(8, len(sample) // 100)
