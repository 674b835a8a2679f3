"""Warning levels (DOMAIN §6): red after the deadline, yellow within 10 Chinese working days, for a missed
milestone and for a missing report after an open round's due date; reasons in Chinese; the daily refresh
costs a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from zhenggai.core.models import Event
from zhenggai.rectification.models import DispatchRound, Task
from zhenggai.rectification.warnings import (
    GREEN,
    RED,
    YELLOW,
    task_warning_refresh,
    warning_for,
    warning_reasons,
    warnings_refresh_all,
)
from zhenggai.rectification.workflow import TaskStatus

from .conftest import approved_report, open_round

D = dt.date


def test_yellow_counts_chinese_working_days_over_national_day(world):
    task = f.task(actor=world.users.office, plan=world.plan, number=10, units=[world.dept], deadline=D(2025, 10, 15))
    # From 2025-09-26, ten working days end on 2025-10-15: 9-28 and 10-11 are make-up days, 10-1…10-8 off.
    assert warning_for(task, D(2025, 9, 26)) == YELLOW
    # A Monday–Friday count would end on 10-09 and say green; a day earlier the ten days end on 10-14.
    assert warning_for(task, D(2025, 9, 25)) == GREEN
    assert warning_for(task, D(2025, 10, 15)) == YELLOW  # the deadline day itself is not yet overdue
    assert warning_reasons(task, D(2025, 9, 26)) == ["距整改时限（2025年10月15日）不足 10 个工作日"]


def test_red_after_the_deadline_until_accepted(world):
    task = world.t_dept
    assert warning_for(task, D(2025, 12, 31)) == YELLOW
    assert warning_for(task, D(2026, 1, 1)) == RED
    assert warning_reasons(task, D(2026, 1, 1)) == ["已超过整改时限（2025年12月31日），尚未通过验收"]
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PUBLIC_NOTICE)
    task.refresh_from_db()
    assert warning_for(task, D(2026, 1, 1)) == GREEN
    assert warning_reasons(task, D(2026, 1, 1)) == []


def test_missed_milestone_is_yellow_until_a_report_reaches_it(world):
    task = f.task(actor=world.users.office, plan=world.plan, number=11, units=[world.dept],
                  milestones=[(D(2025, 6, 30), "完成管网排查", 30)])
    assert warning_for(task, D(2025, 6, 30)) == GREEN  # due that day, not yet missed
    assert warning_for(task, D(2025, 7, 1)) == YELLOW
    assert warning_reasons(task, D(2025, 7, 1)) == [
        "阶段目标“完成管网排查”（2025年6月30日 应完成 30%）未达到，最新报送进度为 0%"
    ]
    approved_report(world, task, world.dept, percent=20, on=D(2025, 6, 20))
    assert warning_for(task, D(2025, 7, 1)) == YELLOW
    approved_report(world, task, world.dept, percent=35, on=D(2025, 7, 2))
    assert warning_for(task, D(2025, 7, 3)) == GREEN  # the latest approved report reaches the milestone


def test_missing_report_after_the_round_due_date_is_yellow(world):
    task = world.t_town
    r = open_round(world, task, world.t_dept, due=D(2025, 6, 10))
    assert warning_for(task, D(2025, 6, 10)) == GREEN  # still due today
    assert warning_for(task, D(2025, 6, 11)) == YELLOW
    assert warning_reasons(task, D(2025, 6, 11)) == ["调度“2025年6月调度”已于 2025年6月10日 截止，双桂街道 尚未报送整改进展"]
    approved_report(world, task, world.town, round=r, percent=40)
    assert warning_for(task, D(2025, 6, 11)) == GREEN
    r.status = DispatchRound.Status.CLOSED
    r.save()
    assert warning_for(world.t_dept, D(2025, 6, 11)) == GREEN  # only open rounds count


def test_a_report_by_one_unit_does_not_cover_another(world):
    task = f.task(actor=world.users.office, plan=world.plan, number=12, units=[world.dept, world.town])
    r = open_round(world, task, due=D(2025, 6, 10))
    approved_report(world, task, world.dept, round=r)
    assert warning_for(task, D(2025, 6, 11)) == YELLOW
    assert "双桂街道" in warning_reasons(task, D(2025, 6, 11))[0]


def test_refresh_counts_entries_and_writes_events(world):
    task = world.t_dept
    assert task_warning_refresh(task, on=D(2025, 12, 20)) is True
    assert task_warning_refresh(task, on=D(2025, 12, 21)) is False  # unchanged: nothing written
    task_warning_refresh(task, on=D(2026, 1, 2))
    task.refresh_from_db()
    assert (task.warning, task.yellow_count, task.red_count, task.warning_since) == (RED, 1, 1, D(2026, 1, 2))
    events = Event.objects.filter(object_type="task", object_id=str(task.pk), verb="task.warning_changed")
    assert [e.data["changes"]["warning"] for e in events.order_by("seq")] == [[GREEN, YELLOW], [YELLOW, RED]]


def _many_tasks(world, n: int, start: int) -> list[Task]:
    tasks = []
    for i in range(n):
        milestones = [(D(2025, 6, 30), "阶段目标", 50)] if i % 3 == 0 else []
        tasks.append(f.task(actor=world.users.office, plan=world.plan, number=start + i,
                            units=[world.dept, world.town] if i % 2 else [world.dept], milestones=milestones,
                            deadline=D(2025, 7, 10) if i % 5 == 0 else D(2025, 12, 31)))
    open_round(world, *tasks[::2], due=D(2025, 6, 20))
    for task in tasks[::4]:
        approved_report(world, task, world.dept, percent=60)
    return tasks


@pytest.mark.parametrize("n", [5, 30])
def test_daily_refresh_costs_a_fixed_number_of_queries(world, n):
    tasks = _many_tasks(world, n, start=100)
    on = D(2025, 7, 1)
    changed = warnings_refresh_all(on=on)
    assert changed > 0
    stored = dict(Task.objects.values_list("pk", "warning"))
    assert all(stored[t.pk] == warning_for(t, on) for t in Task.objects.all())
    assert {stored[t.pk] for t in tasks} == {GREEN, YELLOW}
    with CaptureQueriesContext(connection) as unchanged:
        assert warnings_refresh_all(on=on) == 0
    assert len(unchanged) <= 8  # ids, one batch of tasks, milestones, reports, rounds, units, round reports
    # a change costs its own update and event (with the read-back of the task's recorded state for
    # verify-audit), its warning step and the portal's data version bump, but no extra reads per task
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(warning=RED)
    with CaptureQueriesContext(connection) as changing:
        warnings_refresh_all(on=on)
    per_task = (len(changing) - len(unchanged)) / n
    assert per_task <= 10
