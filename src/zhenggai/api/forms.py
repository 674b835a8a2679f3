from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin

from .services import MAX_EXPIRES_DAYS


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, help_text=_("用途，如：区大数据平台对接"))
    expires_days = forms.IntegerField(
        label=_("有效期（天）"), min_value=1, max_value=MAX_EXPIRES_DAYS, required=False, initial=90,
        help_text=_("留空表示长期有效；建议设定有效期"),
    )
