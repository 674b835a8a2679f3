from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization
from zhenggai.core.forms import StyledFormMixin

from .event_hooks import valid_pattern
from .models import NotificationPreference, WebhookTarget


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


class EventTypesField(forms.CharField):
    """A list of event types typed as text, one per line or separated by commas or spaces."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        text = super().to_python(value) or ""
        return [part for part in re.split(r"[\s,，、;；]+", text) if part]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        bad = [p for p in value if not valid_pattern(p)]
        if bad:
            raise forms.ValidationError(_("无法识别的事件类型：%(p)s") % {"p": "、".join(bad)})


EVENT_TYPES_HELP = _("仅通用事件推送需要。每行一个：具体事件如 task.close，某类对象的全部事件如 task.*、complaint.*，"
                     "全部事件写 *。只推送本单位所在区域（含下级）的任务、方案、调度和信访件的事件。")


class WebhookTargetForm(StyledFormMixin, forms.ModelForm):
    """The staff page's form for a hook; the secret of an event hook is generated, never typed."""

    url = forms.URLField(label=_("地址"), max_length=500, assume_scheme="https",
                         help_text=_("接收推送的 HTTPS 地址，或群机器人的 Webhook 地址。"))
    event_types = EventTypesField(label=_("订阅的事件"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=EVENT_TYPES_HELP)
    robot_secret = forms.CharField(label=_("钉钉加签密钥"), required=False, max_length=200,
                                   widget=forms.PasswordInput(render_value=False),
                                   help_text=_("仅钉钉群机器人使用“加签”时填写（SEC 开头）；留空则保持不变。"))

    class Meta:
        model = WebhookTarget
        fields = ["organization", "name", "format", "url", "event_types", "is_active"]
        labels = {"organization": _("单位"), "name": _("名称"), "format": _("格式"), "is_active": _("启用")}

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organizations

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("format") == WebhookTarget.Format.GENERIC and not data.get("event_types"):
            self.add_error("event_types", _("请至少填写一个事件类型，例如 task.* 或 *。"))
        return data
