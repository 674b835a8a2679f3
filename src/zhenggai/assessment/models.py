"""Assessment (考核) and accountability (问责), DOMAIN §2, §6.

A `RuleSet` holds the rules the office edits (rows of `Rule`: a kind the engine knows, a label, the
points and the kind's parameters). An `Assessment` scores one period of a region with one rule set:
computing it writes one `ScoreItem` per deduction or bonus, each with the `core.Event` behind it, and
one `UnitScore` per unit (base + items). An `AccountabilityCase` records who was held to account and how.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization, Region

from .rules import RuleKind

USER = settings.AUTH_USER_MODEL


class RuleSet(models.Model):
    """考核细则: the rules of a region, edited by its office. Used by one or more assessments."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区域"))
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    base_points = models.DecimalField(_("基础分"), max_digits=7, decimal_places=2, default=Decimal("100"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("考核细则")
        verbose_name_plural = _("考核细则")
        ordering = ["region", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="ruleset_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name


class Rule(models.Model):
    """One rule: which events it counts (`kind`), how many points each is worth (negative: deduction,
    positive: bonus) and the kind's parameters (e.g. {"every": 2} for repeated yellow cards)."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules", verbose_name=_("考核细则"))
    kind = models.CharField(_("规则类型"), max_length=24, choices=RuleKind.choices)
    label = models.CharField(_("名称"), max_length=100)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2,
                                 help_text=_("负数为扣分，正数为加分"))
    params = models.JSONField(_("参数"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("考核规则")
        verbose_name_plural = _("考核规则")
        ordering = ["rule_set", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "kind"], name="rule_kind_unique_in_set")]

    def __str__(self) -> str:
        return f"{self.label} {self.points:+}"


class Assessment(models.Model):
    """考核: one period of one region scored with one rule set."""

    class PeriodKind(models.TextChoices):
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年度")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区域"))
    title = models.CharField(_("名称"), max_length=120)
    period_kind = models.CharField(_("考核周期"), max_length=10, choices=PeriodKind.choices,
                                   default=PeriodKind.YEAR)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="assessments",
                                 verbose_name=_("考核细则"))
    # what the last computation used, so the ranking explains itself even after the rules are edited
    base_points = models.DecimalField(_("基础分"), max_digits=7, decimal_places=2, null=True, blank=True)
    rules_used = models.JSONField(_("计分所用规则"), default=list, blank=True)
    as_of = models.DateField(_("计分截至"), null=True, blank=True)
    digest = models.CharField(_("计分摘要"), max_length=64, blank=True)
    computed_at = models.DateTimeField(_("计分时间"), null=True, blank=True)
    computed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("计分人"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("考核")
        verbose_name_plural = _("考核")
        ordering = ["-end", "-start", "-id"]

    def __str__(self) -> str:
        return self.title


class UnitScore(models.Model):
    """A unit's total in an assessment: base + deductions + bonuses (written by the computation)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="unit_scores")
    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    base = models.DecimalField(_("基础分"), max_digits=7, decimal_places=2)
    deductions = models.DecimalField(_("扣分"), max_digits=8, decimal_places=2, default=Decimal(0))
    bonuses = models.DecimalField(_("加分"), max_digits=8, decimal_places=2, default=Decimal(0))
    score = models.DecimalField(_("得分"), max_digits=8, decimal_places=2)
    items = models.PositiveIntegerField(_("计分项"), default=0)

    class Meta:
        verbose_name = _("单位得分")
        verbose_name_plural = _("单位得分")
        constraints = [models.UniqueConstraint(fields=["assessment", "unit"], name="unit_score_unique")]

    def __str__(self) -> str:
        return f"{self.unit} {self.score}"


class ScoreItem(models.Model):
    """One deduction or bonus: the unit, the rule, the points and the event behind them."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("规则"))
    rule_kind = models.CharField(_("规则类型"), max_length=24, choices=RuleKind.choices)
    rule_label = models.CharField(_("规则"), max_length=100)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    event = models.ForeignKey("core.Event", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("依据记录"))
    task = models.ForeignKey("rectification.Task", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("整改任务"))
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("信访件"))
    date = models.DateField(_("日期"))
    reason = models.CharField(_("事由"), max_length=255)

    class Meta:
        verbose_name = _("计分项")
        verbose_name_plural = _("计分项")
        ordering = ["assessment", "unit", "date", "id"]
        indexes = [models.Index(fields=["assessment", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.points:+} {self.reason}"


class Measure(models.TextChoices):
    """问责措施 (multi-valued on a case)."""

    ADMONITION = "admonition", _("诫勉谈话")
    CIRCULATED = "circulated", _("通报批评")
    TALK = "talk", _("约谈")
    WRITTEN_REVIEW = "written_review", _("责令书面检查")
    ORGANIZATIONAL = "organizational", _("组织处理")
    DISCIPLINARY = "disciplinary", _("党纪政务处分")
    LEAD_TRANSFER = "lead_transfer", _("移送问题线索")


class AccountabilityCase(models.Model):
    """问责/问题线索移送: recorded by the discipline body of the region."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区域"))
    title = models.CharField(_("事由"), max_length=200)
    date = models.DateField(_("决定日期"))
    description = models.TextField(_("基本情况"), blank=True)
    measures = models.JSONField(_("问责措施"), default=list)
    lead_transferred_to = models.CharField(_("线索移送至"), max_length=120, blank=True)
    tasks = models.ManyToManyField("rectification.Task", blank=True, related_name="+", verbose_name=_("关联整改任务"))
    complaints = models.ManyToManyField("complaints.Complaint", blank=True, related_name="+",
                                        verbose_name=_("关联信访件"))
    proposal_event = models.ForeignKey("core.Event", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", verbose_name=_("来源建议"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("问责")
        verbose_name_plural = _("问责")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def measure_labels(self) -> list[str]:
        return [str(Measure(m).label) for m in self.measures if m in Measure.values]


class AccountabilityPerson(models.Model):
    case = models.ForeignKey(AccountabilityCase, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("姓名"), max_length=60)
    post = models.CharField(_("单位及职务"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("被问责人")
        verbose_name_plural = _("被问责人")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.post}）" if self.post else self.name
