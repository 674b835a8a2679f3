"""The worker's schedules (django-q2), registered idempotently by name when `zhenggai worker` starts.
Every job acts as the system actor and is idempotent: running one twice sends nothing twice.

Several workers may start at the same moment (docs/performance.md): registration runs in one transaction
holding a lock every worker takes (PostgreSQL: an advisory lock; SQLite: the write lock every transaction
takes), so no two workers create the same schedule, and duplicates by name left by older versions are
removed first — a schedule that exists twice would run twice. django-q2 itself hands a due schedule to
exactly one worker (it locks the schedule rows while it queues them).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging

from django.db import connection, transaction
from django.db.models import Count, Min
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


# any constant shared by every worker of the installation: the key of PostgreSQL's advisory lock
REGISTRATION_LOCK = 0x7A67_5343


def daily(name: str, func: str, *, hour: int, minute: int) -> None:
    """Create or update the daily schedule `name` running `func` at hour:minute local time. A pending run at
    that time of day is kept, even when it is already due: a worker restarted at 08:15:10 must not push the
    08:15 run, which no scheduler has picked up yet, to tomorrow."""
    from django_q.models import Schedule

    schedule = Schedule.objects.filter(name=name).order_by("pk").first() or Schedule(name=name)
    pending = schedule.next_run is not None and timezone.localtime(schedule.next_run).time() == dt.time(hour, minute)
    schedule.func, schedule.schedule_type, schedule.repeats = func, Schedule.DAILY, -1
    if schedule.pk is not None and pending:
        # next_run is not written back: a scheduler may have just run the job and moved it on
        schedule.save(update_fields=["func", "schedule_type", "repeats"])
        return
    schedule.next_run = next_time(hour, minute)
    schedule.save()


def _lock_registration() -> None:
    """Serialise registration between workers until the surrounding transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REGISTRATION_LOCK])
    # SQLite: every transaction begins IMMEDIATE (settings), i.e. already holds the database's write lock


def remove_duplicates() -> int:
    """Delete all but the oldest schedule of every name that exists more than once; returns how many."""
    from django_q.models import Schedule

    doubled = (Schedule.objects.exclude(name__isnull=True).exclude(name="").values("name")
               .annotate(n=Count("pk"), first=Min("pk")).filter(n__gt=1))
    removed = 0
    for row in doubled:
        removed += Schedule.objects.filter(name=row["name"]).exclude(pk=row["first"]).delete()[0]
    if removed:
        log.warning("schedules: removed %s duplicate schedule(s)", removed)
    return removed


def register_all() -> list[str]:
    """Register every module's schedules (see the module docstring); returns the modules registered."""
    registered = []
    with transaction.atomic():
        _lock_registration()
        remove_duplicates()
        for module_name in MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                log.warning("schedules: %s is not available", module_name)
                continue
            module.register_schedules()
            registered.append(module_name)
    return registered
