"""`zhenggai generate-dataset --scale district|city|province [--seed N]`: synthetic data for benchmarks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhenggai.demo.dataset import (
    DEFAULT_AS_OF,
    PUBLIC_SCALES,
    SCALES,
    DatabaseNotEmpty,
    generate,
    print_summary,
)


class Command(BaseCommand):
    help = (
        "生成可复现的合成数据（行政区域、单位、账号、督察、整改任务、调度进展、预警督办、验收公示、信访件、佐证材料、"
        "操作记录），用于性能测试。规模：district（1个区，约2500项任务）、city（10个区，约2.5万项任务）、"
        "province（40个区，10万项任务、50万件信访件）。同一规模、种子和截至日期生成的数据完全相同。"
        "数据库已有数据时拒绝运行，除非加 --force（先清空现有数据）。PostgreSQL 上用 COPY 批量写入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", required=True, choices=[*PUBLIC_SCALES, "tiny"],
                            help="数据规模：district、city 或 province（tiny 仅供测试）")
        parser.add_argument("--seed", type=int, default=1, help="随机种子，默认 1；同一种子生成相同的数据")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=DEFAULT_AS_OF,
                            help=f"数据截至的日期（YYYY-MM-DD），默认 {DEFAULT_AS_OF:%Y-%m-%d}；此后的事情都还没有发生")
        parser.add_argument("--force", action="store_true", help="数据库已有数据时先清空（工作日历除外），再生成")
        parser.add_argument("--files", action="store_true",
                            help="同时为每份佐证材料在文件存储中写一个小文件（默认只写元数据：SHA-256、大小、类别、拍摄时间）")

    def handle(self, *args: Any, **options: Any) -> None:
        scale = SCALES[options["scale"]]
        try:
            summary = generate(scale=scale, seed=options["seed"], as_of=options["as_of"], force=options["force"],
                               files=options["files"], say=lambda line: self.stdout.write(line))
        except DatabaseNotEmpty as exc:
            raise CommandError(
                "数据库中已有数据（行政区域、单位、账号、督察或操作记录），未生成。"
                "要清空现有数据后生成，请加 --force；或换一个空数据库（DATABASE_URL）。"
            ) from exc
        print_summary(summary, self.stdout)
