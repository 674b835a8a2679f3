"""The reports panel of the task page and the badges of the dispatch pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from zhenggai.rectification.round_selectors import CellState, task_reports_panel
from zhenggai.rectification.workflow import ScheduleJudgement

register = template.Library()

STATE_CLASSES: dict[str, str] = {
    CellState.APPROVED: "text-bg-success",
    CellState.SUBMITTED: "text-bg-info",
    CellState.DRAFT: "text-bg-secondary",
    CellState.RETURNED: "text-bg-warning",
    CellState.MISSING: "text-bg-light border",
    CellState.OVERDUE: "text-bg-danger",
}
JUDGEMENT_CLASSES: dict[str, str] = {
    ScheduleJudgement.NOT_STARTED: "text-bg-secondary",
    ScheduleJudgement.BEHIND: "text-bg-danger",
    ScheduleJudgement.ON_SCHEDULE: "text-bg-success",
    ScheduleJudgement.AHEAD: "text-bg-primary",
}


@register.simple_tag(takes_context=True)
def reports_panel(context: Any, task: Any) -> SafeString:
    """整改进展 on the task page: timeline, latest percent, 序时进度 and the 填报进展 links."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return SafeString("")
    panel = task_reports_panel(user, task)
    return render_to_string("rounds/_reports_panel.html", {"task": task, "panel": panel, "states": CellState})


@register.simple_tag
def state_badge(state: str, late: bool = False) -> str:
    """The badge of a report's state on a board (已报送/待审核/草稿/已退回/未报送/逾期)."""
    label = CellState.LABELS.get(state, state)
    return format_html('<span class="badge {}" data-state="{}">{}</span>', STATE_CLASSES.get(state, ""), state, label)


@register.simple_tag
def judgement_badge(value: str) -> str:
    if not value:
        return ""
    return format_html('<span class="badge {}" data-judgement="{}">{}</span>', JUDGEMENT_CLASSES.get(value, ""),
                       value, ScheduleJudgement(value).label)
