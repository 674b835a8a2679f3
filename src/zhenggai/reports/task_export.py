"""The dispatch ledger (调度台账): a plan's tasks in the dispatch-table shape, one row per measure, the
task's cells merged down over its measure rows (DOMAIN §5).

    序号 | 存在问题 | 牵头单位 | 整改目标 | 整改时限 | 整改措施 | 责任单位 | 整改时限 | 整改阶段 | 整改进度描述 | 是否销号 | 备注
    + 整改实施主体 | 配合单位 | 责任领导 | 验收单位 | 九治类别 | 整改举措领域 | 完成年度 | 完成日期 | 阶段目标

The extra columns make export → import (`task_import`) round-trip: importing the ledger into a plan
gives the same tasks, measures and units. 完成日期 is the task's date as a date cell; the importer takes
it only when the 整改时限 wording names no date ("立行立改、长期坚持" with a due date). A title row sits above the header; the importer skips it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from copy import copy
from pathlib import Path
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter

from zhenggai.inspections.models import Plan
from zhenggai.rectification.deadlines import DeadlineError, deadline_wording, format_date, parse_deadline
from zhenggai.rectification.models import Measure, Milestone, Task
from zhenggai.rectification.workflow import TaskStatus

TASK, MEASURE = "task", "measure"
# (header, level, width)
LEDGER_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("序号", TASK, 6),
    ("存在问题", TASK, 40),
    ("牵头单位", TASK, 14),
    ("整改目标", TASK, 30),
    ("整改时限", TASK, 14),
    ("整改措施", MEASURE, 44),
    ("责任单位", MEASURE, 18),
    ("整改时限", MEASURE, 14),
    ("整改阶段", TASK, 10),
    ("整改进度描述", TASK, 30),
    ("是否销号", TASK, 8),
    ("备注", TASK, 16),
    ("整改实施主体", TASK, 18),
    ("配合单位", TASK, 16),
    ("责任领导", TASK, 10),
    ("验收单位", TASK, 14),
    ("九治类别", TASK, 8),
    ("整改举措领域", TASK, 20),
    ("完成年度", TASK, 8),
    ("完成日期", TASK, 12),
    ("阶段目标", TASK, 30),
)
DATE_FORMAT = 'yyyy"年"m"月"d"日"'
DEADLINE_DATE_COLUMN = len(LEDGER_COLUMNS) - 1
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def deadline_cell(date: dt.date | None, kind: str, text: str) -> str:
    """The 整改时限 cell: the original wording when it reads back as the same deadline, or when only its
    date is missing (the 完成日期 column carries it: "立行立改、长期坚持" due 2025-12-31); otherwise words
    that read back as the same (date, kind)."""
    if text and date is not None:
        try:
            parsed = parse_deadline(text)
        except DeadlineError:
            parsed = None
        if parsed is not None and parsed.date is None and parsed.kind == kind:
            return text
    return deadline_wording(date, kind, text)


def milestones_cell(milestones: Iterable[Milestone]) -> str:
    """阶段目标, one a line: "2025年6月30日 完成排查（50%）"."""
    return "\n".join(f"{format_date(m.date)} {m.title}（{m.percent}%）" for m in milestones)


def ledger_tasks(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """The tasks with everything the ledger shows, in a fixed number of queries."""
    return (
        tasks.select_related("lead_unit", "acceptance_unit", "measure_area")
        .prefetch_related(
            "implementing_units",
            "cooperating_units",
            Prefetch("milestones", queryset=Milestone.objects.order_by("date", "id")),
            Prefetch("measures", queryset=Measure.objects.order_by("number").prefetch_related("units")),
        )
        .order_by("number")
    )


def _names(units: Iterable[Any]) -> str:
    return "、".join(u.name for u in sorted(units, key=lambda u: (u.sort_order, u.pk)))


def _task_cells(task: Task) -> dict[int, Any]:
    return {
        0: task.number,
        1: task.title,
        2: task.lead_unit.name if task.lead_unit else "",
        3: task.goal,
        4: deadline_cell(task.deadline, task.deadline_kind, task.deadline_text),
        8: task.get_status_display(),
        9: "",
        10: "是" if task.status == TaskStatus.CLOSED else "否",
        11: task.remarks,
        12: _names(task.implementing_units.all()),
        13: _names(task.cooperating_units.all()),
        14: task.responsible_leader,
        15: task.acceptance_unit.name if task.acceptance_unit else "",
        16: task.get_category_display() if task.category else "",
        17: task.measure_area.title if task.measure_area else "",
        18: task.due_year or "",
        19: task.deadline,
        20: milestones_cell(task.milestones.all()),
    }


def _measure_cells(measure: Measure | None) -> dict[int, Any]:
    if measure is None:
        return {5: "", 6: "", 7: ""}
    return {
        5: measure.text,
        6: _names(measure.units.all()),
        7: deadline_wording(measure.deadline, measure.deadline_kind, measure.deadline_text),
    }


def _set(sheet: Any, row: int, column: int, value: Any) -> None:
    cell = sheet.cell(row=row, column=column + 1, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


def ledger_workbook(*, plan: Plan, tasks: QuerySet[Task]) -> Workbook:
    """The styled ledger workbook of `tasks` (already scoped by the caller) of `plan`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "整改任务台账"
    last_column = get_column_letter(len(LEDGER_COLUMNS))
    with translation.override("zh-hans"):
        _set(sheet, TITLE_ROW, 0, f"{plan.title}整改任务调度台账")  # the plan's title is user text: never a formula
        sheet.merge_cells(f"A{TITLE_ROW}:{last_column}{TITLE_ROW}")
        title = sheet.cell(row=TITLE_ROW, column=1)
        title.font = Font(bold=True, size=14)
        title.alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[TITLE_ROW].height = 28
        for index, (label, _level, width) in enumerate(LEDGER_COLUMNS):
            cell = sheet.cell(row=HEADER_ROW, column=index + 1, value=label)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.border = BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            sheet.column_dimensions[get_column_letter(index + 1)].width = width

        row = FIRST_DATA_ROW
        for task in ledger_tasks(tasks):
            measures: list[Measure | None] = list(task.measures.all()) or [None]
            task_cells = _task_cells(task)
            for offset, measure in enumerate(measures):
                cells = {**(task_cells if offset == 0 else {}), **_measure_cells(measure)}
                for column, value in cells.items():
                    _set(sheet, row + offset, column, value)
            if len(measures) > 1:
                for index, (_label, level, _width) in enumerate(LEDGER_COLUMNS):
                    if level == TASK:
                        sheet.merge_cells(start_row=row, start_column=index + 1,
                                          end_row=row + len(measures) - 1, end_column=index + 1)
            row += len(measures)

    align = Alignment(vertical="center", wrap_text=True)
    for cells in sheet.iter_rows(min_row=FIRST_DATA_ROW, max_row=row - 1, max_col=len(LEDGER_COLUMNS)):
        for cell in cells:
            cell.border = BORDER
            cell.alignment = align
    sheet.freeze_panes = f"C{FIRST_DATA_ROW}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{max(row - 1, HEADER_ROW)}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    return workbook


def ledger_filename(plan: Plan) -> str:
    safe = "".join("_" if c in '\\/:*?"<>|' else c for c in plan.title).strip() or "plan"
    return f"{safe}-整改任务调度台账.xlsx"


class _MergingWriter(WorksheetWriter):
    """openpyxl's sheet writer, writing the merged ranges of a streamed ledger from (first, last) row
    pairs as it goes, instead of from one CellRange object per range held in memory."""

    def __init__(self, sheet: Any) -> None:
        super().__init__(sheet)
        self.spans: list[tuple[int, int]] = []  # task rows (first, last) merged over the task columns
        self.task_columns = [get_column_letter(i + 1) for i, (_l, level, _w) in enumerate(LEDGER_COLUMNS)
                             if level == TASK]

    def write_merged_cells(self) -> None:
        from openpyxl.xml.functions import Element

        last_column = get_column_letter(len(LEDGER_COLUMNS))
        count = 1 + len(self.spans) * len(self.task_columns)
        xf = self.xf.send(True)
        with xf.element("mergeCells", count=str(count)):
            xf.write(Element("mergeCell", ref=f"A{TITLE_ROW}:{last_column}{TITLE_ROW}"))
            for first, last in self.spans:
                for column in self.task_columns:
                    xf.write(Element("mergeCell", ref=f"{column}{first}:{column}{last}"))
        self.xf.send(None)


def _styled(sheet: Any, value: Any, style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell._style = copy(style)  # the style of a template cell: no lookup per cell
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    return cell


def ledger_sheet_stream(workbook: Workbook, *, title: str, plan: Plan, tasks: QuerySet[Task],
                        chunk_size: int = 500) -> int:
    """Write the ledger of `tasks` (already scoped by the caller) of `plan` as a new sheet of the
    write-only `workbook`, row by row: tasks are read `chunk_size` at a time with their measures, so
    memory does not grow with the plan. Same cells, styles and merges as `ledger_workbook`. Returns the
    number of tasks written."""
    sheet = workbook.create_sheet(title)
    for index, (_label, _level, width) in enumerate(LEDGER_COLUMNS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.row_dimensions[TITLE_ROW].height = 28
    sheet.freeze_panes = f"C{FIRST_DATA_ROW}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    writer = _MergingWriter(sheet)
    sheet._writer = writer
    writer.write_top()

    def template(**style: Any) -> Any:
        cell = WriteOnlyCell(sheet)
        for key, value in style.items():
            setattr(cell, key, value)
        return cell._style

    title_style = template(font=Font(bold=True, size=14), alignment=Alignment(horizontal="center", vertical="center"))
    header_style = template(font=Font(bold=True), fill=HEADER_FILL, border=BORDER,
                            alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
    body = Alignment(vertical="center", wrap_text=True)
    text_style = template(border=BORDER, alignment=body)
    date_style = template(border=BORDER, alignment=body, number_format=DATE_FORMAT)
    width = len(LEDGER_COLUMNS)
    count = 0
    with translation.override("zh-hans"):
        sheet.append([_styled(sheet, f"{plan.title}整改任务调度台账", title_style)])
        sheet.append([_styled(sheet, label, header_style) for label, _level, _width in LEDGER_COLUMNS])
        row = FIRST_DATA_ROW
        for task in ledger_tasks(tasks).iterator(chunk_size=chunk_size):
            count += 1
            measures: list[Measure | None] = list(task.measures.all()) or [None]
            task_cells = _task_cells(task)
            for offset, measure in enumerate(measures):
                cells = {**(task_cells if offset == 0 else {}), **_measure_cells(measure)}
                values = [cells.get(column) for column in range(width)]
                sheet.append([_styled(sheet, v, date_style if isinstance(v, dt.date) else text_style)
                              for v in values])
            if len(measures) > 1:
                writer.spans.append((row, row + len(measures) - 1))
            row += len(measures)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{max(row - 1, HEADER_ROW)}"
    return count


def ledger_write(*, plan: Plan, tasks: QuerySet[Task], target: str | Path | IO[bytes]) -> int:
    """Write the ledger to a path or binary file, streaming (see `ledger_sheet_stream`); returns the
    number of tasks written."""
    workbook = Workbook(write_only=True)
    count = ledger_sheet_stream(workbook, title="整改任务台账", plan=plan, tasks=tasks)
    workbook.save(target)
    return count
