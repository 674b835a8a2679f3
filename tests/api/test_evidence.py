"""Evidence routes: upload (multipart, several files, all or nothing), download, public mark and deletion,
with the same services, scope and refusals as the evidence pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence, EvidenceCategory
from zhenggai.evidence.services import evidence_create
from zhenggai.rectification.models import Task

from ..evidence import samples as s

pytestmark = pytest.mark.django_db


def _upload(client, task, files, headers=None, **fields):
    data = {"files": files, "category": "before_photo", **fields}
    return client.client.post(f"/api/v1/tasks/{task.pk}/evidence", data, headers={**client.headers, **(headers or {})})


def _delete(client, path):
    return client.client.delete(path, headers=client.headers)


def _stored(world, user=None, name="整改前.jpg", category=EvidenceCategory.BEFORE_PHOTO):
    return evidence_create(actor=user or world.users.staff, task=world.t_dept,
                           file=s.upload(name, s.jpeg()), category=category)


def test_staff_upload_several_files_and_read_them_back(world, api):
    files = [SimpleUploadedFile("整改前.jpg", s.jpeg()), SimpleUploadedFile("监测报告.pdf", s.pdf())]
    response = _upload(api.staff, world.t_dept, files, category="other", description="管网排查")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [e["original_name"] for e in body] == ["整改前.jpg", "监测报告.pdf"]
    assert body[0]["content_type"] == "image/jpeg" and body[0]["has_thumbnail"] and body[0]["captured_at"]
    assert body[1]["content_type"] == "application/pdf" and body[0]["may_delete"]
    stored = Evidence.objects.filter(task=world.t_dept).order_by("id")
    assert [e.original_name for e in stored] == ["整改前.jpg", "监测报告.pdf"]
    assert {e.uploaded_by for e in stored} == {world.users.staff} and stored[0].description == "管网排查"
    assert Event.objects.filter(verb="evidence.uploaded").count() == 2
    listed = api.head.get(f"/api/v1/tasks/{world.t_dept.pk}/evidence").json()
    assert listed["count"] == 2 and {e["id"] for e in listed["items"]} == {e.pk for e in stored}
    assert not listed["items"][0]["may_delete"]  # the head did not upload them


def test_one_bad_file_refuses_the_whole_upload_and_names_every_bad_file(world, api):
    files = [SimpleUploadedFile("好照片.jpg", s.jpeg()), SimpleUploadedFile("病毒.exe", b"MZ\x90\x00" + b"\x00" * 100),
             SimpleUploadedFile("假照片.jpg", b"not a photo at all")]
    response = _upload(api.staff, world.t_dept, files)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "evidence_refused" and body["field"] == "files"
    assert "病毒.exe" in body["message"] and "假照片.jpg" in body["message"] and "好照片.jpg" not in body["message"]
    assert not Evidence.objects.exists() and not Event.objects.filter(verb="evidence.uploaded").exists()


def test_upload_checks_as_the_page(world, api, settings):
    assert _upload(api.staff, world.t_dept, []).json()["field"] == "files"
    no_category = _upload(api.staff, world.t_dept, [SimpleUploadedFile("a.jpg", s.jpeg())], category="")
    assert no_category.status_code == 422 and no_category.json()["field"] == "category"
    not_public = _upload(api.staff, world.t_dept, [SimpleUploadedFile("a.pdf", s.pdf())], category="monitoring",
                         is_public="true")
    assert not_public.status_code == 422 and not_public.json()["field"] == "is_public"
    settings.ZHENGGAI_EVIDENCE_MAX_BYTES = 1000
    big = _upload(api.staff, world.t_dept, [SimpleUploadedFile("大照片.jpg", s.jpeg())])
    assert big.status_code == 422 and "大照片.jpg" in big.json()["message"]
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(("user", "status"), [("leader", 403), ("discipline", 403), ("unrelated", 404),
                                               ("admin", 404), ("other_office", 404)])
def test_upload_is_refused_to_others_as_in_the_page(world, api, user, status):
    response = _upload(getattr(api, user), world.t_dept, [SimpleUploadedFile("a.jpg", s.jpeg())])
    assert response.status_code == status
    assert not Evidence.objects.exists()
    assert Task.objects.get(pk=world.t_dept.pk).version == world.t_dept.version


def test_download_is_an_attachment_with_nosniff_in_the_same_scope(world, api):
    evidence = _stored(world)
    response = api.leader.get(f"/api/v1/evidence/{evidence.pk}/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    hidden = api.unrelated.get(f"/api/v1/evidence/{evidence.pk}/download")
    missing = api.unrelated.get(f"/api/v1/evidence/{evidence.pk + 1000}/download")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    assert api.other_office.get(f"/api/v1/evidence/{evidence.pk}").status_code == 404
    assert api.head.get(f"/api/v1/evidence/{evidence.pk}").json()["sha256"] == evidence.sha256


def test_public_mark_by_the_uploader_or_the_office_only(world, api):
    evidence = _stored(world)
    url = f"/api/v1/evidence/{evidence.pk}/public"
    assert api.head.post(url, {"is_public": True}).status_code == 403
    assert api.unrelated.post(url, {"is_public": True}).status_code == 404
    assert not Evidence.objects.get(pk=evidence.pk).is_public
    response = api.staff.post(url, {"is_public": True})
    assert response.status_code == 200 and response.json()["is_public"]
    assert Evidence.objects.get(pk=evidence.pk).is_public
    assert api.office.post(url, {"is_public": False}).json()["is_public"] is False
    assert Event.objects.filter(verb="evidence.publication_changed").count() == 2
    document = _stored(world, name="说明.jpg", category=EvidenceCategory.STATEMENT)
    refused = api.staff.post(f"/api/v1/evidence/{document.pk}/public", {"is_public": True})
    assert refused.status_code == 422 and refused.json()["field"] == "is_public"


def test_delete_by_the_uploader_and_not_once_it_backs_an_application(world, api):
    evidence = _stored(world)
    assert _delete(api.head, f"/api/v1/evidence/{evidence.pk}").status_code == 403
    assert _delete(api.unrelated, f"/api/v1/evidence/{evidence.pk}").status_code == 404
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    response = _delete(api.staff, f"/api/v1/evidence/{evidence.pk}")
    assert response.status_code == 200 and response.json() == {"id": evidence.pk, "deleted": True}
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert Event.objects.filter(verb="evidence.deleted").count() == 1

    backing = _stored(world, user=world.users.head)
    api.head.post(f"/api/v1/tasks/{world.t_dept.pk}/start")
    applied = api.head.post(f"/api/v1/tasks/{world.t_dept.pk}/apply", {
        "statement": "已完成", "evidence": [backing.pk],
        "self_check": {k: True for k in ("measures", "solved", "mechanism", "conduct", "records")}})
    assert applied.status_code == 200, applied.content
    refused = _delete(api.head, f"/api/v1/evidence/{backing.pk}")
    assert refused.status_code == 409 and Evidence.objects.filter(pk=backing.pk).exists()


def test_thumbnail_of_a_photo_only(world, api):
    photo = _stored(world)
    document = evidence_create(actor=world.users.staff, task=world.t_dept, file=s.upload("a.pdf", s.pdf()),
                               category=EvidenceCategory.MONITORING)
    response = api.head.get(f"/api/v1/evidence/{photo.pk}/thumbnail")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert api.head.get(f"/api/v1/evidence/{document.pk}/thumbnail").status_code == 404
    assert api.unrelated.get(f"/api/v1/evidence/{photo.pk}/thumbnail").status_code == 404


def test_session_upload_needs_csrf_and_a_retried_upload_stores_once(world, api):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff)
    client.get("/account/tokens/")  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    url = f"/api/v1/tasks/{world.t_dept.pk}/evidence"
    refused = client.post(url, {"files": [SimpleUploadedFile("a.jpg", s.jpeg())], "category": "before_photo"})
    assert refused.status_code == 403 and not Evidence.objects.exists()
    done = client.post(url, {"files": [SimpleUploadedFile("a.jpg", s.jpeg())], "category": "before_photo"},
                       headers={"X-CSRFToken": csrf})
    assert done.status_code == 201 and Evidence.objects.count() == 1
    body = s.jpeg()
    for _ in range(2):
        retried = _upload(api.staff, world.t_dept, [SimpleUploadedFile("b.jpg", body)],
                          headers={"Idempotency-Key": "upload-1"})
        assert retried.status_code == 201
    assert Evidence.objects.filter(original_name="b.jpg").count() == 1


def test_evidence_list_queries_do_not_grow_with_the_rows(world, api, django_assert_max_num_queries):
    url = f"/api/v1/tasks/{world.t_dept.pk}/evidence"
    _stored(world)
    _stored(world, user=world.users.head)
    api.office.get(url)  # the token is looked up once before counting
    with django_assert_max_num_queries(30) as few:
        assert api.office.get(url).json()["count"] == 2
    for i in range(8):
        _stored(world, name=f"{i}.jpg", user=world.users.head if i % 2 else world.users.staff)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.office.get(url).json()
    assert body["count"] == 10 and all(e["may_delete"] for e in body["items"])
    staff = api.staff.get(url).json()["items"]
    assert {e["may_delete"] for e in staff} == {True, False}


def test_an_upload_larger_than_the_memory_limit_is_idempotent_too(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024  # the photo is larger: reading the body whole would be refused
    body = s.jpeg()
    assert len(body) > 1024
    for _ in range(2):
        answer = _upload(api.staff, world.t_dept, [SimpleUploadedFile("big.jpg", body)],
                         headers={"Idempotency-Key": "upload-big"})
        assert answer.status_code == 201, answer.content[:300]
    assert Evidence.objects.filter(original_name="big.jpg").count() == 1
