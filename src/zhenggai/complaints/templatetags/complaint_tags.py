"""Template helpers of the complaint pages: the ★ of priority cases, status and review badges,
pollution types, masked text, rates and amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.complaints.models import ComplaintStatus, PollutionType, ReviewStatus
from zhenggai.complaints.redaction import mask_text
from zhenggai.complaints.statistics import wan_yuan

register = template.Library()

STATUS_CLASSES = {
    ComplaintStatus.RECEIVED: "text-bg-secondary",
    ComplaintStatus.INVESTIGATING: "text-bg-primary",
    ComplaintStatus.STAGE_DONE: "text-bg-info",
    ComplaintStatus.DONE: "text-bg-success",
}
REVIEW_CLASSES = {
    ReviewStatus.DRAFT: "text-bg-light",
    ReviewStatus.SUBMITTED: "text-bg-warning",
    ReviewStatus.APPROVED: "text-bg-success",
    ReviewStatus.RETURNED: "text-bg-danger",
}
TYPE_LABELS = dict(PollutionType.choices)


@register.simple_tag
def priority_star(complaint: Any) -> str:
    """★ before the number of a priority case (重点件), with its meaning for screen readers."""
    if not getattr(complaint, "is_priority", False):
        return ""
    return format_html('<span class="text-danger" title="{0}" data-priority="1">★<span class="visually-hidden">{0}</span></span>',
                       _("重点件"))


@register.simple_tag
def complaint_status_badge(complaint: Any) -> str:
    return format_html('<span class="badge {}" data-status="{}">{}</span>', STATUS_CLASSES.get(complaint.status, ""),
                       complaint.status, complaint.get_status_display())


@register.simple_tag
def review_badge(complaint: Any) -> str:
    """The review state once the result has been submitted (nothing while the unit is still drafting)."""
    if complaint.review_status == ReviewStatus.DRAFT:
        return ""
    return format_html('<span class="badge {}" data-review="{}">{}</span>',
                       REVIEW_CLASSES.get(complaint.review_status, ""), complaint.review_status,
                       complaint.get_review_status_display())


@register.filter
def pollution_labels(complaint: Any) -> str:
    """"大气（油烟）、噪声": the types, with the sub-types after the first one."""
    labels = [str(TYPE_LABELS.get(code, code)) for code in complaint.pollution_types or []]
    text = "、".join(labels) or complaint.pollution_text or ""
    subtypes = "、".join(complaint.pollution_subtypes or [])
    return f"{text}（{subtypes}）" if subtypes and text else text


@register.filter
def masked(text: str | None) -> str:
    return mask_text(text)


@register.filter
def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


@register.filter
def in_wan_yuan(value: Decimal | int | None) -> str:
    return wan_yuan(value or 0)


@register.filter
def counter_value(value: Any, unit: str) -> str:
    """A counter with its unit: "12家", "3.50万元" for fines given in 元."""
    if unit == "元":
        return _("%(n)s万元") % {"n": wan_yuan(value or 0)}
    return f"{value}{unit}"


@register.filter
def shown(text: str | None, raw: bool) -> str:
    """The text as is for the office (`raw`), masked for everyone else."""
    return (text or "") if raw else mask_text(text)


EVENT_LABELS = {
    "complaint.created": gettext_lazy("登记"), "complaint.imported": gettext_lazy("导入"), "complaint.assigned": gettext_lazy("交办"),
    "complaint.handled": gettext_lazy("填写办理情况"), "complaint.submitted": gettext_lazy("提交审核"), "complaint.approved": gettext_lazy("审核通过"),
    "complaint.returned": gettext_lazy("退回修改"), "complaint.repeat_linked": gettext_lazy("关联重复件"),
    "complaint.repeat_unlinked": gettext_lazy("取消重复关联"), "complaint.merged": gettext_lazy("合并办理"),
    "complaint.reminded": gettext_lazy("到期提醒"), "complaint.rebound_created": gettext_lazy("回头看反弹新建"),
    "complaint.published": gettext_lazy("公开"), "complaint.unpublished": gettext_lazy("撤回公开"),
    "evidence.uploaded": gettext_lazy("上传佐证材料"), "evidence.deleted": gettext_lazy("删除佐证材料"),
    "lookback.scheduled": gettext_lazy("安排回头看"), "lookback.recorded": gettext_lazy("记录回头看结果"),
}


@register.filter
def complaint_event_label(verb: str) -> str:
    return str(EVENT_LABELS.get(verb, verb))
