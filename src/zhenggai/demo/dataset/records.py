"""Records whose values change over a generated history (a task, a report, a complaint…): the current
values (written as the row at the end) and the field digests events carry (`chain.State`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from zhenggai.core.audit_state import STATE_FIELDS

from .chain import State
from .context import Actor, Context, Org


class Rec:
    __slots__ = ("label", "state", "values")

    def __init__(self, label: str, model_name: str, values: dict[str, Any]) -> None:
        self.label = label
        self.values = values
        self.state = State(label, model_name, values["id"], values) if label in STATE_FIELDS else None

    @property
    def id(self) -> int:
        return int(self.values["id"])

    def set(self, **values: Any) -> None:
        self.values.update(values)
        if self.state is not None:
            tracked = {k: v for k, v in values.items() if k in self.state.fields}
            if tracked:
                self.state.set(**tracked)

    def write(self, ctx: Context) -> None:
        ctx.add(self.label, **self.values)


# ------------------------------------------------------------------------------------------ evidence

KINDS: dict[str, tuple[str, str, str]] = {  # category → (original name stem, extension, content type)
    "before_photo": ("整改前照片", ".jpg", "image/jpeg"),
    "after_photo": ("整改后照片", ".jpg", "image/jpeg"),
    "monitoring": ("监测报告", ".pdf", "application/pdf"),
    "penalty": ("行政处罚决定书", ".pdf", "application/pdf"),
    "minutes": ("专题会议纪要", ".pdf", "application/pdf"),
    "policy": ("长效管理制度", ".pdf", "application/pdf"),
    "statement": ("整改情况说明", ".pdf", "application/pdf"),
    "acceptance": ("现场验收照片", ".jpg", "image/jpeg"),
    "other": ("现场核查照片", ".jpg", "image/jpeg"),
}
_SMALL_JPEG: bytes | None = None


def _jpeg() -> bytes:
    global _SMALL_JPEG
    if _SMALL_JPEG is None:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (90, 120, 90)).save(buffer, "JPEG", quality=60)
        _SMALL_JPEG = buffer.getvalue()
    return _SMALL_JPEG


def _content(kind: str, serial: str) -> bytes:
    if kind.startswith("image/"):
        return _jpeg() + serial.encode()  # bytes after the end marker: still a valid JPEG, a distinct file
    return (b"%PDF-1.4\n% generated evidence " + serial.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def evidence(ctx: Context, *, at: dt.datetime, uploader: Actor, org: Org | None, category: str,
             task_id: int | None = None, complaint_id: int | None = None, centre: tuple[float, float] | None = None,
             is_public: bool = False) -> Rec:
    """One evidence record (metadata; with `ctx.files` also a small file in the storage)."""
    from decimal import Decimal

    rng = ctx.rng
    stem, extension, content_type = KINDS[category]
    serial = f"{rng.getrandbits(128):032x}"
    name = f"evidence/{at:%Y}/{at:%m}/{serial}{extension}"
    # drawn with files too, so that --files changes nothing but the size and digest of each record
    size = rng.randrange(150_000, 4_000_000) if content_type.startswith("image/") else rng.randrange(40_000, 900_000)
    sha256 = f"{rng.getrandbits(256):064x}"
    if ctx.files:
        content = _content(content_type, serial)
        name = default_storage.save(name, ContentFile(content))
        size, sha256 = len(content), hashlib.sha256(content).hexdigest()
    photo = content_type.startswith("image/")
    lat = lon = None
    if photo and centre is not None:
        lat = Decimal(f"{centre[0] + rng.uniform(-0.2, 0.2):.6f}")
        lon = Decimal(f"{centre[1] + rng.uniform(-0.2, 0.2):.6f}")
    values = {
        "id": ctx.table("evidence.Evidence").allocate(), "task_id": task_id, "complaint_id": complaint_id,
        "organization_id": org.id if org else None, "uploaded_by_id": uploader[0], "uploaded_at": at,
        "category": category, "description": "", "file": name,
        "original_name": f"{stem}{rng.randrange(1, 30)}{extension}", "content_type": content_type, "size": size,
        "sha256": sha256, "captured_at": at - dt.timedelta(minutes=rng.randrange(30, 3000)) if photo else None,
        "gps_lat": lat, "gps_lon": lon, "is_public": is_public and category in ("before_photo", "after_photo"),
    }
    return Rec("evidence.Evidence", "evidence", values)


def evidence_event_data(rec: Rec) -> dict[str, Any]:
    v = rec.values
    return {"evidence": v["id"], "name": v["original_name"], "sha256": v["sha256"], "size": v["size"],
            "content_type": v["content_type"], "category": v["category"]}
