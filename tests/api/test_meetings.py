"""Meeting routes (研究部署): recorded by the office for an inspection of its region, read in scope."""

from __future__ import annotations

import pytest

from zhenggai.core.models import Event
from zhenggai.inspections.models import Meeting

pytestmark = pytest.mark.django_db

BODY = {"date": "2025-03-10", "title": "区委常委会第12次会议", "body": "区委常委会", "decisions": "研究部署整改方案"}


def test_office_records_a_meeting_with_tasks(world, api):
    url = f"/api/v1/inspections/{world.inspection.pk}/meetings"
    created = api.office.post(url, {**BODY, "tasks": [world.t_dept.pk, world.t_sub.pk]})
    assert created.status_code == 201, created.content
    meeting = Meeting.objects.get(pk=created.json()["id"])
    assert (meeting.title, meeting.body, str(meeting.date)) == (BODY["title"], BODY["body"], BODY["date"])
    assert set(meeting.tasks.values_list("pk", flat=True)) == {world.t_dept.pk, world.t_sub.pk}
    assert Event.objects.filter(verb__startswith="meeting").count() == 1
    # reads in scope: the unit sees the meeting of a task it takes part in, and only its own tasks in it
    staff = api.staff.get(f"/api/v1/meetings/{meeting.pk}").json()
    assert staff["tasks"] == [world.t_dept.pk]
    assert api.office.get("/api/v1/meetings", {"inspection": world.inspection.pk}).json()["count"] == 1
    assert api.other_office.get(f"/api/v1/meetings/{meeting.pk}").status_code == 404
    assert api.other_office.get("/api/v1/meetings").json()["count"] == 0


def test_meetings_are_refused_as_in_the_page(world, api):
    url = f"/api/v1/inspections/{world.inspection.pk}/meetings"
    for user in ("head", "leader", "discipline", "admin"):
        assert getattr(api, user).post(url, BODY).status_code in (403, 404), user
    assert api.other_office.post(url, BODY).status_code == 404
    other_task = api.office.post(url, {**BODY, "tasks": [world.t_other.pk]})
    assert other_task.status_code == 422 and other_task.json()["field"] == "tasks"
    blank = api.office.post(url, {**BODY, "title": "  "})
    assert blank.status_code == 422 and blank.json()["field"] == "title"
    assert not Meeting.objects.exists()
