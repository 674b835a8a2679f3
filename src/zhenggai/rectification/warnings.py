"""Warning levels (DOMAIN §6), computed from the deadline in Chinese working days.

- red 红灯: past the deadline and not yet accepted (not in public notice or closed);
- yellow 黄牌: the deadline falls within N working days (setting ZHENGGAI_WARNING_YELLOW_DAYS, default 10);
- green 正常: otherwise (and always for closed, accepted or undated long-term tasks).
Missed milestones and missing reports also turn a task yellow once dispatch rounds exist.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.conf import settings
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
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
    """Adds `warning` ("red"/"yellow"/"green") and `warning_rank` (0/1/2) computed in SQL."""
    on = on or today()
    horizon = yellow_horizon(on)
    open_dated = Q(deadline__isnull=False) & ~Q(status__in=ACCEPTED)
    return queryset.annotate(  # type: ignore[return-value]
        warning=Case(
            When(open_dated & Q(deadline__lt=on), then=Value(RED)),
            When(open_dated & Q(deadline__lte=horizon), then=Value(YELLOW)),
            default=Value(GREEN),
            output_field=CharField(),
        ),
        warning_rank=Case(
            When(open_dated & Q(deadline__lt=on), then=Value(0)),
            When(open_dated & Q(deadline__lte=horizon), then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )
