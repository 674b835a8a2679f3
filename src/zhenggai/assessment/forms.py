"""Forms of assessment and accountability: they parse input only; the rules live in `services.py`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin

from .models import Assessment, Measure, Rule
from .rules import PARAMS, RuleKind
from .services import RuleData


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class RuleSetForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    base_points = forms.DecimalField(label=_("基础分"), max_digits=7, decimal_places=2, initial=Decimal("100"))
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RuleForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("规则类型"), choices=[("", "—"), *RuleKind.choices], required=False)
    label = forms.CharField(label=_("名称"), max_length=100, required=False)
    points = forms.DecimalField(label=_("分值"), max_digits=6, decimal_places=2, required=False,
                                help_text=_("负数扣分，正数加分"))
    every = forms.IntegerField(label=_("每N次"), min_value=1, required=False,
                               help_text=_("仅“多次亮黄牌”：同一任务每亮黄牌N次计一次"))
    days_before = forms.IntegerField(label=_("提前天数"), min_value=1, required=False,
                                     help_text=_("仅“提前销号”：至少提前多少天"))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") and (not data.get("label") or data.get("points") is None):
            raise forms.ValidationError(_("请填写规则名称和分值。"))
        return data

    def rule_data(self) -> RuleData | None:
        data = self.cleaned_data
        if not data.get("kind") or data.get("DELETE"):
            return None
        params = {name: data[name] for name in PARAMS.get(data["kind"], {}) if data.get(name)}
        return RuleData(kind=data["kind"], label=data["label"], points=data["points"], params=params,
                        is_active=bool(data.get("is_active")), sort_order=data.get("sort_order") or 0)


RuleFormSet = forms.formset_factory(RuleForm, extra=1, can_delete=True)


def rule_initial(rule: Rule) -> dict[str, Any]:
    return {"kind": rule.kind, "label": rule.label, "points": rule.points, "is_active": rule.is_active,
            "sort_order": rule.sort_order, **{k: v for k, v in (rule.params or {}).items()}}


class AssessmentForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("名称"), max_length=120, help_text=_("如：2025年度督察整改工作考核"))
    period_kind = forms.ChoiceField(label=_("考核周期"), choices=Assessment.PeriodKind.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("季度"), required=False, coerce=int, empty_value=None,
                                     choices=[("", "—"), (1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")),
                                              (4, _("第四季度"))])
    rule_set = forms.ModelChoiceField(label=_("考核细则"), queryset=Rule.objects.none(), empty_label=None)

    def __init__(self, *args: Any, rule_sets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule_set"].queryset = rule_sets  # type: ignore[attr-defined]
        self.fields["year"].initial = dt.date.today().year


class CaseForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("事由"), max_length=200)
    date = forms.DateField(label=_("决定日期"), widget=DateInput())
    measures = forms.MultipleChoiceField(label=_("问责措施"), choices=Measure.choices,
                                         widget=forms.CheckboxSelectMultiple)
    people = forms.CharField(
        label=_("被问责人"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一人：姓名，单位及职务（用逗号或空格隔开）"))
    lead_transferred_to = forms.CharField(label=_("线索移送至"), max_length=120, required=False,
                                          help_text=_("选择“移送问题线索”时必填，如：区纪委监委第二审查调查室"))
    description = forms.CharField(label=_("基本情况"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    tasks = forms.ModelMultipleChoiceField(label=_("关联整改任务"), queryset=Rule.objects.none(), required=False)
    complaints = forms.ModelMultipleChoiceField(label=_("关联信访件"), queryset=Rule.objects.none(), required=False)
    proposal = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, tasks: Any, complaints: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tasks"].queryset = tasks  # type: ignore[attr-defined]
        self.fields["complaints"].queryset = complaints  # type: ignore[attr-defined]

    def clean_people(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data["people"].splitlines():
            line = line.strip()
            if not line:
                continue
            for separator in ("，", ",", "、", "\t", " "):
                if separator in line:
                    name, post = line.split(separator, 1)
                    break
            else:
                name, post = line, ""
            rows.append((name.strip()[:60], post.strip()[:120]))
        if not rows:
            raise forms.ValidationError(_("请填写被问责人。"))
        return rows


def people_text(people: Any) -> str:
    return "\n".join(f"{p.name}，{p.post}" if p.post else p.name for p in people)
