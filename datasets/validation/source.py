"""A guarded byte stream over an uploaded file, fed to Arrow's CSV reader and to the JSONL reader.

It decompresses gzip, bzip2 and xz on the fly, refuses to produce more than `max_bytes` or to
expand faster than `max_decompressed_ratio` (a 1 MB gzip of zeros would otherwise become 1 GB),
transcodes legacy encodings (CP949, UTF-16...) to UTF-8 strictly, and throttles read-ahead:
Arrow's streaming CSV reader reads up to 32 blocks ahead of its consumer on a background
thread, which is where most of its memory goes, so each read past `readahead_blocks` waits for
the consumer to finish a batch.

Arrow calls `read()` from its I/O thread and turns any exception into its own; the precise
reason is kept in `failure` so the caller can report it.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from . import report as messages
from .encoding import (
    UTF8,
    UTF8_BOM,
    EncodingProblem,
    detect_encoding,
    looks_binary,
    normalize_encoding,
    sniff_magic,
)
from .limits import Limits
from .report import FileProblem

COMPRESSIONS = ("gzip", "bzip2", "xz")
HEAD_BYTES = 1024 * 1024
THROTTLE_TIMEOUT = 5.0


class SourceFailure(Exception):
    """The stream could not go on; `code` is a Frictionless code (source-, encoding-error)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class _CountingReader(io.RawIOBase):
    """Counts the compressed bytes a decompressor consumed, for the ratio check."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def detect_compression(path: str | Path) -> str | None:
    with open(path, "rb") as handle:
        magic = sniff_magic(handle.read(8))
    return magic if magic in COMPRESSIONS else None


class Source:
    """File-like object (read, readable, seekable, close) with the guards described above."""

    def __init__(
        self,
        path: str | Path,
        *,
        limits: Limits,
        transcode_from: str | None = None,
        throttle: bool = False,
    ) -> None:
        self.limits = limits
        self.compression = detect_compression(path)
        self._raw = _CountingReader(open(path, "rb"))  # noqa: SIM115 - close() closes it
        self._stream: _Readable
        if self.compression == "gzip":
            self._stream = gzip.GzipFile(fileobj=self._raw, mode="rb")
        elif self.compression == "bzip2":
            self._stream = bz2.BZ2File(self._raw, mode="rb")
        elif self.compression == "xz":
            self._stream = lzma.LZMAFile(  # noqa: SIM115 - close() closes it
                self._raw,  # type: ignore[arg-type]
                mode="rb",
            )
        else:
            self._stream = self._raw
        # UTF-8 goes to Arrow as is (it skips a UTF-8 BOM itself); anything else is transcoded.
        self._decoder: codecs.IncrementalDecoder | None = None
        self.transcode_from = None
        if transcode_from and transcode_from not in {UTF8, UTF8_BOM}:
            self.transcode_from = transcode_from
            self._decoder = codecs.getincrementaldecoder(transcode_from)(errors="strict")
        self._pending = b""
        self._eof = False
        self.bytes_out = 0  # bytes produced before transcoding (the file's own bytes)
        self.failure: SourceFailure | None = None
        self._throttle = threading.Semaphore(limits.readahead_blocks) if throttle else None
        self.closed = False

    # File-like protocol for pyarrow.

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    @property
    def compressed_bytes(self) -> int:
        return self._raw.count

    def release(self) -> None:
        """The consumer finished one batch: allow one more block to be read ahead."""
        if self._throttle is not None:
            self._throttle.release()

    def read(self, size: int = -1) -> bytes:
        if self.failure is not None:
            raise OSError(self.failure.message)
        if self._throttle is not None:
            # Arrow yields one batch per block (empty when every row was skipped), so each
            # batch releases one read. The timeout only turns a surprise into extra read-ahead
            # instead of a deadlock.
            self._throttle.acquire(timeout=THROTTLE_TIMEOUT)
        try:
            return self._read(size)
        except SourceFailure as exc:
            self.failure = exc
            raise OSError(exc.message) from None
        except (OSError, EOFError, lzma.LZMAError) as exc:
            kind = self.compression or "file"
            self.failure = SourceFailure("source-error", f"cannot read the {kind} data: {exc}")
            raise OSError(self.failure.message) from None

    def _read(self, size: int) -> bytes:
        if size is None or size < 0:
            size = 1 << 62
        if self._decoder is None:
            return self._read_raw(size)
        while len(self._pending) < size and not self._eof:
            chunk = self._read_raw(max(size, 1 << 16))
            try:
                text = self._decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                start = self.bytes_out - len(chunk) + exc.start
                bad = chunk[exc.start : exc.start + 1].hex()
                raise SourceFailure(
                    "encoding-error",
                    f"byte 0x{bad} at offset {start} is not valid {self.transcode_from}",
                ) from None
            if not chunk:
                self._eof = True
            self._pending += text.encode("utf-8")
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def _read_raw(self, size: int) -> bytes:
        chunk = self._stream.read(size)
        self.bytes_out += len(chunk)
        limits = self.limits
        if self.bytes_out > limits.max_bytes:
            raise SourceFailure(
                "source-error",
                f"the data is larger than the limit of {limits.max_bytes:,} bytes"
                + (" once decompressed" if self.compression else ""),
            )
        if self.compression and self.bytes_out > limits.min_ratio_check_bytes:
            ratio = self.bytes_out / max(1, self._raw.count)
            if ratio > limits.max_decompressed_ratio:
                raise SourceFailure(
                    "source-error",
                    f"the {self.compression} data expands more than "
                    f"{limits.max_decompressed_ratio:g} times ({self._raw.count:,} compressed "
                    f"bytes gave {self.bytes_out:,}): refused as a likely decompression bomb",
                )
        return chunk

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._stream.close()
            finally:
                self._raw.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_head(path: str | Path, limits: Limits, size: int) -> tuple[bytes, str | None]:
    """First `size` bytes of the (decompressed) data and the compression, with the guards on."""
    with Source(path, limits=limits) as source:
        chunks: list[bytes] = []
        got = 0
        while got < size:
            try:
                chunk = source.read(size - got)
            except OSError:
                if source.failure is not None:
                    raise source.failure from None
                raise
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks), source.compression


@dataclass(frozen=True)
class Head:
    text: str  # the first max_line_bytes of the data, decoded, without a BOM
    encoding: str
    compression: str | None
    complete: bool  # the head is the whole file


def inspect_head(
    path: str | Path, *, data_format: str, encoding: str | None, limits: Limits
) -> Head:
    """Refuse what is not text of the declared kind; decide the encoding (FileProblem if not)."""
    # A small head decides almost every file; the full max_line_bytes is read only when the
    # first line does not end within it, to tell a long header from no line breaks at all.
    size = min(HEAD_BYTES, limits.max_line_bytes)
    try:
        head, compression = read_head(path, limits, size + 1)
        if len(head) > size and b"\n" not in head and b"\r" not in head:
            size = limits.max_line_bytes
            head, compression = read_head(path, limits, size + 1)
    except SourceFailure as exc:
        raise FileProblem(exc.code, messages.source_error_message(exc.message)) from None
    complete = len(head) <= size
    if not head:
        raise FileProblem("source-error", messages.source_error_message("the source is empty"))
    magic = sniff_magic(head)
    if magic is not None:
        hint = " (upload the file itself, or gzip it)" if magic in ("zip", "7z", "rar") else ""
        raise FileProblem(
            "format-error",
            messages.format_error_message(
                f"the content is {magic} data, not {data_format.upper()}{hint}"
            ),
        )
    try:
        declared = normalize_encoding(encoding) if encoding else None
    except EncodingProblem as exc:
        raise FileProblem("encoding-error", messages.encoding_error_message(str(exc))) from None
    # Binary first: random bytes are also "neither UTF-8 nor CP949", but that says less.
    if looks_binary(head, declared):
        raise FileProblem(
            "format-error",
            messages.format_error_message(f"binary data, not {data_format.upper()} text"),
        )
    try:
        enc = declared or detect_encoding(head)
    except EncodingProblem as exc:
        raise FileProblem("encoding-error", messages.encoding_error_message(str(exc))) from None
    try:
        decoder = codecs.getincrementaldecoder(enc)(errors="strict")
        text = decoder.decode(head, final=complete)
    except UnicodeDecodeError as exc:
        raise FileProblem(
            "encoding-error",
            messages.encoding_error_message(
                f"byte 0x{head[exc.start : exc.start + 1].hex()} at offset {exc.start} is not "
                f"valid {enc}"
            ),
        ) from None
    return Head(
        text=text.removeprefix("\ufeff"), encoding=enc, compression=compression, complete=complete
    )
