"""Template helpers: Chinese dates, status and warning badges, the calendar fallback note."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zhenggai.core.workdays import year_is_known

register = template.Library()


@register.filter
def cn_date(value: Any) -> str:
    """2025-03-03 → 2025年3月3日 (zh-hans) or 3 Mar 2025 (English)."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        return str(value)
    if (get_language() or "zh-hans").startswith("en"):
        return f"{value.day} {value:%b} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


WARNING_CLASSES = {"red": "badge-red", "yellow": "badge-yellow", "green": "badge-green"}


@register.simple_tag
def warning_badge(level: str | None) -> str:
    from zhenggai.rectification.warnings import LABELS

    if not level:
        return ""
    return format_html('<span class="badge {}" data-warning="{}">{}</span>', WARNING_CLASSES.get(level, ""), level,
                       LABELS.get(level, level))


STATUS_CLASSES = {
    "not_started": "text-bg-secondary",
    "in_progress": "text-bg-primary",
    "acceptance_requested": "text-bg-info",
    "in_public_notice": "text-bg-warning",
    "closed": "text-bg-success",
}


@register.simple_tag
def status_badge(task: Any) -> str:
    return format_html('<span class="badge {}" data-status="{}">{}</span>', STATUS_CLASSES.get(task.status, ""),
                       task.status, task.get_status_display())


@register.simple_tag
def calendar_note(*dates: Any) -> str:
    """A visible note when a shown date lies in a year the working-day calendar does not know."""
    years = sorted({d.year for d in dates if isinstance(d, dt.date) and not year_is_known(d.year)})
    if not years:
        return ""
    return format_html(
        '<span class="calendar-fallback" data-testid="calendar-fallback">{}</span>',
        _("注：工作日历未收录 %(years)s 年，工作日按周一至周五计算。") % {"years": "、".join(map(str, years))},
    )


@register.simple_tag
def calendar_note_for(items: Any, attribute: str = "deadline") -> str:
    """The fallback note for a list: shown when any item's date lies in a year the calendar lacks."""
    return calendar_note(*(getattr(item, attribute, None) for item in items))


@register.simple_tag
def sample_mark(obj: Any) -> str:
    if getattr(obj, "is_sample", False):
        return format_html('<span class="sample-ribbon" title="{}">{}</span>', _("演示用的示例内容，不是真实数据"),
                           _("示例数据"))
    return ""


@register.filter
def units(queryset: Any) -> str:
    return "、".join(u.short_name or u.name for u in queryset.all()) if queryset is not None else ""


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (for sort links and pagination)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    params.pop("page", None) if "page" not in changes else None
    return "?" + params.urlencode()


@register.filter
def widget_kind(bound_field: Any) -> str:
    """"checkbox" for a single check box, "choices" for check boxes or radio buttons, else "input"."""
    from django import forms

    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "input"


@register.filter
def event_label(verb: str) -> str:
    """A readable label for an event verb such as "task.created"."""
    labels = {
        "created": _("创建"), "updated": _("修改"), "imported": _("导入"), "roles_changed": _("角色变更"),
        "demo_state_set": _("演示状态设置"), "uploaded": _("上传"), "deleted": _("删除"),
        "drafted": _("起草"), "issued": _("签发"), "replied": _("回复"), "escalated": _("升级"), "cancelled": _("撤销"),
        "warning_changed": _("预警变化"), "accountability_proposed": _("提出问责建议"), "start": _("启动"),
        "apply": _("申请验收"), "pass": _("验收通过"), "return": _("退回"), "close": _("销号"),
        "uphold_objection": _("异议成立退回"), "objection_lodged": _("收到异议"), "objection_answered": _("答复异议"),
        "scheduled": _("安排"), "recorded": _("记录结果"), "rebound_created": _("反弹新建"),
        "submitted": _("提交"), "assigned": _("交办"), "handled": _("办理"),
        "reviewed": _("审核"), "published": _("公开"), "linked": _("关联"), "merged": _("合并"), "opened": _("发起"), "closed": _("结束"), "reminded": _("提醒"), "approved": _("审核通过"), "returned": _("退回"), "saved": _("保存"),
        "computed": _("计算"), "requested": _("申请生成"), "generated": _("生成"), "revoked": _("吊销"),
        "review_noted": _("补记验收意见"), "publication_changed": _("更改公开设置"),
        "secret_rotated": _("更换密钥"), "enabled": _("启用"), "disabled": _("停用"), "reset": _("重置"), "complainant_updated": _("更新信访人信息"),
        "flagged": _("发现"), "confirmed": _("确认"), "dismissed": _("排除"), "reopened": _("重新核查"),
        "to_accountability": _("转为问责"),
    }
    objects = {
        "task": _("任务"), "plan": _("整改方案"), "inspection": _("督察"), "measure_area": _("整改举措领域"),
        "meeting": _("研究部署"), "organization": _("单位"), "user": _("用户"),
        "evidence": _("佐证材料"), "supervision": _("督办"), "notice": _("公示"), "lookback": _("回头看"),
        "report": _("整改进展"), "round": _("调度"), "complaint": _("信访件"), "batch": _("交办批次"), "notification_preference": _("提醒设置"), "webhook_target": _("推送地址"),
        "ruleset": _("考核细则"), "assessment": _("考核"), "accountability": _("问责"), "bulletin": _("调度通报"),
        "api_token": _("接口令牌"), "calendar_feed": _("日历订阅"), "acceptance": _("验收"),
        "integrity": _("真实性核查疑点"),
    }
    head, _sep, action = verb.partition(".")
    return _("%(action)s%(object)s") % {"action": labels.get(action, action), "object": objects.get(head, head)}


@register.filter
def changed_fields(event: Any) -> str:
    """The labels of the fields an "updated" event changed, e.g. "整改时限、整改措施"."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    changes = (event.data or {}).get("changes") or {}
    model = next(
        (m for m in apps.get_models() if m._meta.model_name == event.object_type and m.__module__.startswith("zhenggai.")),
        None,
    )
    labels = []
    for name in changes:
        label = name
        if model is not None:
            try:
                label = str(getattr(model._meta.get_field(name), "verbose_name", name))
            except FieldDoesNotExist:
                label = {"measures": _("整改措施"), "milestones": _("阶段目标")}.get(name, name)
        labels.append(str(label))
    return "、".join(labels)
