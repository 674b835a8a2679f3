"""The size-limiting upload handler, on a real multipart request."""

from __future__ import annotations

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

from zhenggai.evidence.uploads import EvidenceUploadLimit

from . import samples as s


def parse(rf, files, *, max_bytes, max_files=10, memory=True):
    request = rf.post("/upload/", {"files": files})
    handler = EvidenceUploadLimit(request, max_bytes=max_bytes, max_files=max_files)
    # Django's own pair: files in memory for small requests, else in temporary files on disk
    tail = [MemoryFileUploadHandler(request)] if memory else []
    request.upload_handlers = [handler, *tail, TemporaryFileUploadHandler(request)]
    return handler, request.FILES.getlist("files")


def test_big_files_are_skipped_and_the_others_stay_readable(rf):
    for memory in (True, False):
        small = s.pdf()
        handler, files = parse(rf, [s.upload("a.pdf", small), s.upload("big.pdf", small + b"x" * 100_000),
                                    s.upload("b.pdf", small)], max_bytes=5000, memory=memory)
        assert handler.too_big == ["big.pdf"]
        assert [f.name for f in files] == ["a.pdf", "b.pdf"]
        assert [f.read() for f in files] == [small, small]


def test_files_past_the_count_are_skipped(rf):
    for memory in (True, False):
        handler, files = parse(rf, [s.upload(f"{i}.pdf", s.pdf()) for i in range(4)], max_bytes=5000,
                               max_files=2, memory=memory)
        assert handler.too_many
        assert [f.name for f in files] == ["0.pdf", "1.pdf"]
        assert all(f.read() == s.pdf() for f in files)
