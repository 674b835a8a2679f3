"""Models of the closed loop (DOMAIN §3, §6): dispatch rounds and progress reports, supervision notices,
acceptance applications and reviews, public notices and objections, look-backs.

Imported into `models.py`, so Django sees them as models of the `rectification` app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization, Region

USER = settings.AUTH_USER_MODEL


class DispatchRound(models.Model):
    """定期调度: one reporting cycle. Every task in `tasks` (snapshot at opening) needs a report from
    each of its implementing units by `due_date`."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("月调度")
        WEEKLY = "weekly", _("周调度（重点任务）")

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")  # units are reporting
        CLOSED = "closed", _("已结束")  # closed by the office; late reports are still accepted and marked late

    title = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.MONTHLY)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区域"))
    plan = models.ForeignKey(
        "inspections.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="rounds",
        verbose_name=_("整改方案"), help_text=_("留空表示本区域全部方案"),
    )
    period_start = models.DateField(_("调度期起"))
    due_date = models.DateField(_("报送截止"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    tasks = models.ManyToManyField("rectification.Task", related_name="rounds", verbose_name=_("调度任务"))
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人"))
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    auto_key = models.CharField(max_length=40, blank=True, default="", help_text="set when opened by the schedule")

    class Meta:
        verbose_name = _("调度")
        verbose_name_plural = _("调度")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "auto_key"], condition=~models.Q(auto_key=""), name="round_auto_key_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """整改进展: a unit's report on a task in a round; drafted by staff, approved by the unit head."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")  # being written by unit staff
        SUBMITTED = "submitted", _("待审核")  # sent to the unit head
        APPROVED = "approved", _("已报送")  # approved by the unit head: counts as reported
        RETURNED = "returned", _("已退回")  # sent back by the head with a reason; staff edit and resubmit

    class Stage(models.TextChoices):
        PREPARING = "preparing", _("前期准备")
        ADVANCING = "advancing", _("推进中")
        MOSTLY_DONE = "mostly_done", _("基本完成")
        DONE = "done", _("已完成")

    round = models.ForeignKey(
        DispatchRound, on_delete=models.PROTECT, null=True, blank=True, related_name="reports", verbose_name=_("调度")
    )
    task = models.ForeignKey("rectification.Task", on_delete=models.PROTECT, related_name="reports",
                             verbose_name=_("整改任务"))
    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("报送单位"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    stage = models.CharField(_("整改阶段"), max_length=12, choices=Stage.choices, default=Stage.ADVANCING)
    description = models.TextField(_("整改进度描述"))
    percent = models.PositiveSmallIntegerField(_("完成比例（%）"), default=0)
    next_steps = models.TextField(_("下一步计划"), blank=True)
    evidence = models.ManyToManyField("evidence.Evidence", blank=True, related_name="reports",
                                      verbose_name=_("佐证材料"))
    drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("填报人"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("审核人"))
    approved_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)
    is_late = models.BooleanField(_("逾期报送"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("整改进展")
        verbose_name_plural = _("整改进展")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "task", "unit"], condition=models.Q(round__isnull=False),
                                    name="one_report_per_round_task_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.unit}"


class SupervisionNotice(models.Model):
    """督办单/督办函: a formal notice from the office to a unit about a task, with a reply deadline."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("督办单")
        LETTER = "letter", _("督办函")
        TALK = "talk", _("约谈建议")

    class Status(models.TextChoices):
        DRAFT = "draft", _("待签发")  # drafted by the ladder or the office; editable
        ISSUED = "issued", _("已签发")  # sent to the unit; reply due
        REPLIED = "replied", _("已回复")  # the unit head replied
        ESCALATED = "escalated", _("已升级")  # unanswered by the deadline; a stronger notice was drafted
        CANCELLED = "cancelled", _("已撤销")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("人工发起")
        YELLOW_TWICE = "yellow_twice", _("两次黄牌")
        RED = "red", _("红灯")
        REPEATED_RED = "repeated_red", _("反复红灯")
        UNANSWERED = "unanswered", _("督办逾期未回复")

    task = models.ForeignKey("rectification.Task", on_delete=models.PROTECT, related_name="supervision_notices",
                             verbose_name=_("整改任务"))
    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("督办对象"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.NOTICE)
    trigger = models.CharField(_("起因"), max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    number = models.CharField(_("编号"), max_length=60, blank=True)
    reason = models.TextField(_("督办事由"))
    required_action = models.TextField(_("督办要求"))
    reply_deadline = models.DateField(_("回复期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    drafted_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    issued_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("签发人"))
    reply = models.TextField(_("回复内容"), blank=True)
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    replied_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("回复人"))
    escalated_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="escalations", verbose_name=_("由此升级"))
    key = models.CharField(max_length=80, blank=True, default="", help_text="idempotency key of the ladder")

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["-drafted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="supervision_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.pk}"


class AcceptanceApplication(models.Model):
    """验收销号申请: the implementing unit's request, with a self-check against the five criteria."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待验收")
        PASSED = "passed", _("验收通过")
        RETURNED = "returned", _("退回整改")

    CRITERIA = (
        ("measures", _("措施到位")),
        ("solved", _("问题解决")),
        ("mechanism", _("机制健全")),
        ("conduct", _("行动规范")),
        ("records", _("资料齐全")),
    )

    task = models.ForeignKey("rectification.Task", on_delete=models.PROTECT, related_name="applications",
                             verbose_name=_("整改任务"))
    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请单位"))
    applied_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    applied_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    self_check = models.JSONField(_("自查情况"), default=dict)
    statement = models.TextField(_("整改完成情况"))
    evidence = models.ManyToManyField("evidence.Evidence", related_name="applications", verbose_name=_("佐证材料"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)

    class Meta:
        verbose_name = _("验收销号申请")
        verbose_name_plural = _("验收销号申请")
        ordering = ["-applied_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task} · {self.applied_at:%Y-%m-%d}"


class AcceptanceReview(models.Model):
    """验收意见: the acceptance unit's decision on one application."""

    class Decision(models.TextChoices):
        PASS = "pass", _("通过")
        RETURN = "return", _("退回")

    application = models.OneToOneField(AcceptanceApplication, on_delete=models.PROTECT, related_name="review",
                                       verbose_name=_("申请"))
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("验收人"))
    decision = models.CharField(_("结论"), max_length=10, choices=Decision.choices)
    reasons = models.TextField(_("意见/退回理由"), blank=True)
    check_date = models.DateField(_("现场核查日期"), null=True, blank=True)
    check_people = models.CharField(_("核查人员"), max_length=200, blank=True)
    check_findings = models.TextField(_("核查情况"), blank=True)
    criteria = models.JSONField(_("验收标准核对"), default=dict)
    photos = models.ManyToManyField("evidence.Evidence", blank=True, related_name="reviews",
                                    verbose_name=_("现场照片"))
    created_at = models.DateTimeField(_("验收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("验收意见")
        verbose_name_plural = _("验收意见")

    def __str__(self) -> str:
        return f"{self.application} · {self.get_decision_display()}"


class PublicNotice(models.Model):
    """销号公示: a public notice of N working days after acceptance passed."""

    class Status(models.TextChoices):
        OPEN = "open", _("公示中")
        ENDED = "ended", _("公示期满")
        WITHDRAWN = "withdrawn", _("已撤回")  # an objection was upheld

    task = models.ForeignKey("rectification.Task", on_delete=models.PROTECT, related_name="public_notices",
                             verbose_name=_("整改任务"))
    application = models.OneToOneField(AcceptanceApplication, on_delete=models.PROTECT, related_name="notice")
    start_date = models.DateField(_("公示开始"))
    working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=10)
    end_date = models.DateField(_("公示截止"))
    summary = models.TextField(_("整改任务概述"))
    result = models.TextField(_("整改情况"))
    contact_phone = models.CharField(_("异议电话"), max_length=40, blank=True)
    contact_email = models.EmailField(_("异议邮箱"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("销号公示")
        verbose_name_plural = _("销号公示")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return f"{self.task} · {self.start_date:%Y-%m-%d}"


class Objection(models.Model):
    """公示异议: the public's objection; confidential contact; must be answered before closure."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待答复")
        ANSWERED = "answered", _("已答复")

    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections",
                               verbose_name=_("公示"))
    content = models.TextField(_("异议内容"))
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    client_hash = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    upheld = models.BooleanField(_("异议成立"), null=True)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["submitted_at", "id"]

    def __str__(self) -> str:
        return self.content[:30]


class LookBack(models.Model):
    """回头看: a check of a closed task after closure; a rebound creates a new linked task."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("待开展")
        DONE = "done", _("已完成")

    class Result(models.TextChoices):
        HELD = "held", _("整改成效巩固")
        REBOUND = "rebound", _("问题反弹")

    task = models.ForeignKey("rectification.Task", on_delete=models.PROTECT, related_name="look_backs",
                             verbose_name=_("整改任务"))
    scheduled_date = models.DateField(_("计划日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices, blank=True)
    notes = models.TextField(_("核查情况"), blank=True)
    checked_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rebound_task = models.OneToOneField("rectification.Task", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="rebound_look_back", verbose_name=_("反弹新任务"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("回头看")
        verbose_name_plural = _("回头看")
        ordering = ["-scheduled_date", "-id"]

    def __str__(self) -> str:
        return f"{self.task} · {self.scheduled_date:%Y-%m-%d}"
