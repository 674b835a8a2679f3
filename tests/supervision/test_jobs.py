"""The daily job: warnings then the ladder, as the system actor, idempotent; its schedule at 08:15 in
Asia/Shanghai, created once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django_q.models import Schedule

from zhenggai.core.models import Event
from zhenggai.rectification.models import SupervisionNotice, Task
from zhenggai.rectification.supervision_jobs import (
    DAILY_WARNINGS,
    daily_warnings_and_escalation,
    next_run_at,
    register_schedules,
)

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_daily_job_turns_overdue_tasks_red_and_drafts_once(world):
    first = daily_warnings_and_escalation(on=D(2026, 1, 5))
    assert first["warnings_changed"] == 4  # the three tasks of the district and the other district's
    assert first["drafted"] == 8  # a letter and a talk proposal per red task
    assert set(Task.objects.values_list("warning", flat=True)) == {"red"}
    actors = set(Event.objects.filter(verb__in=["task.warning_changed", "supervision.drafted"])
                 .values_list("actor__username", flat=True))
    assert actors == {"system"}
    second = daily_warnings_and_escalation(on=D(2026, 1, 5))
    assert second == {"warnings_changed": 0, "drafted": 0, "escalated": 0, "accountability": 0}
    assert SupervisionNotice.objects.count() == 8


def test_schedule_is_registered_once_at_0815_shanghai(db):
    (schedule,) = register_schedules()
    assert schedule.name == DAILY_WARNINGS and schedule.schedule_type == Schedule.DAILY
    assert schedule.func == "zhenggai.rectification.supervision_jobs.daily_warnings_and_escalation"
    local = schedule.next_run.astimezone(SHANGHAI)
    assert (local.hour, local.minute) == (8, 15)
    Schedule.objects.filter(pk=schedule.pk).update(func="old.path")
    register_schedules()
    assert Schedule.objects.filter(name=DAILY_WARNINGS).count() == 1
    assert Schedule.objects.get(name=DAILY_WARNINGS).func.endswith("daily_warnings_and_escalation")


def test_next_run_is_today_before_0815_and_tomorrow_after():
    before = dt.datetime(2025, 6, 3, 8, 0, tzinfo=SHANGHAI)
    after = dt.datetime(2025, 6, 3, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
    assert next_run_at(before) == dt.datetime(2025, 6, 3, 8, 15, tzinfo=SHANGHAI)
    assert next_run_at(after) == dt.datetime(2025, 6, 4, 8, 15, tzinfo=SHANGHAI)
