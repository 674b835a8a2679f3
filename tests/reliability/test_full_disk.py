"""A full disk during an evidence upload: the user gets a clear message (the upload page shows it, the API
answers 507 storage_full), and no Evidence row, no event and no file — not even a partly written one — is
left behind. Once there is room again the same upload succeeds.

The media folder is a real 5 MB tmpfs, nearly filled before the upload, when the tests may mount one (as
root); otherwise the storage is replaced by one that writes part of the file and then fails with ENOSPC,
as a full disk does (docs/security.md says which one ran)."""

from __future__ import annotations

import errno
import io
import os
import random
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from PIL import Image

from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence

from ..api.conftest import ApiClient, token_for
from ..evidence import samples as s

FREE_BYTES = 96 * 1024  # room left on the disk: less than any of the uploads below


class NearlyFullStorage(FileSystemStorage):
    """The fallback where no tmpfs can be mounted: each save writes FREE_BYTES, then fails as a full disk
    does, leaving the partial file."""

    def _save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:
            out.write(b"".join(content.chunks())[:FREE_BYTES])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def _mount_tmpfs(path: Path) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m,mode=0755", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def full_disk(settings, tmp_path):
    """The media folder on a nearly full disk; yields a function that frees the space again."""
    media = Path(settings.MEDIA_ROOT)
    mounted = _mount_tmpfs(media)
    filler = media / "filler.bin"
    if mounted:
        free = os.statvfs(media).f_bavail * os.statvfs(media).f_frsize
        filler.write_bytes(b"\0" * (free - FREE_BYTES))
    else:
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.NearlyFullStorage"}}

    def make_room() -> None:
        if mounted:
            filler.unlink()
        else:
            settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}

    try:
        yield make_room
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(media)], check=False)


def files_in(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file() and p.name != "filler.bin")


def noisy_jpeg(size=(700, 500)) -> bytes:
    """A photo too big for the room left (noise does not compress)."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    assert len(buffer.getvalue()) > 3 * FREE_BYTES
    return buffer.getvalue()


def test_a_full_disk_during_an_upload_leaves_nothing_and_says_so(world, client, full_disk, settings):
    media = Path(settings.MEDIA_ROOT)
    task = world.t_dept
    events = Event.objects.count()
    client.force_login(world.users.staff)
    url = reverse("evidence_upload", args=[task.pk])
    photo = noisy_jpeg()

    page = client.post(url, {"category": "after_photo", "files": [s.upload("整改后.jpg", photo, "image/jpeg")]})
    assert page.status_code == 400
    assert "服务器存储空间已满，文件没有保存" in page.content.decode()

    # through the API, with a file big enough to be spooled to a temporary file first (moved, not streamed)
    big_pdf = s.pdf() + b"%" + b"0" * (3 * 1024 * 1024) + b"\n"
    api = ApiClient(token_for(world.users.staff))
    answer = api.client.post(f"/api/v1/tasks/{task.pk}/evidence", {
        "category": "monitoring", "files": [s.upload("监测报告.pdf", big_pdf, "application/pdf")]}, headers=api.headers)
    assert answer.status_code == 507
    assert answer.json()["code"] == "storage_full" and "存储空间已满" in answer.json()["message"]

    assert not Evidence.objects.exists()
    assert Event.objects.count() == events + 1  # only the token's creation
    assert files_in(media) == []  # no partial file left behind

    full_disk()  # room again: the same uploads go through
    done = client.post(url, {"category": "after_photo", "files": [s.upload("整改后.jpg", photo, "image/jpeg")]})
    assert done.status_code == 302
    answer = api.client.post(f"/api/v1/tasks/{task.pk}/evidence", {
        "category": "monitoring", "files": [s.upload("监测报告.pdf", big_pdf, "application/pdf")]}, headers=api.headers)
    assert answer.status_code == 201, answer.content
    assert Evidence.objects.count() == 2
    stored = Evidence.objects.get(category="after_photo")
    assert stored.size == len(photo) and stored.file.name in files_in(media)
