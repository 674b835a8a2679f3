"""Inspections, their findings, rectification plans and 研究部署 meetings (DOMAIN §1–2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization, Region


class Inspection(models.Model):
    class Level(models.TextChoices):
        CENTRAL = "central", _("中央")
        PROVINCIAL = "provincial", _("省级")
        MUNICIPAL = "municipal", _("市级")

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("例行督察")
        SPECIAL = "special", _("专项督察")
        LOOK_BACK = "look_back", _("督察“回头看”")

    title = models.CharField(_("名称"), max_length=200)
    level = models.CharField(_("层级"), max_length=20, choices=Level.choices)
    round = models.CharField(_("轮次"), max_length=40, blank=True, help_text=_("如：第二轮、第八"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.ROUTINE)
    group = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspections_led",
        verbose_name=_("督察组"),
        limit_choices_to={"kind": Organization.Kind.INSPECTION_GROUP},
    )
    target_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("被督察地区")
    )
    start_date = models.DateField(_("进驻日期"))
    end_date = models.DateField(_("结束日期"))
    feedback_date = models.DateField(_("反馈日期"), null=True, blank=True)
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followed_by",
        verbose_name=_("回头看所针对的督察"),
    )
    summary = models.TextField(_("概况"), blank=True)
    complaint_reply_days = models.PositiveSmallIntegerField(
        _("信访件办理时限（天）"), default=10, help_text=_("交办后多少天内反馈信访件办理结果；新交办批次按此设定")
    )
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("督察")
        verbose_name_plural = _("督察")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title


class Finding(models.Model):
    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="findings", verbose_name=_("督察")
    )
    number = models.PositiveIntegerField(_("序号"))
    text = models.TextField(_("反馈问题"))

    class Meta:
        verbose_name = _("督察反馈问题")
        verbose_name_plural = _("督察反馈问题")
        ordering = ["inspection", "number"]
        constraints = [models.UniqueConstraint(fields=["inspection", "number"], name="finding_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:40]}"


class Plan(models.Model):
    """A rectification plan. Goals and guarantee measures are ordered lists of {"title", "text"}."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="plans", verbose_name=_("督察"))
    title = models.CharField(_("方案名称"), max_length=255)
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    approved_date = models.DateField(_("印发日期"), null=True, blank=True)
    published_date = models.DateField(_("公开日期"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    summary = models.TextField(_("总体要求"), blank=True)
    goals = models.JSONField(_("整改目标"), default=list, blank=True)
    guarantee_measures = models.JSONField(_("保障措施"), default=list, blank=True)
    is_sample = models.BooleanField(_("示例数据"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("整改方案")
        verbose_name_plural = _("整改方案")
        ordering = ["-inspection__start_date", "id"]

    def __str__(self) -> str:
        return self.title


class MeasureArea(models.Model):
    """One of the plan's measure areas (e.g. 坚决打好污染防治攻坚战), with its sub-areas."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="measure_areas", verbose_name=_("整改方案"))
    number = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("名称"), max_length=200)
    subareas = models.JSONField(_("分项"), default=list, blank=True)

    class Meta:
        verbose_name = _("整改举措领域")
        verbose_name_plural = _("整改举措领域")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="measure_area_number_unique")]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """研究部署: a meeting or decision record linked to an inspection and some of its tasks."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("督察")
    )
    date = models.DateField(_("日期"))
    title = models.CharField(_("会议名称"), max_length=200)
    body = models.CharField(_("会议主体"), max_length=200, help_text=_("如：区委常委会、区政府常务会"))
    decisions = models.TextField(_("研究部署事项"), blank=True)
    tasks = models.ManyToManyField(
        "rectification.Task", blank=True, related_name="meetings", verbose_name=_("涉及任务")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("研究部署")
        verbose_name_plural = _("研究部署")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"
