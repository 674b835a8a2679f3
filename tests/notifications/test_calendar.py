"""The private iCalendar feed, parsed with the `icalendar` package as a calendar program would."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from zhenggai.complaints.models import HandoverBatch
from zhenggai.complaints.services import complaint_create
from zhenggai.core.models import Event
from zhenggai.notifications.calendar import calendar_feed_for, ical_fold
from zhenggai.rectification.models import AcceptanceApplication, Milestone, PublicNotice, Task
from zhenggai.rectification.rounds import round_open
from zhenggai.rectification.supervision import notice_draft, notice_issue
from zhenggai.rectification.workflow import TaskStatus

LONG_TITLE = "城区污水管网雨污混流，汛期溢流严重；" * 6


@pytest.fixture
def dates(world, settings) -> SimpleNamespace:
    settings.ZHENGGAI_SITE_URL = "https://zg.example.cn"
    today = timezone.localdate()
    u = world.users
    Task.objects.filter(pk=world.t_dept.pk).update(deadline=today + dt.timedelta(days=40), title=LONG_TITLE)
    Task.objects.filter(pk=world.t_town.pk).update(deadline=today + dt.timedelta(days=50))
    milestone = Milestone.objects.create(task=world.t_dept, date=today + dt.timedelta(days=10), title="完成管网排查",
                                         percent=30)
    old_milestone = Milestone.objects.create(task=world.t_dept, date=today - dt.timedelta(days=200), title="很早的",
                                             percent=5)
    rnd = round_open(actor=u.office, region=world.district, kind="monthly", period_start=today,
                     due_date=today + dt.timedelta(days=5), title="12月调度")
    draft = notice_draft(actor=u.office, task=world.t_dept, unit=world.dept, kind="notice", reason="进度滞后",
                         required_action="加快进度", reply_deadline=today + dt.timedelta(days=7))
    supervision = notice_issue(actor=u.office, notice=draft)
    other_unit = notice_issue(actor=u.office, notice=notice_draft(
        actor=u.office, task=world.t_town, unit=world.town, kind="notice", reason="滞后", required_action="加快",
        reply_deadline=today + dt.timedelta(days=8)))
    Task.objects.filter(pk=world.t_sub.pk).update(status=TaskStatus.IN_PUBLIC_NOTICE)
    application = AcceptanceApplication.objects.create(task=world.t_sub, unit=world.town_sub, applied_by=u.sub,
                                                       statement="已完成", self_check={})
    notice = PublicNotice.objects.create(task=world.t_sub, application=application, start_date=today,
                                         end_date=today + dt.timedelta(days=14), summary="概述", result="整改情况")
    batch = HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=today, reply_days=10)
    complaint = complaint_create(actor=u.office, batch=batch, data={
        "acceptance_number": "D8CQ202412010001", "summary": "某餐馆油烟扰民，联系人王小明 13812345678",
        "region": world.district, "lead_unit": world.dept,
        "complainant": {"name": "王小明", "contact": "13812345678"},
    })
    return SimpleNamespace(today=today, milestone=milestone, old_milestone=old_milestone, round=rnd,
                           supervision=supervision, other_unit=other_unit, notice=notice, complaint=complaint)


def fetch(client: Any, user: Any) -> tuple[Any, icalendar.Calendar, dict[str, Any]]:
    feed = calendar_feed_for(user=user)
    response = client.get(reverse("calendar_feed", args=[feed.token]))
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    return response, calendar, events


def uid(kind: str, pk: int) -> str:
    return f"zhenggai-{kind}-{pk}@zg.example.cn"


def test_feed_is_valid_icalendar_with_the_units_dates(client, world, dates):
    response, calendar, events = fetch(client, world.users.staff)  # no session: the token is the credential

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert any(line.startswith(b" ") for line in raw.split(b"\r\n"))  # the long title was folded
    assert calendar["VERSION"] == "2.0" and str(calendar["PRODID"]).startswith("-//zhenggai//")

    assert set(events) == {
        uid("task-deadline", world.t_dept.pk), uid("milestone", dates.milestone.pk), uid("round-due", dates.round.pk),
        uid("task-deadline", world.t_town.pk),  # the unit accepts that task, so it is party to it
        uid("supervision-reply", dates.supervision.pk), uid("complaint-reply", dates.complaint.pk),
    }
    deadline = events[uid("task-deadline", world.t_dept.pk)]
    assert deadline["DTSTART"].dt == dates.today + dt.timedelta(days=40)
    assert type(deadline["DTSTART"].dt) is dt.date and deadline["DTSTART"].params["VALUE"] == "DATE"
    assert deadline["DTEND"].dt == dates.today + dt.timedelta(days=41)
    assert str(deadline["SUMMARY"]) == f"整改时限：1. {LONG_TITLE[:40]}…"
    assert LONG_TITLE in str(deadline["DESCRIPTION"])
    assert str(deadline["URL"]) == f"https://zg.example.cn/tasks/{world.t_dept.pk}/"
    assert isinstance(deadline["DTSTAMP"].dt, dt.datetime) and deadline["DTSTAMP"].dt.tzinfo is not None
    assert str(events[uid("milestone", dates.milestone.pk)]["SUMMARY"]) == "阶段目标：完成管网排查（任务 1）"
    assert events[uid("round-due", dates.round.pk)]["DTSTART"].dt == dates.today + dt.timedelta(days=5)
    assert events[uid("supervision-reply", dates.supervision.pk)]["DTSTART"].dt == dates.today + dt.timedelta(days=7)
    complaint = events[uid("complaint-reply", dates.complaint.pk)]
    assert str(complaint["SUMMARY"]) == "信访件反馈期限：D8CQ202412010001"
    assert "王小明" not in raw.decode() and "13812345678" not in raw.decode()


def test_another_units_task_and_notice_are_absent(client, world, dates):
    _response, _calendar, events = fetch(client, world.users.staff)
    absent = {uid("task-deadline", world.t_sub.pk), uid("task-deadline", world.t_other.pk),
              uid("supervision-reply", dates.other_unit.pk), uid("milestone", dates.old_milestone.pk),
              uid("notice-end", dates.notice.pk)}
    assert not absent & set(events)

    _response, _calendar, town = fetch(client, world.users.staff2)
    assert uid("task-deadline", world.t_town.pk) in town and uid("task-deadline", world.t_dept.pk) not in town
    assert uid("supervision-reply", dates.other_unit.pk) in town
    assert uid("complaint-reply", dates.complaint.pk) not in town


def test_each_role_gets_its_own_dates(client, world, dates):
    _r, _c, office = fetch(client, world.users.office)
    assert {uid("notice-end", dates.notice.pk), uid("round-due", dates.round.pk),
            uid("supervision-reply", dates.supervision.pk), uid("supervision-reply", dates.other_unit.pk),
            uid("complaint-reply", dates.complaint.pk), uid("task-deadline", world.t_town.pk)} <= set(office)
    assert uid("task-deadline", world.t_other.pk) not in office
    _r, _c, acceptor = fetch(client, world.users.acceptor)
    assert uid("task-deadline", world.t_dept.pk) in acceptor
    assert not [k for k in acceptor if "milestone" in k or "round-due" in k]
    _r, _c, leader = fetch(client, world.users.leader)
    assert uid("notice-end", dates.notice.pk) in leader and not [k for k in leader if "supervision" in k]
    _r, calendar, admin = fetch(client, world.users.admin)
    assert admin == {} and calendar["VERSION"] == "2.0"


def test_uids_and_body_are_stable_across_requests(client, world, dates):
    first, _c, events1 = fetch(client, world.users.office)
    second, _c, events2 = fetch(client, world.users.office)
    assert list(events1) == list(events2) and len(events1) >= 6
    assert first.content == second.content and first["ETag"] == second["ETag"]
    token = calendar_feed_for(user=world.users.office).token
    again = client.get(reverse("calendar_feed", args=[token]), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    Milestone.objects.filter(pk=dates.milestone.pk).update(title="完成管网排查（调整）")
    _r, _c, events3 = fetch(client, world.users.office)
    assert set(events3) == set(events1)
    assert "调整" in str(events3[uid("milestone", dates.milestone.pk)]["SUMMARY"])


def test_reset_invalidates_the_old_url(client, world, dates):
    user = world.users.staff
    old = calendar_feed_for(user=user).token
    client.force_login(user)
    page = client.get(reverse("calendar_settings"))
    assert f"https://zg.example.cn/calendar/{old}.ics" in page.content.decode()
    assert page["Cache-Control"] == "no-store"

    response = client.post(reverse("calendar_reset"))
    assert response.status_code == 302
    client.logout()
    new = calendar_feed_for(user=user).token
    assert new != old and len(new) >= 40
    assert client.get(reverse("calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[new])).status_code == 200
    assert client.get(reverse("calendar_feed", args=["unknown-token"])).status_code == 404
    event = Event.objects.get(verb="calendar_feed.reset")
    assert event.actor_id == user.pk and old not in str(event.data) and new not in str(event.data)

    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(reverse("calendar_feed", args=[new])).status_code == 404


def test_settings_page_needs_a_login(client, world):
    assert client.get(reverse("calendar_settings")).status_code == 302
    assert client.post(reverse("calendar_reset")).status_code == 302


def test_folding_never_splits_a_character():
    line = "SUMMARY:" + "整改" * 60
    folded = ical_fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert ical_fold("SHORT:ok") == "SHORT:ok"


def test_feed_takes_a_fixed_number_of_queries(client, world, dates, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    url = reverse("calendar_feed", args=[calendar_feed_for(user=world.users.office).token])
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for number in range(4, 9):  # more tasks with milestones
        task = f.task(actor=world.users.office, plan=world.plan, number=number, units=[world.dept],
                      deadline=dates.today + dt.timedelta(days=number))
        Milestone.objects.create(task=task, date=dates.today + dt.timedelta(days=number), title="节点", percent=10)
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(url)
    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) >= 16
