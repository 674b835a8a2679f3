"""The streamed ledger (write-only workbook, tasks read in chunks) gives the same file as the ledger built
in memory: every cell's value, style and merge; a chunk boundary inside the plan changes nothing."""

from __future__ import annotations

from openpyxl import Workbook, load_workbook

from zhenggai.rectification.models import Task
from zhenggai.reports.task_export import ledger_sheet_stream, ledger_workbook

from .test_task_export import demo_like_plan


def _cells(sheet):
    return [[(c.value, c.font.bold, c.border.left.style, c.alignment.wrap_text, c.number_format) for c in row]
            for row in sheet.iter_rows()]


def test_streamed_ledger_equals_the_ledger_built_in_memory(world, tmp_path):
    plan = demo_like_plan(world)
    tasks = Task.objects.filter(plan=plan)
    assert tasks.count() >= 2
    built = tmp_path / "built.xlsx"
    ledger_workbook(plan=plan, tasks=tasks).save(built)
    streamed = tmp_path / "streamed.xlsx"
    workbook = Workbook(write_only=True)
    assert ledger_sheet_stream(workbook, title="整改任务台账", plan=plan, tasks=tasks, chunk_size=1) == tasks.count()
    workbook.save(streamed)

    a, b = load_workbook(built).active, load_workbook(streamed).active
    assert _cells(a) == _cells(b)
    assert {str(r) for r in a.merged_cells.ranges} == {str(r) for r in b.merged_cells.ranges}
    assert len(b.merged_cells.ranges) > 1  # the title row and at least one task over several measure rows
    assert (a.freeze_panes, a.auto_filter.ref, a.print_title_rows) == (b.freeze_panes, b.auto_filter.ref,
                                                                       b.print_title_rows)
    assert [a.column_dimensions[k].width for k in "ABCU"] == [b.column_dimensions[k].width for k in "ABCU"]
