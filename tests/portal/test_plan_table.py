"""The plan's task table reads its facts in bulk (portal.selectors.task_rows): its 序时进度 must be the
rule of `rectification.rounds.schedule_judgement` for every kind of task, its query count must not grow
with the tasks, and the page must show the same table as the template did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhenggai.inspections.models import Plan
from zhenggai.portal import selectors
from zhenggai.portal.caching import public_data_changed
from zhenggai.rectification import rounds
from zhenggai.rectification.models import DispatchRound, Milestone, ProgressReport, Task
from zhenggai.rectification.workflow import DeadlineKind, TaskStatus

from .. import factories as f

pytestmark = pytest.mark.django_db

D = dt.date


def _report(task, unit, user, percent, *, when=None, round_=None, approved=True):
    return ProgressReport.objects.create(
        task=task, unit=unit, round=round_, drafted_by=user, percent=percent, description=f"推进{percent}%",
        status=ProgressReport.Status.APPROVED if approved else ProgressReport.Status.SUBMITTED,
        approved_by=user if approved else None, approved_at=when)


@pytest.fixture
def mixed(world):
    """Tasks of every kind the rule distinguishes: not started with and without reports, dated with
    milestones, behind, ahead, awaiting acceptance, closed, long-term with a round reported by all units,
    by some, or with no round; reports without an approval time; two units with several reports each."""
    Plan.objects.filter(pk=world.plan.pk).update(published_date=D(2025, 5, 23), approved_date=D(2025, 1, 1))
    u = world.users
    office, head = u.office, u.head
    made = {}
    specs = [
        ("idle", dict(deadline=D(2025, 12, 31)), TaskStatus.NOT_STARTED),
        ("idle_reported", dict(deadline=D(2025, 12, 31)), TaskStatus.NOT_STARTED),
        ("milestones", dict(deadline=D(2026, 6, 30)), TaskStatus.IN_PROGRESS),
        ("behind", dict(deadline=D(2025, 6, 30)), TaskStatus.IN_PROGRESS),
        ("ahead", dict(deadline=D(2026, 12, 31)), TaskStatus.IN_PROGRESS),
        ("applied", dict(deadline=D(2025, 6, 30)), TaskStatus.ACCEPTANCE_REQUESTED),
        ("closed", dict(deadline=D(2025, 6, 30)), TaskStatus.CLOSED),
        ("long_all", dict(deadline=None, deadline_kind=DeadlineKind.LONG_TERM), TaskStatus.IN_PROGRESS),
        ("long_some", dict(deadline=None, deadline_kind=DeadlineKind.LONG_TERM), TaskStatus.IN_PROGRESS),
        ("long_noround", dict(deadline=None, deadline_kind=DeadlineKind.LONG_TERM), TaskStatus.IN_PROGRESS),
        ("long_nothing", dict(deadline=None, deadline_kind=DeadlineKind.LONG_TERM), TaskStatus.IN_PROGRESS),
    ]
    for number, (name, extra, status) in enumerate(specs, start=10):
        task = f.task(actor=office, plan=world.plan, number=number, units=[world.dept, world.town],
                      acceptance_unit=world.acceptor_org, title=f"任务{name}", **extra)
        Task.objects.filter(pk=task.pk).update(status=status)
        made[name] = Task.objects.get(pk=task.pk)
    t = made
    at = timezone.make_aware(dt.datetime(2025, 4, 1, 9))
    _report(t["idle_reported"], world.dept, head, 10, when=at)
    Milestone.objects.create(task=t["milestones"], date=D(2025, 6, 30), title="过半", percent=50)
    Milestone.objects.create(task=t["milestones"], date=D(2025, 12, 31), title="基本完成", percent=80)
    _report(t["milestones"], world.dept, head, 60, when=at)
    _report(t["milestones"], world.dept, head, 20, when=at - dt.timedelta(days=30))  # older: not the latest
    _report(t["milestones"], world.town, head, 30, when=at)
    _report(t["milestones"], world.town, head, 90, when=None)  # approved without a time: never the latest
    _report(t["behind"], world.dept, head, 5, when=at)
    _report(t["ahead"], world.dept, head, 95, when=at)
    _report(t["ahead"], world.town, head, 70, when=at + dt.timedelta(hours=1))
    _report(t["ahead"], world.town, head, 99, when=at, approved=False)  # not approved: ignored
    old = rounds.round_open(actor=office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                            period_start=D(2025, 3, 3), due_date=D(2025, 3, 10),
                            tasks=[t["long_all"], t["long_some"]], title="旧一轮")
    new = rounds.round_open(actor=office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                            period_start=D(2025, 5, 5), due_date=D(2025, 5, 12),
                            tasks=[t["long_all"], t["long_some"]], title="新一轮")
    rounds.round_open(actor=office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                      period_start=D(2026, 3, 2), due_date=D(2026, 3, 9), tasks=[t["long_some"]], title="未来一轮")
    for unit in (world.dept, world.town):
        _report(t["long_all"], unit, head, 50, when=at, round_=new)
        _report(t["long_some"], unit, head, 50, when=at, round_=old)
    _report(t["long_some"], world.dept, head, 50, when=at, round_=new)
    _report(t["long_noround"], world.dept, head, 50, when=None)
    public_data_changed()
    return world, made


@pytest.mark.parametrize("on", [D(2025, 2, 1), D(2025, 5, 20), D(2025, 9, 1), D(2026, 8, 1)])
def test_the_table_judges_as_schedule_judgement(mixed, on):
    world, made = mixed
    rows = {row.task.pk: row for row in selectors.task_rows(selectors.public_plan(world.plan.pk), on=on)}
    judged = set()
    for task in Task.objects.filter(plan=world.plan):
        expected = rounds.schedule_judgement(task, on)
        assert rows[task.pk].judgement == expected, (task.title, on)
        assert selectors.task_judgement(task, on=on) == expected, (task.title, on)
        judged.add(expected)
    if on == D(2025, 9, 1):
        assert judged == {"not_started", "on_schedule", "behind", "ahead"}  # the fixture covers every outcome


def test_the_table_reads_a_fixed_number_of_queries(mixed, django_assert_num_queries):
    world, _made = mixed
    plan = selectors.public_plan(world.plan.pk)
    with CaptureQueriesContext(connection) as few:
        assert len(selectors.task_rows(plan, on=D(2025, 9, 1))) == 14
    for number in range(30, 60):
        f.task(actor=world.users.office, plan=world.plan, number=number, units=[world.dept, world.unrelated],
               acceptance_unit=world.dept, title=f"新增{number}")
    with django_assert_num_queries(len(few)):
        rows = selectors.task_rows(plan, on=D(2025, 9, 1))
    assert len(rows) == 44 and len(few) <= 6
    row = next(r for r in rows if r.task.number == 45)
    # everything the page and the API show is there without another query
    with django_assert_num_queries(0):
        assert [u.name for u in row.units] == [world.dept.name, world.unrelated.name]
        assert row.task.acceptance_unit.name == world.dept.name and row.task.lead_unit.name == world.dept.name
        assert row.task.measure_area is None or row.task.measure_area.title
        assert row.url == reverse("portal:task_detail", args=[row.task.pk])
        assert row.status_label == "未启动" and row.category_label == row.task.get_category_display()


def test_the_page_shows_the_rows_escaped(client, mixed):
    world, made = mixed
    Task.objects.filter(pk=made["idle"].pk).update(title="<script>alert(1)</script>" + "长" * 100)
    public_data_changed()
    page = client.get(reverse("portal:plan_detail", args=[world.plan.pk])).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;长长" in page
    assert "长" * 70 not in page  # truncated to 90 characters, as the template's truncatechars did
    assert 'data-label="序号">10</th>' in page and 'data-status="closed">已销号</span>' in page
    assert f'<a href="{reverse("portal:task_detail", args=[made["behind"].pk])}">任务behind</a>' in page
    assert "区住建委、双桂街道" in page  # short names, in the units' order
