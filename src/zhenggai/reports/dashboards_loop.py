"""Dashboard charts of the closed loop and of complaint cases: report punctuality by unit, acceptance
pass/return rates, complaints by status, type and region. See `dashboards` for the rules every chart
follows (scope, filters, fixed number of aggregate queries, drill-down URLs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Region
from zhenggai.accounts.policies import is_region_wide, scope_for
from zhenggai.complaints.models import Complaint, ComplaintStatus
from zhenggai.complaints.statistics import complaint_breakdown, rate, type_figures
from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import AcceptanceReview, DispatchRound, ProgressReport, Task
from zhenggai.rectification.round_selectors import rounds_for_user

from .dashboards import Cell, Chart, DashboardFilters, Point, Series, shared, task_url, tasks_for, today

COMPLAINT_STATUS_COLORS = {
    ComplaintStatus.RECEIVED: "#9e9e9e", ComplaintStatus.INVESTIGATING: "#1565c0",
    ComplaintStatus.STAGE_DONE: "#ef6c00", ComplaintStatus.DONE: "#2e7d32",
}


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


# ----------------------------------------------------------------------------------- report punctuality


def report_punctuality(user: Any, filters: DashboardFilters, *, on: dt.date | None = None) -> Chart:
    """报送及时率按单位: over the rounds the user sees that are closed or past their due date, for every
    (round, task, implementing unit) the round expects — tasks within the dashboard's filters —
    on time = an approved report not marked late, late = an approved report marked late
    (`ProgressReport.is_late`), missing = no approved report. Unit roles see their own units only
    (as on the round board). Three GROUP BY queries and one for the unit names."""
    on = on or today()
    rounds = rounds_for_user(user).filter(Q(status=DispatchRound.Status.CLOSED) | Q(due_date__lt=on))
    tasks = tasks_for(user, filters)
    through = Task.implementing_units.through
    expected_qs = through.objects.filter(task__in=tasks, task__rounds__in=rounds)
    reports = ProgressReport.objects.filter(
        round__in=rounds, task__in=tasks, status=ProgressReport.Status.APPROVED,
    ).filter(Exists(through.objects.filter(task_id=OuterRef("task_id"), organization_id=OuterRef("unit_id"))))
    org = getattr(user, "organization", None)
    if not (is_region_wide(user) or user.is_superuser):
        prefix = org.path if org is not None else "\0"
        expected_qs = expected_qs.filter(organization__path__startswith=prefix)
        reports = reports.filter(unit__path__startswith=prefix)
    expected = {r["organization_id"]: r["n"] for r in
                expected_qs.order_by().values("organization_id").annotate(n=Count("pk"))}
    on_time: dict[int, int] = {}
    late: dict[int, int] = {}
    for row in reports.order_by().values("unit_id", "is_late").annotate(n=Count("pk")):
        (late if row["is_late"] else on_time)[row["unit_id"]] = row["n"]
    names = {o.pk: o.short_name or o.name for o in Organization.objects.filter(pk__in=list(expected))}
    units = sorted(expected, key=lambda pk: (-(expected[pk] - on_time.get(pk, 0)), names.get(pk, ""), pk))
    chart = Chart(key="punctuality", title=_("进展报送及时情况（按单位）"), kind="hbar", unit=_("次"),
                  note=_("统计已结束或已过报送截止日的调度；每个调度中每项任务的每个实施主体应报一次。"),
                  headers=[_("单位"), _("应报"), _("按时报送"), _("逾期报送"), _("未报送"), _("按时率")])
    chart.categories = [names.get(pk, "") for pk in units]
    round_url = reverse("round_list")
    series: dict[str, list[Point]] = {"on_time": [], "late": [], "missing": []}
    totals = [0, 0, 0, 0]
    for pk in units:
        url = task_url(filters, unit=pk, unit_role="implementing")
        counts = (on_time.get(pk, 0), late.get(pk, 0), max(expected[pk] - on_time.get(pk, 0) - late.get(pk, 0), 0))
        for key, value in zip(series, counts, strict=True):
            series[key].append(Point(value, url))
        chart.rows.append([Cell(names.get(pk, ""), url), Cell(expected[pk]), Cell(counts[0]), Cell(counts[1]),
                           Cell(counts[2]), Cell(_percent(rate(counts[0], expected[pk])))])
        for index, value in enumerate((expected[pk], *counts)):
            totals[index] += value
    chart.series = [
        Series(_("按时报送"), series["on_time"], key="on_time", color="#2e7d32", stack="total"),
        Series(_("逾期报送"), series["late"], key="late", color="#f9a825", stack="total"),
        Series(_("未报送"), series["missing"], key="missing", color="#c62828", stack="total"),
    ]
    if units:
        chart.rows.append([Cell(_("合计"), round_url), *[Cell(v) for v in totals],
                           Cell(_percent(rate(totals[1], totals[0])))])
    chart.total = totals[0]
    return chart


# ------------------------------------------------------------------------------------------ acceptance


def _review_counts(user: Any, filters: DashboardFilters) -> list[dict[str, Any]]:
    """The acceptance reviews of the tasks in view counted by (acceptance unit, decision); shared by the
    chart and the headline's rates."""
    def compute() -> list[dict[str, Any]]:
        reviews = scope_for(user, AcceptanceReview.objects.all()).filter(application__task__in=tasks_for(user, filters))
        rows: Any = reviews.order_by().values("application__task__acceptance_unit_id", "decision").annotate(n=Count("pk"))
        return list(rows)

    return shared(user, filters, "review_counts", compute)  # type: ignore[no-any-return]


def acceptance_rates(user: Any, filters: DashboardFilters) -> Chart:
    """验收通过/退回 by acceptance unit, with the overall rates in the last row: every acceptance review
    (验收意见) of the tasks in view counts once. One GROUP BY query and one for the unit names."""
    rows = _review_counts(user, filters)
    passed: dict[int | None, int] = {}
    returned: dict[int | None, int] = {}
    for row in rows:
        target = passed if row["decision"] == AcceptanceReview.Decision.PASS else returned
        target[row["application__task__acceptance_unit_id"]] = row["n"]
    ids = set(passed) | set(returned)
    names = {o.pk: o.short_name or o.name for o in Organization.objects.filter(pk__in=[i for i in ids if i])}
    units = sorted(ids, key=lambda pk: (-(passed.get(pk, 0) + returned.get(pk, 0)), names.get(pk or 0, ""), pk or 0))
    chart = Chart(key="acceptance", title=_("验收通过与退回（按验收单位）"), kind="hbar", unit=_("次"),
                  note=_("每次验收意见计一次；同一任务退回后再次申请验收的，分别计入。"),
                  headers=[_("验收单位"), _("验收次数"), _("通过"), _("退回"), _("通过率"), _("退回率")])
    pass_points, return_points = [], []
    for pk in units:
        name = names.get(pk, "") if pk else _("未指定验收单位")
        url = task_url(filters, unit=pk) if pk else ""
        p, r = passed.get(pk, 0), returned.get(pk, 0)
        chart.categories.append(name)
        pass_points.append(Point(p, url))
        return_points.append(Point(r, url))
        chart.rows.append([Cell(name, url), Cell(p + r), Cell(p), Cell(r), Cell(_percent(rate(p, p + r))),
                           Cell(_percent(rate(r, p + r)))])
    total_pass, total_return = sum(passed.values()), sum(returned.values())
    total = total_pass + total_return
    chart.rows.append([Cell(_("合计")), Cell(total), Cell(total_pass), Cell(total_return),
                       Cell(_percent(rate(total_pass, total))), Cell(_percent(rate(total_return, total)))])
    chart.series = [
        Series(_("通过"), pass_points, key="pass", color="#2e7d32", stack="total"),
        Series(_("退回"), return_points, key="return", color="#c62828", stack="total"),
    ]
    chart.total = total
    return chart


def acceptance_figures(user: Any, filters: DashboardFilters) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for row in _review_counts(user, filters):
        counts[row["decision"]] = counts.get(row["decision"], 0) + row["n"]
    p, r = counts.get(AcceptanceReview.Decision.PASS, 0), counts.get(AcceptanceReview.Decision.RETURN, 0)
    return {"passed": p, "returned": r, "total": p + r, "pass_rate": rate(p, p + r), "return_rate": rate(r, p + r)}


# ------------------------------------------------------------------------------------------ complaints


def complaint_inspection(filters: DashboardFilters) -> int | None:
    """The inspection whose complaints the dashboard counts: the filter's, else the plan's."""
    if filters.inspection:
        return filters.inspection
    if filters.plan:  # looked up once per request: every point's URL asks
        if "plan_inspection" not in filters.memo:
            filters.memo["plan_inspection"] = (
                Plan.objects.filter(pk=filters.plan).values_list("inspection_id", flat=True).first() or 0)
        return filters.memo["plan_inspection"]  # type: ignore[no-any-return]
    return None


def complaints_for(user: Any, filters: DashboardFilters) -> QuerySet[Complaint]:
    qs = scope_for(user, Complaint.objects.all())
    inspection = complaint_inspection(filters)
    return qs.filter(inspection_id=inspection) if inspection is not None else qs


def complaint_url(filters: DashboardFilters, **params: Any) -> str:
    inspection = complaint_inspection(filters)
    query = {"inspection": inspection} if inspection else {}
    query.update({k: v for k, v in params.items() if v not in (None, "")})
    return f"{reverse('complaint_list')}?{urlencode(query)}"


def _breakdown(user: Any, filters: DashboardFilters) -> list[dict[str, Any]]:
    """The cases in view counted by (status, region) with their types: the status, type and region
    charts and the headline figures are sums of these groups. One query per request."""
    return shared(user, filters, "complaint_breakdown",  # type: ignore[no-any-return]
                  lambda: complaint_breakdown(complaints_for(user, filters), by=("status", "region_id")))


def _sum_by(groups: list[dict[str, Any]], field_name: str) -> dict[Any, int]:
    sums: dict[Any, int] = {}
    for group in groups:
        sums[group[field_name]] = sums.get(group[field_name], 0) + group["n"]
    return sums


def _status_counts(user: Any, filters: DashboardFilters) -> dict[str, int]:
    return _sum_by(_breakdown(user, filters), "status")


def complaints_by_status(user: Any, filters: DashboardFilters) -> Chart:
    """信访件按办理状态: from the shared complaint breakdown (one GROUP BY query for the page)."""
    counts = _status_counts(user, filters)
    chart = Chart(key="complaint_status", title=_("信访件按办理状态"), kind="pie", unit=_("件"),
                  headers=[_("办理状态"), _("件数")])
    points = []
    for value, label in ComplaintStatus.choices:
        url = complaint_url(filters, status=value)
        chart.categories.append(str(label))
        points.append(Point(counts.get(value, 0), url))
        chart.rows.append([Cell(str(label)), Cell(counts.get(value, 0), url)])
    chart.series = [Series(_("件数"), points, key="count")]
    chart.total = sum(counts.values())
    chart.rows.append([Cell(_("合计")), Cell(chart.total, complaint_url(filters))])
    return chart


def complaints_by_type(user: Any, filters: DashboardFilters) -> Chart:
    """信访件按污染类型 (`complaints.statistics.type_figures` of the shared breakdown): a case counts
    under each of its types, so the totals exceed the number of cases whenever a case has several."""
    figures = type_figures(_breakdown(user, filters))
    chart = Chart(key="complaint_types", title=_("信访件按污染类型"), kind="bar", unit=_("件"),
                  headers=[_("污染类型"), _("件数")])
    points = []
    for row in figures["by_type"]:
        url = complaint_url(filters, type=row["code"])
        chart.categories.append(row["label"])
        points.append(Point(row["count"], url))
        chart.rows.append([Cell(row["label"]), Cell(row["count"], url)])
    chart.series = [Series(_("件数"), points, key="count", color="#00695c")]
    chart.rows.append([Cell(_("类型合计（人次）")), Cell(figures["type_mentions"])])
    chart.rows.append([Cell(_("注明类型的信访件")), Cell(figures["typed_cases"])])
    chart.note = _("污染类型可多选：一件涉及多个类型的，在每个类型下各计一次，各类型合计（%(mentions)s）"
                   "可能多于信访件数（%(cases)s 件注明类型）。") % {
        "mentions": figures["type_mentions"], "cases": figures["typed_cases"]}
    chart.total = figures["total"]
    return chart


def complaints_by_region(user: Any, filters: DashboardFilters) -> Chart:
    """信访件按行政区域: the shared breakdown and one query for the regions; a region's bar includes its
    sub-regions' cases (as the list's region filter does), cases without a region are shown apart."""
    counts: dict[int | None, int] = _sum_by(_breakdown(user, filters), "region_id")
    regions = {r.pk: r for r in Region.objects.filter(pk__in=[pk for pk in counts if pk])}
    shown: dict[int, int] = {}
    for pk, region in regions.items():
        top = min((other for other in regions.values() if region.path.startswith(other.path)),
                  key=lambda o: len(o.path))
        shown[top.pk] = shown.get(top.pk, 0) + counts[pk]
    order = sorted(shown, key=lambda pk: (-shown[pk], regions[pk].path))
    chart = Chart(key="complaint_regions", title=_("信访件按行政区域"), kind="hbar", unit=_("件"),
                  headers=[_("行政区域"), _("件数")])
    points = []
    for pk in order:
        url = complaint_url(filters, region=pk)
        chart.categories.append(regions[pk].name)
        points.append(Point(shown[pk], url))
        chart.rows.append([Cell(regions[pk].name), Cell(shown[pk], url)])
    if counts.get(None):
        chart.categories.append(_("未注明"))
        points.append(Point(counts[None]))
        chart.rows.append([Cell(_("未注明")), Cell(counts[None])])
    chart.series = [Series(_("件数"), points, key="count", color="#4527a0")]
    chart.total = sum(counts.values())
    return chart


def complaint_figures(user: Any, filters: DashboardFilters) -> dict[str, Any]:
    counts = _status_counts(user, filters)
    total, done = sum(counts.values()), counts.get(ComplaintStatus.DONE, 0)
    return {"total": total, "done": done, "rate": rate(done, total),
            "url": complaint_url(filters), "done_url": complaint_url(filters, status=ComplaintStatus.DONE)}
