"""Round actions of the round pages through the API: open (office), close and remind; the same services and
refusals as the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.core.models import Event
from zhenggai.notifications.models import Notification
from zhenggai.rectification.models import DispatchRound

pytestmark = pytest.mark.django_db


def test_office_opens_a_monthly_round_of_every_open_task(world, api):
    today = dt.date.today()
    body = {"kind": "monthly", "period_start": str(today), "due_date": str(today + dt.timedelta(days=7))}
    for user in ("head", "leader", "acceptor"):
        assert getattr(api, user).post("/api/v1/rounds", body).status_code == 403, user
    assert not DispatchRound.objects.exists()
    created = api.office.post("/api/v1/rounds", body)
    assert created.status_code == 201, created.content
    rnd = DispatchRound.objects.get(pk=created.json()["id"])
    assert rnd.region == world.district and rnd.opened_by == world.users.office
    assert set(rnd.tasks.values_list("pk", flat=True)) == {world.t_dept.pk, world.t_town.pk, world.t_sub.pk}
    assert created.json()["task_count"] == 3 and Event.objects.filter(verb="round.opened").count() == 1


def test_weekly_round_needs_tasks_of_the_region(world, api):
    weekly = {"kind": "weekly", "title": "重点任务周调度"}
    assert api.office.post("/api/v1/rounds", weekly).json()["field"] == "tasks"
    other = api.office.post("/api/v1/rounds", {**weekly, "tasks": [world.t_other.pk]})
    assert other.status_code == 422 and other.json()["field"] == "tasks"
    ok = api.office.post("/api/v1/rounds", {**weekly, "tasks": [world.t_town.pk]})
    assert ok.status_code == 201 and ok.json()["task_count"] == 1 and ok.json()["kind"] == "weekly"


def test_remind_and_close_by_the_office_of_the_region(world, api):
    today = dt.date.today()
    rnd_id = api.office.post("/api/v1/rounds", {"due_date": str(today + dt.timedelta(days=3))}).json()["id"]
    Notification.objects.all().delete()
    assert api.head.post(f"/api/v1/rounds/{rnd_id}/remind").status_code == 403
    assert api.other_office.post(f"/api/v1/rounds/{rnd_id}/remind").status_code == 404
    assert not Notification.objects.exists()
    sent = api.office.post(f"/api/v1/rounds/{rnd_id}/remind")
    assert sent.status_code == 200 and sent.json()["sent"] > 0
    assert Notification.objects.filter(kind="round_reminder").count() == sent.json()["sent"]
    assert api.office.post(f"/api/v1/rounds/{rnd_id}/remind").json()["sent"] == 0  # once a day
    assert api.leader.post(f"/api/v1/rounds/{rnd_id}/close").status_code == 403
    closed = api.office.post(f"/api/v1/rounds/{rnd_id}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert DispatchRound.objects.get(pk=rnd_id).status == DispatchRound.Status.CLOSED
    assert api.office.post(f"/api/v1/rounds/{rnd_id}/close").status_code == 422
