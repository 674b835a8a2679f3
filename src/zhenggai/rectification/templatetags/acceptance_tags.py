"""The acceptance panel of the task page: transition buttons (from `available_transitions`), the
application and review, the public notice with its objections, and look-backs."""

from typing import Any

from django import template
from django.template.loader import render_to_string

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import user_has_role

register = template.Library()


@register.simple_tag(takes_context=True)
def acceptance_panel(context: Any, task: Any) -> str:
    from zhenggai.rectification.models import AcceptanceApplication, LookBack, PublicNotice
    from zhenggai.rectification.transitions import available_transitions
    from zhenggai.rectification.warnings import today

    request = context["request"]
    user = request.user
    applications = (AcceptanceApplication.objects.filter(task=task).select_related("unit", "review", "applied_by")
                    .prefetch_related("evidence").order_by("-applied_at"))
    notices = PublicNotice.objects.filter(task=task).prefetch_related("objections").order_by("-id")
    office = user.is_superuser or user_has_role(user, Role.OFFICE)
    return render_to_string("acceptance/_panel.html", {
        "task": task,
        "actions": available_transitions(task, user),
        "applications": applications,
        "notices": notices,
        "look_backs": LookBack.objects.filter(task=task).select_related("rebound_task"),
        "rebounds": task.rebounds.all(),
        "office": office,
        "may_see_objection_contacts": office or user_has_role(user, Role.DISCIPLINE),
        "today": today(),
    }, request=request)
