"""Reads of the public portal. The public is nobody in particular, so there is no `scope_for` here: the
rule of what is public lives in this module and every portal page, download and feed reads through it.

Public:
- plans with a `published_date`, and their tasks with their public fields only (number, problem, goal,
  measures, implementing, lead and acceptance units, deadline, due year, 九治 category, measure area,
  status, 序时进度) — never remarks, warnings, the responsible leader or anything about people;
- progress: only approved (已报送) reports — date, stage, percent and description (phone numbers, ID
  numbers and e-mail addresses masked) — never who wrote or approved them, next steps, return reasons;
- acceptance: that it passed, when, and by which unit — never the review's reasons, checkers or findings;
- public notices (not withdrawn) with their text and period; objections only as a count, and answered
  ones' content and answer (masked) — never the objector's name or contact;
- closure: the date of the close event and whether the task stays under long-term watch;
- evidence: only `is_public` before/after photos (images) of a public task;
- complaints: only `published_data` of published cases of published batches (complaints.publication).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization
from zhenggai.complaints.redaction import mask_text
from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence, EvidenceCategory
from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import (
    AcceptanceReview,
    DispatchRound,
    Measure,
    ProgressReport,
    PublicNotice,
    Task,
)
from zhenggai.rectification.rounds import expected_percent, schedule_judgement, task_latest_percent
from zhenggai.rectification.warnings import today
from zhenggai.rectification.workflow import Category, ScheduleJudgement, TaskStatus

PHOTO_CATEGORIES = (EvidenceCategory.BEFORE_PHOTO, EvidenceCategory.AFTER_PHOTO)


# ------------------------------------------------------------------------------------------ plans


def public_plans() -> QuerySet[Plan]:
    return (Plan.objects.filter(published_date__isnull=False)
            .select_related("inspection", "inspection__group", "inspection__target_region")
            .order_by("-published_date", "-id"))


def public_plan(pk: int) -> Plan | None:
    return public_plans().prefetch_related("measure_areas").filter(pk=pk).first()


def public_tasks() -> QuerySet[Task]:
    return Task.objects.filter(plan__published_date__isnull=False)


def public_task(pk: int) -> Task | None:
    return (public_tasks().select_related("plan", "plan__inspection", "lead_unit", "acceptance_unit",
                                          "measure_area", "region", "rebound_of", "rebound_of__plan")
            .prefetch_related("implementing_units", "cooperating_units", "milestones",
                              Prefetch("measures", queryset=Measure.objects.prefetch_related("units")
                                       .order_by("number")))
            .filter(pk=pk).first())


@dataclass
class Figures:
    """Headline figures: tasks closed of total, per due year, and published complaints done of total."""

    total: int = 0
    closed: int = 0
    in_notice: int = 0
    by_year: list[dict[str, int]] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        return round(self.closed * 100 / self.total) if self.total else None


def task_figures(tasks: QuerySet[Task]) -> Figures:
    """Closed (已销号) of all tasks, overall and per due year — one query."""
    rows = tasks.order_by().values("due_year", "status").annotate(n=Count("pk"))
    figures = Figures()
    years: dict[int, dict[str, int]] = defaultdict(lambda: {"total": 0, "closed": 0})
    for row in rows:
        figures.total += row["n"]
        if row["status"] == TaskStatus.CLOSED:
            figures.closed += row["n"]
        if row["status"] == TaskStatus.IN_PUBLIC_NOTICE:
            figures.in_notice += row["n"]
        if row["due_year"]:
            years[row["due_year"]]["total"] += row["n"]
            years[row["due_year"]]["closed"] += row["n"] if row["status"] == TaskStatus.CLOSED else 0
    figures.by_year = [{"year": year, **years[year]} for year in sorted(years)]
    return figures


def complaint_figures() -> dict[str, int]:
    """Published cases and those published as 已办结 (from `published_data` only)."""
    from zhenggai.complaints.publication import published_complaints

    total = done = 0
    for data in published_complaints().values_list("published_data", flat=True):
        total += 1
        done += (data or {}).get("是否办结") == "已办结"
    return {"total": total, "done": done}


# ------------------------------------------------------------------------------------ task table

@dataclass
class TaskFilter:
    """The plan page's filters, parsed and checked; `key()` is what the page cache varies on."""

    status: str = ""
    year: int | None = None
    unit: int | None = None
    category: str = ""
    schedule: str = ""

    @classmethod
    def from_query(cls, params: Any) -> TaskFilter:
        year = (params.get("year") or "").strip()
        unit = (params.get("unit") or "").strip()
        status = params.get("status") or ""
        category = params.get("category") or ""
        schedule = params.get("schedule") or ""
        return cls(
            status=status if status in TaskStatus.values else "",
            year=int(year) if year.isdigit() and len(year) == 4 else None,
            unit=int(unit) if unit.isdigit() else None,
            category=category if category in Category.values else "",
            schedule=schedule if schedule in ScheduleJudgement.values else "",
        )

    def key(self) -> tuple[Any, ...]:
        return (self.status, self.year, self.unit, self.category, self.schedule)

    @property
    def active(self) -> bool:
        return any(v not in ("", None) for v in self.key())


def _table_queryset(plan: Plan) -> QuerySet[Task]:
    approved = ProgressReport.objects.filter(status=ProgressReport.Status.APPROVED).only(
        "pk", "task_id", "unit_id", "round_id", "status", "percent", "approved_at")
    return (Task.objects.filter(plan=plan)
            .select_related("plan", "plan__inspection", "lead_unit", "acceptance_unit", "measure_area")
            .prefetch_related("implementing_units", "milestones",
                              Prefetch("reports", queryset=approved, to_attr="approved_reports"),
                              Prefetch("rounds", queryset=DispatchRound.objects.only("pk", "period_start"),
                                       to_attr="round_list"))
            .order_by("number"))


def _reported_in_last_round(task: Task, on: dt.date, reports: list[ProgressReport]) -> bool:
    """As `rounds._reported_in_last_round`, from prefetched rows."""
    rounds = sorted((r for r in task.round_list if r.period_start <= on),  # type: ignore[attr-defined]
                    key=lambda r: (r.period_start, r.pk), reverse=True)
    if not rounds:
        return bool(reports)
    units = {u.pk for u in task.implementing_units.all()}
    reported = {r.unit_id for r in reports if r.round_id == rounds[0].pk}
    return bool(units) and units <= reported


def judgement(task: Task, on: dt.date) -> str:
    """序时进度 of a task of `_table_queryset` without further queries; the same rule as
    `rectification.rounds.schedule_judgement` (which it calls whenever that needs no query)."""
    reports: list[ProgressReport] = task.approved_reports  # type: ignore[attr-defined]
    latest = task_latest_percent(task, reports)
    if task.status == TaskStatus.NOT_STARTED and latest is None:
        return ScheduleJudgement.NOT_STARTED
    if expected_percent(task, on) is None:
        return ScheduleJudgement.ON_SCHEDULE if _reported_in_last_round(task, on, reports) else ScheduleJudgement.BEHIND
    return schedule_judgement(task, on, latest_percent=latest if latest is not None else 0)


@dataclass
class TaskRow:
    task: Task
    judgement: str
    units: list[Organization]

    @property
    def judgement_label(self) -> str:
        return str(ScheduleJudgement(self.judgement).label)


def task_rows(plan: Plan, flt: TaskFilter | None = None, *, on: dt.date | None = None) -> list[TaskRow]:
    """The plan's task table, filtered; a fixed number of queries whatever the number of tasks."""
    flt = flt or TaskFilter()
    on = on or today()
    qs = _table_queryset(plan)
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.year:
        qs = qs.filter(due_year=flt.year)
    if flt.category:
        qs = qs.filter(category=flt.category)
    if flt.unit:
        qs = qs.filter(pk__in=Task.objects.filter(plan=plan).filter(
            Q(implementing_units=flt.unit) | Q(lead_unit=flt.unit) | Q(acceptance_unit=flt.unit)).values("pk"))
    rows = [TaskRow(task=t, judgement=judgement(t, on), units=list(t.implementing_units.all())) for t in qs]
    if flt.schedule:
        rows = [row for row in rows if row.judgement == flt.schedule]
    return rows


def task_judgement(task: Task, *, on: dt.date | None = None) -> str:
    """序时进度 of one public task (as in its plan's table)."""
    found = _table_queryset(task.plan).filter(pk=task.pk).first()
    return judgement(found, on or today()) if found is not None else ""


def unit_choices(plan: Plan) -> list[Organization]:
    """The units named in the plan's tasks (implementing, lead or acceptance), for the unit filter."""
    tasks = Task.objects.filter(plan=plan)
    ids = set(tasks.values_list("implementing_units", flat=True)) | set(tasks.values_list("lead_unit", flat=True))
    ids |= set(tasks.values_list("acceptance_unit", flat=True))
    return list(Organization.objects.filter(pk__in=[i for i in ids if i]).order_by("kind", "sort_order", "id"))


def year_choices(plan: Plan) -> list[int]:
    return sorted(y for y in set(Task.objects.filter(plan=plan).values_list("due_year", flat=True)) if y)


# ------------------------------------------------------------------------------------- timeline

@dataclass
class Entry:
    """One public fact about a task, for its timeline and for the feed."""

    kind: str  # progress | accepted | notice | closed
    date: dt.date
    title: str
    text: str = ""
    percent: int | None = None
    notice: PublicNotice | None = None


def closure_times(task_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """task id → when it was closed (its `task.close` event)."""
    rows = Event.objects.filter(verb="task.close", object_type="task",
                                object_id__in=[str(i) for i in task_ids]).values_list("object_id", "created_at")
    found: dict[int, dt.datetime] = {}
    for object_id, created in rows:
        found[int(object_id)] = max(created, found.get(int(object_id), created))
    return found


def public_notices() -> QuerySet[PublicNotice]:
    return (PublicNotice.objects.exclude(status=PublicNotice.Status.WITHDRAWN)
            .select_related("task", "task__plan").prefetch_related("task__implementing_units")
            .order_by("-start_date", "-id"))


def notice_is_open(notice: PublicNotice, on: dt.date | None = None) -> bool:
    return notice.status == PublicNotice.Status.OPEN and (on or today()) <= notice.end_date


def task_timeline(task: Task) -> list[Entry]:
    """The task's public history, oldest first (see the module for what is public)."""
    entries: list[Entry] = []
    reports = (ProgressReport.objects.filter(task=task, status=ProgressReport.Status.APPROVED)
               .select_related("unit").order_by("approved_at", "pk"))
    for r in reports:
        when = r.approved_at or r.created_at
        entries.append(Entry(kind="progress", date=when.date(), percent=r.percent, text=mask_text(r.description),
                             title=_("%(unit)s报送整改进展：%(stage)s") % {
                                 "unit": r.unit.short_name or r.unit.name, "stage": r.get_stage_display()}))
    unit = task.acceptance_unit
    for review in (AcceptanceReview.objects.filter(application__task=task, decision=AcceptanceReview.Decision.PASS)
                   .order_by("created_at")):
        entries.append(Entry(kind="accepted", date=review.created_at.date(), title=(
            _("%(unit)s验收通过") % {"unit": unit.short_name or unit.name} if unit else _("验收通过"))))
    for notice in public_notices().filter(task=task).order_by("start_date", "id"):
        entries.append(Entry(kind="notice", date=notice.start_date, notice=notice, title=_("销号公示")))
    closed = closure_times([task.pk]).get(task.pk)
    if closed is not None and task.status == TaskStatus.CLOSED:
        long_term = task.deadline_kind != "by_date"
        entries.append(Entry(kind="closed", date=closed.date(),
                             title=_("完成整改、长期坚持") if long_term else _("已销号")))
    order = {"progress": 0, "accepted": 1, "notice": 2, "closed": 3}
    entries.sort(key=lambda e: (e.date, order[e.kind]))
    return entries


def public_photos(task: Task) -> list[Evidence]:
    return list(public_photo_queryset().filter(task=task).order_by("category", "captured_at", "uploaded_at", "pk"))


def public_photo_queryset() -> QuerySet[Evidence]:
    """Photos the unit marked public, before/after, of a public task."""
    return Evidence.objects.filter(is_public=True, category__in=PHOTO_CATEGORIES, content_type__startswith="image/",
                                   task__plan__published_date__isnull=False)


# -------------------------------------------------------------------------------------- results

@dataclass
class Result:
    task: Task
    closed_at: dt.datetime | None
    change: str
    photos: int = 0


def results(plan: Plan | None = None) -> list[tuple[str, str, list[Result]]]:
    """成效清单: closed public tasks with what changed (the notice's 整改情况), grouped by 九治 category in the
    official order: [(category, label, results)]. A fixed number of queries."""
    tasks = (public_tasks().filter(status=TaskStatus.CLOSED).select_related("plan")
             .prefetch_related("implementing_units").order_by("plan__published_date", "plan_id", "number"))
    if plan is not None:
        tasks = tasks.filter(plan=plan)
    task_list = list(tasks)
    ids = [t.pk for t in task_list]
    closed = closure_times(ids)
    changes: dict[int, str] = {}
    for notice in (PublicNotice.objects.filter(task_id__in=ids, status=PublicNotice.Status.ENDED)
                   .order_by("start_date", "id")):
        changes[notice.task_id] = notice.result
    photos = dict(public_photo_queryset().filter(task_id__in=ids).order_by().values("task_id")
                  .annotate(n=Count("pk")).values_list("task_id", "n"))
    groups: dict[str, list[Result]] = defaultdict(list)
    for t in task_list:
        groups[t.category].append(Result(task=t, closed_at=closed.get(t.pk), change=mask_text(changes.get(t.pk, "")),
                                         photos=photos.get(t.pk, 0)))
    ordered = [(value, str(label), groups[value]) for value, label in Category.choices if groups.get(value)]
    if groups.get(""):
        ordered.append(("", _("其他"), groups[""]))
    return ordered
