from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin
from zhenggai.evidence.models import Evidence, EvidenceCategory

from .models import AcceptanceApplication, LookBack


class DateInput(forms.DateInput):
    input_type = "date"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "multiple": True, "accept": "image/*,video/*,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def criteria_fields(form: forms.Form, prefix: str) -> None:
    for key, label in AcceptanceApplication.CRITERIA:
        form.fields[f"{prefix}{key}"] = forms.BooleanField(label=label, required=False)


class ApplyForm(StyledFormMixin, forms.Form):
    statement = forms.CharField(label=_("整改完成情况"), widget=forms.Textarea(attrs={"rows": 5}))
    evidence: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("选择已有佐证材料"), queryset=Evidence.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_files = MultipleFileField(label=_("上传新的佐证材料"))
    category = forms.ChoiceField(label=_("新材料类别"), choices=EvidenceCategory.choices,
                                 initial=EvidenceCategory.AFTER_PHOTO)

    def __init__(self, *args: Any, evidence: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]
        criteria_fields(self, "check_")

    @property
    def self_check(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(f"check_{key}")) for key, _l in AcceptanceApplication.CRITERIA}


class ReviewForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("验收结论"), choices=[("pass", _("通过，进入公示")), ("return", _("退回整改"))],
                                 widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("验收意见 / 退回理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    check_date = forms.DateField(label=_("现场核查日期"), widget=DateInput(), required=False)
    check_people = forms.CharField(label=_("核查人员"), max_length=200, required=False)
    check_findings = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    photos = MultipleFileField(label=_("现场照片"))
    contact_phone = forms.CharField(label=_("公示异议电话"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("公示异议邮箱"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        criteria_fields(self, "criterion_")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not (data.get("reasons") or "").strip():
            self.add_error("reasons", _("退回必须写明理由。"))
        return data

    @property
    def criteria(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(f"criterion_{key}")) for key, _l in AcceptanceApplication.CRITERIA}


class ObjectionAnswerForm(StyledFormMixin, forms.Form):
    answer = forms.CharField(label=_("答复"), widget=forms.Textarea(attrs={"rows": 3}))
    upheld = forms.BooleanField(label=_("异议成立（任务退回整改）"), required=False)


class PublicObjectionForm(StyledFormMixin, forms.Form):
    content = forms.CharField(label=_("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    contact_name = forms.CharField(label=_("姓名（选填）"), max_length=60, required=False)
    contact = forms.CharField(label=_("联系方式（选填，仅用于核实，不会公开）"), max_length=100, required=False)


class LookBackForm(StyledFormMixin, forms.Form):
    scheduled_date = forms.DateField(label=_("计划日期"), widget=DateInput())


class LookBackResultForm(StyledFormMixin, forms.Form):
    result = forms.ChoiceField(label=_("结果"), choices=LookBack.Result.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs={"rows": 3}))
    rebound_deadline = forms.DateField(label=_("反弹问题整改时限"), widget=DateInput(), required=False)
