"""Task statuses, deadline kinds, categories and the transition table (DOMAIN §3), as plain data.

The transitions themselves are carried out by services in a later step; the table is here so that
pages and the API can already read it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")  # created from the plan, no work reported yet
    IN_PROGRESS = "in_progress", _("整改中")  # started by the unit or by its first report
    ACCEPTANCE_REQUESTED = "acceptance_requested", _("申请验收")  # unit head applied for acceptance
    IN_PUBLIC_NOTICE = "in_public_notice", _("公示中")  # acceptance passed, public notice running
    CLOSED = "closed", _("已销号")  # closed by the office after the notice; never reopens


class DeadlineKind(models.TextChoices):
    BY_DATE = "by_date", _("限期")  # a date
    IMMEDIATE = "immediate", _("立行立改")  # at once (may still carry a date)
    LONG_TERM = "long_term", _("长期坚持")  # no end; stays under look-back
    IMMEDIATE_LONG_TERM = "immediate_long_term", _("立行立改、长期坚持")  # both


class Category(models.TextChoices):
    """九治: the nine governance areas."""

    WATER = "water", _("治水")
    AIR = "air", _("治气")
    SOIL = "soil", _("治土")
    WASTE = "waste", _("治废")
    PLASTIC = "plastic", _("治塑")
    MOUNTAIN = "mountain", _("治山")
    SHORE = "shore", _("治岸")
    CITY = "city", _("治城")
    VILLAGE = "village", _("治乡")


class TaskSource(models.TextChoices):
    PLAN = "plan", _("整改方案")
    IMPORT = "import", _("导入")
    REBOUND = "rebound", _("反弹新增")


class ScheduleJudgement(models.TextChoices):
    NOT_STARTED = "not_started", _("未启动")
    BEHIND = "behind", _("未达到序时进度")
    ON_SCHEDULE = "on_schedule", _("达到序时进度")
    AHEAD = "ahead", _("超过序时进度")


# (transition, from-statuses, to-status): the state machine of DOMAIN §3.
TRANSITIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("start", (TaskStatus.NOT_STARTED,), TaskStatus.IN_PROGRESS),
    ("apply", (TaskStatus.IN_PROGRESS,), TaskStatus.ACCEPTANCE_REQUESTED),
    ("pass", (TaskStatus.ACCEPTANCE_REQUESTED,), TaskStatus.IN_PUBLIC_NOTICE),
    ("return", (TaskStatus.ACCEPTANCE_REQUESTED,), TaskStatus.IN_PROGRESS),
    ("uphold_objection", (TaskStatus.IN_PUBLIC_NOTICE,), TaskStatus.IN_PROGRESS),
    ("close", (TaskStatus.IN_PUBLIC_NOTICE,), TaskStatus.CLOSED),
)

OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.ACCEPTANCE_REQUESTED)
