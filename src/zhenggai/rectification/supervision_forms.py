"""Forms of 督办推进: they parse input only; the rules live in `supervision.py`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization
from zhenggai.core.forms import StyledFormMixin

from .models import SupervisionNotice


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class NoticeForm(StyledFormMixin, forms.Form):
    """Editing a draft (the office)."""

    kind = forms.ChoiceField(label=_("类型"), choices=SupervisionNotice.Kind.choices)
    reply_deadline = forms.DateField(label=_("回复期限"), widget=DateInput())
    reason = forms.CharField(label=_("督办事由"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    required_action = forms.CharField(label=_("督办要求"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class NoticeCreateForm(NoticeForm):
    """Drafting by hand: the office chooses the unit among the task's units."""

    unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("督办对象"), queryset=Organization.objects.none(), empty_label=None
    )

    field_order = ["unit", "kind", "reply_deadline", "reason", "required_action"]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class ReplyForm(StyledFormMixin, forms.Form):
    reply = forms.CharField(
        label=_("回复内容"), widget=forms.Textarea(attrs={"rows": 5}), max_length=8000,
        help_text=_("说明整改进展、采取的措施和完成时限；佐证材料请在任务页上传。"),
    )


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("撤销理由"), required=False, max_length=500)
