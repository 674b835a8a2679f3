"""An upload handler that stops reading a file as soon as it passes the size limit, and stops taking
files past the per-upload count, so that an oversized upload never lands on the server's disk whole.
The service checks sizes again; this only saves the disk and tells the user which file was too big."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class EvidenceUploadLimit(FileUploadHandler):
    def __init__(self, request: Any = None, *, max_bytes: int, max_files: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.too_big: list[str] = []
        self.files_seen = 0
        self.too_many = False
        self._skipping = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        # SkipFile is raised from receive_data_chunk only: raised here, before the next handlers opened
        # their file for this upload, Django would close the previous file instead.
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self._skipping = self.files_seen > self.max_files
        self.too_many = self.too_many or self._skipping

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self._skipping:
            raise SkipFile()
        if start + len(raw_data) > self.max_bytes:
            self.too_big.append(self.file_name or "")
            raise SkipFile()
        return raw_data  # passed on to the next handler, which stores it

    def file_complete(self, file_size: int) -> None:
        return None
