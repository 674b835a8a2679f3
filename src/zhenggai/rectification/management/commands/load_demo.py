"""`zhenggai load-demo`: the Liangping demo (see zhenggai.demo)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhenggai.accounts.models import Role
from zhenggai.demo import ALL_DEMO_ACCOUNTS, DEMO_PASSWORD
from zhenggai.demo.loader import database_has_data, load_demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = (
        "载入演示数据：重庆市第八生态环境保护督察组对梁平区的例行督察、整改方案和37项整改任务（任务内容为示例），"
        "以及一次中央督察及其“回头看”、单位和演示账号。已有演示数据时拒绝重复载入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="只在数据库为空（没有任何督察和用户）时载入；否则什么也不做，正常退出。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and database_has_data():
            self.stdout.write("数据库中已有督察或用户，未载入演示数据。")
            return
        verbose = options.get("verbosity", 1) >= 2
        summary = load_demo(stdout=self.stdout if verbose else None)
        self.stdout.write(self.style.SUCCESS(f"演示数据已载入（用时 {summary['seconds']} 秒）："))
        self.stdout.write(
            f"  督察 {summary['inspections']} 次，整改方案 {summary['plans']} 个，整改任务 {summary['tasks']} 项，"
            f"督察反馈问题 {summary['findings']} 个，研究部署 {summary['meetings']} 次；"
            f"单位 {summary['organizations']} 个，行政区域 {summary['regions']} 个，操作记录 {summary['events']} 条。"
        )
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        rows = [("账号", "角色", "单位")] + [
            (username, str(Role(role).label), org) for username, role, org in ALL_DEMO_ACCOUNTS
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(2)]
        for username, role, org in rows:
            self.stdout.write(f"  {_pad(username, widths[0])}  {_pad(role, widths[1])}  {org}")
