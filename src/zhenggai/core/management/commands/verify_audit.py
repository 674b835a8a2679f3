from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhenggai.core.audit_state import evidence_files_verify, state_verify
from zhenggai.core.events import audit_verify
from zhenggai.core.models import Event


class Command(BaseCommand):
    help = (
        "检查操作记录是否被篡改：操作记录的哈希链是否完整，任务、进展、验收、公示、信访件、佐证材料的当前状态"
        "是否与最后一条操作记录一致。全部通过时退出码为 0，否则逐条列出问题，退出码为 1。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--strict", action="store_true",
                            help="同时列出还没有任何操作记录登记其状态的记录（未登记），并视为问题")
        parser.add_argument("--files", action="store_true",
                            help="同时重新计算每个佐证材料文件的 SHA-256，与上传时记录的值比较（较慢）")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        lines: list[str] = []
        chain_problems = list(audit_verify())
        for problem in chain_problems:
            where = f"事件 #{problem.event_id}" if problem.event_id else "链头"
            lines.append(f"操作记录链已被破坏：{where}（链 {problem.chain}，序号 {problem.seq}）：{problem.reason}")
        unregistered = 0
        for state_problem in state_verify():
            if state_problem.registered:
                lines.append(state_problem.message())
            else:
                unregistered += 1
                if options["strict"]:
                    lines.append(state_problem.message())
        if options["files"]:
            lines.extend(file_problem.message() for file_problem in evidence_files_verify())
        seconds = time.monotonic() - started
        for line in lines:
            self.stderr.write(line)
        if lines:
            raise CommandError(f"{lines[0]}。共发现 {len(lines)} 处问题（用时 {seconds:.1f} 秒）。", returncode=1)
        count = Event.objects.count()
        note = f"，{unregistered} 条记录尚未登记状态（用 --strict 列出）" if unregistered and not options["strict"] else ""
        self.stdout.write(f"操作记录完整：共 {count} 条，链全部通过校验，记录的当前状态一致{note}（用时 {seconds:.1f} 秒）。")
