"""Task forms: the office edits a task and its measures on one page. 整改时限 is typed as in the
published tables ("2025年12月底", "立行立改、长期坚持") and parsed into date + kind."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization
from zhenggai.core.forms import StyledFormMixin
from zhenggai.inspections.models import MeasureArea, Plan

from .deadlines import DeadlineError, parse_deadline
from .services import MeasureData, TaskData
from .workflow import Category


class DeadlineField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", _("如：2025年12月底、2025年12月31日、立行立改、长期坚持、立行立改、长期坚持"))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_deadline(text)
        except DeadlineError as exc:
            raise forms.ValidationError(str(exc)) from exc


class TaskForm(StyledFormMixin, forms.Form):
    number = forms.IntegerField(label=_("序号"), min_value=1)
    title = forms.CharField(label=_("存在问题"), widget=forms.Textarea(attrs={"rows": 3}))
    goal = forms.CharField(label=_("整改目标"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    implementing_units = forms.ModelMultipleChoiceField(label=_("整改实施主体"), queryset=Organization.objects.none())
    lead_unit = forms.ModelChoiceField(label=_("牵头单位"), queryset=Organization.objects.none(), required=False)
    cooperating_units = forms.ModelMultipleChoiceField(
        label=_("配合单位"), queryset=Organization.objects.none(), required=False
    )
    responsible_leader = forms.CharField(label=_("责任领导"), max_length=100, required=False)
    acceptance_unit = forms.ModelChoiceField(label=_("验收单位"), queryset=Organization.objects.none(), required=False)
    deadline = DeadlineField(label=_("整改时限"))
    due_year = forms.IntegerField(
        label=_("完成年度"), min_value=2000, max_value=2100, required=False,
        help_text=_("留空时取整改时限所在年度；长期坚持的任务请填写。"),
    )
    category = forms.ChoiceField(label=_("九治类别"), choices=[("", "—"), *Category.choices], required=False)
    measure_area = forms.ModelChoiceField(label=_("整改举措领域"), queryset=MeasureArea.objects.none(), required=False)
    remarks = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    location_lat = forms.DecimalField(label=_("问题点位纬度"), max_digits=9, decimal_places=6, min_value=-90,
                                      max_value=90, required=False,
                                      help_text=_("可选，如 30.672400；照片拍摄位置离点位过远时会提示核查"))
    location_lon = forms.DecimalField(label=_("问题点位经度"), max_digits=9, decimal_places=6, min_value=-180,
                                      max_value=180, required=False, help_text=_("可选，如 107.799100"))
    # the version the page was built from: a save based on an older version is refused (see task_update)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, plan: Plan, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        for name in ("implementing_units", "lead_unit", "cooperating_units", "acceptance_unit"):
            self.fields[name].queryset = units  # type: ignore[attr-defined]
        self.fields["measure_area"].queryset = plan.measure_areas.all()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("location_lat") is None) != (data.get("location_lon") is None):
            self.add_error("location_lon", _("纬度和经度需同时填写或同时留空。"))
        parsed = data.get("deadline")
        if parsed is not None and parsed.date is None and not data.get("due_year"):
            self.add_error("due_year", _("没有具体日期的时限（如长期坚持）需要填写完成年度。"))
        return data


class MeasureForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 2}))
    units = forms.ModelMultipleChoiceField(label=_("责任单位"), queryset=Organization.objects.none(), required=False)
    deadline = DeadlineField(label=_("完成时限"), required=False)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["units"].queryset = units  # type: ignore[attr-defined]


class BaseMeasureFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        self.units = units
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "units": self.units}


MeasureFormSet = forms.formset_factory(MeasureForm, formset=BaseMeasureFormSet, extra=2, can_delete=True)


def task_data_from_forms(form: TaskForm, measures: Any, *, is_sample: bool = False) -> TaskData:
    data = form.cleaned_data
    deadline = data["deadline"]
    items: list[MeasureData] = []
    for sub in measures.forms:
        if not sub.has_changed() and not sub.initial:
            continue
        cleaned = getattr(sub, "cleaned_data", None) or {}
        if not cleaned.get("text") or cleaned.get("DELETE"):
            continue
        m_deadline = cleaned.get("deadline") or deadline
        items.append(
            MeasureData(
                number=len(items) + 1,
                text=cleaned["text"],
                units=list(cleaned.get("units") or data["implementing_units"]),
                deadline=m_deadline.date,
                deadline_text=m_deadline.text,
                deadline_kind=m_deadline.kind,
            )
        )
    return TaskData(
        number=data["number"],
        title=data["title"],
        goal=data["goal"],
        implementing_units=list(data["implementing_units"]),
        lead_unit=data["lead_unit"] or (data["implementing_units"][0] if data["implementing_units"] else None),
        cooperating_units=list(data["cooperating_units"]),
        responsible_leader=data["responsible_leader"],
        acceptance_unit=data["acceptance_unit"],
        deadline=deadline.date,
        deadline_text=deadline.text,
        deadline_kind=deadline.kind,
        due_year=data["due_year"] or (deadline.date.year if deadline.date else None),
        category=data["category"],
        measure_area=data["measure_area"],
        remarks=data["remarks"],
        is_sample=is_sample,
        location_lat=data.get("location_lat"),
        location_lon=data.get("location_lon"),
        measures=items,
    )
