"""Checks shared by every place that takes a file from a user: zip containers (Office documents, .xlsx
imports) are measured before anything expands them, and user file names are made safe to show.

Rules:
- a zip is refused when it has more than `max_members` members, when its members would expand to more
  than `max_total` bytes, or when it (or any large member) expands more than `max_ratio` times its
  compressed size — the marks of a zip bomb. The sizes the archive declares are checked first (cheap);
  then every member is inflated into nothing, counting real bytes and stopping at `max_total`, so an
  archive that understates its sizes is caught too. Members must be stored or deflated (all Office
  files are) and not encrypted.
- a name for display keeps no directories and no control or format characters (NUL, newlines, the
  right-to-left override used to disguise extensions), and at most 255 characters.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

# spreadsheets that the imports read: a dispatch table or complaint list is a few MB at most once expanded
IMPORT_MAX_TOTAL = 200 * 1024 * 1024
IMPORT_MAX_RATIO = 200
IMPORT_MAX_MEMBERS = 5_000
# Office documents kept as evidence (never expanded here, but opened by whoever downloads them)
OFFICE_MAX_TOTAL = 1024 * 1024 * 1024
OFFICE_MAX_RATIO = 300
OFFICE_MAX_MEMBERS = 20_000
# a member smaller than this cannot be a bomb whatever its ratio (small XML parts compress very well)
RATIO_FLOOR = 1024 * 1024
CHUNK = 64 * 1024
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature … file name length, extra field length
ZIP_MAGIC = b"PK\x03\x04"


class UploadRefused(Exception):
    """A file that may not be taken; `message` (Chinese) names the file and says why."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ZipUnreadable(UploadRefused):
    """The zip itself is malformed (or uses what Office files never use); an import leaves it to its reader,
    which has its own words for a damaged workbook."""


def safe_display_name(name: str | None) -> str:
    """The user's file name for display: no directories, no control or format characters (which
    include the right-to-left override used to disguise extensions), at most 255 characters;
    "file" when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = text.strip()
    if not text.strip("."):
        return "file"
    if len(text) > 255:
        stem, dot, ext = text.rpartition(".")
        text = f"{stem[: 254 - len(ext)]}.{ext}" if dot and 0 < len(ext) <= 16 else text[:255]
    return text


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


def check_zip_container(file: IO[bytes], *, max_total: int, max_ratio: float, max_members: int,
                        name: str = "") -> None:
    """Refuse (UploadRefused naming the file) a zip that is malformed, encrypted, uses an unusual
    compression, or looks like a zip bomb (see the module rules). Reads the file from the start and
    leaves it at the start; nothing is kept in memory beyond one chunk."""
    shown = safe_display_name(name) if name else _("文件")
    corrupt = ZipUnreadable(_("“%(name)s”不是有效的压缩文件（可能已损坏）。") % {"name": shown})
    bomb = UploadRefused(_("“%(name)s”解压后过大或压缩比异常（疑似“压缩炸弹”），已拒绝：解压后上限 %(limit)s MB，"
                           "压缩比上限 %(ratio)s 倍。") % {"name": shown, "limit": _megabytes(max_total),
                                                  "ratio": f"{max_ratio:g}"})
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        raise corrupt from None
    finally:
        file.seek(0)
    if len(members) > max_members:
        raise UploadRefused(_("“%(name)s”包含 %(count)s 个压缩成员，超过上限 %(limit)s 个，已拒绝。") % {
            "name": shown, "count": len(members), "limit": max_members})
    for info in members:
        if info.flag_bits & 0x1:
            raise ZipUnreadable(_("“%(name)s”已加密，无法检查内容；请去除密码后再上传。") % {"name": shown})
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise corrupt
    declared = sum(info.file_size for info in members)
    compressed = sum(info.compress_size for info in members)
    if declared > max_total or _too_dense(declared, compressed, max_ratio):
        raise bomb
    if any(_too_dense(info.file_size, info.compress_size, max_ratio) for info in members):
        raise bomb
    # the declared sizes may lie: count what the members really expand to
    total = 0
    try:
        for info in members:
            real = _inflated_size(file, info, max_total - total)
            total += real
            if total > max_total or _too_dense(real, info.compress_size, max_ratio):
                raise bomb
    except (zlib.error, struct.error, ValueError, OSError):
        raise corrupt from None
    finally:
        file.seek(0)


def _too_dense(expanded: int, compressed: int, max_ratio: float) -> bool:
    return expanded > RATIO_FLOOR and expanded > max_ratio * max(compressed, 1)


def _inflated_size(file: IO[bytes], info: zipfile.ZipInfo, cap: int) -> int:
    """How many bytes the member's data really inflates to, counted without keeping them; stops once
    past `cap`."""
    file.seek(info.header_offset)
    signature, name_length, extra_length = LOCAL_HEADER.unpack(file.read(LOCAL_HEADER.size))
    if signature != ZIP_MAGIC:
        raise ValueError("bad local header")
    file.seek(info.header_offset + LOCAL_HEADER.size + name_length + extra_length)
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    remaining, total = info.compress_size, 0
    while remaining > 0 and not decompressor.eof:
        pending = file.read(min(CHUNK, remaining))
        if not pending:
            raise ValueError("member data ends early")
        remaining -= len(pending)
        while pending and not decompressor.eof:
            total += len(decompressor.decompress(pending, CHUNK))
            if total > cap:
                return total
            pending = decompressor.unconsumed_tail
    return total


def check_office_document(file: IO[bytes], *, name: str) -> None:
    """An Office (OOXML) document about to become evidence: refuse a zip bomb (UploadRefused)."""
    check_zip_container(
        file, name=name,
        max_total=int(getattr(settings, "ZHENGGAI_OFFICE_ZIP_MAX_TOTAL", OFFICE_MAX_TOTAL)),
        max_ratio=float(getattr(settings, "ZHENGGAI_OFFICE_ZIP_MAX_RATIO", OFFICE_MAX_RATIO)),
        max_members=int(getattr(settings, "ZHENGGAI_OFFICE_ZIP_MAX_MEMBERS", OFFICE_MAX_MEMBERS)),
    )


def check_spreadsheet_upload(source: str | Path | IO[bytes] | bytes, *, filename: str) -> None:
    """Before an import hands a spreadsheet to its reader: when the content is a zip (.xlsx), refuse a
    zip bomb (UploadRefused). Anything else is left to the reader, which says what is wrong with it."""
    file: Any
    owned = True
    if isinstance(source, bytes):
        file = io.BytesIO(source)
    elif isinstance(source, str | Path):
        try:
            file = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError:
            return
    else:
        file, owned = source, False
    try:
        file.seek(0)
        if file.read(4) != ZIP_MAGIC:
            return
        check_zip_container(
            file, name=filename,
            max_total=int(getattr(settings, "ZHENGGAI_IMPORT_ZIP_MAX_TOTAL", IMPORT_MAX_TOTAL)),
            max_ratio=float(getattr(settings, "ZHENGGAI_IMPORT_ZIP_MAX_RATIO", IMPORT_MAX_RATIO)),
            max_members=int(getattr(settings, "ZHENGGAI_IMPORT_ZIP_MAX_MEMBERS", IMPORT_MAX_MEMBERS)),
        )
    except ZipUnreadable:
        return  # not expanded past the limits: the reader says what is wrong with it
    finally:
        if owned:
            file.close()
        else:
            file.seek(0)


__all__ = ["UploadRefused", "ZipUnreadable", "check_office_document", "check_spreadsheet_upload", "check_zip_container",
           "safe_display_name"]
