"""Acceptance routes: a task's acceptance details, the review as the review page takes it, objections
answered and upheld, look-backs scheduled and recorded, the closure certificate; the same services and
refusals as the acceptance pages."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.core.models import Event
from zhenggai.evidence.models import EvidenceCategory
from zhenggai.evidence.services import evidence_create
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import AcceptanceReview, LookBack, Objection, PublicNotice, Task
from zhenggai.rectification.workflow import TaskStatus

from ..evidence import samples as s

pytestmark = pytest.mark.django_db
CHECK = {k: True for k in ("measures", "solved", "mechanism", "conduct", "records")}


def applied(world):
    """t_dept started and applied for acceptance by the head, with one photo."""
    task = world.t_dept
    tr.task_start(actor=world.users.staff, task=task)
    photo = evidence_create(actor=world.users.staff, task=task, file=s.upload("后.jpg", s.jpeg()),
                            category=EvidenceCategory.AFTER_PHOTO)
    tr.task_apply_for_acceptance(actor=world.users.head, task=task, statement="完成改造", self_check=CHECK,
                                 evidence=[photo])
    return Task.objects.get(pk=task.pk)


def in_notice(world):
    task = applied(world)
    notice = tr.task_pass_acceptance(actor=world.users.acceptor, task=task)
    return Task.objects.get(pk=task.pk), notice


def closed(world):
    task, notice = in_notice(world)
    tr.task_close(actor=world.users.office, task=task, on=notice.end_date + dt.timedelta(days=1))
    return Task.objects.get(pk=task.pk)


def test_review_pass_records_criteria_and_photos_and_opens_the_notice(world, api):
    task = applied(world)
    site = evidence_create(actor=world.users.acceptor, task=task, file=s.upload("现场.jpg", s.jpeg()),
                           category=EvidenceCategory.ACCEPTANCE)
    url = f"/api/v1/tasks/{task.pk}/review"
    body = {"decision": "pass", "reasons": "现场核查通过", "check_date": "2025-06-10", "check_people": "王某",
            "criteria": {"measures": True, "solved": True}, "photos": [site.pk], "contact_phone": "023-53220000"}
    assert api.head.post(url, body).status_code == 403  # not the acceptance unit: as the page
    assert api.other_office.post(url, body).status_code == 404
    bad_mail = api.acceptor.post(url, {**body, "contact_email": "不是邮箱"})
    assert bad_mail.status_code == 422 and bad_mail.json()["field"] == "contact_email"
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACCEPTANCE_REQUESTED
    response = api.acceptor.post(url, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "in_public_notice" and data["notices"][0]["contact_phone"] == "023-53220000"
    review = AcceptanceReview.objects.get(application__task=task)
    assert review.criteria == {"measures": True, "solved": True, "mechanism": False, "conduct": False,
                               "records": False}
    assert list(review.photos.all()) == [site] and review.check_people == "王某"
    assert data["applications"][0]["review"]["photos"] == [site.pk]
    assert Event.objects.filter(verb="task.pass").count() == 1
    assert api.acceptor.post(url, body).status_code == 403  # nothing left to review


def test_review_return_needs_reasons(world, api):
    task = applied(world)
    url = f"/api/v1/tasks/{task.pk}/review"
    empty = api.acceptor.post(url, {"decision": "return", "reasons": " "})
    assert empty.status_code == 422 and empty.json()["field"] == "reasons"
    response = api.acceptor.post(url, {"decision": "return", "reasons": "照片不能说明问题已解决"})
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    assert response.json()["applications"][0]["status"] == "returned"


def test_acceptance_details_hide_objection_contacts_from_units(world, api):
    task, notice = in_notice(world)
    tr.objection_lodge(notice=notice, content="河道仍有异味", contact_name="张三", contact="13800000000")
    office = api.office.get(f"/api/v1/tasks/{task.pk}/acceptance").json()
    assert office["notices"][0]["objections"][0]["contact"] == "13800000000"
    assert office["notices"][0]["pending_objections"] == 1
    unit = api.head.get(f"/api/v1/tasks/{task.pk}/acceptance").json()
    objection = unit["notices"][0]["objections"][0]
    assert objection["content"] == "河道仍有异味" and objection["contact"] is None and objection["contact_name"] is None
    assert api.unrelated.get(f"/api/v1/tasks/{task.pk}/acceptance").status_code == 404
    listed = api.office.get("/api/v1/public-notices", {"status": "open"}).json()
    assert [n["id"] for n in listed["items"]] == [notice.pk]
    assert api.other_office.get(f"/api/v1/public-notices/{notice.pk}").status_code == 404
    assert api.leader.get(f"/api/v1/public-notices/{notice.pk}").json()["objections"][0]["contact"] is None


def test_applications_awaiting_me(world, api):
    applied(world)
    assert [a["task_id"] for a in api.acceptor.get("/api/v1/acceptance/applications",
                                                  {"awaiting_me": True}).json()["items"]] == [world.t_dept.pk]
    assert api.office.get("/api/v1/acceptance/applications", {"awaiting_me": True}).json()["count"] == 0
    assert api.office.get("/api/v1/acceptance/applications").json()["count"] == 1
    assert api.other_office.get("/api/v1/acceptance/applications").json()["count"] == 0


def test_objection_answer_and_uphold_by_the_office_only(world, api):
    task, notice = in_notice(world)
    first = tr.objection_lodge(notice=notice, content="夜间仍在排污")
    second = tr.objection_lodge(notice=notice, content="河道仍有异味")
    url = f"/api/v1/objections/{first.pk}/answer"
    assert api.head.post(url, {"answer": "已核实"}).status_code == 403
    assert api.other_office.post(url, {"answer": "已核实"}).status_code == 404
    assert api.office.post(url, {"answer": " "}).json()["field"] == "answer"
    assert Objection.objects.get(pk=first.pk).status == Objection.Status.PENDING
    answered = api.office.post(url, {"answer": "经核实，排污口已封堵。", "upheld": False})
    assert answered.status_code == 200 and answered.json()["pending_objections"] == 1
    assert api.office.post(url, {"answer": "再答"}).status_code == 409
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PUBLIC_NOTICE
    upheld = api.office.post(f"/api/v1/objections/{second.pk}/uphold", {"answer": "异味属实，退回整改。"})
    assert upheld.status_code == 200 and upheld.json()["status"] == "withdrawn"
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS
    assert PublicNotice.objects.get(pk=notice.pk).status == PublicNotice.Status.WITHDRAWN
    assert Event.objects.filter(verb="task.uphold_objection").count() == 1


def test_lookbacks_scheduled_and_recorded_by_the_office(world, api):
    open_task = world.t_town
    refused = api.office.post(f"/api/v1/tasks/{open_task.pk}/lookbacks", {"scheduled_date": "2027-03-01"})
    assert refused.status_code == 409  # only closed tasks
    task = closed(world)
    url = f"/api/v1/tasks/{task.pk}/lookbacks"
    assert api.head.post(url, {"scheduled_date": "2027-03-01"}).status_code == 403
    assert api.other_office.post(url, {"scheduled_date": "2027-03-01"}).status_code == 404
    created = api.office.post(url, {"scheduled_date": "2027-03-01"})
    assert created.status_code == 201 and created.json()["status"] == "scheduled"
    look_back_id = created.json()["id"]
    assert [lb["id"] for lb in api.leader.get("/api/v1/lookbacks").json()["items"]] == [look_back_id]
    record = f"/api/v1/lookbacks/{look_back_id}/record"
    body = {"result": "rebound", "notes": "管网再次混流", "rebound_deadline": "2027-06-30"}
    assert api.head.post(record, body).status_code == 403
    assert api.other_office.post(record, body).status_code == 404
    assert LookBack.objects.get(pk=look_back_id).status == LookBack.Status.SCHEDULED
    done = api.office.post(record, body)
    assert done.status_code == 200 and done.json()["result"] == "rebound"
    new = Task.objects.get(pk=done.json()["rebound_task_id"])
    assert new.rebound_of_id == task.pk and new.deadline == dt.date(2027, 6, 30)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CLOSED
    assert api.office.post(record, body).status_code == 409


def test_closure_certificate_only_for_closed_tasks(world, api):
    assert api.office.get(f"/api/v1/tasks/{world.t_dept.pk}/closure.pdf").status_code == 403
    task = closed(world)
    pdf = api.head.get(f"/api/v1/tasks/{task.pk}/closure.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert pdf["Content-Disposition"].startswith("attachment;") and pdf["X-Content-Type-Options"] == "nosniff"
    assert api.unrelated.get(f"/api/v1/tasks/{task.pk}/closure.pdf").status_code == 404
