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


def test_filtered_ledger_streams_one_sheet_per_plan_equal_to_each_plan_ledger(world, tmp_path):
    """The filtered ledger (list page, API) is written by the streaming writer: one sheet per plan, each
    the same cells and merges as that plan's ledger built in memory; the task queries do not grow with
    the tasks (a fixed number per plan)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhenggai.reports.ledger_filtered import filtered_ledger_workbook

    plan = demo_like_plan(world)
    tasks = Task.objects.filter(plan__in=[plan, world.plan])
    with CaptureQueriesContext(connection) as ctx:
        workbook = filtered_ledger_workbook(tasks)
        workbook.save(tmp_path / "filtered.xlsx")
    assert len(ctx.captured_queries) <= 2 + 2 * 8
    streamed = load_workbook(tmp_path / "filtered.xlsx")
    assert len(streamed.worksheets) == 2
    for sheet, source in zip(streamed.worksheets, sorted([plan, world.plan], key=lambda p: p.pk), strict=True):
        ledger_workbook(plan=source, tasks=Task.objects.filter(plan=source)).save(tmp_path / "built.xlsx")
        built = load_workbook(tmp_path / "built.xlsx").active
        assert _cells(built) == _cells(sheet)
        assert {str(r) for r in built.merged_cells.ranges} == {str(r) for r in sheet.merged_cells.ranges}
    assert not isinstance(workbook, Workbook) or workbook.write_only


def test_filtered_ledger_of_one_plan_and_of_none(world, tmp_path):
    from zhenggai.reports.ledger_filtered import filtered_ledger_workbook

    filtered_ledger_workbook(Task.objects.filter(plan=world.plan)).save(tmp_path / "one.xlsx")
    assert load_workbook(tmp_path / "one.xlsx").sheetnames == ["整改任务台账"]
    filtered_ledger_workbook(Task.objects.none()).save(tmp_path / "none.xlsx")
    sheet = load_workbook(tmp_path / "none.xlsx").active
    assert [c.value for c in sheet[2]][:2] == ["序号", "存在问题"]
