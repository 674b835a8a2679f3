"""Template helpers of the integrity review: the status badge, event labels and the panel that the task
and complaint pages include (empty for those who may not see flags)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from zhenggai.integrity.selectors import flags_for_complaint, flags_for_task

register = template.Library()

STATUS_CLASSES = {"open": "text-bg-warning", "confirmed": "text-bg-danger", "dismissed": "text-bg-secondary"}


@register.simple_tag
def flag_status_badge(flag: Any) -> str:
    return format_html('<span class="badge {}" data-flag-status="{}">{}</span>', STATUS_CLASSES.get(flag.status, ""),
                       flag.status, flag.get_status_display())


@register.filter
def integrity_event_label(verb: str) -> str:
    labels = {
        "integrity.flagged": _("核查发现疑点"), "integrity.confirmed": _("确认问题"), "integrity.dismissed": _("排除"),
        "integrity.reopened": _("重新核查"), "integrity.to_accountability": _("转为问责"),
    }
    return str(labels.get(verb, verb))


@register.simple_tag(takes_context=True)
def integrity_panel(context: Any, subject: Any) -> SafeString:
    """The flags of a task or complaint, for the office, leaders and the discipline body of its region;
    nothing at all for everybody else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    is_task = subject._meta.model_name == "task"
    flags = flags_for_task(user, subject) if is_task else flags_for_complaint(user, subject)
    if not flags:
        return SafeString("")
    return render_to_string("integrity/_panel.html", {"flags": flags, "subject": subject, "is_task": is_task},
                            request=request)
