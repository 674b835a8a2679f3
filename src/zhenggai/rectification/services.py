"""Writes to tasks, measures and milestones. Each service checks the actor's right and writes its
event in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Region
from zhenggai.accounts.policies import CHANGE, CREATE, user_can
from zhenggai.core.errors import Conflict, PermissionDenied, ValidationFailed
from zhenggai.core.events import diff, event_record
from zhenggai.core.search import search_document
from zhenggai.inspections.models import MeasureArea, Plan

from .models import Measure, Milestone, Task
from .warnings import task_warning_refresh, warning_set_initial
from .workflow import DeadlineKind

TASK_FIELDS = (
    "number",
    "title",
    "goal",
    "responsible_leader",
    "deadline",
    "deadline_text",
    "deadline_kind",
    "due_year",
    "category",
    "remarks",
    "is_sample",
    "location_lat",
    "location_lon",
)


@dataclass
class MeasureData:
    number: int
    text: str
    units: Sequence[Organization] = ()
    deadline: dt.date | None = None
    deadline_text: str = ""
    deadline_kind: str = DeadlineKind.BY_DATE


@dataclass
class TaskData:
    """What defines a task; used by forms, the importer and the demo loader alike."""

    number: int
    title: str
    implementing_units: Sequence[Organization]
    goal: str = ""
    lead_unit: Organization | None = None
    cooperating_units: Sequence[Organization] = ()
    responsible_leader: str = ""
    acceptance_unit: Organization | None = None
    deadline: dt.date | None = None
    deadline_text: str = ""
    deadline_kind: str = DeadlineKind.BY_DATE
    due_year: int | None = None
    category: str = ""
    measure_area: MeasureArea | None = None
    region: Region | None = None
    remarks: str = ""
    is_sample: bool = False
    location_lat: Decimal | None = None  # the problem's place, for the photo-location check
    location_lon: Decimal | None = None
    measures: Sequence[MeasureData] = field(default_factory=tuple)
    milestones: Sequence[tuple[dt.date, str, int]] = field(default_factory=tuple)


def _snapshot(task: Task) -> dict[str, Any]:
    data = {name: getattr(task, name) for name in TASK_FIELDS}
    data["lead_unit"] = task.lead_unit.name if task.lead_unit_id else None  # type: ignore[union-attr]
    data["acceptance_unit"] = task.acceptance_unit.name if task.acceptance_unit_id else None  # type: ignore[union-attr]
    data["measure_area"] = task.measure_area_id
    data["region"] = task.region_id
    if task.pk:
        data["implementing_units"] = sorted(task.implementing_units.values_list("name", flat=True))
        data["cooperating_units"] = sorted(task.cooperating_units.values_list("name", flat=True))
        data["measures"] = [
            [m.number, m.text, m.deadline, m.deadline_text, m.deadline_kind, sorted(u.name for u in m.units.all())]
            for m in task.measures.prefetch_related("units").order_by("number")
        ]
        data["milestones"] = [[m.date, m.title, m.percent] for m in task.milestones.order_by("date", "id")]
    return data


def _validate(data: TaskData, plan: Plan) -> None:
    if not data.title.strip():
        raise ValidationFailed(_("存在问题不能为空。"), field="title")
    if not data.implementing_units:
        raise ValidationFailed(_("至少需要一个整改实施主体。"), field="implementing_units")
    if data.deadline_kind == DeadlineKind.BY_DATE and data.deadline is None:
        raise ValidationFailed(_("限期整改的任务必须填写整改时限。"), field="deadline")
    if data.measure_area is not None and data.measure_area.plan_id != plan.pk:
        raise ValidationFailed(_("整改举措领域不属于该方案。"), field="measure_area")


def _apply(task: Task, data: TaskData, plan: Plan) -> None:
    for name in TASK_FIELDS:
        setattr(task, name, getattr(data, name))
    if task.due_year is None and task.deadline is not None:
        task.due_year = task.deadline.year
    task.lead_unit = data.lead_unit
    task.acceptance_unit = data.acceptance_unit
    task.measure_area = data.measure_area
    task.region = data.region or plan.inspection.target_region
    task.search_text = search_document(
        task.title,
        task.goal,
        task.responsible_leader,
        task.deadline_text,
        *(u.name for u in data.implementing_units),
        *(m.text for m in data.measures),
    )


def _write_children(task: Task, data: TaskData) -> None:
    task.implementing_units.set(data.implementing_units)
    task.cooperating_units.set(data.cooperating_units)
    existing = {m.number: m for m in task.measures.all()}
    keep = set()
    for item in data.measures:
        measure = existing.get(item.number) or Measure(task=task, number=item.number)
        measure.text = item.text
        measure.deadline = item.deadline
        measure.deadline_text = item.deadline_text
        measure.deadline_kind = item.deadline_kind
        measure.save()
        measure.units.set(item.units)
        keep.add(item.number)
    task.measures.exclude(number__in=keep).delete()
    if data.milestones or task.milestones.exists():
        task.milestones.all().delete()
        Milestone.objects.bulk_create(
            [Milestone(task=task, date=d, title=t, percent=p) for d, t, p in data.milestones]
        )


def task_create(*, actor: Any, plan: Plan, data: TaskData, verb: str = "task.created") -> Task:
    """Create a task in `plan`. Only the office of the plan's region may; the number must be free."""
    if not (user_can(actor, CREATE, Task) and user_can(actor, CHANGE, plan)):
        raise PermissionDenied()
    _validate(data, plan)
    with transaction.atomic():
        if Task.objects.filter(plan=plan, number=data.number).exists():
            raise ValidationFailed(_("该方案中已有序号为 %(n)s 的任务。") % {"n": data.number}, field="number")
        task = Task(plan=plan)
        _apply(task, data, plan)
        warning_set_initial(task)
        task.save()
        _write_children(task, data)
        event_record(actor=actor, verb=verb, obj=task, data={"after": _snapshot(task), "warning": task.warning})
    return task


def task_update(
    *, actor: Any, task: Task, data: TaskData, verb: str = "task.updated", expected_version: int | None = None
) -> bool:
    """Change a task's plan data. Returns False (and writes nothing) when nothing changed.

    `expected_version` is the version the user read (edit page, API): when given and the locked row has
    moved on, `Conflict` is raised and nothing is written, so a second editor never silently overwrites
    the first. Importers leave it out (last write wins, as in the source table).
    """
    if not user_can(actor, CHANGE, task):
        raise PermissionDenied()
    plan = task.plan
    _validate(data, plan)
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if expected_version is not None and expected_version != locked.version:
            raise Conflict(_("该任务已被他人修改（当前版本 %(v)s），请刷新后重新编辑。") % {"v": locked.version})
        if data.number != locked.number and Task.objects.filter(plan=plan, number=data.number).exists():
            raise ValidationFailed(_("该方案中已有序号为 %(n)s 的任务。") % {"n": data.number}, field="number")
        before = _snapshot(locked)
        _apply(locked, data, plan)
        locked.save()
        _write_children(locked, data)
        after = _snapshot(locked)
        changes = diff(before, after)
        if not changes:
            transaction.set_rollback(True)
            return False
        locked.version += 1
        locked.save(update_fields=["version"])
        event_record(actor=actor, verb=verb, obj=locked, data={"changes": changes})
        task_warning_refresh(locked, actor=actor)
    task.refresh_from_db()
    return True


def task_save(*, actor: Any, plan: Plan, data: TaskData, verb_prefix: str = "task") -> tuple[Task, str]:
    """Create or update the task keyed by (plan, number). Returns the task and "created",
    "updated" or "unchanged" — what makes imports idempotent."""
    existing = Task.objects.filter(plan=plan, number=data.number).first()
    if existing is None:
        return task_create(actor=actor, plan=plan, data=data, verb=f"{verb_prefix}.created"), "created"
    changed = task_update(actor=actor, task=existing, data=data, verb=f"{verb_prefix}.updated")
    return existing, "updated" if changed else "unchanged"


def task_data_from(task: Task) -> TaskData:
    """The TaskData of an existing task (to edit it, or to compare)."""
    return TaskData(
        number=task.number,
        title=task.title,
        goal=task.goal,
        implementing_units=list(task.implementing_units.all()),
        lead_unit=task.lead_unit,
        cooperating_units=list(task.cooperating_units.all()),
        responsible_leader=task.responsible_leader,
        acceptance_unit=task.acceptance_unit,
        deadline=task.deadline,
        deadline_text=task.deadline_text,
        deadline_kind=task.deadline_kind,
        due_year=task.due_year,
        category=task.category,
        measure_area=task.measure_area,
        region=task.region,
        remarks=task.remarks,
        is_sample=task.is_sample,
        location_lat=task.location_lat,
        location_lon=task.location_lon,
        measures=[
            MeasureData(
                number=m.number,
                text=m.text,
                units=list(m.units.all()),
                deadline=m.deadline,
                deadline_text=m.deadline_text,
                deadline_kind=m.deadline_kind,
            )
            for m in task.measures.prefetch_related("units")
        ],
        milestones=[(m.date, m.title, m.percent) for m in task.milestones.all()],
    )


def units_by_name(names: Iterable[str], *, region: Region) -> dict[str, Organization]:
    """Organizations of the region tree, by full and by short name."""
    top = region.path.split("/")[1]
    found: dict[str, Organization] = {}
    for org in Organization.objects.filter(region__path__startswith=f"/{top}/"):
        found.setdefault(org.name, org)
        if org.short_name:
            found.setdefault(org.short_name, org)
    return {n: found[n] for n in names if n in found}
