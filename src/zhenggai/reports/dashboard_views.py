"""Dashboard pages (统计分析) and the download of each chart's numbers (.xlsx or .csv)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from zhenggai.accounts.policies import scope_for
from zhenggai.inspections.models import Inspection, Plan
from zhenggai.rectification.models import Task

from .dashboards import DashboardFilters
from .dashboards_lists import CHARTS, DASHBOARDS, charts_for, dashboard_build, dashboards_for, may_open
from .xlsx import attachment_disposition, styled_sheet, xlsx_response

CSV_TYPE = "text/csv; charset=utf-8"


def _filter_choices(user: Any, filters: DashboardFilters) -> dict[str, Any]:
    plans = scope_for(user, Plan.objects.select_related("inspection")).order_by("-inspection__start_date", "id")
    if filters.inspection:
        plans = plans.filter(inspection_id=filters.inspection)
    years = (scope_for(user, Task.objects.exclude(due_year=None)).order_by("due_year")
             .values_list("due_year", flat=True).distinct())
    return {
        "inspections": scope_for(user, Inspection.objects.all()).order_by("-start_date", "id"),
        "plans": plans,
        "years": list(years),
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """/dashboards/: the dashboard of the user's role (office, leader, discipline in that order); unit
    users get the dashboard of their own scope here."""
    first = dashboards_for(request.user)[0]
    if first.key != "unit":
        target = reverse(f"dashboard_{first.key}")
        query = request.GET.urlencode()
        return redirect(f"{target}?{query}" if query else target)
    return _render(request, "unit")


def _role_view(key: str) -> Any:
    @login_required
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        if not may_open(request.user, DASHBOARDS[key]):
            raise DjangoPermissionDenied
        return _render(request, key)

    view.__name__ = f"dashboard_{key}"
    view.__doc__ = f"The {key} dashboard (403 for users without the role)."
    return view


dashboard_office = _role_view("office")
dashboard_leader = _role_view("leader")
dashboard_discipline = _role_view("discipline")


def _render(request: HttpRequest, key: str) -> HttpResponse:
    board = DASHBOARDS[key]
    filters = DashboardFilters.from_query(request.GET)
    unit_stack = "warning" if request.GET.get("stack") == "warning" else "status"
    built = dashboard_build(request.user, board, filters, unit_stack=unit_stack)
    tabs = [b for b in dashboards_for(request.user) if b.key != "unit"]
    return render(request, "dashboards/dashboard.html", {
        "board": board, "filters": filters, "tabs": tabs if len(tabs) > 1 else [], "unit_stack": unit_stack,
        "query": filters.query(), **built,
        **_filter_choices(request.user, filters),
    })


@login_required
@require_GET
def dashboard_data(request: HttpRequest, chart: str, ext: str) -> HttpResponse:
    """/dashboards/data/<chart>.<xlsx|csv>: the chart's table with the same scope and filters as the
    page. Charts of dashboards the user cannot open answer 404, like unknown ones."""
    if chart not in CHARTS or chart not in charts_for(request.user) or ext not in ("xlsx", "csv"):
        raise Http404
    data = CHARTS[chart](request.user, DashboardFilters.from_query(request.GET))
    filename = f"{data.title}-{dt.date.today():%Y%m%d}.{ext}"
    fallback = f"{chart}-{dt.date.today():%Y%m%d}.{ext}"
    if ext == "xlsx":
        workbook = Workbook()
        styled_sheet(workbook, data.title, data.headers, data.plain_rows(), [24] + [14] * (len(data.headers) - 1))
        response = xlsx_response(workbook, filename)
        response["Content-Disposition"] = attachment_disposition(filename, fallback)
        return response
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.headers)
    for row in data.plain_rows():
        writer.writerow([_csv_cell(v) for v in row])
    if data.note:
        writer.writerow([])
        writer.writerow([_("说明") + "：" + data.note])
    # a BOM so that Excel opens the UTF-8 file with the right characters
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type=CSV_TYPE)
    response["Content-Disposition"] = attachment_disposition(filename, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # no formulas from user text
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
