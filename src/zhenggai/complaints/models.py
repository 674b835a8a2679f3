"""Complaint cases handed over by an inspection (群众信访举报件, DOMAIN §4): batches, cases, the
complainant kept apart, enforcement counters, repeats and merges, look-backs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization, Region

USER = settings.AUTH_USER_MODEL


class PollutionType(models.TextChoices):
    WATER = "water", _("水")
    AIR = "air", _("大气")
    SOIL = "soil", _("土壤")
    SOLID_WASTE = "solid_waste", _("固废")
    NOISE = "noise", _("噪声")
    ECOLOGY = "ecology", _("生态")
    RADIATION = "radiation", _("辐射")
    MARINE = "marine", _("海洋")
    OTHER = "other", _("其他")


class Truthfulness(models.TextChoices):
    TRUE = "true", _("属实")
    MOSTLY_TRUE = "mostly_true", _("基本属实")
    PARTLY_TRUE = "partly_true", _("部分属实")
    FALSE = "false", _("不属实")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("已交办")  # handed over, not yet taken up
    INVESTIGATING = "investigating", _("办理中")  # the handling unit is investigating
    STAGE_DONE = "stage_done", _("阶段性办结")  # handled for now; rectification continues
    DONE = "done", _("已办结")  # handled and closed


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("办理中")  # the handling unit is writing its result
    SUBMITTED = "submitted", _("待审核")  # sent to the office
    APPROVED = "approved", _("审核通过")  # the office approved it; may be published
    RETURNED = "returned", _("退回修改")  # the office sent it back with a reason


class HandoverBatch(models.Model):
    """交办批次: the cases handed over on one day (第N批)."""

    inspection = models.ForeignKey("inspections.Inspection", on_delete=models.PROTECT, related_name="batches",
                                   verbose_name=_("督察"))
    number = models.PositiveIntegerField(_("批次"))
    handed_over = models.DateField(_("交办日期"))
    reply_days = models.PositiveSmallIntegerField(_("办理时限（天）"), default=10,
                                                  help_text=_("交办后多少天内反馈办理结果"))
    notes = models.TextField(_("备注"), blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    published_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("交办批次")
        verbose_name_plural = _("交办批次")
        ordering = ["inspection", "number"]
        constraints = [models.UniqueConstraint(fields=["inspection", "number"], name="batch_number_unique")]

    def __str__(self) -> str:
        return f"第{self.number}批（{self.handed_over:%Y-%m-%d}）"


class Complaint(models.Model):
    """One case. `acceptance_number` (受理编号) is kept as given; its parts are parsed where it follows the
    central pattern {D|X}{round}{province}{YYYYMMDD}{NNNN}; a trailing *, (*) or ★ marks a priority case."""

    batch = models.ForeignKey(HandoverBatch, on_delete=models.PROTECT, related_name="complaints",
                              verbose_name=_("交办批次"))
    inspection = models.ForeignKey("inspections.Inspection", on_delete=models.PROTECT, related_name="complaints",
                                   verbose_name=_("督察"))
    sequence = models.PositiveIntegerField(_("序号"))
    acceptance_number = models.CharField(_("受理编号"), max_length=60)
    channel = models.CharField(_("来源渠道"), max_length=1, blank=True, help_text=_("D 来电，X 来信"))
    number_round = models.CharField(_("轮次"), max_length=4, blank=True)
    number_province = models.CharField(_("省份代码"), max_length=4, blank=True)
    received_date = models.DateField(_("受理日期"), null=True, blank=True)
    number_serial = models.CharField(_("流水号"), max_length=8, blank=True)
    is_priority = models.BooleanField(_("重点件"), default=False)
    summary = models.TextField(_("交办问题基本情况"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("行政区域"))
    region_text = models.CharField(_("行政区域（原文）"), max_length=100, blank=True)
    location_lat = models.DecimalField(_("问题点位纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    location_lon = models.DecimalField(_("问题点位经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    pollution_types = models.JSONField(_("污染类型"), default=list, blank=True)
    pollution_subtypes = models.JSONField(_("污染子类"), default=list, blank=True)
    pollution_text = models.CharField(_("污染类型（原文）"), max_length=100, blank=True)
    lead_unit = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="complaints_led", verbose_name=_("牵头办理单位"))
    cooperating_units = models.ManyToManyField(Organization, blank=True, related_name="complaints_cooperating",
                                               verbose_name=_("配合单位"))
    reply_deadline = models.DateField(_("反馈期限"))
    status = models.CharField(_("办理状态"), max_length=16, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED, db_index=True)
    review_status = models.CharField(_("审核状态"), max_length=12, choices=ReviewStatus.choices,
                                     default=ReviewStatus.DRAFT)
    review_note = models.TextField(_("审核意见"), blank=True)
    investigation = models.TextField(_("调查核实情况"), blank=True)
    truthfulness = models.CharField(_("是否属实"), max_length=12, choices=Truthfulness.choices, blank=True)
    handling_goal = models.TextField(_("办结目标"), blank=True)
    handling = models.TextField(_("处理和整改情况"), blank=True)
    accountability = models.TextField(_("责任人被处理情况"), blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    done_at = models.DateField(_("办结日期"), null=True, blank=True)
    # enforcement counters, each with its fixed unit
    ordered_rectify = models.PositiveIntegerField(_("责令整改（家）"), default=0)
    penalized = models.PositiveIntegerField(_("立案处罚（家）"), default=0)
    fine_amount = models.DecimalField(_("罚款金额（元）"), max_digits=14, decimal_places=2, default=0)
    investigated = models.PositiveIntegerField(_("立案侦查（件）"), default=0)
    admin_detained = models.PositiveIntegerField(_("行政拘留（人）"), default=0)
    criminal_detained = models.PositiveIntegerField(_("刑事拘留（人）"), default=0)
    interviewed = models.PositiveIntegerField(_("约谈（人）"), default=0)
    held_accountable = models.PositiveIntegerField(_("问责（人）"), default=0)
    leads_transferred = models.PositiveIntegerField(_("移送问题线索（件）"), default=0)
    # repeats and merges
    repeat_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="repeats",
                                  verbose_name=_("重复关联件"))
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged",
                                    verbose_name=_("合并至"))
    rebound_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="rebounds", verbose_name=_("反弹自"))
    # what the public sees: the ten published columns, masked, written when the office publishes
    published_data = models.JSONField(_("公开内容"), default=dict, blank=True)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True, default="")
    is_sample = models.BooleanField(_("示例数据"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("信访件")
        verbose_name_plural = _("信访件")
        ordering = ["batch__number", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "acceptance_number"], name="complaint_number_unique"),
        ]
        indexes = [models.Index(fields=["reply_deadline"])]

    def __str__(self) -> str:
        return self.acceptance_number


class Complainant(models.Model):
    """The complainant, kept apart: visible only to the office; never in unit pages, exports, the portal
    or public API answers."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="complainant")
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("信访人")
        verbose_name_plural = _("信访人")

    def __str__(self) -> str:
        return self.name or "—"


class ComplaintLookBack(models.Model):
    """回头看 of a handled case; a rebound creates a new linked case."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="look_backs")
    scheduled_date = models.DateField(_("计划日期"))
    done = models.BooleanField(_("已完成"), default=False)
    result = models.CharField(_("结果"), max_length=10, blank=True, choices=[("held", _("成效巩固")),
                                                                          ("rebound", _("问题反弹"))])
    notes = models.TextField(_("核查情况"), blank=True)
    rebound_complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, null=True, blank=True,
                                             related_name="rebound_look_back")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("信访件回头看")
        verbose_name_plural = _("信访件回头看")

    def __str__(self) -> str:
        return f"{self.complaint} · {self.scheduled_date:%Y-%m-%d}"
