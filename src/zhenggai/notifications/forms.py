from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationPreference


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["frequency", "by_email", "by_webhook"]
        labels = {
            "frequency": _("提醒频率"),
            "by_email": _("发送邮件"),
            "by_webhook": _("推送到本单位工作群（企业微信/钉钉群机器人）"),
        }
        help_texts = {
            "frequency": _("“每日汇总一次”：每天上午 8:30 把新提醒合成一条发给您；“即时”：每条提醒立刻发送。"),
            "by_email": _("发送到您账号登记的邮箱。"),
            "by_webhook": _("工作群里的消息全群可见；由系统管理员为本单位配置群机器人。"),
        }
        widgets = {"frequency": forms.RadioSelect}
