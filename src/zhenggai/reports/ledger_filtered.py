"""The dispatch ledger (调度台账) of a filtered task list: the same writer as the plan ledger
(`task_export.ledger_workbook`), fed with the tasks of the list, one sheet per plan (task numbers are only
unique within a plan). Written to a temporary file, so a large ledger is streamed to the browser rather
than held in memory twice."""

from __future__ import annotations

import datetime as dt
import tempfile
from copy import copy
from typing import IO, Any

from django.db.models import QuerySet
from openpyxl import Workbook

from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import Task

from .task_export import ledger_workbook

SHEET_TITLE_MAX = 31
FORBIDDEN = '[]:*?/\\'


def _sheet_title(plan: Plan, taken: set[str]) -> str:
    base = "".join("_" if c in FORBIDDEN else c for c in plan.title)[:SHEET_TITLE_MAX - 4] or "plan"
    title, n = base, 2
    while title in taken:
        title, n = f"{base}({n})", n + 1
    taken.add(title)
    return title


def _copy_sheet(source: Any, target: Any) -> None:
    """Values, styles, merges, widths, heights and print settings of `source` into `target` (openpyxl
    copies sheets only within one workbook)."""
    for row in source.iter_rows():
        for cell in row:
            if cell.__class__.__name__ == "MergedCell":
                continue
            new = target.cell(row=cell.row, column=cell.column, value=cell.value)
            if cell.data_type == "s":
                new.data_type = "s"
            if cell.has_style:
                new.font, new.fill, new.border = copy(cell.font), copy(cell.fill), copy(cell.border)
                new.alignment, new.number_format = copy(cell.alignment), cell.number_format
    for merged in source.merged_cells.ranges:
        target.merge_cells(str(merged))
    for key, dimension in source.column_dimensions.items():
        target.column_dimensions[key].width = dimension.width
    for key, dimension in source.row_dimensions.items():
        target.row_dimensions[key].height = dimension.height
    target.freeze_panes = source.freeze_panes
    target.auto_filter.ref = source.auto_filter.ref
    target.print_title_rows = source.print_title_rows
    target.page_setup.orientation = source.page_setup.orientation


def filtered_ledger_workbook(tasks: QuerySet[Task]) -> Workbook:
    """The ledger of `tasks` (already scoped and filtered): one sheet per plan, plans in list order."""
    plan_ids = list(tasks.order_by("plan_id").values_list("plan_id", flat=True).distinct())
    plans = {p.pk: p for p in Plan.objects.filter(pk__in=plan_ids)}
    if not plan_ids:
        return ledger_workbook(plan=Plan(title=""), tasks=tasks.none())
    first, *others = plan_ids
    workbook = ledger_workbook(plan=plans[first], tasks=tasks.filter(plan_id=first))
    if not others:
        return workbook
    taken: set[str] = set()
    workbook.active.title = _sheet_title(plans[first], taken)  # type: ignore[union-attr]
    for plan_id in others:
        source = ledger_workbook(plan=plans[plan_id], tasks=tasks.filter(plan_id=plan_id)).active
        _copy_sheet(source, workbook.create_sheet(_sheet_title(plans[plan_id], taken)))
    return workbook


def filtered_ledger_file(tasks: QuerySet[Task]) -> IO[bytes]:
    """The ledger saved to a temporary file, positioned at its start (deleted when closed)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    filtered_ledger_workbook(tasks).save(handle)
    handle.seek(0)
    return handle


def filtered_ledger_filename(on: dt.date) -> str:
    return f"整改任务调度台账-{on:%Y%m%d}.xlsx"
