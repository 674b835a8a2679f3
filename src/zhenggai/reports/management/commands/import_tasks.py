from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhenggai.core.actors import system_actor
from zhenggai.core.errors import PermissionDenied
from zhenggai.inspections.models import Plan
from zhenggai.rectification.bulk import BATCH_SIZE
from zhenggai.reports.task_import import (
    ImportCounts,
    ImportedTask,
    ImportFailed,
    Problem,
    problems_text,
    task_import_apply,
    task_import_parse,
)

STATUS_LABELS = {"created": "新增", "updated": "更新", "unchanged": "未变"}
PROGRESS_THRESHOLD = 20


class Command(BaseCommand):
    # No system checks: they load every URL and so every API schema (about 10 s and 50 MB on a busy
    # 2-core machine), which this batch command never uses; `zhenggai check`, `serve` and `migrate` run them.
    requires_system_checks: list[str] = []

    help = (
        "从调度表（.xlsx 或 .csv）导入整改任务到一个整改方案：每项任务可占多行（每行一条整改措施），"
        "按“方案 + 序号”新增或更新，重复导入同一文件不会改变数据。文件中只要有一处问题就什么也不导入，"
        "并列出所有问题（行号、列名、原因），退出码为 1。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="调度表文件：.xlsx，或 UTF-8 / GB18030 编码的 .csv")
        parser.add_argument("--plan", type=int, required=True, help="导入到哪个整改方案（方案编号）")
        parser.add_argument("--dry-run", action="store_true", help="只检查并显示将会新增、更新的任务，不写入数据")
        parser.add_argument(
            "--create-units", action="store_true",
            help="表中有系统里没有的单位时自动新建（类型为部门，属于方案所在区域）；不加此项则列出这些单位并拒绝导入",
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE,
            help=f"新增任务每批写入多少项（默认 {BATCH_SIZE}）；进度条在每批写入后前进",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.select_related("inspection__target_region").filter(pk=options["plan"]).first()
        if plan is None:
            raise CommandError(f"整改方案 {options['plan']} 不存在。", returncode=1)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}", returncode=1)
        create_units = options["create_units"]
        dry_run = options["dry_run"]

        result = task_import_parse(path, filename=path.name, plan=plan)
        problems = result.problems_for(create_units=create_units)
        if problems:
            self._fail(problems, unknown=[] if create_units else sorted(result.unknown_units))
        try:
            counts = task_import_apply(
                actor=system_actor(), plan=plan, result=result, dry_run=dry_run, create_units=create_units,
                progress=self._progress, batch_size=max(1, options["batch_size"]),
            )
        except ImportFailed as failure:
            self._fail(failure.problems)
        except PermissionDenied as error:
            raise CommandError(str(error.message), returncode=1) from error
        self._report(counts, plan)

    def _progress(self, tasks: Iterable[ImportedTask]) -> Iterable[ImportedTask]:
        """A progress bar on a terminal, for imports long enough to need one."""
        tasks = list(tasks)
        if len(tasks) < PROGRESS_THRESHOLD or not sys.stderr.isatty():
            return tasks
        from tqdm import tqdm

        return tqdm(tasks, desc="导入任务", unit="项", file=sys.stderr)

    def _fail(self, problems: list[Problem], unknown: list[str] | None = None) -> NoReturn:
        lines = [f"导入失败，未导入任何数据。共发现 {len(problems)} 个问题：", problems_text(problems)]
        if unknown:
            lines.append(f"系统中没有的单位（{len(unknown)} 个）：{'、'.join(unknown)}。"
                         "请先在“单位”中添加，或加 --create-units 自动新建。")
        raise CommandError("\n".join(lines), returncode=1)

    def _report(self, counts: ImportCounts, plan: Plan) -> None:
        if counts.dry_run:
            self.stdout.write(f"试运行（--dry-run），未写入任何数据。导入到《{plan.title}》将会：")
            for outcome in counts.outcomes:
                self.stdout.write(
                    f"  [{STATUS_LABELS[outcome.status]}] 序号 {outcome.number}：{outcome.title[:30]}"
                    f"（{outcome.measures} 条措施；{'、'.join(outcome.units)}）"
                )
        if counts.units_created:
            verb = "将新建" if counts.dry_run else "已新建"
            self.stdout.write(f"{verb}单位 {len(counts.units_created)} 个：{'、'.join(counts.units_created)}")
        if counts.not_in_file:
            self.stdout.write(f"方案中另有 {counts.not_in_file} 项任务不在文件中，导入不改动它们。")
        prefix = "将会" if counts.dry_run else "导入完成："
        self.stdout.write(
            self.style.SUCCESS(f"{prefix}新增 {counts.created} 项，更新 {counts.updated} 项，未变 {counts.unchanged} 项。")
        )
