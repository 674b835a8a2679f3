"""The long operations, each in a child process against the scratch database: import of a generated
dispatch table, streaming export of the ledger (with the child's peak memory), the daily warning job
and the monthly bulletin."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .database import ROOT
from .report import Report, Row

IMPORT_TARGET_S = 10.0
EXPORT_TARGET_MB = 150.0
WARNINGS_TARGET_S = 60.0
BULLETIN_TARGET_S = 5.0
MEASURES_PER_TASK = 2
HEADER = ["序号", "存在问题", "牵头单位", "整改目标", "整改时限", "整改措施", "责任单位", "整改时限", "整改阶段",
          "整改进度描述", "是否销号", "备注"]


@dataclass
class Child:
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str
    returncode: int

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout.strip().splitlines()[-1])


def run_child(args: list[str], env: dict[str, str]) -> Child:
    """Run `args` and wait for it with wait4, which reports that child's own peak resident memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    child = Child(seconds, usage.ru_maxrss / 1024, stdout, stderr, process.returncode)  # ru_maxrss: KB on Linux
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({child.returncode}):\n{stdout[-2000:]}\n{stderr[-4000:]}")
    return child


def worker(step: str, env: dict[str, str], *extra: str) -> Child:
    return run_child([sys.executable, "-m", "bench.suite.worker", step, *extra], env)


def zhenggai(env: dict[str, str], *args: str) -> Child:
    return run_child([sys.executable, "-m", "zhenggai", *args], env)


def dispatch_xlsx(path: Path, *, rows: int, units: list[str], title: str = "性能测试整改任务调度表") -> int:
    """A dispatch table (调度表) of `rows` measure rows, two per task: the task's cells on its first row,
    blank below (the importer continues the task above). Returns the number of tasks. Written in
    openpyxl's write-only mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("调度表")
    sheet.append([title])
    sheet.append(HEADER)
    stages = ["整改中", "未启动", "整改中", "已完成"]
    tasks = 0
    for index in range(rows):
        number, measure = divmod(index, MEASURES_PER_TASK)
        unit = units[number % len(units)]
        other = units[(number + 7) % len(units)]
        measure_cells = [f"措施{measure + 1}：对第{number + 1}项问题逐点排查、建立台账并限期整改到位",
                         unit if measure == 0 else f"{unit}、{other}", "2026年6月30日" if measure == 0 else ""]
        if measure == 0:
            tasks += 1
            sheet.append([number + 1, f"第{number + 1}项：城区污水管网雨污混流，汛期溢流污染河道", unit,
                          "完成雨污分流改造，消除溢流", "2026年12月底", *measure_cells, stages[number % 4],
                          "已完成排查，正在施工", "否", ""])
        else:
            sheet.append([None, None, None, None, None, *measure_cells, None, None, None, None])
    workbook.save(path)
    return tasks


def run_import(report: Report, env: dict[str, str], work: Path, *, rows: int) -> Row:
    target = worker("import-plan", env).json()
    path = work / f"dispatch-{rows}.xlsx"
    tasks = dispatch_xlsx(path, rows=rows, units=target["units"])
    child = zhenggai(env, "import-tasks", str(path), "--plan", str(target["plan"]))
    created = re.search(r"新增 (\d+) 项", child.stdout)
    if created is None or int(created.group(1)) != tasks:
        raise RuntimeError(f"the import did not create {tasks} tasks:\n{child.stdout[-2000:]}")
    return report.add(Row(
        name=f"import {rows:,} rows (.xlsx)", kind="job", figure=child.seconds, unit="s",
        detail=f"{tasks:,} tasks, peak {child.peak_mb:.0f} MB", target=f"≤ {IMPORT_TARGET_S:.0f} s",
        ok=child.seconds <= IMPORT_TARGET_S,
    ))


def run_export(report: Report, env: dict[str, str], work: Path, *, rows: int) -> Row:
    from python_calamine import CalamineWorkbook

    plan = worker("ledger-plan", env, "--rows", str(rows)).json()
    path = work / f"ledger-{plan['plan']}.xlsx"
    child = zhenggai(env, "export-ledger", "--plan", str(plan["plan"]), "-o", str(path))
    data = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    written = len(data) - 2  # title and header rows
    if written < plan["rows"]:
        raise RuntimeError(f"the ledger has {written} rows, expected {plan['rows']}")
    ok = child.peak_mb <= EXPORT_TARGET_MB
    return report.add(Row(
        name=f"export ledger {written:,} rows", kind="job", figure=child.peak_mb, unit="MB peak",
        detail=f"{child.seconds:.1f} s, {path.stat().st_size // 1024:,} KB", target=f"≤ {EXPORT_TARGET_MB:.0f} MB",
        ok=ok,
    ))


def run_warnings(report: Report, env: dict[str, str]) -> Row:
    child = worker("warnings", env)
    result = child.json()
    seconds = float(result["seconds"])
    changed = result["result"].get("warnings_changed", 0)
    return report.add(Row(
        name="daily warning job", kind="job", figure=seconds, unit="s",
        detail=f"{result['tasks']:,} tasks, {changed:,} changed, peak {child.peak_mb:.0f} MB",
        target=f"≤ {WARNINGS_TARGET_S:.0f} s", ok=seconds <= WARNINGS_TARGET_S,
    ))


def run_bulletin(report: Report, env: dict[str, str]) -> Row:
    child = worker("bulletin", env)
    result = child.json()
    if result["status"] != "done" or result["pdf_head"] != "%PDF-":
        raise RuntimeError(f"the bulletin job did not produce a PDF: {result}")
    seconds = float(result["seconds"])
    return report.add(Row(
        name="monthly bulletin (PDF+DOCX)", kind="job", figure=seconds, unit="s",
        detail=f"{result['region']}, {result['tasks']:,} tasks, {result['pdf_bytes'] // 1024} KB",
        target=f"≤ {BULLETIN_TARGET_S:.0f} s", ok=seconds <= BULLETIN_TARGET_S,
    ))


def run_jobs(report: Report, env: dict[str, str], work: Path, *, import_rows: int, export_rows: int,
             log: Callable[[str], None] = print) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for label, step in (
        # the export last: the plan it may build in bulk would otherwise count in the job and the bulletin
        ("import", lambda: run_import(report, env, work, rows=import_rows)),
        ("daily warning job", lambda: run_warnings(report, env)),
        ("bulletin", lambda: run_bulletin(report, env)),
        ("export", lambda: run_export(report, env, work, rows=export_rows)),
    ):
        log(f"  {label} …")
        row = step()
        log(f"  {row.name}: {row.figure:.1f} {row.unit} ({row.detail})")
