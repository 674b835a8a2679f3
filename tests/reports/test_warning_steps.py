"""The warning steps (the warning trend's projection of the event log) stay equal to what the event log
says under every write that records a level: task creation (one and in bulk), rebound creation, warning
changes; and `warning_steps_rebuild` recomputes the same table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from zhenggai.core.events import event_record
from zhenggai.core.models import Event
from zhenggai.rectification.bulk import task_bulk_create
from zhenggai.rectification.lookbacks import lookback_record, lookback_schedule
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import MeasureData, TaskData
from zhenggai.rectification.warnings import task_warning_refresh
from zhenggai.rectification.workflow import TaskStatus
from zhenggai.reports import dashboards as d
from zhenggai.reports.dashboards_warning_steps import (
    WarningStep,
    warning_steps_from_events,
    warning_steps_kept,
    warning_steps_rebuild,
)

pytestmark = pytest.mark.django_db


def steps_of(task: Task) -> list[tuple[dt.date, str, str]]:
    return list(WarningStep.objects.filter(task=task).order_by("event_id").values_list("day", "before", "after"))


def assert_kept_equals_log(*, undated: int = 0) -> None:
    kept = warning_steps_kept()
    assert kept == warning_steps_from_events()
    assert len(kept) + undated == Event.objects.filter(object_type="task", verb__in=(
        "task.created", "task.rebound_created", "task.warning_changed")).count()


def test_world_tasks_have_their_creation_step(world):
    created = steps_of(world.t_dept)
    assert len(created) == 1 and created[0][1] == "" and created[0][2] == world.t_dept.warning
    assert created[0][0] == timezone.localdate()
    assert_kept_equals_log()


def test_warning_changes_add_steps(world):
    office, task = world.users.office, world.t_sub
    assert task_warning_refresh(task, on=dt.date(2025, 6, 2), actor=office)  # long before the deadline: green
    assert task_warning_refresh(task, on=dt.date(2026, 3, 1), actor=office)  # overdue: red
    steps = steps_of(task)
    assert [s[1:] for s in steps[1:]] == [(steps[0][2], "green"), ("green", "red")]
    assert [s[0] for s in steps[1:]] == [dt.date(2025, 6, 2), dt.date(2026, 3, 1)]
    assert not task_warning_refresh(task, on=dt.date(2026, 3, 2), actor=office)  # no change, no step
    assert len(steps_of(task)) == 3
    assert_kept_equals_log()


def test_bulk_creation_and_rebound_add_steps(world):
    office = world.users.office
    items = [TaskData(number=n, title=f"批量任务{n}", implementing_units=[world.dept], lead_unit=world.dept,
                      deadline=dt.date(2025, 12, 31), deadline_text="2025年12月31日",
                      measures=[MeasureData(number=1, text="排查", units=[world.dept])]) for n in (21, 22)]
    made = task_bulk_create(actor=office, plan=world.plan, items=items)
    assert all(len(steps_of(t)) == 1 for t in made)
    Task.objects.filter(pk=world.t_dept.pk).update(status=TaskStatus.CLOSED)
    closed = Task.objects.get(pk=world.t_dept.pk)
    look_back = lookback_schedule(actor=office, task=closed, scheduled_date=dt.date(2026, 3, 1))
    look_back = lookback_record(actor=office, look_back=look_back, result="rebound", notes="反弹",
                                rebound_deadline=dt.date(2026, 12, 31))
    assert look_back.rebound_task is not None
    assert len(steps_of(look_back.rebound_task)) == 1
    assert_kept_equals_log()


def test_other_events_add_no_step(world):
    before = WarningStep.objects.count()
    event_record(actor=world.users.office, verb="task.updated", obj=world.t_dept, data={"changes": {}})
    # a warning change without a readable date is not counted by the chart, so it has no step either
    event_record(actor=world.users.office, verb="task.warning_changed", obj=world.t_dept,
                 data={"changes": {"warning": ["green", "red"]}})
    assert WarningStep.objects.count() == before
    assert_kept_equals_log(undated=1)


def test_rebuild_recomputes_the_table(world):
    office = world.users.office
    task_warning_refresh(world.t_sub, on=dt.date(2025, 6, 2), actor=office)
    kept = warning_steps_kept()
    WarningStep.objects.filter(task=world.t_sub).delete()  # as after events loaded without post_save
    WarningStep.objects.filter(task=world.t_dept).update(after="yellow")
    assert warning_steps_kept() != kept
    assert warning_steps_rebuild() == len(kept)
    assert warning_steps_kept() == kept == warning_steps_from_events()


def test_trend_follows_the_steps_and_a_task_moved_out_of_scope(world):
    office = world.users.office
    task_warning_refresh(world.t_sub, on=dt.date(2025, 6, 2), actor=office)
    chart = d.warnings_over_time(office, d.DashboardFilters(), on=timezone.localdate(), weeks=4)
    red_now = chart.series[2].data[-1].value
    assert red_now == Task.objects.filter(region__path__startswith=world.district.path, warning="red").count()
    # the other district's office never sees this district's steps
    other = d.warnings_over_time(world.users.other_office, d.DashboardFilters(), on=timezone.localdate(), weeks=4)
    assert other.series[2].data[-1].value == Task.objects.filter(
        region__path__startswith=world.other_district.path, warning="red").count()


def test_trend_costs_one_query_whatever_the_tasks(world, django_assert_num_queries):
    on = timezone.localdate()
    with django_assert_num_queries(1):
        d.warnings_over_time(world.users.office, d.DashboardFilters(), on=on, weeks=8)
    for n in range(30, 40):
        t = f.task(actor=world.users.office, plan=world.plan, number=n, units=[world.town])
        task_warning_refresh(t, on=dt.date(2025, 6, 2), actor=world.users.office)
    with django_assert_num_queries(1):
        d.warnings_over_time(world.users.office, d.DashboardFilters(), on=on, weeks=8)
