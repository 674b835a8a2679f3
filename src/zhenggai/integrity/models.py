"""Integrity flags (真实性核查疑点): one per suspicious object a check found (see `checks`).

A flag names the check and its key (unique together, so that running the checks again never duplicates a
flag), the reason in one sentence and the data behind it (hashes, distances, dates, excerpts), what it is
about (the task or complaint, the subject record, the unit) and the region used for scoping. The runner
keeps `first_found`, `last_found` and `still_found` up to date; the office's decision is kept with who
made it, when and why. Flags are never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization, Region

from .workflow import FlagStatus

USER = settings.AUTH_USER_MODEL


class IntegrityFlag(models.Model):
    Status = FlagStatus

    check_code = models.CharField(_("核查项"), max_length=40)
    key = models.CharField(_("疑点标识"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    reason = models.TextField(_("疑点"))
    evidence = models.JSONField(_("依据"), default=dict, blank=True)
    task = models.ForeignKey("rectification.Task", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("整改任务"))
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("信访件"))
    # what the finding is about: evidence, progressreport, acceptanceapplication, publicnotice, measure,
    # complaint, task… (model name and primary key; no foreign key, so any record can be named)
    subject_kind = models.CharField(_("对象类型"), max_length=40)
    subject_id = models.BigIntegerField(_("对象编号"))
    subject_repr = models.CharField(_("对象"), max_length=255, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("行政区域"))
    unit = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("单位"))
    first_found = models.DateTimeField(_("发现时间"))
    last_found = models.DateTimeField(_("最近发现"))
    still_found = models.BooleanField(_("仍存在"), default=True,
                                      help_text=_("最近一次覆盖它的核查仍发现该疑点"))
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("核查人"))
    decided_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    decision_reason = models.TextField(_("核查意见"), blank=True)
    accountability_case = models.ForeignKey("assessment.AccountabilityCase", on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+", verbose_name=_("问责"))

    class Meta:
        verbose_name = _("真实性核查疑点")
        verbose_name_plural = _("真实性核查疑点")
        ordering = ["-first_found", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["check_code", "key"], name="integrity_flag_check_key_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "check_code"]),
            models.Index(fields=["task", "check_code"]),
            models.Index(fields=["complaint", "check_code"]),
        ]

    def __str__(self) -> str:
        return f"{self.check_code} #{self.pk}"

    @property
    def check_label(self) -> str:
        from .checks import CHECKS, load_all

        check = CHECKS.get(self.check_code) or load_all().get(self.check_code)
        return str(check.label) if check is not None else self.check_code
