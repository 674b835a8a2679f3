"""Forms of the complaint pages. They parse input only; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization
from zhenggai.evidence.models import EvidenceCategory

from .models import Complaint, ComplaintStatus, Truthfulness
from .statistics import COUNTER_FIELDS

TEXTAREA = {"class": "form-control", "rows": 3}
INPUT = {"class": "form-control"}
SELECT = {"class": "form-select"}
# 是否办结 as the handling unit answers it
HANDLING_STATUS_CHOICES = [
    (ComplaintStatus.INVESTIGATING.value, _("未办结")),
    (ComplaintStatus.STAGE_DONE.value, _("阶段性办结")),
    (ComplaintStatus.DONE.value, _("已办结")),
]


class ComplaintHandleForm(forms.Form):
    """调查核实情况, 是否属实, 办结目标, 处理和整改情况, 是否办结, 责任人被处理情况, the counters and evidence
    files (`files`, read from request.FILES by the view)."""

    investigation = forms.CharField(label=_("调查核实情况"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    truthfulness = forms.ChoiceField(label=_("是否属实"), required=False,
                                     choices=[("", "—"), *Truthfulness.choices], widget=forms.Select(attrs=SELECT))
    handling_goal = forms.CharField(label=_("办结目标"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    handling = forms.CharField(label=_("处理和整改情况"), required=False, widget=forms.Textarea(attrs=TEXTAREA))
    status = forms.ChoiceField(label=_("是否办结"), choices=HANDLING_STATUS_CHOICES, widget=forms.Select(attrs=SELECT))
    done_at = forms.DateField(label=_("办结日期"), required=False, help_text=_("已办结时填写；不填为今天"),
                              widget=forms.DateInput(attrs={**INPUT, "type": "date"}))
    accountability = forms.CharField(label=_("责任人被处理情况"), required=False,
                                     widget=forms.Textarea(attrs=TEXTAREA))
    ordered_rectify = forms.IntegerField(label=_("责令整改（家）"), min_value=0, initial=0,
                                         widget=forms.NumberInput(attrs=INPUT))
    penalized = forms.IntegerField(label=_("立案处罚（家）"), min_value=0, initial=0,
                                   widget=forms.NumberInput(attrs=INPUT))
    fine_amount = forms.DecimalField(label=_("罚款金额（元）"), min_value=0, max_digits=14, decimal_places=2,
                                     initial=0, widget=forms.NumberInput(attrs={**INPUT, "step": "0.01"}))
    investigated = forms.IntegerField(label=_("立案侦查（件）"), min_value=0, initial=0,
                                      widget=forms.NumberInput(attrs=INPUT))
    admin_detained = forms.IntegerField(label=_("行政拘留（人）"), min_value=0, initial=0,
                                        widget=forms.NumberInput(attrs=INPUT))
    criminal_detained = forms.IntegerField(label=_("刑事拘留（人）"), min_value=0, initial=0,
                                           widget=forms.NumberInput(attrs=INPUT))
    interviewed = forms.IntegerField(label=_("约谈（人）"), min_value=0, initial=0,
                                     widget=forms.NumberInput(attrs=INPUT))
    held_accountable = forms.IntegerField(label=_("问责（人）"), min_value=0, initial=0,
                                          widget=forms.NumberInput(attrs=INPUT))
    leads_transferred = forms.IntegerField(label=_("移送问题线索（件）"), min_value=0, initial=0,
                                           widget=forms.NumberInput(attrs=INPUT))
    remarks = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={**TEXTAREA, "rows": 2}))
    evidence_category = forms.ChoiceField(label=_("佐证材料类别"), choices=EvidenceCategory.choices,
                                          initial=EvidenceCategory.STATEMENT, widget=forms.Select(attrs=SELECT))
    # the version the form was built from: saving over a newer version is refused (see complaint_handle)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    TEXT_FIELDS = ("investigation", "truthfulness", "handling_goal", "handling", "status", "accountability", "remarks")

    @classmethod
    def initial_for(cls, complaint: Complaint) -> dict[str, Any]:
        initial = {name: getattr(complaint, name) for name in (*cls.TEXT_FIELDS, *COUNTER_FIELDS, "done_at", "version")}
        if complaint.status == ComplaintStatus.RECEIVED:
            initial["status"] = ComplaintStatus.INVESTIGATING
        return initial

    @property
    def main_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name not in COUNTER_FIELDS and name != "version"]

    @property
    def counter_fields(self) -> list[Any]:
        return [self[name] for name in COUNTER_FIELDS]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in (*self.TEXT_FIELDS, *COUNTER_FIELDS)}
        if self.cleaned_data.get("done_at"):
            data["done_at"] = self.cleaned_data["done_at"]
        return data


class ComplaintAssignForm(forms.Form):
    lead_unit = forms.ModelChoiceField(label=_("牵头办理单位"), queryset=Organization.objects.none(),
                                       widget=forms.Select(attrs=SELECT))
    cooperating_units = forms.ModelMultipleChoiceField(
        label=_("配合单位"), queryset=Organization.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={**SELECT, "size": 8}),
        help_text=_("可多选（电脑上按住 Ctrl 或 ⌘）"))

    def __init__(self, *args: Any, units: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["cooperating_units"].queryset = units  # type: ignore[attr-defined]


class ComplaintReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核结果"), choices=[("approve", _("审核通过")), ("return", _("退回修改"))],
                                 widget=forms.RadioSelect)
    note = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs=TEXTAREA),
                           help_text=_("退回时必填"))


class ComplaintLinkForm(forms.Form):
    action = forms.ChoiceField(choices=[("repeat", _("关联为重复件")), ("merge", _("合并办理")),
                                        ("unlink", _("取消重复关联"))])
    other = forms.IntegerField(required=False, min_value=1)


class ComplaintEvidenceForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=EvidenceCategory.choices, widget=forms.Select(attrs=SELECT))
    description = forms.CharField(label=_("说明"), max_length=255, required=False, widget=forms.TextInput(attrs=INPUT))


class LookBackScheduleForm(forms.Form):
    scheduled_date = forms.DateField(label=_("计划日期"), widget=forms.DateInput(attrs={**INPUT, "type": "date"}))


class LookBackRecordForm(forms.Form):
    look_back = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    result = forms.ChoiceField(label=_("结果"), choices=[("held", _("成效巩固")), ("rebound", _("问题反弹"))],
                               widget=forms.RadioSelect)
    notes = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs=TEXTAREA))
