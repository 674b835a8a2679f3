"""Warning levels (DOMAIN §6), computed from the deadline in Chinese working days.

- red 红灯: past the deadline and not yet accepted (not in public notice or closed);
- yellow 黄牌: the deadline falls within N working days (setting ZHENGGAI_WARNING_YELLOW_DAYS, default 10);
- green 正常: otherwise (and always for closed, accepted or undated long-term tasks).
Missed milestones and missing reports also turn a task yellow once dispatch rounds exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenggai.core.workdays import add_working_days

from .models import Task
from .workflow import TaskStatus

T = TypeVar("T", bound=Task)

RED, YELLOW, GREEN = "red", "yellow", "green"
LABELS = {RED: _("红灯"), YELLOW: _("黄牌"), GREEN: _("正常")}
RANK = {RED: 0, YELLOW: 1, GREEN: 2}
ACCEPTED = (TaskStatus.IN_PUBLIC_NOTICE, TaskStatus.CLOSED)


def today() -> dt.date:
    return timezone.localdate()


def yellow_horizon(on: dt.date) -> dt.date:
    """The last date that still counts as "deadline near" on day `on`."""
    return add_working_days(on, settings.ZHENGGAI_WARNING_YELLOW_DAYS)


def warning_for(task: Task, on: dt.date | None = None) -> str:
    on = on or today()
    if task.status in ACCEPTED or task.deadline is None:
        return GREEN
    if task.deadline < on:
        return RED
    if task.deadline <= yellow_horizon(on):
        return YELLOW
    return GREEN


def annotate_warning(queryset: QuerySet[T], on: dt.date | None = None) -> QuerySet[T]:
    """Adds `warning_rank` (0 red, 1 yellow, 2 green) from the stored warning, for sorting."""
    return queryset.annotate(  # type: ignore[return-value]
        warning_rank=Case(
            When(warning=RED, then=Value(0)),
            When(warning=YELLOW, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )


def warning_set_initial(task: Task, on: dt.date | None = None) -> None:
    """Set the warning of a task that is being created (recorded in its creation event)."""
    on = on or today()
    task.warning = warning_for(task, on)
    task.warning_since = on
    task.yellow_count = int(task.warning == YELLOW)
    task.red_count = int(task.warning == RED)


def task_warning_refresh(task: Task, *, on: dt.date | None = None, actor: Any = None) -> bool:
    """Recompute and store the task's warning. Counts each entry into yellow or red (the escalation
    ladder reads the counts) and writes an event when the level changes. Returns True on a change.

    Called by every service that changes a task and by the daily job; cheap when nothing changed.
    """
    from zhenggai.core.actors import system_actor
    from zhenggai.core.events import event_record

    on = on or today()
    level = warning_for(task, on)
    if level == task.warning:
        return False
    before = task.warning
    task.warning = level
    task.warning_since = on
    fields = ["warning", "warning_since"]
    if level == YELLOW:
        task.yellow_count += 1
        fields.append("yellow_count")
    elif level == RED:
        task.red_count += 1
        fields.append("red_count")
    Task.objects.filter(pk=task.pk).update(**{f: getattr(task, f) for f in fields})
    event_record(actor=actor or system_actor(), verb="task.warning_changed", obj=task,
                 data={"changes": {"warning": [before, level]}, "on": on})
    return True


def warnings_refresh_all(*, on: dt.date | None = None, queryset: QuerySet[Task] | None = None) -> int:
    """The daily job: recompute every open task's warning (and those that were not green). Returns the
    number of tasks whose level changed."""
    on = on or today()
    qs = queryset if queryset is not None else Task.objects.all()
    qs = qs.filter(Q(status__in=[s for s in TaskStatus.values if s not in ACCEPTED]) | ~Q(warning=GREEN))
    changed = 0
    for task in qs.iterator(chunk_size=500):
        changed += task_warning_refresh(task, on=on)
    return changed
