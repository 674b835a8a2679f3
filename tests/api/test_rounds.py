"""Round and progress-report routes: the same services and rules as the round pages."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.core.models import Event
from zhenggai.rectification.models import DispatchRound, ProgressReport, Task
from zhenggai.rectification.rounds import round_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def rnd(world):
    today = dt.date.today()
    return round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.MONTHLY,
                      period_start=today, due_date=today + dt.timedelta(days=7))


def test_rounds_are_listed_as_for_the_pages(world, api, rnd):
    assert [r["id"] for r in api.office.get("/api/v1/rounds").json()["items"]] == [rnd.pk]
    detail = api.staff.get(f"/api/v1/rounds/{rnd.pk}").json()
    assert detail["task_count"] == 3 and detail["due_date"] == str(rnd.due_date)
    assert api.other_office.get(f"/api/v1/rounds/{rnd.pk}").status_code == 404


def test_report_draft_submit_return_and_approve(world, api, rnd):
    url = f"/api/v1/tasks/{world.t_dept.pk}/reports"
    body = {"round": rnd.pk, "stage": "advancing", "description": "完成管网排查 3 公里", "percent": 30}
    assert api.staff2.post(url, body).status_code == 404  # not an implementing unit: as in the page
    draft = api.staff.post(url, body)
    assert draft.status_code == 201, draft.content
    report_id = draft.json()["id"]
    assert draft.json()["status"] == "draft"
    # the unit head sees it; another unit's staff does not
    assert [r["id"] for r in api.head.get(url).json()["items"]] == [report_id]
    assert api.unrelated.get(f"/api/v1/reports/{report_id}/submit").status_code == 405
    assert api.unrelated.post(f"/api/v1/reports/{report_id}/submit").status_code == 404
    assert api.staff.post(f"/api/v1/reports/{report_id}/submit").json()["status"] == "submitted"
    assert api.staff.post(f"/api/v1/reports/{report_id}/approve").status_code in (403, 404)
    no_reason = api.head.post(f"/api/v1/reports/{report_id}/return", {"reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    returned = api.head.post(f"/api/v1/reports/{report_id}/return", {"reason": "请补充照片说明"})
    assert returned.json()["status"] == "returned" and returned.json()["return_reason"] == "请补充照片说明"
    again = api.staff.post(url, {"round": rnd.pk, "percent": 40, "submit": True})
    assert again.status_code == 201 and again.json()["id"] == report_id
    assert again.json()["status"] == "submitted" and again.json()["description"] == "完成管网排查 3 公里"
    approved = api.head.post(f"/api/v1/reports/{report_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert ProgressReport.objects.get(pk=report_id).approved_by == world.users.head
    assert Task.objects.get(pk=world.t_dept.pk).status == "in_progress"  # the first approved report starts it
    twice = api.head.post(f"/api/v1/reports/{report_id}/approve")
    assert twice.status_code == 409 and twice.json()["code"] == "report_refused"
    assert Event.objects.filter(verb="report.approved").count() == 1
