"""The evidence pages: upload form and POST, scope-checked downloads and thumbnails, deletion, the panel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenggai.evidence.models import Evidence, EvidenceCategory
from zhenggai.evidence.services import evidence_create
from zhenggai.rectification.models import AcceptanceApplication

from . import samples as s

ACCEPT = 'accept="image/*,video/*,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"'


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client
    return as_user


def stored(world, name="整改前.jpg", data=None, user=None, category=EvidenceCategory.BEFORE_PHOTO):
    return evidence_create(actor=user or world.users.staff, task=world.t_dept,
                           file=s.upload(name, data if data is not None else s.jpeg()), category=category)


def page_body(response) -> str:
    """The 404 page without what differs per request (CSRF tokens, the requested path)."""
    html = response.content.decode().replace(response.request["PATH_INFO"], "PATH")
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def upload_url(task):
    return reverse("evidence_upload", args=[task.pk])


def test_upload_form_offers_multiple_files_and_the_phone_camera(world, login):
    response = login(world.users.staff).get(upload_url(world.t_dept))
    assert response.status_code == 200
    html = response.content.decode()
    picker = re.search(r'<input[^>]*name="files"[^>]*multiple[^>]*>', html)
    assert picker and ACCEPT in picker.group(0)
    assert re.search(r'<input[^>]*type="file"[^>]*capture="environment"[^>]*>', html)
    assert 'enctype="multipart/form-data"' in html
    assert "<script>" not in html.split("</head>", 1)[1]  # no inline scripts in the page body
    assert "整改前照片" in html


@pytest.mark.parametrize(("user", "status"), [("leader", 403), ("discipline", 403), ("unrelated", 404),
                                               ("admin", 404)])
def test_upload_form_is_refused_to_others(world, login, user, status):
    client = login(getattr(world.users, user))
    assert client.get(upload_url(world.t_dept)).status_code == status
    response = client.post(upload_url(world.t_dept), {"category": "other", "files": [s.upload("a.pdf", s.pdf())]})
    assert response.status_code == status
    assert not Evidence.objects.exists()


def test_upload_of_several_files_redirects_to_the_task(world, login):
    client = login(world.users.staff)
    response = client.post(upload_url(world.t_dept), {
        "category": "before_photo", "description": "排口现场", "is_public": "on",
        "files": [s.upload("现场1.jpg", s.jpeg()), s.upload("现场2.jpg", s.jpeg())],
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("task_detail", args=[world.t_dept.pk]) + "#evidence"
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == ["现场1.jpg", "现场2.jpg"]
    assert all(e.is_public and e.description == "排口现场" for e in Evidence.objects.all())
    page = client.get(response["Location"]).content.decode()
    assert "已上传 2 个文件。" in page


def test_a_bad_file_in_an_upload_stores_nothing_and_names_every_bad_file(world, login):
    response = login(world.users.staff).post(upload_url(world.t_dept), {
        "category": "other",
        "files": [s.upload("好.pdf", s.pdf()), s.upload("坏.jpg", s.HTML), s.upload("图.svg", s.SVG)],
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert "“坏.jpg”" in html and "“图.svg”" in html and "本次未保存任何文件" in html
    assert not Evidence.objects.exists()


def test_an_upload_without_files_is_refused(world, login):
    response = login(world.users.staff).post(upload_url(world.t_dept), {"category": "other"})
    assert response.status_code == 400
    assert "请选择要上传的文件。" in response.content.decode()


def test_download_is_the_stored_file_as_an_attachment(world, login):
    data = s.jpeg()
    evidence = stored(world, name="双桂湖 整改前.jpg", data=data)
    response = login(world.users.head).get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%8F%8C%E6%A1%82%E6%B9%96%20%E6%95%B4%E6%94%B9%E5%89%8D.jpg" in disposition
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_keeps_the_recorded_type_of_documents(world, login):
    evidence = stored(world, name="说明.docx", data=s.docx(), category=EvidenceCategory.STATEMENT)
    response = login(world.users.office).get(reverse("evidence_download", args=[evidence.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize("name", ["evidence_download", "evidence_thumbnail"])
def test_hidden_files_answer_404_like_missing_ones(world, login, name):
    evidence = stored(world)
    client = login(world.users.unrelated)
    hidden = client.get(reverse(name, args=[evidence.pk]))
    missing = client.get(reverse(name, args=[evidence.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    assert page_body(hidden) == page_body(missing)
    assert 'data-testid="not-found"' in page_body(hidden)
    assert login(world.users.staff2).get(reverse(name, args=[evidence.pk])).status_code == 404
    assert login(world.users.leader).get(reverse(name, args=[evidence.pk])).status_code == 200


def test_anonymous_users_are_sent_to_sign_in(world, client):
    evidence = stored(world)
    response = client.get(reverse("evidence_download", args=[evidence.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_thumbnail_is_inline_jpeg(world, login):
    evidence = stored(world)
    response = login(world.users.acceptor).get(reverse("evidence_thumbnail", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


def test_documents_have_no_thumbnail(world, login):
    evidence = stored(world, name="a.pdf", data=s.pdf(), category=EvidenceCategory.OTHER)
    assert login(world.users.staff).get(reverse("evidence_thumbnail", args=[evidence.pk])).status_code == 404


def test_delete_by_post_only(world, login):
    evidence = stored(world)
    client = login(world.users.staff)
    url = reverse("evidence_delete", args=[evidence.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/tasks/{world.t_dept.pk}/#evidence")
    assert not Evidence.objects.exists()


def test_delete_refusals(world, login):
    evidence = stored(world)
    url = reverse("evidence_delete", args=[evidence.pk])
    assert login(world.users.unrelated).post(url).status_code == 404
    assert login(world.users.head).post(url).status_code == 403
    application = AcceptanceApplication.objects.create(task=world.t_dept, unit=world.dept,
                                                       applied_by=world.users.head, statement="已完成")
    application.evidence.add(evidence)
    response = login(world.users.staff).post(url, follow=True)
    assert "不能删除" in response.content.decode()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_task_page_shows_the_panel(world, login):
    photo = stored(world, name="现场照片.jpg")
    document = stored(world, name="监测报告.pdf", data=s.pdf(), category=EvidenceCategory.MONITORING)
    html = login(world.users.staff).get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    panel = html[html.index('data-testid="evidence-panel"'):]
    assert "现场照片.jpg" in panel and "监测报告.pdf" in panel
    assert reverse("evidence_thumbnail", args=[photo.pk]) in panel
    assert reverse("evidence_thumbnail", args=[document.pk]) not in panel
    assert "整改前照片" in panel and "监测报告" in panel
    assert "2025年6月1日 10:20" in panel  # capture time, Chinese date
    assert "30.670139, 107.800000" in panel
    assert "区住建委" in panel  # the uploader's unit
    assert panel.count('data-testid="evidence-delete"') == 2
    assert 'data-testid="evidence-upload-form"' in panel and ACCEPT in panel


def test_panel_hides_upload_and_delete_from_readers_and_from_backed_files(world, login):
    evidence = stored(world)
    html = login(world.users.leader).get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert "整改前.jpg" in html
    assert 'data-testid="evidence-upload-form"' not in html and 'data-testid="evidence-delete"' not in html
    html = login(world.users.head).get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert 'data-testid="evidence-upload-form"' in html and 'data-testid="evidence-delete"' not in html
    application = AcceptanceApplication.objects.create(task=world.t_dept, unit=world.dept,
                                                       applied_by=world.users.head, statement="已完成")
    application.evidence.add(evidence)
    html = login(world.users.office).get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert 'data-testid="evidence-delete"' not in html and "已用于验收销号申请" in html


def test_panel_queries_do_not_grow_with_the_number_of_files(world, login):
    client = login(world.users.staff)
    url = reverse("task_detail", args=[world.t_dept.pk])
    stored(world)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for i in range(4):
        stored(world, name=f"{i}.pdf", data=s.pdf(), user=world.users.head if i % 2 else world.users.staff,
               category=EvidenceCategory.OTHER)
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(five) == len(one)


def test_admin_lists_only_evidence_in_scope(world, rf):
    from django.contrib.admin.sites import site

    from zhenggai.evidence.admin import EvidenceAdmin

    mine = stored(world)
    evidence_create(actor=world.users.other_office, task=world.t_other, file=s.upload("b.pdf", s.pdf()),
                    category=EvidenceCategory.OTHER)
    model_admin = EvidenceAdmin(Evidence, site)
    request = rf.get("/admin/evidence/evidence/")
    request.user = world.users.unrelated
    assert list(model_admin.get_queryset(request)) == []
    request.user = world.users.office
    assert list(model_admin.get_queryset(request)) == [mine]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, mine)
    assert not model_admin.has_delete_permission(request, mine)


def test_upload_still_needs_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff)
    response = client.post(upload_url(world.t_dept), {"category": "other", "files": [s.upload("a.pdf", s.pdf())]})
    assert response.status_code == 403
    assert not Evidence.objects.exists()
    page = client.get(upload_url(world.t_dept))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(upload_url(world.t_dept), {"category": "other", "csrfmiddlewaretoken": token,
                                                      "files": [s.upload("a.pdf", s.pdf())]})
    assert response.status_code == 302 and Evidence.objects.count() == 1


def test_oversized_files_are_dropped_while_reading_the_request(world, login, settings, monkeypatch):
    from zhenggai.evidence import views
    from zhenggai.evidence.uploads import EvidenceUploadLimit

    handlers: list[EvidenceUploadLimit] = []

    class Spy(EvidenceUploadLimit):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            handlers.append(self)

    monkeypatch.setattr(views, "EvidenceUploadLimit", Spy)
    settings.ZHENGGAI_EVIDENCE_MAX_BYTES = 4096
    response = login(world.users.staff).post(upload_url(world.t_dept), {"category": "other", "files": [
        s.upload("小.pdf", s.pdf()), s.upload("大.pdf", s.pdf() + b" " * 200_000), s.upload("坏.jpg", s.HTML),
    ]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "“大.pdf”超过了" in html and "“坏.jpg”" in html and "“小.pdf”" not in html
    assert handlers and handlers[0].too_big == ["大.pdf"]
    assert not Evidence.objects.exists()


def test_too_many_files_in_one_request(world, login, settings):
    settings.ZHENGGAI_EVIDENCE_MAX_FILES = 2
    response = login(world.users.staff).post(upload_url(world.t_dept), {
        "category": "other", "files": [s.upload(f"{i}.pdf", s.pdf()) for i in range(3)]})
    assert response.status_code == 400
    assert "一次最多上传 2 个文件。" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_photo_is_put_on_the_portal_and_taken_off_again_by_its_uploader(world, login, client):
    from zhenggai.core.models import Event
    from zhenggai.portal.selectors import public_photo_queryset

    photo = stored(world)
    assert not photo.is_public
    client = login(world.users.staff)
    page = client.get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert 'data-testid="evidence-public"' in page and "在公众门户公开" in page
    response = client.post(reverse("evidence_public", args=[photo.pk]), {"is_public": "1"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.is_public
    world.plan.published_date = world.plan.published_date or dt.date(2025, 4, 1)
    world.plan.save(update_fields=["published_date"])
    assert public_photo_queryset().filter(pk=photo.pk).exists()
    client.post(reverse("evidence_public", args=[photo.pk]), {"is_public": "0"})
    photo.refresh_from_db()
    assert not photo.is_public and not public_photo_queryset().filter(pk=photo.pk).exists()
    assert Event.objects.filter(verb="evidence.publication_changed").count() == 2


def test_only_photos_may_be_public_and_only_the_uploader_or_office_may_change_it(world, login):
    report = stored(world, name="监测报告.pdf", data=s.pdf(), category=EvidenceCategory.MONITORING)
    client = login(world.users.staff)
    client.post(reverse("evidence_public", args=[report.pk]), {"is_public": "1"})
    report.refresh_from_db()
    assert not report.is_public  # refused with a message, nothing changed
    photo = stored(world)
    assert login(world.users.head).post(reverse("evidence_public", args=[photo.pk]), {"is_public": "1"}).status_code == 403
    assert login(world.users.staff2).post(reverse("evidence_public", args=[photo.pk]), {"is_public": "1"}).status_code == 404
    assert login(world.users.office).post(reverse("evidence_public", args=[photo.pk]), {"is_public": "1"}).status_code == 302
    photo.refresh_from_db()
    assert photo.is_public
