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
from typing import Any, NamedTuple

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization
from zhenggai.complaints.redaction import mask_text
from zhenggai.core.models import Event
from zhenggai.core.templatetags.zg import STATUS_CLASSES
from zhenggai.evidence.models import Evidence, EvidenceCategory
from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import (
    AcceptanceReview,
    DispatchRound,
    Measure,
    Milestone,
    ProgressReport,
    PublicNotice,
    Task,
)
from zhenggai.rectification.rounds import TOLERANCE, expected_percent
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


# the columns the table, its open data and the API read; the rest of a task (remarks, the responsible
# leader, the search text…) is neither public nor needed
TABLE_FIELDS = ("id", "plan_id", "number", "title", "goal", "lead_unit_id", "acceptance_unit_id", "deadline",
                "deadline_text", "deadline_kind", "due_year", "category", "measure_area_id", "status",
                "created_at")  # last: read only when the plan has no approval date (the start of 序时进度)


class _Milestone(NamedTuple):
    date: dt.date
    percent: int


class _Approved(NamedTuple):
    """An approved report, in the order of (approved_at, id): the last dated one of a unit is its latest.
    The time itself is not fetched (turning thousands of timestamps into datetimes costs more than the
    query)."""

    unit_id: int
    round_id: int | None
    percent: int
    dated: bool


@dataclass
class _Facts:
    """What 序时进度 needs of one task, read in bulk: milestones, approved reports, implementing unit ids
    and the latest round that includes the task and has started."""

    milestones: list[_Milestone] = field(default_factory=list)
    approved: list[_Approved] = field(default_factory=list)
    units: set[int] = field(default_factory=set)
    last_round: int | None = None


def _latest_percent(approved: list[_Approved]) -> int | None:
    """As `rounds.task_latest_percent`: the mean of each unit's latest approved percent (`approved` is in
    the order of approval)."""
    latest = {r.unit_id: r.percent for r in approved if r.dated}
    if not latest:
        return None
    return round(sum(latest.values()) / len(latest))


def _approved(reports: QuerySet[ProgressReport]) -> Any:  # annotated with `dated`
    """Approved reports as (task_id, unit_id, round_id, percent, dated), in the order of approval."""
    return (reports.filter(status=ProgressReport.Status.APPROVED)
            .annotate(dated=ExpressionWrapper(Q(approved_at__isnull=False), output_field=BooleanField()))
            .order_by("approved_at", "id"))


def _judge(task: Task, on: dt.date, facts: _Facts) -> str:
    """序时进度 of a task from facts read in bulk: the same rule as `rectification.rounds.schedule_judgement`
    (tests/portal/test_plan_table.py compares the two on every kind of task)."""
    latest = _latest_percent(facts.approved)
    if task.status == TaskStatus.NOT_STARTED and latest is None:
        return ScheduleJudgement.NOT_STARTED
    expected = expected_percent(task, on, facts.milestones)  # type: ignore[arg-type]
    if expected is None:
        if facts.last_round is None:
            reported = bool(facts.approved)
        else:
            reported_units = {r.unit_id for r in facts.approved if r.round_id == facts.last_round}
            reported = bool(facts.units) and facts.units <= reported_units
        return ScheduleJudgement.ON_SCHEDULE if reported else ScheduleJudgement.BEHIND
    actual = latest or 0
    if task.status not in (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS):
        actual = 100
    if actual < expected - TOLERANCE:
        return ScheduleJudgement.BEHIND
    if actual > expected + TOLERANCE:
        return ScheduleJudgement.AHEAD
    return ScheduleJudgement.ON_SCHEDULE


@dataclass
class TaskRow:
    """One row of a plan's task table. The labels are plain strings translated once per table, not per
    row (a lazy choice label costs a catalogue lookup each time it is shown)."""

    task: Task
    judgement: str
    units: list[Organization]
    url: str = ""
    judgement_label: str = ""
    status_label: str = ""
    status_class: str = ""
    category_label: str = ""


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _organizations(ids: Iterable[int]) -> dict[int, Organization]:
    return {o.pk: o for o in Organization.objects.filter(pk__in=set(ids)).only("id", "name", "short_name", "kind",
                                                                               "sort_order")}


def task_rows(plan: Plan, flt: TaskFilter | None = None, *, on: dt.date | None = None) -> list[TaskRow]:
    """The plan's task table, filtered: six queries whatever the number of tasks (tasks, implementing
    units, units, milestones, approved reports, rounds), plus the measure areas when `plan` has not
    prefetched them. Only public columns are read, and the facts of 序时进度 as plain tuples."""
    flt = flt or TaskFilter()
    on = on or today()
    fields = TABLE_FIELDS if not (plan.approved_date or plan.inspection.feedback_date) else TABLE_FIELDS[:-1]
    qs = Task.objects.filter(plan=plan).only(*fields).order_by("number")
    if flt.status:
        qs = qs.filter(status=flt.status)
    if flt.year:
        qs = qs.filter(due_year=flt.year)
    if flt.category:
        qs = qs.filter(category=flt.category)
    if flt.unit:
        qs = qs.filter(Q(pk__in=Task.implementing_units.through.objects.filter(organization_id=flt.unit)
                            .values("task_id")) | Q(lead_unit=flt.unit) | Q(acceptance_unit=flt.unit))
    tasks = list(qs)
    if not tasks:
        return []
    chosen = qs.values("pk")
    facts: dict[int, _Facts] = {t.pk: _Facts() for t in tasks}
    pairs = list(Task.implementing_units.through.objects.filter(task_id__in=chosen)
                 .values_list("task_id", "organization_id"))
    units = _organizations([o for _t, o in pairs] + [t.lead_unit_id for t in tasks if t.lead_unit_id]
                           + [t.acceptance_unit_id for t in tasks if t.acceptance_unit_id])
    for task_id, org_id in pairs:
        facts[task_id].units.add(org_id)
    for task_id, date, percent in (Milestone.objects.filter(task_id__in=chosen).order_by()
                                   .values_list("task_id", "date", "percent")):
        facts[task_id].milestones.append(_Milestone(date, percent))
    for task_id, unit_id, round_id, percent, dated in (_approved(ProgressReport.objects.filter(task_id__in=chosen))
                                                        .values_list("task_id", "unit_id", "round_id", "percent",
                                                                     "dated")):
        facts[task_id].approved.append(_Approved(unit_id, round_id, percent, dated))
    started: dict[int, tuple[dt.date, int]] = {}
    for task_id, round_id, start in (DispatchRound.tasks.through.objects
                                     .filter(task_id__in=chosen, dispatchround__period_start__lte=on)
                                     .values_list("task_id", "dispatchround_id", "dispatchround__period_start")):
        if task_id not in started or (start, round_id) > started[task_id]:
            started[task_id] = (start, round_id)
    for task_id, (_start, round_id) in started.items():
        facts[task_id].last_round = round_id
    areas = {a.pk: a for a in plan.measure_areas.all()}
    link = reverse("portal:task_detail", args=[_PK_MARK]).replace(str(_PK_MARK), "{}")

    def order(org: Organization) -> tuple[int, int]:
        return (org.sort_order, org.pk)

    statuses, categories = _labels(TaskStatus.choices), _labels(Category.choices)
    judgements = _labels(ScheduleJudgement.choices)
    rows = []
    for t in tasks:
        t.plan = plan  # the start of 序时进度 reads the plan and its inspection
        t.lead_unit = units.get(t.lead_unit_id) if t.lead_unit_id else None  # type: ignore[assignment]
        t.acceptance_unit = units.get(t.acceptance_unit_id) if t.acceptance_unit_id else None  # type: ignore[assignment]
        t.measure_area = areas.get(t.measure_area_id) if t.measure_area_id else None  # type: ignore[assignment]
        own = facts[t.pk]
        judged = _judge(t, on, own)
        rows.append(TaskRow(task=t, judgement=judged, url=link.format(t.pk),
                            units=sorted((units[o] for o in own.units if o in units), key=order),
                            judgement_label=judgements.get(judged, judged), status_label=statuses.get(t.status, t.status),
                            status_class=STATUS_CLASSES.get(t.status, ""),
                            category_label=categories.get(t.category, t.category)))
    if flt.schedule:
        rows = [row for row in rows if row.judgement == flt.schedule]
    return rows


_PK_MARK = 987654321


def task_judgement(task: Task, *, on: dt.date | None = None) -> str:
    """序时进度 of one public task (as in its plan's table)."""
    on = on or today()
    facts = _Facts(
        milestones=[_Milestone(d, p) for d, p in task.milestones.all().values_list("date", "percent")]
        if "milestones" not in getattr(task, "_prefetched_objects_cache", {})
        else [_Milestone(m.date, m.percent) for m in task.milestones.all()],
        approved=[_Approved(*v) for v in _approved(ProgressReport.objects.filter(task=task))
                  .values_list("unit_id", "round_id", "percent", "dated")],
        units={u.pk for u in task.implementing_units.all()},
        last_round=task.rounds.filter(period_start__lte=on).order_by("-period_start", "-id")
        .values_list("pk", flat=True).first(),
    )
    return _judge(task, on, facts)


def unit_choices(plan: Plan) -> list[Organization]:
    """The units named in the plan's tasks (implementing, lead or acceptance), for the unit filter: one
    query."""
    tasks = Task.objects.filter(plan=plan)
    implementing = Task.implementing_units.through.objects.filter(task__plan=plan).values("organization_id")
    return list(Organization.objects.filter(Q(pk__in=implementing) | Q(pk__in=tasks.values("lead_unit_id"))
                                            | Q(pk__in=tasks.values("acceptance_unit_id")))
                .only("id", "name", "short_name", "kind", "sort_order").order_by("kind", "sort_order", "id"))


def year_choices(plan: Plan) -> list[int]:
    return [y for y in Task.objects.filter(plan=plan, due_year__isnull=False).order_by("due_year")
            .values_list("due_year", flat=True).distinct() if y]


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
