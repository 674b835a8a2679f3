"""Supervision routes: the office drafts, edits, issues and cancels notices, the addressed unit's head
replies, the letters download; the same services, scope and refusals as the supervision pages."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.core.models import Event
from zhenggai.rectification.models import SupervisionNotice

pytestmark = pytest.mark.django_db

Status = SupervisionNotice.Status
BODY = {"kind": "notice", "reason": "进度滞后，未按阶段目标推进。", "required_action": "加快推进并书面报告。"}


def _draft(api, world, client=None, task=None, **extra):
    task = task or world.t_dept
    return (client or api.office).post(f"/api/v1/tasks/{task.pk}/supervision-notices", {**BODY, **extra})


def test_office_drafts_edits_issues_and_the_head_replies(world, api):
    created = _draft(api, world)
    assert created.status_code == 201, created.content
    notice = created.json()
    assert notice["status"] == "draft" and notice["unit"]["id"] == world.dept.pk and notice["number"] == ""
    assert set(notice["actions"]) == {"save", "issue", "cancel"}
    row = SupervisionNotice.objects.get(pk=notice["id"])
    assert (row.trigger, row.reason, row.task_id) == ("manual", BODY["reason"], world.t_dept.pk)
    url = f"/api/v1/supervision/notices/{notice['id']}"
    # drafts are the office's: hidden from the unit and the leader, as on the page
    assert api.head.get(url).status_code == 404 and api.leader.get(url).status_code == 404
    later = str(dt.date.today() + dt.timedelta(days=20))
    patched = api.office.patch(url, {"reply_deadline": later, "kind": "letter"})
    assert patched.status_code == 200 and patched.json()["kind"] == "letter"
    assert str(SupervisionNotice.objects.get(pk=notice["id"]).reply_deadline) == later
    issued = api.office.post(f"{url}/issue")
    assert issued.status_code == 200 and issued.json()["status"] == "issued" and issued.json()["number"]
    assert api.office.post(f"{url}/issue").status_code == 409  # once only
    assert api.head.get(url).json()["actions"] == ["reply"]
    listed = api.head.get("/api/v1/supervision/notices").json()
    assert [n["id"] for n in listed["items"]] == [notice["id"]]
    assert api.head2.get("/api/v1/supervision/notices").json()["count"] == 0
    assert api.staff.post(f"{url}/reply", {"reply": "已完成"}).status_code == 403  # staff may not reply
    replied = api.head.post(f"{url}/reply", {"reply": "已完成管网排查，月底前完工。"})
    assert replied.status_code == 200 and replied.json()["status"] == "replied"
    row.refresh_from_db()
    assert (row.status, row.replied_by, row.reply) == (Status.REPLIED, world.users.head, "已完成管网排查，月底前完工。")
    verbs = list(Event.objects.filter(object_type="supervisionnotice").order_by("id").values_list("verb", flat=True))
    assert verbs == ["supervision.drafted", "supervision.updated", "supervision.issued", "supervision.replied"]
    assert api.office.get("/api/v1/supervision/notices", {"status": "replied"}).json()["count"] == 1
    assert api.office.get("/api/v1/supervision/notices", {"status": "draft"}).json()["count"] == 0


def test_drafting_is_refused_as_in_the_page(world, api):
    for user in ("head", "leader", "discipline", "acceptor"):
        assert _draft(api, world, getattr(api, user)).status_code in (403, 404), user
    assert _draft(api, world, api.other_office).status_code == 404
    assert _draft(api, world, api.unrelated).status_code == 404
    wrong_unit = _draft(api, world, unit=world.town.pk)
    assert wrong_unit.status_code == 422 and wrong_unit.json()["field"] == "unit"
    empty = _draft(api, world, reason=" ")
    assert empty.status_code == 422 and empty.json()["field"] == "reason"
    assert not SupervisionNotice.objects.exists()


def test_cancel_and_refusals_for_another_unit_and_role(world, api):
    notice_id = _draft(api, world).json()["id"]
    url = f"/api/v1/supervision/notices/{notice_id}"
    api.office.post(f"{url}/issue")
    assert api.head.post(f"{url}/cancel", {"reason": "x"}).status_code == 403
    assert api.other_office.post(f"{url}/cancel", {"reason": "x"}).status_code == 404
    assert api.head2.post(f"{url}/reply", {"reply": "x"}).status_code == 404  # not addressed to the town
    assert api.head.patch(url, {"reason": "改"}).status_code == 403
    assert SupervisionNotice.objects.get(pk=notice_id).status == Status.ISSUED
    cancelled = api.office.post(f"{url}/cancel", {"reason": "已当面督办"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    late = api.head.post(f"{url}/reply", {"reply": "迟到的回复"})  # the page offers no reply any more
    assert late.status_code == 409 and late.json()["code"] == "notice_refused"
    assert api.office.patch(url, {"reason": "改"}).status_code == 409
    assert SupervisionNotice.objects.get(pk=notice_id).status == Status.CANCELLED


def test_letters_download_in_the_same_scope(world, api):
    notice_id = _draft(api, world).json()["id"]
    api.office.post(f"/api/v1/supervision/notices/{notice_id}/issue")
    docx = api.head.get(f"/api/v1/supervision/notices/{notice_id}/letter.docx")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert docx["Content-Disposition"].startswith("attachment;") and docx["X-Content-Type-Options"] == "nosniff"
    assert api.head2.get(f"/api/v1/supervision/notices/{notice_id}/letter.docx").status_code == 404
    assert api.other_office.get(f"/api/v1/supervision/notices/{notice_id}/letter.pdf").status_code == 404


def test_warning_board_is_scoped_like_the_page(world, api):
    for task, warning in ((world.t_dept, "red"), (world.t_town, "yellow"), (world.t_sub, "green")):
        task.warning = warning
        task.save(update_fields=["warning"])
    office = api.office.get("/api/v1/supervision/board").json()
    assert (office["red"], office["yellow"]) == (1, 1)
    assert {g["unit"]["id"] for g in office["groups"]} == {world.dept.pk, world.town.pk}
    head = api.head.get("/api/v1/supervision/board").json()
    assert [g["unit"]["id"] for g in head["groups"]] == [world.dept.pk]
    assert api.office.get("/api/v1/supervision/board", {"level": "yellow"}).json()["red"] == 0
    other = api.other_office.get("/api/v1/supervision/board").json()["groups"]
    assert [t["id"] for g in other for t in g["tasks"]] == [world.t_other.pk]  # its own region only
