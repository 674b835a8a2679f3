"""Core models: the append-only event log (hash-chained per aggregate) and the working-day calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventChain(models.Model):
    """The head of one hash chain (one aggregate: a task, an organization, a plan…).

    Appending to a chain locks only this row, so writes to different aggregates never wait on each other.
    """

    key = models.CharField(_("链"), max_length=120, unique=True)
    length = models.PositiveIntegerField(_("长度"), default=0)
    head_hash = models.CharField(_("链头哈希"), max_length=64, default="")

    class Meta:
        verbose_name = _("操作记录链")
        verbose_name_plural = _("操作记录链")

    def __str__(self) -> str:
        return self.key


class Event(models.Model):
    """One change: who, when, what, before/after. Never updated, never deleted.

    `hash` = SHA-256 over the canonical JSON of the event's content and `prev_hash`;
    `prev_hash` is the hash of the previous event of the same chain ("" for the first).
    """

    chain = models.ForeignKey(EventChain, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("序号"))
    created_at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("操作人")
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150)
    verb = models.CharField(_("动作"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="event_chain_seq_unique")]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # the dashboards' few task verbs (closing dates, accountability proposals): a small index
            # instead of a scan of the whole log, and index-only for the closing date of a task
            models.Index(fields=["verb", "object_id", "created_at"], name="event_task_dashboard_idx",
                         condition=models.Q(object_type="task",
                                            verb__in=("task.close", "task.accountability_proposed"))),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.verb} {self.object_repr}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object):  # type: ignore[override]
        raise RuntimeError("Events are append-only.")


class WorkCalendar(models.Model):
    """One day of the working-day calendar (法定节假日与调休).

    A year is "known" when the table holds any of its days; unknown years fall back to Monday–Friday.
    """

    class Source(models.TextChoices):
        CHINESECALENDAR = "chinesecalendar", _("国务院办公厅节假日安排")
        CSV = "csv", _("CSV 导入")
        MANUAL = "manual", _("手工维护")

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    name = models.CharField(_("说明"), max_length=64, blank=True, help_text=_("如：春节、调休上班"))
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'工作日' if self.is_workday else '休息日'} {self.name}".strip()


class PublicDataVersion(models.Model):
    """One slot of the public data's version counter. Every transaction that writes public data adds one
    to a slot it can lock at once (`zhenggai.portal.caching.public_data_changed`, which reads it for the public portal's ETags); the version is the sum of all slots, so
    it grows with every such commit whatever the order of the commits. Slots are added when all are locked
    by transactions still running, and never removed."""

    number = models.BigIntegerField(_("计数"), default=0)
    changed_at = models.DateTimeField(_("最后变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公开数据版本")
        verbose_name_plural = _("公开数据版本")

    def __str__(self) -> str:
        return f"{self.pk}: {self.number}"
