"""督办推进 on the task page (`supervision_panel`) and small helpers for the supervision templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

NOTICE_STATUS_CLASSES = {
    "draft": "text-bg-secondary",
    "issued": "text-bg-primary",
    "replied": "text-bg-success",
    "escalated": "text-bg-danger",
    "cancelled": "text-bg-light",
}


@register.simple_tag(takes_context=True)
def supervision_panel(context: Any, task: Any) -> str:
    """The task's warning with its reasons, its supervision notices (as the user may see them) and, for
    the office, the button to draft one."""
    from zhenggai.rectification.supervision import may_manage
    from zhenggai.rectification.supervision_selectors import notices_for_task
    from zhenggai.rectification.warnings import GREEN, warning_reasons
    from zhenggai.rectification.workflow import OPEN_STATUSES

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return ""
    reasons = warning_reasons(task) if task.warning != GREEN else []
    return render_to_string(
        "supervision/_panel.html",
        {
            "task": task,
            "reasons": reasons,
            "notices": list(notices_for_task(user, task)),
            "can_supervise": task.status in OPEN_STATUSES and may_manage(user, task),
        },
        request=request,
    )


@register.simple_tag
def notice_status_badge(notice: Any) -> str:
    return format_html('<span class="badge {}" data-notice-status="{}">{}</span>',
                       NOTICE_STATUS_CLASSES.get(notice.status, ""), notice.status, notice.get_status_display())


@register.filter
def supervision_event_label(verb: str) -> str:
    labels = {
        "supervision.drafted": _("起草"),
        "supervision.updated": _("修改"),
        "supervision.issued": _("签发"),
        "supervision.replied": _("回复"),
        "supervision.escalated": _("逾期未回复，升级督办"),
        "supervision.cancelled": _("撤销"),
    }
    return str(labels.get(verb, verb))
