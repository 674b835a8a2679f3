"""Open data: every public list as CSV (UTF-8 with a BOM, so that Excel opens it) and JSON, and an Atom
1.0 feed of updates. The same public reads as the pages (`selectors`, `updates`), the same caching.

JSON answers are objects `{"title", "generated", "columns", "rows"}` whose rows use English keys; CSV
files have one header row with the Chinese column names, then the rows in the same order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.complaints.publication import COLUMN_LABELS, PUBLISHED_COLUMNS, published_complaints

from . import selectors
from .caching import absolute_url, public_page, render_page
from .updates import latest_updates

Column = tuple[str, str]  # (json key, CSV header)


def _respond(request: HttpRequest, fmt: str, name: str, title: str, columns: Sequence[Column],
             rows: list[dict[str, Any]]) -> HttpResponse:
    if fmt == "json":
        body = json.dumps({"title": title, "generated": timezone.now(), "columns": [k for k, _h in columns],
                           "rows": rows}, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([header for _k, header in columns])
        for row in rows:
            writer.writerow(["" if row.get(k) is None else _cell(row.get(k)) for k, _h in columns])
        response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _units(units: Any) -> list[str]:
    return [u.name for u in units]


# ------------------------------------------------------------------------------------------ lists

def _plan_rows(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for plan in selectors.public_plans():
        figures = selectors.task_figures(plan.tasks.all())
        rows.append({
            "id": plan.pk, "title": plan.title, "inspection": plan.inspection.title,
            "document_number": plan.document_number, "approved_date": plan.approved_date,
            "published_date": plan.published_date, "tasks": figures.total, "tasks_closed": figures.closed,
            "url": absolute_url(request, reverse("portal:plan_detail", args=[plan.pk])),
        })
    return rows


PLAN_COLUMNS: list[Column] = [
    ("id", "编号"), ("title", "方案名称"), ("inspection", "督察"), ("document_number", "文号"),
    ("approved_date", "印发日期"), ("published_date", "公开日期"), ("tasks", "整改任务数"),
    ("tasks_closed", "已销号任务数"), ("url", "网址"),
]
TASK_COLUMNS: list[Column] = [
    ("number", "序号"), ("problem", "存在问题"), ("goal", "整改目标"), ("implementing_units", "整改实施主体"),
    ("lead_unit", "牵头单位"), ("acceptance_unit", "验收单位"), ("deadline", "整改时限"),
    ("deadline_date", "时限日期"), ("due_year", "完成年度"), ("category", "九治类别"), ("measure_area", "整改举措领域"),
    ("status", "状态"), ("schedule", "序时进度"), ("url", "网址"),
]
NOTICE_COLUMNS: list[Column] = [
    ("id", "编号"), ("plan", "整改方案"), ("task_number", "任务序号"), ("implementing_units", "整改实施主体"),
    ("summary", "整改任务概述"), ("result", "整改情况"), ("start_date", "公示开始"), ("end_date", "公示截止"),
    ("working_days", "公示期（工作日）"), ("status", "状态"), ("url", "网址"),
]
RESULT_COLUMNS: list[Column] = [
    ("category", "九治类别"), ("plan", "整改方案"), ("number", "任务序号"), ("problem", "存在问题"),
    ("implementing_units", "整改实施主体"), ("change", "整改成效"), ("closed_date", "销号日期"), ("url", "网址"),
]
COMPLAINT_COLUMNS: list[Column] = [("inspection", "督察"), ("batch", "批次"), ("published_date", "公开日期")] + [
    (f"c{i}", key) for i, key in enumerate(PUBLISHED_COLUMNS, start=1)]


def _task_rows(request: HttpRequest, plan: Any) -> list[dict[str, Any]]:
    rows = []
    for row in selectors.task_rows(plan):
        t = row.task
        rows.append({
            "number": t.number, "problem": t.title, "goal": t.goal, "implementing_units": _units(row.units),
            "lead_unit": t.lead_unit.name if t.lead_unit_id and t.lead_unit else "",
            "acceptance_unit": t.acceptance_unit.name if t.acceptance_unit else "",
            "deadline": t.deadline_text or (t.deadline.isoformat() if t.deadline else ""),
            "deadline_date": t.deadline, "due_year": t.due_year, "category": t.get_category_display(),
            "measure_area": t.measure_area.title if t.measure_area else "", "status": t.get_status_display(),
            "schedule": row.judgement_label,
            "url": absolute_url(request, reverse("portal:task_detail", args=[t.pk])),
        })
    return rows


def _notice_rows(request: HttpRequest) -> list[dict[str, Any]]:
    on = timezone.localdate()
    return [{
        "id": n.pk, "plan": n.task.plan.title, "task_number": n.task.number,
        "implementing_units": _units(n.task.implementing_units.all()), "summary": n.summary, "result": n.result,
        "start_date": n.start_date, "end_date": n.end_date, "working_days": n.working_days,
        "status": str(_("公示中") if selectors.notice_is_open(n, on) else _("公示期满")),
        "url": absolute_url(request, reverse("portal:notice_detail", args=[n.pk])),
    } for n in selectors.public_notices()]


def _result_rows(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for _value, label, results in selectors.results():
        for r in results:
            rows.append({
                "category": label, "plan": r.task.plan.title, "number": r.task.number, "problem": r.task.title,
                "implementing_units": _units(r.task.implementing_units.all()), "change": r.change,
                "closed_date": timezone.localdate(r.closed_at) if r.closed_at else None,
                "url": absolute_url(request, reverse("portal:task_detail", args=[r.task.pk])),
            })
    return rows


def _complaint_rows(request: HttpRequest) -> list[dict[str, Any]]:
    rows = []
    for c in published_complaints().select_related("batch", "batch__inspection"):
        data = c.published_data or {}
        row: dict[str, Any] = {"inspection": c.batch.inspection.title, "batch": c.batch.number,
                               "published_date": timezone.localdate(c.batch.published_at)}
        row.update({f"c{i}": str(data.get(key, "")) for i, key in enumerate(PUBLISHED_COLUMNS, start=1)})
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------ views

DATASETS = ("plans", "notices", "results", "complaints")


@public_page()
def data_index(request: HttpRequest) -> HttpResponse:
    plans = list(selectors.public_plans())
    return render_page("portal/data_index.html", {
        "plans": plans, "complaint_labels": [str(COLUMN_LABELS[k]) for k in PUBLISHED_COLUMNS],
    })


@public_page()
def dataset(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    """plans / notices / results / complaints as CSV or JSON."""
    if name == "plans":
        return _respond(request, fmt, "plans", _("整改方案"), PLAN_COLUMNS, _plan_rows(request))
    if name == "notices":
        return _respond(request, fmt, "notices", _("验收销号公示"), NOTICE_COLUMNS, _notice_rows(request))
    if name == "results":
        return _respond(request, fmt, "results", _("成效清单"), RESULT_COLUMNS, _result_rows(request))
    if name == "complaints":
        return _respond(request, fmt, "complaints", _("群众信访举报件办理情况"), COMPLAINT_COLUMNS,
                        _complaint_rows(request))
    raise Http404


@public_page()
def plan_tasks(request: HttpRequest, pk: str, fmt: str) -> HttpResponse:
    plan = selectors.public_plan(int(pk))
    if plan is None:
        raise Http404
    return _respond(request, fmt, f"plan-{pk}-tasks", plan.title, TASK_COLUMNS, _task_rows(request, plan))


# ------------------------------------------------------------------------------------------- feed

def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _atom_time(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


@public_page()
def feed(request: HttpRequest) -> HttpResponse:
    """Atom 1.0: the latest 50 updates (notices opened, tasks closed, progress published, batches published)."""
    updates = latest_updates(50)
    home = absolute_url(request, reverse("portal:home"))
    self_url = absolute_url(request, reverse("portal:feed"))
    newest = updates[0].when if updates else timezone.now()
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hans">',
        f"<title>{escape(_('生态环境保护督察整改信息公开：最新动态'))}</title>",
        f"<id>{escape(home)}</id>",
        f'<link rel="alternate" type="text/html" href="{_attr(home)}"/>',
        f'<link rel="self" type="application/atom+xml" href="{_attr(self_url)}"/>',
        f"<updated>{_atom_time(newest)}</updated>",
        f"<author><name>{escape(_('督察整改信息公开'))}</name></author>",
    ]
    for u in updates:
        url = absolute_url(request, u.path)
        lines += [
            "<entry>",
            f"<title>{escape(u.title)}</title>",
            f"<id>{escape(home)}#{escape(u.key)}</id>",
            f'<link rel="alternate" type="text/html" href="{_attr(url)}"/>',
            f"<updated>{_atom_time(u.when)}</updated>",
            f'<category term="{_attr(u.kind)}" label="{_attr(u.kind_label)}"/>',
            f"<summary>{escape(u.summary or u.title)}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    response = HttpResponse("\n".join(lines), content_type="application/atom+xml; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response
