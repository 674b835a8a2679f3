"""Background jobs of 督办推进 (django-q2): the daily warnings and escalation run, and its schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

JOB_TIME_ZONE = ZoneInfo("Asia/Shanghai")
DAILY_WARNINGS = "daily-warnings"
DAILY_AT = dt.time(8, 15)
FUNC = "zhenggai.rectification.supervision_jobs.daily_warnings_and_escalation"


def daily_warnings_and_escalation(on: dt.date | None = None) -> dict[str, int]:
    """Recompute every task's warning, then run the escalation ladder, as the system actor. Running it
    twice on the same day changes nothing the second time."""
    from zhenggai.core.actors import system_actor

    from .supervision import escalation_run
    from .warnings import today, warnings_refresh_all

    on = on or today()
    actor = system_actor()
    changed = warnings_refresh_all(on=on, actor=actor)
    result = escalation_run(on=on, actor=actor)
    return {"warnings_changed": changed, **result.as_dict()}


def next_run_at(now: dt.datetime | None = None, at: dt.time = DAILY_AT) -> dt.datetime:
    """The next `at` o'clock in Asia/Shanghai after `now`."""
    local = (now or timezone.now()).astimezone(JOB_TIME_ZONE)
    candidate = dt.datetime.combine(local.date(), at, tzinfo=JOB_TIME_ZONE)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def register_schedules() -> list[Any]:
    """Create (or repair) the schedules of this module, by name; the next run time of an existing
    schedule is kept. Safe to call at every start of the worker."""
    from django_q.models import Schedule

    wanted = {
        DAILY_WARNINGS: {"func": FUNC, "schedule_type": Schedule.DAILY, "repeats": -1},
    }
    schedules = []
    with transaction.atomic():
        for name, values in wanted.items():
            schedule = Schedule.objects.select_for_update().filter(name=name).first()
            if schedule is None:
                schedule = Schedule.objects.create(name=name, next_run=next_run_at(), **values)
            else:
                stale = {k: v for k, v in values.items() if getattr(schedule, k) != v}
                if stale:
                    for key, value in stale.items():
                        setattr(schedule, key, value)
                    schedule.save(update_fields=list(stale))
            schedules.append(schedule)
    return schedules
