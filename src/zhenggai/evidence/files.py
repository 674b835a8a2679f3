"""Inspecting an uploaded file before it becomes evidence: what it really is (by content, never by its
name or the browser's word), its size, SHA-256, EXIF capture time and GPS position, and a thumbnail.

Nothing here touches the database or the storage; `services.py` stores what passes.

Rules:
- allowed: JPEG, PNG, GIF, WebP, HEIC/HEIF images; PDF; Office documents — OOXML (.docx/.xlsx/.pptx,
  never macro-enabled) and legacy OLE (.doc/.xls/.ppt, without VBA storages); MP4 and QuickTime video.
  Everything else is refused: HTML, SVG, scripts, executables, installers (MSI is OLE too), plain zips.
- empty files and files over `settings.ZHENGGAI_EVIDENCE_MAX_BYTES` (default 50 MB) are refused.
- images must decode with Pillow (`verify()` and a full decode for the thumbnail); HEIC/HEIF are
  checked and thumbnailed only when `pillow_heif` is installed.
- the user's file name is kept for display and downloads only, without path parts or control
  characters; storage names are generated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import struct
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from zhenggai.core.upload_guard import UploadRefused, check_office_document, safe_display_name
from zhenggai.integrity.photos import hash_image

try:  # optional: decoding HEIC/HEIF (iPhone photos) needs the pillow-heif plug-in
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_DECODES = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF_DECODES = False

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
THUMBNAIL_SIZE = 320
HEAD_BYTES = 64
CHUNK = 64 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "ZHENGGAI_EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


class FileRefused(Exception):
    """One file that may not become evidence; `message` names the file and says why."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class FileType:
    content_type: str
    extension: str  # with the dot; the stored file gets this, never the user's extension

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


JPEG = FileType("image/jpeg", ".jpg")
PNG = FileType("image/png", ".png")
GIF = FileType("image/gif", ".gif")
WEBP = FileType("image/webp", ".webp")
HEIC = FileType("image/heic", ".heic")
HEIF = FileType("image/heif", ".heif")
PDF = FileType("application/pdf", ".pdf")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx")
DOC = FileType("application/msword", ".doc")
XLS = FileType("application/vnd.ms-excel", ".xls")
PPT = FileType("application/vnd.ms-powerpoint", ".ppt")
MP4 = FileType("video/mp4", ".mp4")
MOV = FileType("video/quicktime", ".mov")

# Pillow format names of the image types it must be able to decode (MPO: JPEG with extra pictures,
# such as the depth maps of phone cameras)
PILLOW_FORMATS = {JPEG: {"JPEG", "MPO"}, PNG: {"PNG"}, GIF: {"GIF"}, WEBP: {"WEBP"}, HEIC: {"HEIF"},
                  HEIF: {"HEIF"}}
# JPEGs are decoded at reduced scale for thumbnails; other formats are decoded whole, so their size
# in pixels is bounded (8000×8000) to bound the memory a thumbnail takes.
MAX_DECODED_PIXELS = 64_000_000

FTYP_BRANDS = {
    b"heic": HEIC, b"heix": HEIC, b"heim": HEIC, b"heis": HEIC,
    b"heif": HEIF, b"mif1": HEIF, b"msf1": HEIF,
    b"isom": MP4, b"iso2": MP4, b"iso4": MP4, b"iso5": MP4, b"iso6": MP4, b"mp41": MP4, b"mp42": MP4,
    b"avc1": MP4, b"M4V ": MP4,
    b"qt  ": MOV,
}

OOXML_MAIN_PARTS = (
    (b"wordprocessingml.document.main+xml", DOCX),
    (b"spreadsheetml.sheet.main+xml", XLSX),
    (b"presentationml.presentation.main+xml", PPTX),
)
CONTENT_TYPES_LIMIT = 1024 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_STREAMS = (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS), ("PowerPoint Document", PPT))
OLE_MACRO_STORAGES = frozenset({"Macros", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"})
OLE_ENCRYPTED = frozenset({"EncryptionInfo", "EncryptedPackage"})


@dataclass(frozen=True)
class InspectedFile:
    """What an upload turned out to be; everything `services.py` needs to store it."""

    file: Any
    original_name: str
    file_type: FileType
    size: int
    sha256: str
    captured_at: dt.datetime | None = None
    gps_lat: Decimal | None = None
    gps_lon: Decimal | None = None
    thumbnail: bytes | None = None
    phash: str = ""

    def storage_name(self) -> str:
        """A fresh generated name; the user's name never reaches the storage."""
        return f"{uuid.uuid4().hex}{self.file_type.extension}"


# ---------------------------------------------------------------------------------------------------
# names


def clean_original_name(name: str | None) -> str:
    """The user's file name for display: no directories, no control or format characters (which
    include the right-to-left override used to disguise extensions), at most 255 characters."""
    return safe_display_name(name)


# ---------------------------------------------------------------------------------------------------
# content sniffing


def _read_at(file: IO[bytes], offset: int, size: int) -> bytes:
    file.seek(offset)
    return file.read(size)


def sniff(file: IO[bytes], name: str) -> FileType:
    """The type of `file` judged by its content. Raises FileRefused for anything not allowed."""
    head = _read_at(file, 0, HEAD_BYTES)
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in FTYP_BRANDS:
        return FTYP_BRANDS[head[8:12]]
    if head.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(file, name)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(file, name)
    raise FileRefused(_not_allowed(name))


def _not_allowed(name: str) -> str:
    return _("“%(name)s”的文件类型不在允许范围内：仅可上传图片、PDF、Office 文档和视频。") % {"name": name}


def _macro_refused(name: str) -> str:
    return _("“%(name)s”含有宏（VBA），不能上传；请另存为不含宏的文档后再上传。") % {"name": name}


def _sniff_ooxml(file: IO[bytes], name: str) -> FileType:
    """A zip is an Office document when it has [Content_Types].xml naming a Word, Excel or PowerPoint
    main part; macro-enabled documents (vnd.ms-*.macroEnabled types or a vbaProject.bin) are refused.
    The content types are searched as bytes, never parsed as XML."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            try:
                info = archive.getinfo("[Content_Types].xml")
            except KeyError:
                raise FileRefused(_not_allowed(name)) from None
            if info.file_size > CONTENT_TYPES_LIMIT:
                raise FileRefused(_not_allowed(name))
            with archive.open(info) as member:
                content_types = member.read(CONTENT_TYPES_LIMIT)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        raise FileRefused(_not_allowed(name)) from None
    lowered = content_types.lower()
    if b"macroenabled" in lowered or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise FileRefused(_macro_refused(name))
    for marker, file_type in OOXML_MAIN_PARTS:
        if marker in lowered:
            try:
                check_office_document(file, name=name)  # a zip bomb dressed as a document
            except UploadRefused as refused:
                raise FileRefused(refused.message) from None
            return file_type
    raise FileRefused(_not_allowed(name))


def _sniff_ole(file: IO[bytes], name: str) -> FileType:
    """Legacy Office (.doc/.xls/.ppt) is an OLE compound file holding a WordDocument, Workbook/Book or
    PowerPoint Document stream; other compound files (MSI installers, Outlook messages…) are refused,
    and so are documents with VBA storages."""
    try:
        entries = ole_entry_names(file)
    except (ValueError, struct.error):
        raise FileRefused(_not_allowed(name)) from None
    if entries & OLE_MACRO_STORAGES:
        raise FileRefused(_macro_refused(name))
    if entries >= OLE_ENCRYPTED:
        raise FileRefused(_("“%(name)s”已加密，无法检查内容；请去除密码后再上传。") % {"name": name})
    for stream, file_type in OLE_STREAMS:
        if stream in entries:
            return file_type
    raise FileRefused(_not_allowed(name))


MAX_REGULAR_SECTOR = 0xFFFFFFFA
MAX_CHAIN_STEPS = 100_000


def ole_entry_names(file: IO[bytes]) -> set[str]:
    """The names of every storage and stream in an OLE compound file ([MS-CFB]): the header, the FAT
    (through the DIFAT) and the directory chain. Raises ValueError on a malformed file."""
    header = _read_at(file, 0, 512)
    if len(header) < 512 or not header.startswith(OLE_MAGIC):
        raise ValueError("not a compound file")
    sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise ValueError("bad sector size")
    sector_size = 1 << sector_shift
    per_sector = sector_size // 4
    fat_count, first_dir = struct.unpack_from("<II", header, 0x2C)
    first_difat, difat_count = struct.unpack_from("<II", header, 0x44)

    def sector(number: int) -> bytes:
        data = _read_at(file, (number + 1) * sector_size, sector_size)
        if len(data) != sector_size:
            raise ValueError("sector beyond the end of the file")
        return data

    fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s <= MAX_REGULAR_SECTOR]
    difat_sector, steps = first_difat, 0
    while difat_sector <= MAX_REGULAR_SECTOR and steps < difat_count:
        values = struct.unpack(f"<{per_sector}I", sector(difat_sector))
        fat_sectors.extend(s for s in values[:-1] if s <= MAX_REGULAR_SECTOR)
        difat_sector, steps = values[-1], steps + 1
    fat_sectors = fat_sectors[:fat_count]
    fat_cache: dict[int, tuple[int, ...]] = {}

    def next_sector(number: int) -> int:
        index, position = divmod(number, per_sector)
        if index >= len(fat_sectors):
            raise ValueError("sector outside the FAT")
        if index not in fat_cache:
            fat_cache[index] = struct.unpack(f"<{per_sector}I", sector(fat_sectors[index]))
        return fat_cache[index][position]

    names: set[str] = set()
    current, steps = first_dir, 0
    while current <= MAX_REGULAR_SECTOR:
        steps += 1
        if steps > MAX_CHAIN_STEPS:
            raise ValueError("directory chain does not end")
        data = sector(current)
        for offset in range(0, sector_size, 128):
            name_length = struct.unpack_from("<H", data, offset + 64)[0]
            if data[offset + 66] in (1, 2, 5) and 2 <= name_length <= 64:
                names.add(data[offset : offset + name_length - 2].decode("utf-16-le", "replace"))
        current = next_sector(current)
    return names


# ---------------------------------------------------------------------------------------------------
# size and hash


def measure(file: IO[bytes], name: str, limit: int) -> tuple[int, str]:
    """(size, SHA-256 hex) read in chunks; refuses empty files and files over `limit` bytes."""
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise FileRefused(_too_big(name, limit))
    digest = hashlib.sha256()
    size = 0
    chunks: Callable[[int], Any] | None = getattr(file, "chunks", None)
    file.seek(0)
    iterator = chunks(CHUNK) if chunks is not None else iter(lambda: file.read(CHUNK), b"")
    for chunk in iterator:
        size += len(chunk)
        if size > limit:
            raise FileRefused(_too_big(name, limit))
        digest.update(chunk)
    if size == 0:
        raise FileRefused(_("“%(name)s”是空文件。") % {"name": name})
    return size, digest.hexdigest()


def too_big_message(name: str, limit: int | None = None) -> str:
    return _too_big(clean_original_name(name), max_bytes() if limit is None else limit)


def _too_big(name: str, limit: int) -> str:
    return _("“%(name)s”超过了 %(limit)s MB 的大小上限。") % {"name": name, "limit": _megabytes(limit)}


def _megabytes(limit: int) -> str:
    value = limit / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.2f}"


# ---------------------------------------------------------------------------------------------------
# images: decoding, EXIF, thumbnails


@dataclass(frozen=True)
class ImageFacts:
    captured_at: dt.datetime | None
    gps_lat: Decimal | None
    gps_lon: Decimal | None
    thumbnail: bytes | None
    phash: str = ""  # perceptual hash, for the near-duplicate photo check (zhenggai.integrity.photos)


def image_facts(file: IO[bytes], name: str, file_type: FileType) -> ImageFacts:
    """Check that the image decodes (Pillow `verify()`, then a full decode while thumbnailing) and read
    its EXIF. HEIC/HEIF without the pillow-heif plug-in cannot be decoded here and are kept as they are."""
    if file_type in (HEIC, HEIF) and not HEIF_DECODES:
        return ImageFacts(None, None, None, None)
    refused = FileRefused(_("“%(name)s”不是有效的图片文件（无法解码）。") % {"name": name})
    try:
        file.seek(0)
        with Image.open(file) as probe:
            if probe.format not in PILLOW_FORMATS[file_type]:
                raise refused
            if file_type is not JPEG and probe.size[0] * probe.size[1] > MAX_DECODED_PIXELS:
                raise Image.DecompressionBombError(probe.size)
            probe.verify()
        file.seek(0)
        with Image.open(file) as image:
            exif = image.getexif()
            captured_at = exif_captured_at(exif)
            lat, lon = exif_gps(exif)
            thumbnail = make_thumbnail(image)
            phash = hash_image(image)
    except Image.DecompressionBombError:
        raise FileRefused(_("“%(name)s”的像素数过大，无法处理。") % {"name": name}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError):
        raise refused from None
    return ImageFacts(captured_at, lat, lon, thumbnail, phash)


def make_thumbnail(image: Image.Image) -> bytes:
    """A JPEG of at most 320×320 pixels, upright according to the EXIF orientation, without metadata
    (so that a thumbnail never carries the position)."""
    if image.format in PILLOW_FORMATS[JPEG]:
        image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))  # decode large photos at reduced scale
    image.load()
    upright = ImageOps.exif_transpose(image) or image
    if upright.mode in ("RGBA", "LA", "P", "PA"):
        upright = upright.convert("RGBA")
        background = Image.new("RGB", upright.size, (255, 255, 255))
        background.paste(upright, mask=upright.getchannel("A"))
        upright = background
    elif upright.mode != "RGB":
        upright = upright.convert("RGB")
    upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def exif_captured_at(exif: Image.Exif) -> dt.datetime | None:
    """DateTimeOriginal as an aware datetime. Cameras record local wall time; the EXIF offset
    (OffsetTimeOriginal) is used when present, else the deployment's time zone (Asia/Shanghai)."""
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    raw = _text(sub.get(ExifTags.Base.DateTimeOriginal))
    if not raw:
        return None
    try:
        naive = dt.datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = OFFSET_RE.match(_text(sub.get(ExifTags.Base.OffsetTimeOriginal)))
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        delta = dt.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
        if delta <= dt.timedelta(hours=14):
            return naive.replace(tzinfo=dt.timezone(sign * delta))
    return timezone.make_aware(naive, timezone.get_default_timezone())


def exif_gps(exif: Image.Exif) -> tuple[Decimal | None, Decimal | None]:
    """The GPS position in decimal degrees (6 places), or (None, None) when absent or implausible —
    including 0/0 rationals and the (0, 0) that some phones write without a fix."""
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), _text(gps.get(ExifTags.GPS.GPSLatitudeRef)), "S", 90)
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), _text(gps.get(ExifTags.GPS.GPSLongitudeRef)), "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None, None
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def _degrees(value: Any, ref: str, negative_ref: str, bound: float) -> float | None:
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not parts or len(parts) > 3 or any(math.isnan(p) or math.isinf(p) or p < 0 for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if degrees > bound:
        return None
    return -degrees if ref.upper().startswith(negative_ref) else degrees


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value).replace("\x00", "").strip() if value is not None else ""


# ---------------------------------------------------------------------------------------------------


def inspect_upload(file: Any, *, limit: int | None = None) -> InspectedFile:
    """Everything about one upload, or FileRefused naming the file."""
    name = clean_original_name(getattr(file, "name", None))
    limit = max_bytes() if limit is None else limit
    size, sha256 = measure(file, name, limit)
    file_type = sniff(file, name)
    facts = image_facts(file, name, file_type) if file_type.is_image else ImageFacts(None, None, None, None)
    file.seek(0)
    return InspectedFile(
        file=file, original_name=name, file_type=file_type, size=size, sha256=sha256,
        captured_at=facts.captured_at, gps_lat=facts.gps_lat, gps_lon=facts.gps_lon, thumbnail=facts.thumbnail,
        phash=facts.phash,
    )
