"""Dashboard lists for the discipline body (纪检监察), the leader's headline figures, and which charts
each dashboard shows (`DASHBOARDS`, `CHARTS`, `dashboard_build`). See `dashboards` for the rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import scope_for, user_has_role
from zhenggai.complaints.selectors import annotate_complaint_warning
from zhenggai.complaints.statistics import rate
from zhenggai.core.models import Event
from zhenggai.rectification.models import AcceptanceReview, SupervisionNotice, Task
from zhenggai.rectification.workflow import TaskStatus

from . import dashboards as d
from . import dashboards_loop as loop
from .dashboards import LIST_LIMIT, Cell, Chart, DashboardFilters

# ------------------------------------------------------------------------------------- discipline lists


def complaints_overdue(user: Any, filters: DashboardFilters, *, on: dt.date | None = None) -> Chart:
    """逾期未办结的信访件: the reply deadline has passed and the case is not 已办结 (red)."""
    on = on or d.today()
    qs = annotate_complaint_warning(loop.complaints_for(user, filters), on).filter(warning=d.RED)  # type: ignore[misc]
    chart = Chart(key="complaints_overdue", title=_("逾期未办结信访件"), kind="table", total=qs.count(),
                  more_url=loop.complaint_url(filters, warning=d.RED),
                  headers=[_("受理编号"), _("交办问题基本情况"), _("牵头办理单位"), _("反馈期限"), _("逾期天数"),
                           _("办理状态")])
    for c in qs.select_related("lead_unit").order_by("reply_deadline", "pk")[:LIST_LIMIT]:
        chart.rows.append([
            Cell(c.acceptance_number, reverse("complaint_detail", args=[c.pk])),
            Cell(c.summary if len(c.summary) <= 40 else c.summary[:40] + "…"),
            Cell(c.lead_unit.name if c.lead_unit else ""), Cell(c.reply_deadline),
            Cell((on - c.reply_deadline).days), Cell(c.get_status_display()),
        ])
    return chart


def acceptance_returns(user: Any, filters: DashboardFilters) -> Chart:
    """验收退回: every acceptance review that sent a task back, newest first, with its reasons."""
    qs = (scope_for(user, AcceptanceReview.objects.all())
          .filter(application__task__in=d.tasks_for(user, filters), decision=AcceptanceReview.Decision.RETURN))
    chart = Chart(key="returns", title=_("验收退回"), kind="table", total=qs.count(),
                  headers=[_("序号"), _("存在问题"), _("验收单位"), _("退回时间"), _("退回理由")])
    for review in qs.select_related("application__task__acceptance_unit").order_by("-created_at", "-pk")[:LIST_LIMIT]:
        task = review.application.task
        unit = task.acceptance_unit
        chart.rows.append(d._task_row(task, Cell(unit.name if unit else ""), Cell(review.created_at.date()),
                                      Cell(review.reasons)))
    return chart


def notices_unanswered(user: Any, filters: DashboardFilters, *, on: dt.date | None = None) -> Chart:
    """督办未回复: notices and letters issued (or escalated) and not replied to, the most overdue first."""
    on = on or d.today()
    qs = (scope_for(user, SupervisionNotice.objects.all())
          .filter(task__in=d.tasks_for(user, filters),
                  status__in=(SupervisionNotice.Status.ISSUED, SupervisionNotice.Status.ESCALATED))
          .exclude(kind=SupervisionNotice.Kind.TALK))
    chart = Chart(key="unanswered", title=_("督办未回复"), kind="table", total=qs.count(),
                  more_url=reverse("notice_list"),
                  headers=[_("编号"), _("督办对象"), _("整改任务"), _("回复期限"), _("逾期天数"), _("状态")])
    for notice in qs.select_related("unit", "task").order_by("reply_deadline", "pk")[:LIST_LIMIT]:
        chart.rows.append([
            Cell(notice.number or notice.get_kind_display(), reverse("notice_detail", args=[notice.pk])),
            Cell(notice.unit.name), Cell(notice.task.short_title, reverse("task_detail", args=[notice.task_id])),
            Cell(notice.reply_deadline), Cell(max((on - notice.reply_deadline).days, 0)),
            Cell(notice.get_status_display()),
        ])
    return chart


def accountability_proposals(user: Any, filters: DashboardFilters) -> Chart:
    """问责建议: the `task.accountability_proposed` events of the tasks in view (repeated red), newest first."""
    ids = d.tasks_for(user, filters).order_by().annotate(
        sid=Cast("pk", output_field=Event._meta.get_field("object_id"))).values("sid")
    qs = Event.objects.filter(object_type="task", verb="task.accountability_proposed", object_id__in=ids)
    events = list(qs.order_by("-created_at", "-pk")[:LIST_LIMIT])
    tasks = Task.objects.prefetch_related("implementing_units").in_bulk([int(e.object_id) for e in events])
    chart = Chart(key="accountability", title=_("问责建议"), kind="table", total=qs.count(),
                  headers=[_("序号"), _("存在问题"), _("整改实施主体"), _("提出时间"), _("红灯次数"), _("理由")])
    for event in events:
        task = tasks.get(int(event.object_id))
        if task is None:
            continue
        reasons = event.data.get("reasons") or []
        chart.rows.append(d._task_row(task, Cell(d._units_text(task)), Cell(event.created_at.date()),
                                      Cell(event.data.get("red_count", "")), Cell("；".join(map(str, reasons)))))
    return chart


# ---------------------------------------------------------------------------------- headline figures


@dataclass
class Headline:
    total: int = 0
    closed: int = 0
    closed_rate: Any = None
    by_year: list[dict[str, Any]] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    warning_urls: dict[str, str] = field(default_factory=dict)
    complaints: dict[str, Any] = field(default_factory=dict)
    acceptance: dict[str, Any] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)


def headline(user: Any, filters: DashboardFilters) -> Headline:
    """The leader's figures: tasks closed of total, the same per due year, red and yellow counts,
    complaints done of total, acceptance pass rate. The task and complaint figures and the acceptance
    rate are shared with the page's charts (`dashboards.shared`): no query of their own on the page."""
    years: dict[Any, dict[str, Any]] = {}
    for group in d.task_breakdown(user, filters):
        sums = years.setdefault(group["due_year"], {"due_year": group["due_year"], "n": 0, "closed": 0})
        sums["n"] += group["n"]
        sums["closed"] += group["n"] if group["status"] == TaskStatus.CLOSED else 0
    h = Headline()
    for row in sorted(years.values(), key=lambda r: (r["due_year"] is None, r["due_year"] or 0)):
        h.total += row["n"]
        h.closed += row["closed"]
        year = row["due_year"]
        h.by_year.append({"year": year, "total": row["n"], "closed": row["closed"], "rate": rate(row["closed"], row["n"]),
                          "url": d.task_url(filters, year=year) if year else "",
                          "closed_url": d.task_url(filters, year=year, status=TaskStatus.CLOSED) if year else ""})
    h.closed_rate = rate(h.closed, h.total)
    h.warnings = d.warning_counts(user, filters)
    h.warning_urls = {level: d.task_url(filters, warning=level) for level in (d.RED, d.YELLOW)}
    h.urls = {"total": d.task_url(filters), "closed": d.task_url(filters, status=TaskStatus.CLOSED)}
    h.complaints = loop.complaint_figures(user, filters)
    h.acceptance = loop.acceptance_figures(user, filters)
    return h


# ------------------------------------------------------------------------------------------ dashboards

ChartFn = Callable[[Any, DashboardFilters], Chart]

CHARTS: dict[str, ChartFn] = {
    "status": d.tasks_by_status,
    "units": d.tasks_by_unit,
    "units_warning": lambda u, f: _retitled(d.tasks_by_unit(u, f, stack="warning"), "units_warning"),
    "warnings": d.warnings_over_time,
    "schedule": d.completion_against_schedule,
    "overdue": d.overdue_list,
    "red": d.red_list,
    "repeated_red": lambda u, f: d.red_list(u, f, repeated=True),
    "punctuality": loop.report_punctuality,
    "acceptance": loop.acceptance_rates,
    "complaint_status": loop.complaints_by_status,
    "complaint_types": loop.complaints_by_type,
    "complaint_regions": loop.complaints_by_region,
    "complaints_overdue": complaints_overdue,
    "returns": acceptance_returns,
    "unanswered": notices_unanswered,
    "accountability": accountability_proposals,
}


def _retitled(chart: Chart, key: str) -> Chart:
    chart.key = key
    chart.title = _("整改任务按实施主体（预警）")
    return chart


OFFICE_CHARTS = ("status", "units", "warnings", "schedule", "overdue", "red", "punctuality", "complaint_status",
                 "complaint_types", "complaint_regions", "acceptance")
LEADER_CHARTS = ("schedule", "units_warning", "status", "warnings", "complaint_status", "complaint_types",
                 "complaint_regions", "acceptance", "red")
DISCIPLINE_CHARTS = ("red", "repeated_red", "overdue", "complaints_overdue", "returns", "unanswered",
                     "accountability", "acceptance")
UNIT_CHARTS = ("status", "units", "warnings", "schedule", "overdue", "punctuality", "complaint_status",
               "complaint_types", "acceptance")


@dataclass(frozen=True)
class Dashboard:
    key: str
    title: Any
    role: str | None  # the role that opens it; None: any signed-in user (their own scope)
    charts: tuple[str, ...]
    headline: bool = False


DASHBOARDS: dict[str, Dashboard] = {
    "office": Dashboard("office", gettext_lazy("督察整改办统计分析"), Role.OFFICE, OFFICE_CHARTS),
    "leader": Dashboard("leader", gettext_lazy("领导驾驶舱"), Role.LEADER, LEADER_CHARTS, headline=True),
    "discipline": Dashboard("discipline", gettext_lazy("纪检监察统计分析"), Role.DISCIPLINE, DISCIPLINE_CHARTS),
    "unit": Dashboard("unit", gettext_lazy("本单位统计分析"), None, UNIT_CHARTS),
}


def may_open(user: Any, dashboard: Dashboard) -> bool:
    if dashboard.role is None:
        return bool(getattr(user, "is_authenticated", False))
    return bool(getattr(user, "is_superuser", False)) or user_has_role(user, dashboard.role)


def dashboards_for(user: Any) -> list[Dashboard]:
    """The role dashboards the user holds, office first; unit users (and anyone without a role
    dashboard) get the dashboard of their own scope."""
    held = [b for key, b in DASHBOARDS.items() if key != "unit" and b.role and user_has_role(user, b.role)]
    return held or [DASHBOARDS["unit"]]


def charts_for(user: Any) -> set[str]:
    """The charts the user may download: those of the dashboards they may open."""
    if getattr(user, "is_superuser", False):
        return set(CHARTS)
    keys = {key for b in dashboards_for(user) for key in b.charts}
    return keys | ({"units_warning"} if "units" in keys else set())


def dashboard_build(user: Any, dashboard: Dashboard, filters: DashboardFilters, *,
                    unit_stack: str = "status") -> dict[str, Any]:
    """Every chart of `dashboard` for `user` (and the headline figures where it has them)."""
    charts = []
    for key in dashboard.charts:
        if key == "units" and unit_stack == "warning":
            charts.append(_retitled(d.tasks_by_unit(user, filters, stack="warning"), "units_warning"))
        else:
            charts.append(CHARTS[key](user, filters))
    return {"charts": charts, "headline": headline(user, filters) if dashboard.headline else None}
