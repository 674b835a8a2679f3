"""Forms of the dispatch pages: opening a round (office) and the phone report form (units)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin
from zhenggai.evidence.models import EvidenceCategory
from zhenggai.inspections.models import Plan

from .models import DispatchRound, ProgressReport, Task

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=DispatchRound.Kind.choices, widget=forms.RadioSelect,
                             initial=DispatchRound.Kind.MONTHLY)
    title = forms.CharField(label=_("名称"), max_length=100, required=False,
                            help_text=_("留空时自动生成，如“2025年3月调度”。"))
    plan = forms.ModelChoiceField(label=_("整改方案"), queryset=Plan.objects.none(), required=False,
                                  empty_label=_("本区域全部方案"))
    period_start = forms.DateField(label=_("调度期起"), widget=DATE)
    due_date = forms.DateField(label=_("报送截止"), widget=DATE)
    tasks = forms.ModelMultipleChoiceField(
        label=_("重点任务（周调度）"), queryset=Task.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("月调度自动包含全部未销号任务，无需勾选。"),
    )

    def __init__(self, *args: Any, plans: Any, tasks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        self.fields["tasks"].queryset = tasks  # type: ignore[attr-defined]
        self.fields["tasks"].label_from_instance = lambda t: f"{t.number}. {t.short_title}"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == DispatchRound.Kind.WEEKLY and not data.get("tasks"):
            self.add_error("tasks", _("周调度需要选择重点任务。"))
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReportForm(StyledFormMixin, forms.Form):
    """The phone form: everything is prefilled from the last approved report, so only changes are typed."""

    stage = forms.ChoiceField(label=_("整改阶段"), choices=ProgressReport.Stage.choices)
    percent = forms.IntegerField(
        label=_("完成比例（%）"), min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "5", "min": "0", "max": "100"}),
    )
    description = forms.CharField(label=_("整改进度描述"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    next_steps = forms.CharField(label=_("下一步计划"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(
        label=_("佐证材料"), required=False,
        help_text=_("只在能证明整改成效时上传，如整改前后照片、监测报告、处罚文书。"),
        widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf,.doc,.docx,.xls,.xlsx"}),
    )
    evidence_category = forms.ChoiceField(label=_("材料类别"), choices=EvidenceCategory.choices,
                                          initial=EvidenceCategory.AFTER_PHOTO, required=False)
    remove_evidence = forms.MultipleChoiceField(label=_("移除材料"), required=False,
                                                widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, evidence: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["remove_evidence"].choices = [(str(e.pk), e.original_name) for e in evidence]  # type: ignore[attr-defined]
        if not evidence:
            del self.fields["remove_evidence"]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "stage": data["stage"], "percent": data["percent"], "description": data["description"],
            "next_steps": data["next_steps"], "remove_evidence": data.get("remove_evidence") or [],
        }

    @property
    def uploads(self) -> list[Any]:
        return list(self.cleaned_data.get("attachments") or [])


class ReturnForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("退回理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
