"""Upload size limits enforced while the body streams in, not after it is on disk.

Django caps non-file bodies but nothing caps the total size of an upload; this handler
refuses with 413 as soon as the declared length or the received bytes pass the limit.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from .errors import PayloadTooLarge

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the other form fields


class LimitedUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def _refuse(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            _("The upload is larger than the limit of %(limit)d bytes.") % {"limit": self.limit},
            limit_bytes=self.limit,
        )

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length and content_length > self.limit + MULTIPART_OVERHEAD:
            raise self._refuse()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise self._refuse()
        return raw_data  # the next handler (memory or temporary file) stores it

    def file_complete(self, file_size: int) -> None:
        return None


def limit_uploads(request: Any, limit: int) -> None:
    """Call before touching request.data (DRF) / request.FILES."""
    request.upload_handlers.insert(0, LimitedUploadHandler(request, limit=limit))
