"""Real sample files made in memory: photos with EXIF, PDF, Office documents (python-docx, openpyxl),
legacy OLE compound files, videos, and the things that must be refused."""

from __future__ import annotations

import io
import struct
import zipfile

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from PIL import ExifTags, Image


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg(size: tuple[int, int] = (800, 600), *, taken: str | None = "2025:06:01 10:20:30",
         gps: dict[int, object] | None = None, orientation: int | None = 6, offset: str | None = None) -> bytes:
    image = Image.new("RGB", size, (30, 120, 60))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    sub: dict[int, object] = {}
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if sub:
        exif[ExifTags.IFD.Exif] = sub
    if gps is None:
        gps = {1: "N", 2: (30.0, 40.0, 12.5), 3: "E", 4: (107.0, 48.0, 0.0)}
    if gps:
        exif[ExifTags.IFD.GPSInfo] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=85)
    return buffer.getvalue()


def png(mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (50, 40), (0, 0, 255, 128) if mode == "RGBA" else (0, 0, 255)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def docx() -> bytes:
    document = Document()
    document.add_paragraph("整改完成情况说明")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["序号", "监测结果"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pptx_like() -> bytes:
    return _zip({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types><Override PartName="/ppt/presentation.xml" '
                               b'ContentType="application/vnd.openxmlformats-officedocument.presentationml.'
                               b'presentation.main+xml"/></Types>',
        "ppt/presentation.xml": b"<p:presentation/>",
    })


def docm(*, vba: bool = True, content_type: bool = True) -> bytes:
    """A Word document turned macro-enabled: the content type and/or a vbaProject.bin."""
    source = zipfile.ZipFile(io.BytesIO(docx()))
    parts = {name: source.read(name) for name in source.namelist()}
    if content_type:
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
            b"application/vnd.ms-word.document.macroEnabled.main+xml",
        )
    if vba:
        parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 fake vba"
    return _zip(parts)


def plain_zip() -> bytes:
    return _zip({"readme.txt": b"hello", "payload.exe": b"MZ\x90\x00"})


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def ole(*entries: tuple[str, int]) -> bytes:
    """A minimal OLE compound file ([MS-CFB] v3, 512-byte sectors): sector 0 holds the FAT, sector 1 the
    directory with a root entry and `entries` (name, type: 1 storage, 2 stream)."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x2C, 1, 1, 0, 4096, end, 0, end, 0, 0)
    struct.pack_into("<I", header, 0x4C, 0)
    for i in range(1, 109):
        struct.pack_into("<I", header, 0x4C + 4 * i, free)
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))
    directory = bytearray(512)
    for index, (name, kind) in enumerate([("Root Entry", 5), *entries]):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        offset = index * 128
        directory[offset : offset + len(encoded)] = encoded
        struct.pack_into("<HBB", directory, offset + 64, len(encoded), kind, 1)
        struct.pack_into("<III", directory, offset + 68, free, free, free)
        struct.pack_into("<I", directory, offset + 116, end)
    return bytes(header) + fat + bytes(directory)


def mp4(brand: bytes = b"isom") -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41" + b"\x00" * 200


def heic() -> bytes:
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 200


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100
