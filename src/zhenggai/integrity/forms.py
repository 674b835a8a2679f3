"""Forms of the integrity review: they parse input only; the rules live in `services.py`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenggai.assessment.forms import CaseForm
from zhenggai.core.forms import StyledFormMixin

from .services import CaseInput


class DecisionForm(StyledFormMixin, forms.Form):
    """The reason of a decision (confirm, dismiss, reopen)."""

    reason = forms.CharField(label=_("核查意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, required: bool = True, help_text: Any = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        self.fields["reason"].help_text = help_text


class FlagCaseForm(CaseForm):
    """An accountability case made from a flag: the case form without the links (the flag's task or
    complaint is linked by the service)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from zhenggai.rectification.models import Task

        super().__init__(*args, tasks=Task.objects.none(), complaints=Task.objects.none(), **kwargs)
        for name in ("tasks", "complaints", "proposal"):
            del self.fields[name]
        self.fields["date"].initial = timezone.localdate()

    def case_input(self) -> CaseInput:
        data = self.cleaned_data
        return CaseInput(title=data["title"], date=data["date"], measures=list(data["measures"]),
                         people=list(data["people"]), description=data.get("description") or "",
                         lead_transferred_to=data.get("lead_transferred_to") or "")
