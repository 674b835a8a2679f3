from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import Measure, Task
from zhenggai.reports.task_export import ledger_write


class Command(BaseCommand):
    # No system checks: they load every URL and so every API schema (about 10 s and 50 MB on a busy
    # 2-core machine), which this batch command never uses; `zhenggai check`, `serve` and `migrate` run them.
    requires_system_checks: list[str] = []

    help = (
        "把一个整改方案的全部任务导出为调度台账（.xlsx）：每条整改措施一行，任务的各列上下合并；"
        "导出的文件可以用 import-tasks 原样导回。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", type=int, required=True, help="导出哪个整改方案（方案编号）")
        parser.add_argument("-o", "--output", required=True, help="保存到的文件，如 台账.xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.filter(pk=options["plan"]).first()
        if plan is None:
            raise CommandError(f"整改方案 {options['plan']} 不存在。", returncode=1)
        target = Path(options["output"])
        if target.suffix.lower() != ".xlsx":
            raise CommandError("输出文件的扩展名必须是 .xlsx。", returncode=1)
        if not target.parent.is_dir():
            raise CommandError(f"目录不存在：{target.parent}", returncode=1)
        tasks = Task.objects.filter(plan=plan)
        count = ledger_write(plan=plan, tasks=tasks, target=target)
        measures = Measure.objects.filter(task__plan=plan).count()
        self.stdout.write(self.style.SUCCESS(f"已导出《{plan.title}》的 {count} 项任务、{measures} 条措施到 {target}。"))
