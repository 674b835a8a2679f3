"""序时进度: expected progress from milestones and deadline, compared with the latest approved percent."""

from __future__ import annotations

import pytest

from tests import factories as f
from zhenggai.rectification.models import DispatchRound, Task
from zhenggai.rectification.rounds import (
    expected_percent,
    report_approve,
    report_save_draft,
    report_submit,
    round_open,
    schedule_judgement,
    task_latest_percent,
)
from zhenggai.rectification.workflow import DeadlineKind, ScheduleJudgement, TaskStatus

from .conftest import D, approved_report, report_data

pytestmark = pytest.mark.django_db

# The plan's inspection was fed back on 2025-03-03 (the start of the curve); tasks are due 2025-12-31.
MILESTONES = [(D(2025, 6, 30), "完成排查", 40), (D(2025, 9, 30), "完成改造", 70)]


@pytest.fixture
def staged(world):
    task = f.task(actor=world.users.office, plan=world.plan, number=10, units=[world.dept], milestones=MILESTONES)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)
    task.refresh_from_db()
    return task


def test_expected_percent_follows_milestones_then_the_deadline(staged):
    assert expected_percent(staged, D(2025, 3, 3)) == 0
    assert expected_percent(staged, D(2025, 6, 30)) == 40
    assert expected_percent(staged, D(2025, 8, 15)) == pytest.approx(40 + 30 * 46 / 92)
    assert expected_percent(staged, D(2025, 9, 30)) == 70
    assert expected_percent(staged, D(2025, 11, 15)) == pytest.approx(70 + 30 * 46 / 92)
    assert expected_percent(staged, D(2026, 1, 5)) == 100


def test_expected_percent_without_milestones_is_linear_to_the_deadline(world):
    # 2025-03-03 → 2025-12-31 is 303 days; 2025-08-01 is day 151
    assert expected_percent(world.t_dept, D(2025, 8, 1)) == pytest.approx(100 * 151 / 303)


@pytest.mark.parametrize(("percent", "judgement"), [
    (25, ScheduleJudgement.BEHIND),  # expected 40: more than 10 points below
    (30, ScheduleJudgement.ON_SCHEDULE),
    (50, ScheduleJudgement.ON_SCHEDULE),
    (55, ScheduleJudgement.AHEAD),
])
def test_judgement_with_milestones(staged, percent, judgement):
    assert schedule_judgement(staged, D(2025, 6, 30), latest_percent=percent) == judgement


@pytest.mark.parametrize(("percent", "judgement"), [
    (30, ScheduleJudgement.BEHIND), (50, ScheduleJudgement.ON_SCHEDULE), (70, ScheduleJudgement.AHEAD)])
def test_judgement_without_milestones(world, percent, judgement):
    Task.objects.filter(pk=world.t_dept.pk).update(status=TaskStatus.IN_PROGRESS)
    world.t_dept.refresh_from_db()
    assert schedule_judgement(world.t_dept, D(2025, 8, 1), latest_percent=percent) == judgement


def test_past_the_deadline_only_nearly_done_is_on_schedule(world):
    Task.objects.filter(pk=world.t_dept.pk).update(status=TaskStatus.IN_PROGRESS)
    world.t_dept.refresh_from_db()
    assert schedule_judgement(world.t_dept, D(2026, 1, 10), latest_percent=95) == ScheduleJudgement.ON_SCHEDULE
    assert schedule_judgement(world.t_dept, D(2026, 1, 10), latest_percent=80) == ScheduleJudgement.BEHIND


def test_not_started_without_reports(world):
    assert schedule_judgement(world.t_dept, D(2025, 8, 1)) == ScheduleJudgement.NOT_STARTED


def test_a_task_awaiting_acceptance_counts_as_done(world):
    Task.objects.filter(pk=world.t_dept.pk).update(status=TaskStatus.ACCEPTANCE_REQUESTED)
    world.t_dept.refresh_from_db()
    assert schedule_judgement(world.t_dept, D(2025, 8, 1)) == ScheduleJudgement.AHEAD


def test_judgement_from_approved_reports(world, rnd):
    task = world.t_dept
    approved_report(world, rnd, percent=5)
    task.refresh_from_db()
    assert task_latest_percent(task) == 5
    # on 2025-03-04 the curve expects 0.3 %: five points are within the tolerance
    assert schedule_judgement(task, D(2025, 3, 4)) == ScheduleJudgement.ON_SCHEDULE
    assert schedule_judgement(task, D(2025, 6, 1)) == ScheduleJudgement.BEHIND


def test_latest_percent_is_the_mean_of_each_units_latest(world, rnd):
    task = f.task(actor=world.users.office, plan=world.plan, number=11, units=[world.dept, world.town])
    rnd.tasks.add(task)
    approved_report(world, rnd, task=task, percent=20)
    approved_report(world, rnd, task=task, staff=world.users.staff2, head=world.users.head2, percent=60)
    assert task_latest_percent(task) == 40


def long_term_task(world):
    task = f.task(actor=world.users.office, plan=world.plan, number=12, units=[world.dept], deadline=None,
                  deadline_kind=DeadlineKind.LONG_TERM, due_year=2025)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)
    task.refresh_from_db()
    return task


def test_long_term_task_is_on_schedule_when_it_reported_in_the_last_round(world, travel):
    task = long_term_task(world)
    assert expected_percent(task, D(2025, 3, 4)) is None
    march = round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                       period_start=D(2025, 3, 3), due_date=D(2025, 3, 7), tasks=[task])
    assert schedule_judgement(task, D(2025, 3, 4)) == ScheduleJudgement.BEHIND
    report = report_save_draft(actor=world.users.staff, round=march, task=task, data=report_data(percent=0))
    report_submit(actor=world.users.staff, report=report)
    report_approve(actor=world.users.head, report=report)
    assert schedule_judgement(task, D(2025, 3, 4)) == ScheduleJudgement.ON_SCHEDULE
    round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
               period_start=D(2025, 3, 10), due_date=D(2025, 3, 14), tasks=[task])
    assert schedule_judgement(task, D(2025, 3, 11)) == ScheduleJudgement.BEHIND  # nothing in the new round yet
