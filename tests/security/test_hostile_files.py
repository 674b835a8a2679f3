"""Hostile files through the real pages and the API: each is refused with a message naming the file and
nothing kept (no row, no file in the storage), or stored inert (generated storage name, a clean display
name, served only as an attachment with nosniff and a sandbox CSP)."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from tests.api.conftest import ApiClient, token_for
from tests.complaints.conftest_import import HANDED_OVER, make_places
from tests.evidence import samples as s
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.core.models import Event
from zhenggai.core.upload_guard import (
    UploadRefused,
    ZipUnreadable,
    check_spreadsheet_upload,
    check_zip_container,
    safe_display_name,
)
from zhenggai.evidence.models import Evidence
from zhenggai.rectification.models import Task

MB = 1024 * 1024
XLSX_TYPES = (b'<?xml version="1.0"?><Types><Override PartName="/xl/workbook.xml" ContentType="application/'
              b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')


def zip_bomb(size: int = 200 * MB) -> bytes:
    """An .xlsx-shaped zip whose sheet is `size` zero bytes, deflated at level 9 (≈1/1000 of it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", XLSX_TYPES)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = bytes(MB)
            for _ in range(size // MB):
                member.write(block)
    return buffer.getvalue()


BOMB = zip_bomb()


def understated(data: bytes, member: str, declared: int) -> bytes:
    """The zip with `member`'s uncompressed size rewritten to `declared` in both of its headers."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    raw = bytearray(data)
    struct.pack_into("<I", raw, info.header_offset + 22, declared)
    central = -1
    position = raw.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", raw, position + 28)[0]
        if raw[position + 46 : position + 46 + name_length].decode() == member:
            central = position
            break
        position = raw.find(b"PK\x01\x02", position + 4)
    assert central != -1
    struct.pack_into("<I", raw, central + 24, declared)
    return bytes(raw)


def many_members(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_TYPES)
        for index in range(count):
            archive.writestr(f"xl/media/{index}.xml", b"<x/>")
    return buffer.getvalue()


def xlsm() -> bytes:
    """A workbook turned macro-enabled by its content type and a vbaProject.bin (named .xlsx)."""
    source = zipfile.ZipFile(io.BytesIO(s.xlsx()))
    parts = {name: source.read(name) for name in source.namelist()}
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"spreadsheetml.sheet.main+xml", b"vnd.ms-excel.sheet.macroEnabled.main+xml")
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0 fake vba"
    return s._zip(parts)


SVG_AS_JPEG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'

REFUSED = [  # (name, content, words the message must hold besides the name)
    ("photo.jpg", s.HTML, "文件类型不在允许范围内"),
    ("drawing.jpg", SVG_AS_JPEG, "文件类型不在允许范围内"),
    ("drawing.svg", s.SVG, "文件类型不在允许范围内"),
    ("bomb.xlsx", BOMB, "压缩炸弹"),
    ("empty.pdf", b"", "空文件"),
    ("report.docm", s.docm(), "含有宏"),
    ("sheet.xlsx", xlsm(), "含有宏"),
    ("setup.pdf", s.EXE, "文件类型不在允许范围内"),
]


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def nothing_kept(settings) -> None:
    assert not Evidence.objects.exists()
    assert not Event.objects.filter(verb="evidence.uploaded").exists()
    assert stored_files(settings) == []


# --- the guard itself ---------------------------------------------------------------------------------


def guard(data: bytes, **limits) -> None:
    check_zip_container(io.BytesIO(data), name="表.xlsx", **{
        "max_total": 100 * MB, "max_ratio": 100, "max_members": 1000, **limits})


def test_a_zip_bomb_is_refused_by_its_declared_size_before_anything_expands():
    assert len(BOMB) < 400 * 1024  # 200 MB of zeros in a few hundred KB
    with pytest.raises(UploadRefused) as refused:
        guard(BOMB, max_total=10 * 1024 * MB)  # within the total: the ratio gives it away
    assert "“表.xlsx”" in refused.value.message and "压缩炸弹" in refused.value.message
    with pytest.raises(UploadRefused):
        guard(BOMB, max_ratio=10_000)  # within the ratio: the total gives it away


def test_a_zip_that_understates_its_sizes_is_caught_while_counting_real_bytes():
    lying = understated(BOMB, "xl/worksheets/sheet1.xml", 4096)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/worksheets/sheet1.xml").file_size == 4096
    with pytest.raises(UploadRefused) as refused:
        guard(lying, max_total=20 * MB, max_ratio=10_000)
    assert not isinstance(refused.value, ZipUnreadable)
    assert "压缩炸弹" in refused.value.message


def test_too_many_members_and_encrypted_or_broken_zips_are_refused():
    with pytest.raises(UploadRefused, match="包含 51 个压缩成员，超过上限 50 个"):
        guard(many_members(50), max_members=50)
    guard(many_members(50), max_members=51)
    encrypted = bytearray(s.xlsx())
    struct.pack_into("<H", encrypted, 6, 1)  # the first member's "encrypted" flag
    position = encrypted.find(b"PK\x01\x02")
    struct.pack_into("<H", encrypted, position + 8, 1)
    with pytest.raises(ZipUnreadable, match="已加密"):
        guard(bytes(encrypted))
    with pytest.raises(ZipUnreadable, match="不是有效的压缩文件"):
        guard(b"PK\x03\x04garbage")


def test_ordinary_office_files_pass_and_the_file_is_left_at_its_start():
    for data in (s.xlsx(), s.docx(), s.pptx_like()):
        handle = io.BytesIO(data)
        check_zip_container(handle, name="a.xlsx", max_total=100 * MB, max_ratio=100, max_members=1000)
        assert handle.tell() == 0


def test_imports_leave_non_zip_and_broken_files_to_their_reader(tmp_path):
    check_spreadsheet_upload(b"\xe5\xba\x8f\xe5\x8f\xb7,a\n1,2\n", filename="t.csv")
    check_spreadsheet_upload(b"PK\x03\x04garbage", filename="t.xlsx")  # the reader says "damaged"
    check_spreadsheet_upload(tmp_path / "missing.xlsx", filename="missing.xlsx")
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(BOMB)
    with pytest.raises(UploadRefused, match="“bomb.xlsx”"):
        check_spreadsheet_upload(path, filename="bomb.xlsx")
    handle = io.BytesIO(BOMB)
    with pytest.raises(UploadRefused):
        check_spreadsheet_upload(handle, filename="bomb.xlsx")
    assert handle.tell() == 0


@pytest.mark.parametrize(("raw", "shown"), [
    ("../../etc/passwd.jpg", "passwd.jpg"),
    ("a\x00b.jpg", "ab.jpg"),
    ("a\nb.pdf", "ab.pdf"),
    ("C:\\Users\\x\\现场.jpg", "现场.jpg"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),
    ("zero\u200bwidth.pdf", "zerowidth.pdf"),
    ("..", "file"),
    ("", "file"),
])
def test_display_names_lose_paths_and_control_characters(raw, shown):
    assert safe_display_name(raw) == shown


# --- the evidence upload page and API -----------------------------------------------------------------


def post_page(client: Client, task: Task, name: str, data: bytes):
    return client.post(reverse("evidence_upload", args=[task.pk]),
                       {"category": "other", "files": [s.upload(name, data)]})


def post_api(api: ApiClient, task: Task, name: str, data: bytes):
    return api.client.post(f"/api/v1/tasks/{task.pk}/evidence",
                           {"category": "other", "files": [s.upload(name, data)]}, headers=api.headers)


@pytest.mark.parametrize(("name", "data", "reason"), REFUSED)
def test_hostile_files_are_refused_by_the_upload_page(world, client, settings, name, data, reason):
    client.force_login(world.users.staff)
    response = post_page(client, world.t_dept, name, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"“{name}”" in html and reason in html and "本次未保存任何文件" in html
    nothing_kept(settings)


@pytest.mark.parametrize(("name", "data", "reason"), REFUSED)
def test_hostile_files_are_refused_by_the_api(world, settings, name, data, reason):
    api = ApiClient(token_for(world.users.staff))
    response = post_api(api, world.t_dept, name, data)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "evidence_refused"
    assert any(f"“{name}”" in text and reason in text for text in _texts(body)), body
    nothing_kept(settings)


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def test_oversize_files_are_refused_by_the_page_and_the_api(world, client, settings):
    settings.ZHENGGAI_EVIDENCE_MAX_BYTES = 4096
    client.force_login(world.users.staff)
    big = s.pdf() + b"%" * 5000
    page = post_page(client, world.t_dept, "big.pdf", big)
    assert page.status_code == 400 and "“big.pdf”超过了" in page.content.decode()
    api = post_api(ApiClient(token_for(world.users.staff)), world.t_dept, "big.pdf", big)
    assert api.status_code == 422 and any("“big.pdf”超过了" in t for t in _texts(api.json()))
    nothing_kept(settings)


def multipart(filename_header: str, data: bytes, boundary: str = "zgBoundary7MA4YWxk") -> bytes:
    """A multipart body written by hand, so that the file name reaches the server as sent."""
    return b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nother\r\n'.encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; {filename_header}\r\n"
        "Content-Type: application/pdf\r\n\r\n".encode(),
        data, f"\r\n--{boundary}--\r\n".encode(),
    ])


HOSTILE_NAMES = [  # (Content-Disposition file name parameter, what is shown)
    ('filename="../../etc/passwd.pdf"', "passwd.pdf"),
    ("filename*=UTF-8''..%2F..%2Fetc%2Fpasswd.pdf", "passwd.pdf"),
    ("filename*=UTF-8''a%00b.pdf", "ab.pdf"),
    ("filename*=UTF-8''a%0Ab.pdf", "ab.pdf"),
    ("filename*=UTF-8''a%0D%0AContent-Type%3A%20text%2Fhtml.pdf", "html.pdf"),  # the slash splits it like a path
    ("filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E2%80%AEfdp.exe.pdf", "现场fdp.exe.pdf"),
    ('filename="&#46;&#46;&#47;x&#10;y.pdf"', "xy.pdf"),
]


@pytest.mark.parametrize(("header", "shown"), HOSTILE_NAMES)
@pytest.mark.parametrize("via", ["page", "api"])
def test_hostile_names_are_stored_inert_and_served_as_attachments(world, client, settings, header, shown, via):
    boundary = "zgBoundary7MA4YWxk"
    body = multipart(header, s.pdf(), boundary)
    content_type = f"multipart/form-data; boundary={boundary}"
    if via == "page":
        client.force_login(world.users.staff)
        response = client.post(reverse("evidence_upload", args=[world.t_dept.pk]), body, content_type=content_type)
        assert response.status_code == 302
    else:
        api = ApiClient(token_for(world.users.staff))
        response = api.client.post(f"/api/v1/tasks/{world.t_dept.pk}/evidence", body, content_type=content_type,
                                   headers=api.headers)
        assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    name = evidence.original_name
    assert name == shown
    assert not any(ch in name for ch in "/\\\x00\n\r\u202e")
    stored = Path(evidence.file.name)
    assert stored.parent == Path("evidence") or stored.parts[0] == "evidence"
    assert ".." not in stored.parts and "passwd" not in stored.name and stored.suffix == ".pdf"
    assert all(p.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()) for p in stored_files(settings))
    for download in _downloads(world, evidence):
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment;")
        assert "\n" not in download["Content-Disposition"] and "\r" not in download["Content-Disposition"]
        assert download["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download["Content-Security-Policy"]
        assert download["Content-Type"] == "application/pdf"


def _downloads(world, evidence: Evidence):
    page = Client()
    page.force_login(world.users.head)
    yield page.get(reverse("evidence_download", args=[evidence.pk]))
    api = ApiClient(token_for(world.users.head))
    yield api.get(f"/api/v1/evidence/{evidence.pk}/download")


def test_the_task_page_shows_the_clean_name_escaped(world, client):
    boundary = "zgBoundary7MA4YWxk"
    body = multipart("filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.pdf", s.pdf(), boundary)
    client.force_login(world.users.staff)
    client.post(reverse("evidence_upload", args=[world.t_dept.pk]), body,
                content_type=f"multipart/form-data; boundary={boundary}")
    evidence = Evidence.objects.get()
    assert "<img" in evidence.original_name  # kept as text for display …
    html = client.get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert "<img src=x onerror" not in html  # … and escaped wherever it is shown
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in html


# --- the imports (pages and API) ----------------------------------------------------------------------


def stored_imports() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def _bomb_file(name: str = "调度表.xlsx"):
    return s.upload(name, BOMB, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_task_import_page_refuses_a_zip_bomb_naming_the_file(world, client):
    client.force_login(world.users.office)
    tasks = Task.objects.count()
    response = client.post(reverse("task_import"), {"plan": world.plan.pk, "file": _bomb_file()})
    html = response.content.decode()
    assert "“调度表.xlsx”" in html and "压缩炸弹" in html
    assert "token" not in response.context or not response.context.get("token")
    assert Task.objects.count() == tasks and stored_imports() == []


def test_task_import_api_refuses_a_zip_bomb_naming_the_file(world):
    api = ApiClient(token_for(world.users.office))
    tasks = Task.objects.count()
    response = api.client.post("/api/v1/tasks/import", {"plan": world.plan.pk, "file": _bomb_file()},
                               headers=api.headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is False and body["token"] is None
    assert any("“调度表.xlsx”" in p["message"] and "压缩炸弹" in p["message"] for p in body["problems"])
    assert Task.objects.count() == tasks and stored_imports() == []


def test_complaint_import_page_and_api_refuse_a_zip_bomb(world, client):
    make_places(world)
    fields = {"inspection": world.inspection.pk, "batch": 1, "handed_over": HANDED_OVER.isoformat()}
    client.force_login(world.users.office)
    page = client.post(reverse("complaint_import"), {**fields, "file": _bomb_file("信访件.xlsx")})
    html = page.content.decode()
    assert "“信访件.xlsx”" in html and "压缩炸弹" in html
    api = ApiClient(token_for(world.users.office))
    response = api.client.post("/api/v1/complaints/import", {**fields, "file": _bomb_file("信访件.xlsx")},
                               headers=api.headers)
    body = response.json()
    assert body["ok"] is False and body["token"] is None
    assert any("“信访件.xlsx”" in p["message"] and "压缩炸弹" in p["message"] for p in body["problems"])
    assert not Complaint.objects.exists() and not HandoverBatch.objects.exists() and stored_imports() == []


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("调度表.xlsx", s.HTML, "内容是文本"),
    ("调度表.xlsx", b"", "空文件"),
    ("调度表.xlsx", s.EXE, "不是有效的 Excel 工作簿"),
    ("调度表.svg", s.SVG, "请上传 .xlsx 或 .csv 文件"),
])
def test_task_import_refuses_other_hostile_files_with_a_clear_message(world, client, name, data, reason):
    client.force_login(world.users.office)
    response = client.post(reverse("task_import"), {"plan": world.plan.pk, "file": s.upload(name, data)})
    html = response.content.decode()
    assert reason in html, html[:3000]
    assert stored_imports() == []
