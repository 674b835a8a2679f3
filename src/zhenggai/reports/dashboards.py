"""Dashboards (统计分析): one selector per chart, each returning plain data — categories, series and the
drill-down URL of every point — plus the same numbers as a table for the page and the downloads.

Rules that hold for every chart:
- every number starts from `scope_for(user, …)`: a unit sees only what it is party to, region-wide
  roles (office, leader, discipline) their region and its sub-regions, never another region;
- the dashboard filters (inspection, plan, due year) narrow the tasks; complaints follow the
  inspection (a plan's inspection) and ignore the due year;
- each chart costs a fixed number of aggregate queries (GROUP BY in SQL), whatever the number of
  tasks or units;
- a point's URL opens the list that shows exactly the counted objects where the list can filter that
  way (tasks by status, warning, implementing unit; complaints by status, type, region); where it
  cannot (a week, a month) it opens the nearest list and the chart says so.

The task charts are here; the closed-loop charts (report punctuality, acceptance) and complaint charts
in `dashboards_loop`, the discipline lists and headline figures in `dashboards_lists`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization
from zhenggai.accounts.policies import scope_for
from zhenggai.core.models import Event
from zhenggai.rectification.models import AcceptanceReview, Task
from zhenggai.rectification.warnings import LABELS as WARNING_LABELS
from zhenggai.rectification.workflow import TaskStatus

from .dashboards_warning_steps import WarningStep, as_date

RED, YELLOW, GREEN = "red", "yellow", "green"
WARNING_COLORS = {RED: "#c62828", YELLOW: "#f9a825", GREEN: "#2e7d32"}
STATUS_COLORS = {
    TaskStatus.NOT_STARTED: "#9e9e9e", TaskStatus.IN_PROGRESS: "#1565c0",
    TaskStatus.ACCEPTANCE_REQUESTED: "#6a1b9a", TaskStatus.IN_PUBLIC_NOTICE: "#ef6c00",
    TaskStatus.CLOSED: "#2e7d32",
}
ACCEPTED = (TaskStatus.IN_PUBLIC_NOTICE, TaskStatus.CLOSED)
NOT_ACCEPTED = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.ACCEPTANCE_REQUESTED)
WEEKS = 26
LIST_LIMIT = 100


def today() -> dt.date:
    return timezone.localdate()


# ---------------------------------------------------------------------------------------------- data


@dataclass
class Point:
    value: int | float
    url: str = ""


@dataclass
class Series:
    name: str
    data: list[Point]
    key: str = ""
    color: str = ""
    type: str = "bar"  # "bar" or "line"
    stack: str = ""


@dataclass
class Cell:
    value: Any
    url: str = ""

    @property
    def text(self) -> str:
        """The value as pages show it (dates Chinese style)."""
        from zhenggai.core.templatetags.zg import cn_date

        if isinstance(self.value, dt.date):
            return cn_date(self.value)
        return "" if self.value is None else str(self.value)


@dataclass
class Chart:
    """One chart (or list) of a dashboard. `kind`: bar, hbar (horizontal bars), line, pie or table (a
    list without a drawing). `headers` and `rows` hold the same numbers as the drawing."""

    key: str
    title: str
    kind: str
    categories: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    unit: str = ""
    total: int | None = None  # lists: how many there are in all (rows may be cut at LIST_LIMIT)
    more_url: str = ""

    @property
    def drawn(self) -> bool:
        return self.kind != "table"

    @property
    def dom_id(self) -> str:
        return f"chart-{self.key.replace('_', '-')}"

    @property
    def data_id(self) -> str:
        return f"{self.dom_id}-data"

    def echarts(self) -> dict[str, Any]:
        """What dashboards.js draws (passed through `json_script`)."""
        return {
            "kind": self.kind, "categories": self.categories, "unit": self.unit,
            "series": [
                {"name": s.name, "key": s.key, "color": s.color, "type": s.type, "stack": s.stack,
                 "data": [{"value": p.value, "url": p.url} for p in s.data]}
                for s in self.series
            ],
        }

    def labelled_rows(self) -> list[list[tuple[str, Cell]]]:
        return [list(zip(self.headers, row, strict=False)) for row in self.rows]

    def plain_rows(self) -> list[list[Any]]:
        return [[c.value for c in row] for row in self.rows]


@dataclass
class DashboardFilters:
    """The filters at the top of every dashboard."""

    inspection: int | None = None
    plan: int | None = None
    year: int | None = None
    # figures several charts of one page share (`shared`), computed once per request
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_query(cls, params: Any) -> DashboardFilters:
        def number(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            return int(value) if value.isdigit() and len(value) < 10 else None

        return cls(inspection=number("inspection"), plan=number("plan"), year=number("year"))

    def params(self) -> dict[str, int]:
        return {k: v for k, v in (("inspection", self.inspection), ("plan", self.plan), ("year", self.year)) if v}

    def query(self) -> str:
        return urlencode(self.params())


def task_url(filters: DashboardFilters, **params: Any) -> str:
    """The staff task list filtered like the dashboard plus `params`."""
    query = {**filters.params(), **{k: v for k, v in params.items() if v not in (None, "")}}
    return f"{reverse('task_list')}?{urlencode(query)}"


def tasks_for(user: Any, filters: DashboardFilters) -> QuerySet[Task]:
    """The tasks the user may see, narrowed by the dashboard filters."""
    qs = scope_for(user, Task.objects.all())
    if filters.inspection:
        qs = qs.filter(plan__inspection_id=filters.inspection)
    if filters.plan:
        qs = qs.filter(plan_id=filters.plan)
    if filters.year:
        qs = qs.filter(due_year=filters.year)
    return qs


def shared(user: Any, filters: DashboardFilters, key: str, compute: Any) -> Any:
    """`compute()` once per user, filters and `key` within a request (the filters carry the memo)."""
    memo_key = f"{getattr(user, 'pk', None)}:{key}"
    if memo_key not in filters.memo:
        filters.memo[memo_key] = compute()
    return filters.memo[memo_key]


def task_breakdown(user: Any, filters: DashboardFilters) -> list[dict[str, Any]]:
    """The tasks in view counted by (status, warning, due year): the status chart, the warning counts
    and the leader's per-year figures are sums of these few groups. One query per request."""
    return shared(user, filters, "task_breakdown", lambda: list(
        tasks_for(user, filters).order_by().values("status", "warning", "due_year").annotate(n=Count("pk"))))


def _sum_by(rows: list[dict[str, Any]], field_name: str) -> dict[Any, int]:
    sums: dict[Any, int] = {}
    for row in rows:
        sums[row[field_name]] = sums.get(row[field_name], 0) + row["n"]
    return sums


def _counts(qs: QuerySet[Any], field_name: str) -> dict[Any, int]:
    return {row[field_name]: row["n"] for row in qs.order_by().values(field_name).annotate(n=Count("pk"))}


def _count_subquery(qs: QuerySet[Any]) -> Any:
    """COUNT(DISTINCT pk) of `qs` as a correlated subquery (0 when empty)."""
    inner = qs.order_by().annotate(_one=Value(1)).values("_one").annotate(c=Count("pk", distinct=True)).values("c")
    return Coalesce(Subquery(inner[:1], output_field=IntegerField()), 0)


# ---------------------------------------------------------------------------------------- task charts


def tasks_by_status(user: Any, filters: DashboardFilters) -> Chart:
    """整改任务按状态: one bar per status (zero bars kept, so the order never moves)."""
    counts = _sum_by(task_breakdown(user, filters), "status")
    chart = Chart(key="status", title=_("整改任务按状态"), kind="bar", unit=_("项"),
                  headers=[_("状态"), _("任务数（项）")])
    points = []
    for value, label in TaskStatus.choices:
        url = task_url(filters, status=value)
        chart.categories.append(str(label))
        points.append(Point(counts.get(value, 0), url))
        chart.rows.append([Cell(str(label)), Cell(counts.get(value, 0), url)])
    chart.series = [Series(_("任务数"), points, key="count", color="#9b1c1c")]
    total = sum(counts.values())
    chart.rows.append([Cell(_("合计")), Cell(total, task_url(filters))])
    chart.total = total
    return chart


def _display_units(tasks: QuerySet[Task]) -> dict[int, list[int]]:
    """The implementing units of `tasks`, a sub-unit folded into its parent when both implement
    (the task list's unit filter takes sub-units in, so the counts must too): each shown unit with the
    implementing units counted under it (itself and its implementing sub-units). One query."""
    through = Task.implementing_units.through
    pairs = set(through.objects.filter(task__in=tasks).values_list("organization_id", "organization__path"))
    paths = {path for _pk, path in pairs}
    shown = {path: pk for pk, path in pairs if not any(other != path and path.startswith(other) for other in paths)}
    members: dict[int, list[int]] = {pk: [] for pk in shown.values()}
    for pk, path in pairs:
        top = min((other for other in shown if path.startswith(other)), key=len)
        members[shown[top]].append(pk)
    return members


def tasks_by_unit(user: Any, filters: DashboardFilters, *, stack: str = "status") -> Chart:
    """整改任务按实施主体, stacked by status (or by warning with `stack="warning"`). A task counts once
    under each implementing unit (so the bars add up to more than the tasks when tasks have several);
    a unit's bar includes the tasks of its sub-units. Three queries, whatever the number of units:
    the units, the counts (one GROUP BY over the task-unit links, sub-units mapped to their shown
    unit, each task once per shown unit) and the names."""
    tasks = tasks_for(user, filters)
    units = _display_units(tasks)
    if stack == "warning":
        keys = [(RED, WARNING_LABELS[RED], WARNING_COLORS[RED]), (YELLOW, WARNING_LABELS[YELLOW], WARNING_COLORS[YELLOW]),
                (GREEN, WARNING_LABELS[GREEN], WARNING_COLORS[GREEN])]
        field_name = "warning"
    else:
        stack = "status"
        keys = [(v, label, STATUS_COLORS[TaskStatus(v)]) for v, label in TaskStatus.choices]
        field_name = "status"
    annotations = [f"n_{key}" for key, _label, _color in keys]
    folded = [When(organization_id__in=subs, then=Value(pk)) for pk, subs in units.items() if len(subs) > 1]
    shown_unit = Case(*folded, default=F("organization_id"), output_field=IntegerField()) if folded else F(
        "organization_id")
    through = Task.implementing_units.through
    counts: dict[tuple[int, str], int] = {}
    if units:
        grouped: Any = (through.objects.filter(task__in=tasks).order_by().annotate(shown=shown_unit)
                        .values("shown", f"task__{field_name}").annotate(n=Count("task_id", distinct=True)))
        counts = {(r["shown"], r[f"task__{field_name}"]): r["n"] for r in grouped}
    rows: list[dict[str, Any]] = [
        dict(r) for r in Organization.objects.filter(pk__in=list(units)).values("pk", "name", "short_name")]
    for r in rows:
        for key, _label, _color in keys:
            r[f"n_{key}"] = counts.get((r["pk"], key), 0)
    rows.sort(key=lambda r: (-sum(r[a] for a in annotations), r["pk"]))
    chart = Chart(key="units", title=_("整改任务按实施主体"), kind="hbar", unit=_("项"),
                  note=_("一项任务有多个实施主体时，在每个实施主体下各计一次；单位的数字含其下属单位。"),
                  headers=[_("实施主体"), *[str(label) for _k, label, _c in keys], _("合计")])
    chart.categories = [r["short_name"] or r["name"] for r in rows]
    for key, label, color in keys:
        chart.series.append(Series(str(label), [
            Point(r[f"n_{key}"], task_url(filters, unit=r["pk"], unit_role="implementing", **{field_name: key}))
            for r in rows], key=key, color=color, stack="total"))
    for r in rows:
        cells = [Cell(r["short_name"] or r["name"])]
        cells += [Cell(r[f"n_{key}"], task_url(filters, unit=r["pk"], unit_role="implementing", **{field_name: key}))
                  for key, _l, _c in keys]
        cells.append(Cell(sum(r[a] for a in annotations), task_url(filters, unit=r["pk"], unit_role="implementing")))
        chart.rows.append(cells)
    return chart


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def warnings_over_time(user: Any, filters: DashboardFilters, *, on: dt.date | None = None,
                       weeks: int = WEEKS) -> Chart:
    """预警趋势: per week (Monday to Sunday, the last `weeks` weeks up to `on`), how many tasks turned red
    and yellow (bars), and how many stood at red and yellow at the week's end (lines).

    From the warning steps (`dashboards_warning_steps`, the event log's level changes kept in a narrow
    table by the writes): the level a task was created with (`task.created` / `task.rebound_created`,
    dated by the event) and every `task.warning_changed` ([before, after], dated by its data "on").
    One GROUP BY query; the weeks are folded from the groups.
    """
    on = on or today()
    steps = (WarningStep.objects.filter(task__in=tasks_for(user, filters)).order_by()
             .values("day", "before", "after").annotate(n=Count("pk")))
    deltas: dict[dt.date, dict[str, int]] = {}
    entries: dict[dt.date, dict[str, int]] = {}

    def add(target: dict[dt.date, dict[str, int]], day: dt.date, level: str | None, n: int) -> None:
        if level in (RED, YELLOW):
            bucket = target.setdefault(day, {RED: 0, YELLOW: 0})
            bucket[level] += n

    for step in steps:  # a creation has no level before: it only adds
        day = as_date(step["day"])
        if day is not None:
            add(deltas, day, step["after"], step["n"])
            add(deltas, day, step["before"], -step["n"])
            add(entries, day, step["after"], step["n"])
    first = _week_start(on) - dt.timedelta(weeks=weeks - 1)
    standing = {RED: 0, YELLOW: 0}
    for day, delta in deltas.items():
        if day < first:
            standing[RED] += delta[RED]
            standing[YELLOW] += delta[YELLOW]
    chart = Chart(key="warnings", title=_("预警趋势（按周）"), kind="line", unit=_("项"),
                  note=_("柱为当周新亮红灯、黄牌的任务数，线为当周末处于红灯、黄牌的任务数；点击进入当前的红灯、黄牌任务清单。"),
                  headers=[_("周（起）"), _("新亮红灯"), _("新亮黄牌"), _("周末红灯"), _("周末黄牌")])
    red_url, yellow_url = task_url(filters, warning=RED), task_url(filters, warning=YELLOW)
    new_red, new_yellow, at_red, at_yellow = [], [], [], []
    for index in range(weeks):
        start = first + dt.timedelta(weeks=index)
        week = [start + dt.timedelta(days=d) for d in range(7)]
        week_new = {RED: 0, YELLOW: 0}
        for day in week:
            for level in (RED, YELLOW):
                standing[level] += deltas.get(day, {}).get(level, 0)
                week_new[level] += entries.get(day, {}).get(level, 0)
        label = _("%(m)s月%(d)s日") % {"m": start.month, "d": start.day}
        chart.categories.append(label)
        new_red.append(Point(week_new[RED], red_url))
        new_yellow.append(Point(week_new[YELLOW], yellow_url))
        at_red.append(Point(max(standing[RED], 0), red_url))
        at_yellow.append(Point(max(standing[YELLOW], 0), yellow_url))
        chart.rows.append([Cell(start), Cell(week_new[RED]), Cell(week_new[YELLOW]),
                           Cell(max(standing[RED], 0), red_url), Cell(max(standing[YELLOW], 0), yellow_url)])
    chart.series = [
        Series(_("新亮红灯"), new_red, key="new_red", color="#ef9a9a"),
        Series(_("新亮黄牌"), new_yellow, key="new_yellow", color="#ffe082"),
        Series(_("周末红灯"), at_red, key="red", color=WARNING_COLORS[RED], type="line"),
        Series(_("周末黄牌"), at_yellow, key="yellow", color=WARNING_COLORS[YELLOW], type="line"),
    ]
    return chart


def schedule_year(filters: DashboardFilters, *, on: dt.date | None = None, tasks: QuerySet[Task] | None = None) -> int:
    """The due year the schedule chart shows: the filter's; else this year when tasks are due in it;
    else the latest earlier due year of `tasks` (one query); else this year."""
    if filters.year:
        return filters.year
    current = (on or today()).year
    if tasks is None:
        return current
    years = {y for y in tasks.filter(due_year__lte=current).order_by().values_list("due_year", flat=True).distinct()
             if y is not None}
    return current if current in years or not years else max(years)


def completion_against_schedule(user: Any, filters: DashboardFilters, *, on: dt.date | None = None) -> Chart:
    """年度计划完成情况: for a due year (see `schedule_year`), per month, cumulative
    - planned: tasks of that due year whose deadline falls by the month's end (a deadline before the
      year counts from January; no deadline or a later one counts in December);
    - accepted: tasks of that year now in public notice or closed, by the date of their last passing
      acceptance review;
    - closed: tasks of that year now closed, by the date of their last `task.close` event.
    Three GROUP BY queries (and one to pick the year without a filter)."""
    year = schedule_year(filters, on=on, tasks=tasks_for(user, filters))
    tasks = tasks_for(user, filters).filter(due_year=year)
    planned_by_month = [0] * 13
    for row in tasks.order_by().values("deadline__year", "deadline__month").annotate(n=Count("pk")):
        y, m = row["deadline__year"], row["deadline__month"]
        month = 12 if y is None or y > year else (1 if y < year else m)
        planned_by_month[month] += row["n"]
    passed = AcceptanceReview.objects.filter(application__task=OuterRef("pk"),
                                             decision=AcceptanceReview.Decision.PASS)
    passed_at = Subquery(passed.order_by().values("application__task").annotate(last=Max("created_at")).values("last")[:1])
    closed_at = Subquery(
        Event.objects.filter(object_type="task", verb="task.close",
                             object_id=Cast(OuterRef("pk"), output_field=Event._meta.get_field("object_id")))
        .order_by().values("object_id").annotate(last=Max("created_at")).values("last")[:1])

    def by_month(qs: QuerySet[Task], stamp: Any) -> list[int]:
        months = [0] * 13
        rows = qs.annotate(at=stamp).annotate(day=TruncDate("at")).order_by().values("day").annotate(n=Count("pk"))
        for row in rows:
            day = as_date(row["day"])
            if day is None or day.year > year:
                continue
            months[1 if day.year < year else day.month] += row["n"]
        return months

    accepted_by_month = by_month(tasks.filter(status__in=ACCEPTED), passed_at)
    closed_by_month = by_month(tasks.filter(status=TaskStatus.CLOSED), closed_at)
    chart = Chart(key="schedule", title=_("%(year)s年度计划完成情况") % {"year": year}, kind="line", unit=_("项"),
                  note=_("按月累计：计划完成为整改时限在当月底前的任务；已验收、已销号按验收通过、销号的日期计。"),
                  headers=[_("月份"), _("计划完成（累计）"), _("已通过验收（累计）"), _("已销号（累计）")])
    plan_url = task_url(filters, year=year, sort="deadline")
    accepted_url = task_url(filters, year=year, status=TaskStatus.IN_PUBLIC_NOTICE)
    closed_url = task_url(filters, year=year, status=TaskStatus.CLOSED)
    planned, accepted, closed = [], [], []
    sums = [0, 0, 0]
    now = on or today()
    last_month = 12 if year < now.year else (now.month if year == now.year else 0)  # no "done" in the future
    for month in range(1, 13):
        sums[0] += planned_by_month[month]
        sums[1] += accepted_by_month[month]
        sums[2] += closed_by_month[month]
        chart.categories.append(_("%(m)s月") % {"m": month})
        planned.append(Point(sums[0], plan_url))
        future = month > last_month
        accepted.append(Point(sums[1], accepted_url))
        closed.append(Point(sums[2], closed_url))
        chart.rows.append([Cell(_("%(y)s年%(m)s月") % {"y": year, "m": month}), Cell(sums[0], plan_url),
                           Cell("" if future else sums[1]), Cell("" if future else sums[2], closed_url)])
    chart.series = [
        Series(_("计划完成（累计）"), planned, key="planned", color="#1565c0", type="line"),
        Series(_("已通过验收（累计）"), accepted[:last_month], key="accepted", color="#ef6c00", type="line"),
        Series(_("已销号（累计）"), closed[:last_month], key="closed", color="#2e7d32", type="line"),
    ]
    chart.total = sum(planned_by_month)
    return chart


def _task_row(task: Task, *cells: Cell) -> list[Cell]:
    return [Cell(task.number), Cell(task.short_title, reverse("task_detail", args=[task.pk])), *cells]


def _units_text(task: Task) -> str:
    return "、".join(u.short_name or u.name for u in task.implementing_units.all())


def overdue_list(user: Any, filters: DashboardFilters, *, on: dt.date | None = None) -> Chart:
    """逾期任务: past the deadline and not accepted, longest overdue first."""
    on = on or today()
    qs = tasks_for(user, filters).filter(status__in=NOT_ACCEPTED, deadline__lt=on)
    total = qs.count()
    chart = Chart(key="overdue", title=_("逾期任务"), kind="table", total=total,
                  more_url=task_url(filters, warning=RED, sort="deadline"),
                  headers=[_("序号"), _("存在问题"), _("整改实施主体"), _("整改时限"), _("逾期天数"), _("状态")])
    for task in qs.select_related("plan").prefetch_related("implementing_units").order_by("deadline", "plan_id",
                                                                                              "number")[:LIST_LIMIT]:
        assert task.deadline is not None
        chart.rows.append(_task_row(task, Cell(_units_text(task)), Cell(task.deadline), Cell((on - task.deadline).days),
                                    Cell(task.get_status_display())))
    return chart


def red_list(user: Any, filters: DashboardFilters, *, repeated: bool = False) -> Chart:
    """红灯任务 (stored warning red); with `repeated`, the tasks that turned red at least twice
    (反复红灯, whatever their level now)."""
    qs = tasks_for(user, filters)
    qs = qs.filter(red_count__gte=2) if repeated else qs.filter(warning=RED)
    total = qs.count()
    chart = Chart(key="repeated_red" if repeated else "red", title=_("反复红灯任务") if repeated else _("红灯任务"),
                  kind="table", total=total, more_url="" if repeated else task_url(filters, warning=RED),
                  headers=[_("序号"), _("存在问题"), _("整改实施主体"), _("整改时限"), _("红灯次数"), _("预警"),
                           _("预警开始")])
    order = ("-red_count", "deadline", "number") if repeated else ("warning_since", "deadline", "number")
    for task in qs.prefetch_related("implementing_units").order_by(*order)[:LIST_LIMIT]:
        chart.rows.append(_task_row(task, Cell(_units_text(task)), Cell(task.deadline or task.deadline_text),
                                    Cell(task.red_count), Cell(str(WARNING_LABELS.get(task.warning, task.warning))),
                                    Cell(task.warning_since)))
    return chart


def warning_counts(user: Any, filters: DashboardFilters) -> dict[str, int]:
    counts = _sum_by(task_breakdown(user, filters), "warning")
    return {level: counts.get(level, 0) for level in (RED, YELLOW, GREEN)}


__all__ = [
    "Cell", "Chart", "DashboardFilters", "Point", "Series", "completion_against_schedule", "overdue_list",
    "red_list", "task_url", "tasks_by_status", "tasks_by_unit", "tasks_for", "warning_counts", "warnings_over_time",
]
