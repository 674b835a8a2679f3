from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin

from .models import Inspection, Meeting, Plan


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class InspectionForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["title", "level", "round", "kind", "group", "target_region", "start_date", "end_date",
                  "feedback_date", "follows", "complaint_reply_days", "summary"]
        widgets = {"start_date": DateInput(), "end_date": DateInput(), "feedback_date": DateInput(),
                   "summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, regions: Any = None, inspections: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["target_region"].queryset = regions  # type: ignore[attr-defined]
        if inspections is not None:
            self.fields["follows"].queryset = inspections  # type: ignore[attr-defined]
        self.fields["complaint_reply_days"].required = False

    def clean_complaint_reply_days(self) -> int:
        return self.cleaned_data.get("complaint_reply_days") or 10

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, feedback = data.get("start_date"), data.get("end_date"), data.get("feedback_date")
        if start and end and end < start:
            self.add_error("end_date", _("结束日期不能早于进驻日期。"))
        if end and feedback and feedback < end:
            self.add_error("feedback_date", _("反馈日期不能早于督察结束日期。"))
        return data


def _items_to_text(items: list[dict[str, str]]) -> str:
    return "\n".join(f"{i.get('title', '')}：{i.get('text', '')}".rstrip("：") for i in items or [])


def _text_to_items(text: str) -> list[dict[str, str]]:
    items = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        title, _sep, rest = line.replace(":", "：", 1).partition("：")
        items.append({"title": title.strip(), "text": rest.strip()})
    return items


class PlanForm(StyledFormMixin, forms.ModelForm):
    goals_text = forms.CharField(
        label=_("整改目标"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项，格式：标题：内容"),
    )
    measure_areas_text = forms.CharField(
        label=_("整改举措领域"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一个领域，按顺序编号。已有任务的领域改名后，请重新指定任务的领域。"),
    )
    guarantees_text = forms.CharField(
        label=_("保障措施"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项，格式：标题：内容"),
    )

    class Meta:
        model = Plan
        fields = ["title", "document_number", "approved_date", "published_date", "version", "summary"]
        widgets = {"approved_date": DateInput(), "published_date": DateInput(),
                   "summary": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan = self.instance
        if plan.pk:
            self.initial.setdefault("goals_text", _items_to_text(plan.goals))
            self.initial.setdefault("guarantees_text", _items_to_text(plan.guarantee_measures))
            self.initial.setdefault("measure_areas_text", "\n".join(a.title for a in plan.measure_areas.all()))

    def save(self, commit: bool = False) -> Plan:
        plan = super().save(commit=False)
        plan.goals = _text_to_items(self.cleaned_data.get("goals_text", ""))
        plan.guarantee_measures = _text_to_items(self.cleaned_data.get("guarantees_text", ""))
        return plan

    @property
    def measure_area_titles(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("measure_areas_text", "").splitlines() if line.strip()]


class MeetingForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["date", "title", "body", "decisions", "tasks"]
        widgets = {"date": DateInput(), "decisions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, tasks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if tasks is not None:
            self.fields["tasks"].queryset = tasks  # type: ignore[attr-defined]
