from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhenggai.core.events import audit_verify
from zhenggai.core.models import Event


class Command(BaseCommand):
    help = "检查操作记录的哈希链是否完整：完整时退出码为 0；否则指出第一条被破坏的记录，退出码为 1。"

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(audit_verify())
        if problems:
            first = problems[0]
            where = f"事件 #{first.event_id}" if first.event_id else "链头"
            raise CommandError(
                f"操作记录链已被破坏：{where}（链 {first.chain}，序号 {first.seq}）：{first.reason}。共发现 {len(problems)} 处问题。",
                returncode=1,
            )
        count = Event.objects.count()
        self.stdout.write(f"操作记录完整：共 {count} 条，链全部通过校验。")
