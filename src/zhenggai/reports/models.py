"""Generated documents kept by the system: the monthly dispatch bulletin (调度通报)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Bulletin(models.Model):
    """调度通报: one region's bulletin for one month, rendered by a background job as PDF and DOCX.

    Requesting a month again re-renders the same row (same number); numbers count per region and year
    in the order the months were first requested."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("生成中")  # waiting for (or being rendered by) the worker
        DONE = "done", _("已生成")  # both files are stored
        FAILED = "failed", _("生成失败")  # the job raised; `error` says why

    region = models.ForeignKey("accounts.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("行政区域"))
    month = models.DateField(_("通报月份"), help_text=_("该月第一天"))
    number = models.PositiveIntegerField(_("期数"))
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    pdf = models.FileField(_("PDF 文件"), upload_to="bulletins/%Y/", max_length=255, blank=True)
    docx = models.FileField(_("Word 文件"), upload_to="bulletins/%Y/", max_length=255, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("发起人"))
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)

    class Meta:
        verbose_name = _("调度通报")
        verbose_name_plural = _("调度通报")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "month"], name="bulletin_one_per_region_month"),
        ]

    def __str__(self) -> str:
        return self.title


from .dashboards_warning_steps import WarningStep  # noqa: E402,F401 -- the warning trend's projection of events
