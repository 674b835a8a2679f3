"""In-app notifications, each user's channel choices, group-robot webhooks (WeCom / DingTalk), signed
event webhooks for other systems, and each user's private calendar feed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization


class Notification(models.Model):
    """One message to one user. `key` makes sending idempotent: the same key never notifies a user twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("用户")
    )
    key = models.CharField(_("去重键"), max_length=200)
    kind = models.CharField(_("类型"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    digested_at = models.DateTimeField(_("汇总发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_user_key_unique")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    class Frequency(models.TextChoices):
        DAILY_DIGEST = "daily", _("每日汇总一次")
        IMMEDIATE = "immediate", _("即时")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    by_email = models.BooleanField(_("邮件"), default=True)
    by_webhook = models.BooleanField(_("工作群机器人"), default=False)
    frequency = models.CharField(_("频率"), max_length=12, choices=Frequency.choices, default=Frequency.DAILY_DIGEST)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.user)


class WebhookTarget(models.Model):
    """A webhook of an organization. Group robots (企业微信/钉钉) receive the messages of the organization's
    users; a `generic` hook receives the events (`event_types`) of objects in the organization's region as
    signed JSON (see `event_hooks.py`)."""

    class Format(models.TextChoices):
        WECOM = "wecom", _("企业微信群机器人")
        DINGTALK = "dingtalk", _("钉钉群机器人")
        GENERIC = "generic", _("通用事件推送（JSON，签名）")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("单位")
    )
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500)
    format = models.CharField(_("格式"), max_length=12, choices=Format.choices)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    event_types = models.JSONField(
        _("订阅的事件"), default=list, blank=True,
        help_text=_("仅通用事件推送：事件类型，如 task.closed；task.* 表示任务的全部事件；* 表示全部事件"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("推送地址")
        verbose_name_plural = _("推送地址")
        indexes = [models.Index(fields=["format", "is_active"])]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One message to one webhook. Unique per (target, key), so the same message is never posted twice;
    `webhook_deliver` claims the row before each attempt (see services)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")  # waiting for its first attempt or a retry (not before next_attempt_at)
        SENDING = "sending", _("发送中")  # claimed by a worker until next_attempt_at (the lease)
        SENT = "sent", _("已发送")  # the robot answered 2xx with errcode 0
        FAILED = "failed", _("失败")  # gave up after the last attempt

    target = models.ForeignKey(
        WebhookTarget, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("工作群机器人")
    )
    key = models.CharField(_("去重键"), max_length=200)
    payload = models.JSONField(_("消息内容"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    response_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["target", "key"], name="webhook_delivery_unique")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.target} · {self.key}"


class CalendarFeed(models.Model):
    """A user's private iCalendar feed: `/calendar/<token>.ics` answers without a session, so the token is
    the credential. Resetting it replaces the token; the old URL then answers 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("用户")
    )
    token = models.CharField(_("令牌"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")

    def __str__(self) -> str:
        return str(self.user)
