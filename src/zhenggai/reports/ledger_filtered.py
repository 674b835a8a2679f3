"""The dispatch ledger (调度台账) of a filtered task list: the same streaming writer as the plan ledger
(`task_export.ledger_sheet_stream`), fed with the tasks of the list, one sheet per plan (task numbers are
only unique within a plan). Written to a temporary file, so a large ledger is streamed to the browser
rather than held in memory."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import IO

from django.db.models import QuerySet
from openpyxl import Workbook

from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import Task

from .task_export import ledger_sheet_stream

SHEET_TITLE = "整改任务台账"  # the sheet of a ledger of one plan
SHEET_TITLE_MAX = 31
FORBIDDEN = '[]:*?/\\'


def _sheet_title(plan: Plan, taken: set[str]) -> str:
    base = "".join("_" if c in FORBIDDEN else c for c in plan.title)[:SHEET_TITLE_MAX - 4] or "plan"
    title, n = base, 2
    while title in taken:
        title, n = f"{base}({n})", n + 1
    taken.add(title)
    return title


def filtered_ledger_workbook(tasks: QuerySet[Task]) -> Workbook:
    """The ledger of `tasks` (already scoped and filtered): one sheet per plan, plans in list order.
    A write-only workbook whose sheets are already streamed (`ledger_sheet_stream`: tasks read in
    chunks, rows written to temporary files), so memory does not grow with the list; save it once."""
    plan_ids = list(tasks.order_by("plan_id").values_list("plan_id", flat=True).distinct())
    plans = {p.pk: p for p in Plan.objects.filter(pk__in=plan_ids)}
    workbook = Workbook(write_only=True)
    if not plan_ids:
        ledger_sheet_stream(workbook, title=SHEET_TITLE, plan=Plan(title=""), tasks=tasks.none())
        return workbook
    taken: set[str] = set()
    for plan_id in plan_ids:
        title = SHEET_TITLE if len(plan_ids) == 1 else _sheet_title(plans[plan_id], taken)
        ledger_sheet_stream(workbook, title=title, plan=plans[plan_id], tasks=tasks.filter(plan_id=plan_id))
    return workbook


def filtered_ledger_file(tasks: QuerySet[Task]) -> IO[bytes]:
    """The ledger saved to a temporary file, positioned at its start (deleted when closed)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    filtered_ledger_workbook(tasks).save(handle)
    handle.seek(0)
    return handle


def filtered_ledger_filename(on: dt.date) -> str:
    return f"整改任务调度台账-{on:%Y%m%d}.xlsx"
