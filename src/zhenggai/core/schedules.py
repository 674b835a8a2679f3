"""The worker's schedules (django-q2), registered idempotently by name when `zhenggai worker` starts.
Every job acts as the system actor and is idempotent: running one twice sends nothing twice."""

from __future__ import annotations

import datetime as dt
import importlib
import logging

from django.utils import timezone

log = logging.getLogger(__name__)

# modules that define register_schedules()
MODULES = (
    "zhenggai.rectification.supervision_jobs",  # daily warnings and escalation at 08:15
    "zhenggai.rectification.round_jobs",  # monthly round opening, late-reporter reminders
    "zhenggai.rectification.acceptance_jobs",  # notice expiry
    "zhenggai.notifications.tasks",  # daily digests
    "zhenggai.complaints.services",  # complaint reply reminders 08:20
    "zhenggai.reports.tasks",  # monthly dispatch bulletins on the 1st at 07:30
    "zhenggai.integrity.jobs",  # nightly integrity checks over everything at 02:30
    "zhenggai.api.jobs",  # idempotency answers older than 24 hours deleted at 03:10
)


def next_time(hour: int, minute: int) -> dt.datetime:
    now = timezone.localtime()
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > now else at + dt.timedelta(days=1)


def daily(name: str, func: str, *, hour: int, minute: int) -> None:
    """Create or update the daily schedule `name` running `func` at hour:minute local time."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=name,
        defaults={"func": func, "schedule_type": Schedule.DAILY, "next_run": next_time(hour, minute), "repeats": -1},
    )


def register_all() -> list[str]:
    registered = []
    for module_name in MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            log.warning("schedules: %s is not available", module_name)
            continue
        module.register_schedules()
        registered.append(module_name)
    return registered
