"""Background jobs of 定期调度 (run by django-q2 as the system actor) and their schedules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from .models import DispatchRound
from .rounds import round_open_monthly_if_due, round_remind
from .warnings import today

SCHEDULES = (
    # (name, function, local time): daily; each function decides for itself whether today is its day.
    ("open-monthly-rounds", "zhenggai.rectification.round_jobs.open_monthly_rounds", dt.time(7, 30)),
    ("remind-late-reporters", "zhenggai.rectification.round_jobs.remind_late_reporters", dt.time(9, 0)),
)


def open_monthly_rounds(on: dt.date | None = None) -> int:
    """On the first working day of a month, open the month's round in every region with an office.
    Returns the number of rounds opened (0 on other days and when already opened)."""
    return len(round_open_monthly_if_due(on=on or today()))


def remind_late_reporters(on: dt.date | None = None) -> int:
    """After the due date of each open round, remind the units whose reports are not approved yet — at
    most once per round, unit and day. Returns the number of new messages."""
    from zhenggai.core.actors import system_actor

    on = on or today()
    actor = system_actor()
    sent = 0
    for rnd in DispatchRound.objects.filter(status=DispatchRound.Status.OPEN, due_date__lt=on).select_related("region"):
        sent += round_remind(actor=actor, round=rnd, on=on)
    return sent


def _next_run(at: dt.time, now: dt.datetime | None = None) -> dt.datetime:
    now = timezone.localtime(now or timezone.now())
    run = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return run if run > now else run + dt.timedelta(days=1)


def register_schedules() -> list[Any]:
    """Create (or correct) the daily django-q2 schedules, by name; running it again changes nothing
    except a schedule's function or type that was edited by hand. Returns the schedules."""
    from django_q.models import Schedule

    schedules = []
    for name, func, at in SCHEDULES:
        schedule, created = Schedule.objects.get_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.DAILY, "repeats": -1, "next_run": _next_run(at)},
        )
        if not created and (schedule.func != func or schedule.schedule_type != Schedule.DAILY):
            schedule.func, schedule.schedule_type, schedule.repeats = func, Schedule.DAILY, -1
            schedule.save(update_fields=["func", "schedule_type", "repeats"])
        schedules.append(schedule)
    return schedules
