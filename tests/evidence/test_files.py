"""Inspection of uploads without the database: type by content, size, names, EXIF, thumbnails."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from zhenggai.evidence import files
from zhenggai.evidence.files import FileRefused, clean_original_name, inspect_upload

from . import samples as s

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("name", "data", "content_type", "extension"), [
    ("照片.jpg", s.jpeg(), "image/jpeg", ".jpg"),
    ("图.png", s.png(), "image/png", ".png"),
    ("报告.pdf", s.pdf(), "application/pdf", ".pdf"),
    ("说明.docx", s.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    ("监测.xlsx", s.xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    ("汇报.pptx", s.pptx_like(), "application/vnd.openxmlformats-officedocument.presentationml.presentation",
     ".pptx"),
    ("旧文档.doc", s.ole(("WordDocument", 2)), "application/msword", ".doc"),
    ("旧表格.xls", s.ole(("Workbook", 2)), "application/vnd.ms-excel", ".xls"),
    ("旧幻灯片.ppt", s.ole(("PowerPoint Document", 2)), "application/vnd.ms-powerpoint", ".ppt"),
    ("视频.mp4", s.mp4(), "video/mp4", ".mp4"),
    ("视频.mov", s.mp4(b"qt  "), "video/quicktime", ".mov"),
    # the name does not matter, the content does
    ("scan.bin", s.pdf(), "application/pdf", ".pdf"),
    ("photo.pdf", s.jpeg(), "image/jpeg", ".jpg"),
])
def test_allowed_types_are_recognised_by_content(name, data, content_type, extension):
    item = inspect_upload(s.upload(name, data, "text/html"))
    assert item.file_type.content_type == content_type
    assert item.file_type.extension == extension
    assert item.size == len(data)
    assert item.storage_name().endswith(extension)
    assert name not in item.storage_name()


def test_heic_is_accepted_as_an_image():
    item = inspect_upload(s.upload("IMG_0001.HEIC", s.heic()))
    assert item.file_type.content_type == "image/heic"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("evil.jpg", s.HTML, "类型不在允许范围"),
    ("drawing.svg", s.SVG, "类型不在允许范围"),
    ("setup.exe", s.EXE, "类型不在允许范围"),
    ("script.sh", b"#!/bin/sh\nrm -rf /\n", "类型不在允许范围"),
    ("archive.zip", s.plain_zip(), "类型不在允许范围"),
    ("docs.docx", s.plain_zip(), "类型不在允许范围"),
    ("macro.docm", s.docm(), "含有宏"),
    ("macro-type-only.docx", s.docm(vba=False), "含有宏"),
    ("vba-only.docx", s.docm(content_type=False), "含有宏"),
    ("old-macro.doc", s.ole(("WordDocument", 2), ("Macros", 1)), "含有宏"),
    ("old-excel-macro.xls", s.ole(("Workbook", 2), ("_VBA_PROJECT_CUR", 1)), "含有宏"),
    ("installer.doc", s.ole(("\x05SummaryInformation", 2), ("Property", 2)), "类型不在允许范围"),
    ("secret.docx", s.ole(("EncryptionInfo", 2), ("EncryptedPackage", 2)), "已加密"),
    ("broken.doc", s.ole(("WordDocument", 2))[:600], "类型不在允许范围"),
    ("empty.pdf", b"", "空文件"),
    ("not-really.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 50, "不是有效的图片"),
    ("truncated.jpg", s.jpeg()[:400], "不是有效的图片"),
    ("bad.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "不是有效的图片"),
])
def test_refused_files_are_named_with_the_reason(name, data, reason):
    with pytest.raises(FileRefused) as refused:
        inspect_upload(s.upload(name, data, "image/jpeg"))
    assert f"“{name}”" in refused.value.message
    assert reason in refused.value.message


def test_files_over_the_limit_are_refused(settings):
    settings.ZHENGGAI_EVIDENCE_MAX_BYTES = 1000
    data = s.pdf() + b"%" * 2000
    with pytest.raises(FileRefused, match="大小上限"):
        inspect_upload(s.upload("big.pdf", data))
    # the declared size is not trusted: the bytes read are counted too
    lying = s.upload("lying.pdf", data)
    lying.size = 10
    with pytest.raises(FileRefused, match="大小上限"):
        inspect_upload(lying)
    assert inspect_upload(s.upload("small.pdf", s.pdf())).size == len(s.pdf())


def test_default_limit_is_50_megabytes(settings):
    del settings.ZHENGGAI_EVIDENCE_MAX_BYTES
    assert files.max_bytes() == 50 * 1024 * 1024


def test_sha256_is_of_the_whole_content():
    import hashlib

    data = s.jpeg()
    assert inspect_upload(s.upload("a.jpg", data)).sha256 == hashlib.sha256(data).hexdigest()


def test_exif_capture_time_and_gps():
    item = inspect_upload(s.upload("现场.jpg", s.jpeg()))
    assert item.captured_at == dt.datetime(2025, 6, 1, 10, 20, 30, tzinfo=SHANGHAI)
    assert item.gps_lat == Decimal("30.670139")
    assert item.gps_lon == Decimal("107.800000")


def test_exif_offset_and_southern_western_positions():
    data = s.jpeg(offset="+09:00", gps={1: "S", 2: (33.0, 52.0, 4.0), 3: "W", 4: (151.0, 12.0, 36.0)})
    item = inspect_upload(s.upload("abroad.jpg", data))
    assert item.captured_at == dt.datetime(2025, 6, 1, 1, 20, 30, tzinfo=dt.UTC)
    assert item.gps_lat == Decimal("-33.867778")
    assert item.gps_lon == Decimal("-151.210000")


@pytest.mark.parametrize("gps", [
    {},
    {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},
    {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (107.0, 0.0, 0.0)},
    {1: "N", 2: (30.0, 0.0, 0.0)},
])
def test_missing_or_implausible_gps_is_left_empty(gps):
    item = inspect_upload(s.upload("x.jpg", s.jpeg(gps=gps or {}, taken=None)))
    assert item.gps_lat is None and item.gps_lon is None
    assert item.captured_at is None


def test_bad_capture_time_is_left_empty():
    item = inspect_upload(s.upload("x.jpg", s.jpeg(taken="0000:00:00 00:00:00")))
    assert item.captured_at is None


def test_thumbnail_is_small_upright_and_without_metadata():
    item = inspect_upload(s.upload("现场.jpg", s.jpeg(size=(1600, 1200), orientation=6)))
    assert item.thumbnail is not None
    with Image.open(io.BytesIO(item.thumbnail)) as thumb:
        assert thumb.format == "JPEG"
        # orientation 6 = rotated 90°: the landscape sensor image is a portrait photo
        assert thumb.size == (240, 320)
        assert not thumb.getexif().get_ifd(0x8825)


def test_transparent_png_gets_a_thumbnail():
    item = inspect_upload(s.upload("logo.png", s.png()))
    with Image.open(io.BytesIO(item.thumbnail or b"")) as thumb:
        assert thumb.mode == "RGB"


def test_documents_have_no_thumbnail_or_exif():
    item = inspect_upload(s.upload("报告.pdf", s.pdf()))
    assert item.thumbnail is None and item.captured_at is None and item.gps_lat is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
    ("C:\\Users\\张三\\Desktop\\整改前.jpg", "整改前.jpg"),
    ("re\x00port\r\n.pdf", "report.pdf"),
    ("photo\u202egpj.exe", "photogpj.exe"),
    ("zero\u200bwidth.pdf", "zerowidth.pdf"),
    ("..", "file"),
    ("", "file"),
    (None, "file"),
    ("  现场照片.jpg  ", "现场照片.jpg"),
])
def test_original_names_lose_paths_and_control_characters(raw, expected):
    assert clean_original_name(raw) == expected


def test_long_names_keep_their_extension():
    name = clean_original_name("很" * 300 + ".docx")
    assert len(name) == 255 and name.endswith(".docx")


def test_multi_picture_jpegs_from_phone_cameras_are_photos():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48))])
    item = inspect_upload(s.upload("portrait.jpg", buffer.getvalue()))
    assert item.file_type.content_type == "image/jpeg" and item.thumbnail


def test_images_too_large_to_decode_are_refused():
    buffer = io.BytesIO()
    Image.new("1", (9000, 8000)).save(buffer, "PNG")
    with pytest.raises(FileRefused, match="像素数过大"):
        inspect_upload(s.upload("huge.png", buffer.getvalue()))
