"""Writes to inspections, plans, measure areas and meetings. Only the office of the region may."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from zhenggai.accounts.policies import CHANGE, CREATE, user_can
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.services import record_save

from .models import Inspection, MeasureArea, Meeting, Plan

INSPECTION_FIELDS = [
    "title", "level", "round", "kind", "group", "target_region", "start_date", "end_date",
    "feedback_date", "follows", "summary", "complaint_reply_days", "is_sample",
]
PLAN_FIELDS = [
    "inspection", "title", "document_number", "approved_date", "published_date", "version", "summary",
    "goals", "guarantee_measures", "is_sample",
]
MEETING_FIELDS = ["inspection", "date", "title", "body", "decisions"]


def _check(actor: Any, obj: Any) -> None:
    allowed = user_can(actor, CHANGE, obj) if obj.pk else user_can(actor, CREATE, type(obj))
    if not allowed:
        raise PermissionDenied()


def inspection_save(*, actor: Any, inspection: Inspection) -> Inspection:
    """Create or update an inspection. The end cannot precede the start, nor the feedback the end."""
    if inspection.pk is None and not user_can(actor, CREATE, Inspection):
        raise PermissionDenied()
    if inspection.pk is None:
        # a new inspection must be in the actor's own region
        probe = Inspection(target_region=inspection.target_region)
        if not user_can(actor, CHANGE, probe):
            raise PermissionDenied(_("只能为本行政区域登记督察。"))
    else:
        _check(actor, Inspection.objects.get(pk=inspection.pk))
    if inspection.end_date < inspection.start_date:
        raise ValidationFailed(_("结束日期不能早于进驻日期。"), field="end_date")
    if inspection.feedback_date and inspection.feedback_date < inspection.end_date:
        raise ValidationFailed(_("反馈日期不能早于督察结束日期。"), field="feedback_date")
    return record_save(actor=actor, obj=inspection, fields=INSPECTION_FIELDS, verb="inspection")


def plan_save(*, actor: Any, plan: Plan, measure_areas: list[str] | None = None) -> Plan:
    """Create or update a plan; `measure_areas` (titles, in order) replaces the plan's measure areas
    when given, keeping those whose title is unchanged so that tasks keep their area."""
    if not user_can(actor, CHANGE, plan.inspection):
        raise PermissionDenied()
    if plan.pk is not None:
        _check(actor, Plan.objects.select_related("inspection").get(pk=plan.pk))
    plan = record_save(actor=actor, obj=plan, fields=PLAN_FIELDS, verb="plan")
    if measure_areas is not None:
        measure_area_replace(actor=actor, plan=plan, titles=measure_areas)
    return plan


def measure_area_replace(*, actor: Any, plan: Plan, titles: list[str]) -> None:
    existing = {a.title: a for a in plan.measure_areas.all()}
    wanted = [t.strip() for t in titles if t.strip()]
    plan.measure_areas.exclude(title__in=wanted).delete()
    # renumber through a free range first so that the unique (plan, number) holds at every step
    offset = 1000
    for area in plan.measure_areas.all():
        area.number += offset
        area.save(update_fields=["number"])
    for number, title in enumerate(wanted, start=1):
        area = existing.get(title) or MeasureArea(plan=plan, title=title)
        area.number = number
        record_save(actor=actor, obj=area, fields=["plan", "number", "title", "subareas"], verb="measure_area")


def meeting_save(*, actor: Any, meeting: Meeting, tasks: list[Any] | None = None) -> Meeting:
    if not user_can(actor, CHANGE, meeting.inspection):
        raise PermissionDenied()
    return record_save(
        actor=actor, obj=meeting, fields=MEETING_FIELDS, verb="meeting", m2m={"tasks": tasks} if tasks is not None else None
    )
