"""`zhenggai import-tasks` killed with SIGKILL in the middle of an import leaves nothing half-done, and the
same import then runs cleanly. The moment is read from the command's own progress bar (it runs on a
pseudo-terminal, as at an operator's console): the kill lands once a third of the tasks are written inside
the import's one transaction."""

from __future__ import annotations

import io
import signal

from django.core.management import call_command
from django.db import connection

from zhenggai.core.models import Event, EventChain
from zhenggai.rectification.models import Measure, Task

from ..reports.sheets import dispatch_xlsx
from .conftest import assert_audit_intact, process_env, progress_of, wait_until

NEW_TASKS = 45


def dispatch_rows(world) -> list[list]:
    """The world's three tasks with a changed problem text (updates), then NEW_TASKS new tasks of two
    measures each."""
    rows: list[list] = []
    for task in (world.t_dept, world.t_town, world.t_sub):
        rows.append([task.number, f"{task.title}（调度表更新）", "区住房城乡建委", "消除问题", "2025年12月底",
                     "排查整治", task.implementing_units.first().name, "2025年9月底前", "整改中", "", "否", ""])
    for i in range(NEW_TASKS):
        rows.append([100 + i, f"第{i + 1}处雨污混流点溢流", "区住房城乡建委", "雨污分流", "2025年12月底",
                     "排查雨污混流点", "区住房城乡建委", "2025年6月底前", "整改中", "", "否", ""])
        rows.append([None, None, None, None, None, "实施管网改造", "区住房城乡建委、双桂街道", "2025年11月底前",
                     None, None, None, None])
    return rows


def import_tasks(path, plan) -> str:
    """The same import again, to its end."""
    out = io.StringIO()
    call_command("import_tasks", str(path), plan=plan.pk, stdout=out)
    return out.getvalue()


def snapshot(plan) -> dict:
    return {
        "tasks": list(Task.objects.filter(plan=plan).order_by("number").values_list("number", "title", "version", "status")),
        "measures": Measure.objects.filter(task__plan=plan).count(),
        "events": Event.objects.count(),
        "chains": list(EventChain.objects.order_by("key").values_list("key", "length", "head_hash")),
    }


def wait_for_other_sessions_to_end() -> None:
    """On PostgreSQL the killed client's server process rolls back and ends once it notices the closed
    connection; wait for that so the re-run does not queue behind its locks."""
    if connection.vendor != "postgresql":
        return

    def alone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            return cursor.fetchone()[0] == 0

    wait_until(alone, timeout=20, what="the killed import's database session to end")


def test_import_killed_midway_leaves_nothing_and_runs_again_cleanly(world, processes, tmp_path):
    path = dispatch_xlsx(tmp_path / "调度表.xlsx", dispatch_rows(world), merges=[])
    env = process_env(tmp_path / "data")
    before = snapshot(world.plan)

    # small batches: the progress bar moves as the new tasks are written, batch by batch
    importing = processes.zhenggai("import-tasks", str(path), "--plan", str(world.plan.pk), "--batch-size", "5",
                                   env=env, terminal=True)
    total = len(dispatch_rows(world)) // 2 + 2  # 3 one-row tasks and the new two-row ones

    def a_third_written() -> bool:
        importing.read_terminal()
        assert importing.popen.poll() is None, f"the import ended before it was killed:\n{importing.terminal}"
        return progress_of(importing.terminal) >= total // 3

    wait_until(a_third_written, timeout=120, interval=0.01, what="the import's progress bar")
    shown = progress_of(importing.terminal)
    assert importing.kill() == -signal.SIGKILL
    assert 0 < shown < total, importing.terminal
    wait_for_other_sessions_to_end()

    assert snapshot(world.plan) == before  # not one task created or updated, not one event
    assert_audit_intact()

    output = import_tasks(path, world.plan)
    assert f"新增 {NEW_TASKS} 项，更新 3 项，未变 0 项" in output
    assert Task.objects.filter(plan=world.plan).count() == 3 + NEW_TASKS
    assert Measure.objects.filter(task__plan=world.plan, task__number__gte=100).count() == 2 * NEW_TASKS
    assert Task.objects.get(pk=world.t_dept.pk).title.endswith("（调度表更新）")
    assert_audit_intact()

    assert f"新增 0 项，更新 0 项，未变 {NEW_TASKS + 3} 项" in import_tasks(path, world.plan)
