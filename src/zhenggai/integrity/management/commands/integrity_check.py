from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhenggai.core.actors import system_actor
from zhenggai.core.errors import ValidationFailed
from zhenggai.integrity.checks import Scope, load_all
from zhenggai.integrity.services import integrity_run


class Command(BaseCommand):
    help = (
        "运行真实性核查（发现假装整改、敷衍整改、表面整改和“一刀切”的迹象），更新疑点清单。"
        "不加参数时对全部任务和信访件运行全部核查项（与每天夜间的核查相同）；已作出的核查结论不会改变。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="append", metavar="CODE",
                            help="只运行这个核查项（可重复）；--list 列出全部核查项")
        parser.add_argument("--task", type=int, action="append", metavar="ID", help="只核查这个整改任务（可重复）")
        parser.add_argument("--complaint", type=int, action="append", metavar="ID",
                            help="只核查这个信访件（可重复）")
        parser.add_argument("--list", action="store_true", help="列出核查项及触发它们的操作，不运行")

    def handle(self, *args: Any, **options: Any) -> None:
        checks = load_all()
        if options["list"]:
            for code, check in sorted(checks.items()):
                self.stdout.write(f"{code}\t{check.label}\t{'、'.join(sorted(check.triggers))}")
            return
        tasks, complaints = options.get("task"), options.get("complaint")
        if tasks or complaints:
            scope = Scope(task_ids=frozenset(tasks or ()), complaint_ids=frozenset(complaints or ()))
        else:
            scope = Scope()
        started = time.monotonic()
        try:
            result = integrity_run(scope=scope, checks=options.get("check"), actor=system_actor())
        except ValidationFailed as exc:
            raise CommandError(f"{exc.message}（用 --list 查看核查项）", returncode=2) from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            f"运行核查项 {len(result.checks)} 个，发现疑点 {result.found} 个：新增 {result.new} 个，"
            f"再次发现 {result.again} 个，不再发现 {result.gone} 个；用时 {seconds:.1f} 秒。")
        for code, error in sorted(result.failed.items()):
            self.stderr.write(f"核查项 {code} 运行失败：{error}")
        if result.failed:
            raise CommandError(f"{len(result.failed)} 个核查项运行失败，其疑点保持不变。", returncode=1)
