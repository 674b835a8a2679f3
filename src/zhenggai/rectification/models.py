"""Rectification tasks, their measures and milestones (DOMAIN §2–3)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization, Region
from zhenggai.inspections.models import Finding, MeasureArea, Plan

from .workflow import Category, DeadlineKind, TaskSource, TaskStatus


class Task(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("整改方案"))
    finding = models.ForeignKey(
        Finding, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("督察反馈问题")
    )
    number = models.PositiveIntegerField(_("序号"))
    title = models.TextField(_("存在问题"))
    goal = models.TextField(_("整改目标"), blank=True)
    lead_unit = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks_led", verbose_name=_("牵头单位")
    )
    implementing_units = models.ManyToManyField(
        Organization, related_name="tasks_implementing", verbose_name=_("整改实施主体")
    )
    cooperating_units = models.ManyToManyField(
        Organization, blank=True, related_name="tasks_cooperating", verbose_name=_("配合单位")
    )
    responsible_leader = models.CharField(_("责任领导"), max_length=100, blank=True)
    acceptance_unit = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks_accepting",
        verbose_name=_("验收单位"),
    )
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    deadline_text = models.CharField(_("整改时限（原文）"), max_length=100, blank=True)
    deadline_kind = models.CharField(
        _("时限类型"), max_length=24, choices=DeadlineKind.choices, default=DeadlineKind.BY_DATE
    )
    due_year = models.PositiveSmallIntegerField(_("完成年度"), null=True, blank=True, db_index=True)
    category = models.CharField(_("九治类别"), max_length=16, choices=Category.choices, blank=True)
    measure_area = models.ForeignKey(
        MeasureArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("整改举措领域")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("行政区域"))
    # where the problem is (a site, a river section): photos taken far from it are flagged
    location_lat = models.DecimalField(_("问题点位纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    location_lon = models.DecimalField(_("问题点位经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=24, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED, db_index=True
    )
    source = models.CharField(_("来源"), max_length=16, choices=TaskSource.choices, default=TaskSource.PLAN)
    rebound_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rebounds", verbose_name=_("反弹自")
    )
    remarks = models.TextField(_("备注"), blank=True)
    warning = models.CharField(_("预警"), max_length=8, default="green", db_index=True,
                               help_text=_("red 红灯 / yellow 黄牌 / green 正常；每次变更和每日任务重新计算"))
    warning_since = models.DateField(_("预警开始日期"), null=True, blank=True)
    yellow_count = models.PositiveSmallIntegerField(_("黄牌次数"), default=0)
    red_count = models.PositiveSmallIntegerField(_("红灯次数"), default=0)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    search_text = models.TextField(editable=False, blank=True, default="")
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="task_number_unique_in_plan")]
        indexes = [models.Index(fields=["deadline"]), models.Index(fields=["plan", "status"])]

    def __str__(self) -> str:
        return f"{self.number}. {self.short_title}"

    @property
    def short_title(self) -> str:
        return self.title if len(self.title) <= 40 else self.title[:40] + "…"

    @property
    def is_open(self) -> bool:
        return self.status != TaskStatus.CLOSED

    def days_left(self, today: dt.date | None = None) -> int | None:
        if self.deadline is None:
            return None
        return (self.deadline - (today or dt.date.today())).days


class Measure(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="measures", verbose_name=_("整改任务"))
    number = models.PositiveIntegerField(_("序号"))
    text = models.TextField(_("整改措施"))
    units = models.ManyToManyField(Organization, blank=True, related_name="measures", verbose_name=_("责任单位"))
    deadline = models.DateField(_("完成时限"), null=True, blank=True)
    deadline_text = models.CharField(_("完成时限（原文）"), max_length=100, blank=True)
    deadline_kind = models.CharField(
        _("时限类型"), max_length=24, choices=DeadlineKind.choices, default=DeadlineKind.BY_DATE
    )

    class Meta:
        verbose_name = _("整改措施")
        verbose_name_plural = _("整改措施")
        ordering = ["task", "number"]
        constraints = [models.UniqueConstraint(fields=["task", "number"], name="measure_number_unique")]

    def __str__(self) -> str:
        return f"{self.task.number}.{self.number} {self.text[:30]}"


class Milestone(models.Model):
    """阶段目标: what should be reached by a date; drives the 序时进度 judgement."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("整改任务"))
    date = models.DateField(_("日期"))
    title = models.CharField(_("阶段目标"), max_length=200)
    percent = models.PositiveSmallIntegerField(_("应完成比例（%）"), default=0)

    class Meta:
        verbose_name = _("阶段目标")
        verbose_name_plural = _("阶段目标")
        ordering = ["task", "date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"


from .loop_models import (  # noqa: E402,F401  (models of the closed loop, part of this app)
    AcceptanceApplication,
    AcceptanceReview,
    DispatchRound,
    LookBack,
    Objection,
    ProgressReport,
    PublicNotice,
    SupervisionNotice,
)
