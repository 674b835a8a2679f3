"""Storing and deleting evidence through the services: who may, what is kept, what is written."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from zhenggai.core.actors import system_actor
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import audit_verify
from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence, EvidenceCategory
from zhenggai.evidence.policies import may_delete, may_upload
from zhenggai.evidence.services import (
    EvidenceRefused,
    evidence_create,
    evidence_create_many,
    evidence_delete,
)
from zhenggai.rectification.models import AcceptanceApplication, AcceptanceReview, ProgressReport

from . import samples as s

BEFORE = EvidenceCategory.BEFORE_PHOTO


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def photo(world, user=None, name="整改前.jpg", **kwargs):
    return evidence_create(actor=user or world.users.staff, task=world.t_dept,
                           file=s.upload(name, s.jpeg(), "image/jpeg"), category=BEFORE, **kwargs)


def test_upload_of_a_photo_keeps_hash_capture_time_gps_and_thumbnail(world, settings):
    data = s.jpeg()
    evidence = evidence_create(actor=world.users.staff, task=world.t_dept,
                               file=s.upload("双桂湖排口.jpg", data, "text/plain"), category=BEFORE,
                               description="  排口整改前  ")
    evidence.refresh_from_db()
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.size == len(data)
    assert evidence.content_type == "image/jpeg"  # by content, not the browser's word
    assert evidence.original_name == "双桂湖排口.jpg"
    assert evidence.description == "排口整改前"
    assert evidence.organization == world.dept
    assert evidence.uploaded_by == world.users.staff
    assert evidence.captured_at == dt.datetime(2025, 6, 1, 10, 20, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert (evidence.gps_lat, evidence.gps_lon) == (Decimal("30.670139"), Decimal("107.800000"))
    assert evidence.thumbnail and default_storage.exists(evidence.thumbnail.name)
    # stored under a generated name, outside the static root
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(".jpg")
    assert "双桂湖" not in evidence.file.name
    with evidence.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == evidence.sha256
    assert Path(evidence.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    assert not Path(evidence.file.path).is_relative_to(Path(settings.STATIC_ROOT))


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("监测报告.pdf", s.pdf(), "application/pdf"),
    ("情况说明.docx", s.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("监测数据.xlsx", s.xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_documents_are_accepted(world, name, data, content_type):
    evidence = evidence_create(actor=world.users.staff, task=world.t_dept, file=s.upload(name, data),
                               category=EvidenceCategory.MONITORING)
    assert evidence.content_type == content_type
    assert not evidence.thumbnail
    assert evidence.captured_at is None


def test_a_hostile_name_is_stored_under_a_safe_name(world, settings):
    evidence = evidence_create(actor=world.users.staff, task=world.t_dept,
                               file=s.upload("../../../etc/pa\x00ss\u202ewd\r\n.pdf", s.pdf()),
                               category=EvidenceCategory.OTHER)
    assert evidence.original_name == "passwd.pdf"
    assert ".." not in evidence.file.name and "passwd" not in evidence.file.name
    assert all(p.is_relative_to(Path(settings.MEDIA_ROOT)) for p in stored_files(settings))


@pytest.mark.parametrize(("name", "data"), [
    ("evil.jpg", s.HTML),
    ("drawing.svg", s.SVG),
    ("files.zip", s.plain_zip()),
    ("report.docm", s.docm()),
    ("empty.jpg", b""),
])
def test_refused_files_store_nothing(world, settings, name, data):
    with pytest.raises(EvidenceRefused) as refused:
        evidence_create(actor=world.users.staff, task=world.t_dept, file=s.upload(name, data),
                        category=EvidenceCategory.OTHER)
    assert len(refused.value.messages) == 1 and name in refused.value.messages[0]
    assert isinstance(refused.value, ValidationFailed)
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []
    assert not Event.objects.filter(verb="evidence.uploaded").exists()


def test_oversize_file_is_refused(world, settings):
    settings.ZHENGGAI_EVIDENCE_MAX_BYTES = 2048
    with pytest.raises(EvidenceRefused, match="大小上限"):
        evidence_create(actor=world.users.staff, task=world.t_dept, file=s.upload("大文件.pdf", s.pdf() + b" " * 4096),
                        category=EvidenceCategory.OTHER)
    assert not Evidence.objects.exists()


def test_several_files_with_bad_ones_store_none_and_name_every_bad_file(world, settings):
    files = [
        s.upload("好照片.jpg", s.jpeg()),
        s.upload("伪装.jpg", s.HTML),
        s.upload("监测报告.pdf", s.pdf()),
        s.upload("空的.pdf", b""),
        s.upload("宏.docm", s.docm()),
    ]
    with pytest.raises(EvidenceRefused) as refused:
        evidence_create_many(actor=world.users.staff, task=world.t_dept, files=files, category=BEFORE)
    messages = refused.value.messages
    assert len(messages) == 3
    assert ["伪装.jpg" in messages[0], "空的.pdf" in messages[1], "宏.docm" in messages[2]] == [True] * 3
    assert "伪装.jpg" in str(refused.value.message) and "宏.docm" in str(refused.value.message)
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_several_good_files_are_all_stored_with_one_event_each(world):
    files = [s.upload(f"照片{i}.jpg", s.jpeg()) for i in range(3)] + [s.upload("说明.pdf", s.pdf())]
    stored = evidence_create_many(actor=world.users.staff, task=world.t_dept, files=files, category=BEFORE)
    assert [e.original_name for e in stored] == ["照片0.jpg", "照片1.jpg", "照片2.jpg", "说明.pdf"]
    events = Event.objects.filter(chain__key=f"task:{world.t_dept.pk}", verb="evidence.uploaded").order_by("seq")
    assert [e.data["evidence"] for e in events] == [e.pk for e in stored]
    assert events[0].data["sha256"] == stored[0].sha256
    assert events[0].actor == world.users.staff
    assert list(audit_verify()) == []


def test_too_many_files_at_once_are_refused(world, settings):
    settings.ZHENGGAI_EVIDENCE_MAX_FILES = 2
    files = [s.upload(f"{i}.pdf", s.pdf()) for i in range(3)]
    with pytest.raises(ValidationFailed, match="最多"):
        evidence_create_many(actor=world.users.staff, task=world.t_dept, files=files, category=BEFORE)


def test_category_must_be_known(world):
    with pytest.raises(ValidationFailed) as refused:
        evidence_create(actor=world.users.staff, task=world.t_dept, file=s.upload("a.pdf", s.pdf()),
                        category="selfie")
    assert refused.value.field == "category"


def test_only_before_and_after_photos_may_be_public(world):
    assert photo(world, is_public=True).is_public
    with pytest.raises(ValidationFailed):
        evidence_create(actor=world.users.staff, task=world.t_dept, file=s.upload("a.pdf", s.pdf()),
                        category=EvidenceCategory.PENALTY, is_public=True)
    with pytest.raises(EvidenceRefused, match="不是照片"):
        evidence_create(actor=world.users.staff, task=world.t_dept, file=s.upload("a.pdf", s.pdf()),
                        category=BEFORE, is_public=True)


# --- who may upload -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("user", "task", "outcome"), [
    ("staff", "t_dept", "ok"),
    ("head", "t_dept", "ok"),
    ("acceptor", "t_dept", "ok"),  # its unit accepts t_dept
    ("office", "t_dept", "ok"),
    ("office", "t_sub", "ok"),
    ("staff2", "t_sub", "ok"),  # the township is party through its sub-unit
    ("head", "t_town", "ok"),  # dept accepts t_town
    ("leader", "t_dept", PermissionDenied),
    ("discipline", "t_dept", PermissionDenied),
    ("unrelated", "t_dept", NotFound),
    ("staff2", "t_dept", NotFound),
    ("sub", "t_town", NotFound),
    ("admin", "t_dept", NotFound),
    ("other_office", "t_dept", NotFound),
    ("office", "t_other", NotFound),
])
def test_who_may_upload(world, user, task, outcome):
    actor, target = getattr(world.users, user), getattr(world, task)
    call = lambda: evidence_create(actor=actor, task=target, file=s.upload("a.pdf", s.pdf()),  # noqa: E731
                                   category=EvidenceCategory.OTHER)
    if outcome == "ok":
        assert may_upload(actor, target)
        assert call().task == target
    else:
        assert not may_upload(actor, target)
        with pytest.raises(outcome):
            call()
        assert not Evidence.objects.exists()


def test_the_system_actor_may_upload(world):
    evidence = evidence_create(actor=system_actor(), task=world.t_other, file=s.upload("a.pdf", s.pdf()),
                               category=EvidenceCategory.OTHER)
    assert evidence.organization is None


def test_inactive_users_may_not_upload(world):
    world.users.staff.is_active = False
    world.users.staff.save()
    assert not may_upload(world.users.staff, world.t_dept)
    with pytest.raises(NotFound):
        photo(world)


# --- deletion ---------------------------------------------------------------------------------------

def test_uploader_deletes_before_the_file_backs_anything(world, settings, django_capture_on_commit_callbacks):
    evidence = photo(world)
    paths = [evidence.file.name, evidence.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(actor=world.users.staff, evidence=evidence)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not any(default_storage.exists(p) for p in paths)
    event = Event.objects.filter(chain__key=f"task:{world.t_dept.pk}").latest("seq")
    assert event.verb == "evidence.deleted" and event.actor == world.users.staff
    assert event.data["sha256"] == evidence.sha256 and event.data["name"] == "整改前.jpg"
    assert list(audit_verify()) == []


def test_the_office_may_delete_a_units_file(world):
    evidence = photo(world)
    assert may_delete(world.users.office, evidence)
    evidence_delete(actor=world.users.office, evidence=evidence)
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(("user", "error"), [
    ("head", PermissionDenied),  # same unit, but not the uploader
    ("acceptor", PermissionDenied),
    ("leader", PermissionDenied),
    ("unrelated", NotFound),
    ("other_office", NotFound),
])
def test_others_may_not_delete(world, user, error):
    evidence = photo(world)
    assert not may_delete(getattr(world.users, user), evidence)
    with pytest.raises(error):
        evidence_delete(actor=getattr(world.users, user), evidence=evidence)
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert not Event.objects.filter(verb="evidence.deleted").exists()


def _application(world, evidence):
    application = AcceptanceApplication.objects.create(
        task=world.t_dept, unit=world.dept, applied_by=world.users.head, statement="已完成整改")
    application.evidence.add(evidence)
    return application


def test_delete_is_refused_once_the_file_backs_an_application(world):
    evidence = photo(world)
    _application(world, evidence)
    for actor in (world.users.staff, world.users.office):
        with pytest.raises(DomainError, match="验收销号申请") as refused:
            evidence_delete(actor=actor, evidence=evidence)
        assert type(refused.value) is DomainError
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert default_storage.exists(evidence.file.name)
    assert not Event.objects.filter(verb="evidence.deleted").exists()


def test_delete_is_refused_once_the_file_backs_a_review(world):
    evidence = photo(world, user=world.users.acceptor)
    application = _application(world, photo(world))
    review = AcceptanceReview.objects.create(application=application, reviewer=world.users.acceptor, decision="pass")
    review.photos.add(evidence)
    with pytest.raises(DomainError, match="验收意见"):
        evidence_delete(actor=world.users.acceptor, evidence=evidence)


def _report(world, evidence, *, status, drafted_by):
    report = ProgressReport.objects.create(task=world.t_dept, unit=world.dept, description="推进中",
                                           drafted_by=drafted_by, status=status)
    report.evidence.add(evidence)
    return report


@pytest.mark.parametrize("status", [ProgressReport.Status.SUBMITTED, ProgressReport.Status.APPROVED,
                                    ProgressReport.Status.RETURNED])
def test_delete_is_refused_once_the_file_backs_a_sent_report(world, status):
    evidence = photo(world)
    _report(world, evidence, status=status, drafted_by=world.users.staff)
    with pytest.raises(DomainError, match="整改进展"):
        evidence_delete(actor=world.users.staff, evidence=evidence)


def test_the_uploader_may_take_a_file_out_of_their_own_draft(world):
    evidence = photo(world)
    report = _report(world, evidence, status=ProgressReport.Status.DRAFT, drafted_by=world.users.staff)
    evidence_delete(actor=world.users.staff, evidence=evidence)
    assert not report.evidence.exists()


def test_a_draft_of_someone_else_keeps_the_file(world):
    evidence = photo(world)
    _report(world, evidence, status=ProgressReport.Status.DRAFT, drafted_by=world.users.head)
    with pytest.raises(DomainError, match="整改进展"):
        evidence_delete(actor=world.users.staff, evidence=evidence)


def test_backing_files_survive_deletes_that_bypass_the_service(world):
    evidence = photo(world)
    _application(world, evidence)
    with pytest.raises(DomainError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).delete()
    with pytest.raises(DomainError), transaction.atomic():
        evidence.delete()
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    free = photo(world, name="未使用.jpg")
    Evidence.objects.filter(pk=free.pk).delete()
    assert not Evidence.objects.filter(pk=free.pk).exists()
