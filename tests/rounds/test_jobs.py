"""The schedule: monthly rounds on the first working day, reminders after the due date, django-q2 rows."""

from __future__ import annotations

import pytest
from django_q.models import Schedule

from zhenggai.core.workdays import is_working_day
from zhenggai.notifications.models import Notification
from zhenggai.rectification.models import DispatchRound
from zhenggai.rectification.round_jobs import open_monthly_rounds, register_schedules, remind_late_reporters
from zhenggai.rectification.rounds import first_working_day_of_month, round_open_monthly_if_due

from .conftest import D, approved_report

pytestmark = pytest.mark.django_db


def test_first_working_day_of_february_2025_is_after_the_spring_festival(db):
    assert [is_working_day(D(2025, 2, d)) for d in (1, 2, 3, 4, 5)] == [False, False, False, False, True]
    assert first_working_day_of_month(D(2025, 2, 5))
    assert not first_working_day_of_month(D(2025, 2, 6))
    assert not first_working_day_of_month(D(2025, 2, 4))  # a holiday
    assert first_working_day_of_month(D(2025, 3, 3))  # 1 and 2 March 2025 are a weekend


def test_monthly_round_opens_once_on_the_first_working_day(world):
    assert round_open_monthly_if_due(on=D(2025, 2, 4)) == []
    opened = round_open_monthly_if_due(on=D(2025, 2, 5))
    assert {r.region for r in opened} == {world.district, world.other_district}  # each region with an office
    district = next(r for r in opened if r.region == world.district)
    assert district.title == "2025年2月调度" and district.auto_key == "monthly-2025-02"
    assert district.due_date == D(2025, 2, 10)  # 5 working days: 5, 6, 7, 8 (a make-up Saturday) and 10 Feb
    assert district.opened_by.username == "system"
    assert set(district.tasks.all()) == {world.t_dept, world.t_town, world.t_sub}
    assert round_open_monthly_if_due(on=D(2025, 2, 5)) == []  # idempotent
    assert open_monthly_rounds(on=D(2025, 2, 5)) == 0
    assert round_open_monthly_if_due(on=D(2025, 2, 6)) == []
    assert DispatchRound.objects.count() == 2


def test_due_working_days_is_a_setting(world, settings):
    settings.ZHENGGAI_ROUND_DUE_WORKING_DAYS = 3
    assert open_monthly_rounds(on=D(2025, 3, 3)) == 2
    assert DispatchRound.objects.filter(region=world.district).get().due_date == D(2025, 3, 5)


def test_remind_late_reporters_after_the_due_date_once_per_day(world, rnd):
    approved_report(world, rnd)
    assert remind_late_reporters(on=D(2025, 3, 7)) == 0  # due today: not late yet
    assert remind_late_reporters(on=D(2025, 3, 10)) == 3
    assert remind_late_reporters(on=D(2025, 3, 10)) == 0
    assert set(Notification.objects.filter(kind="round_reminder").values_list("user__username", flat=True)) == {
        "staff2", "head2", "sub"}


def test_closed_rounds_are_not_reminded(world, rnd):
    from zhenggai.rectification.rounds import round_close

    round_close(actor=world.users.office, round=rnd)
    assert remind_late_reporters(on=D(2025, 3, 10)) == 0


def test_register_schedules_is_idempotent(db):
    register_schedules()
    register_schedules()
    rows = {s.name: s for s in Schedule.objects.all()}
    assert set(rows) == {"open-monthly-rounds", "remind-late-reporters"}
    assert rows["open-monthly-rounds"].func == "zhenggai.rectification.round_jobs.open_monthly_rounds"
    assert all(s.schedule_type == Schedule.DAILY for s in rows.values())
