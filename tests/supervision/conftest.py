"""Supervision tests run in 2025 (the world's tasks are due on 2025-12-31), so that nothing is red unless a
test makes it so; tests move on with `time_machine.move_to` or pass `on=`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from zhenggai.rectification.models import DispatchRound, ProgressReport

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _in_2025(time_machine):
    time_machine.move_to(at(D(2025, 6, 2)), tick=False)


def open_round(world, *tasks, due: dt.date, title: str = "2025年6月调度", status: str = DispatchRound.Status.OPEN):
    r = DispatchRound.objects.create(
        title=title, region=world.district, period_start=due.replace(day=1), due_date=due,
        opened_by=world.users.office, status=status,
    )
    r.tasks.set(tasks)
    return r


def approved_report(world, task, unit, *, round=None, percent: int = 0, on: dt.date = D(2025, 6, 2)):
    return ProgressReport.objects.create(
        round=round, task=task, unit=unit, status=ProgressReport.Status.APPROVED, description="按计划推进",
        percent=percent, drafted_by=world.users.staff, approved_by=world.users.head, approved_at=at(on),
    )
