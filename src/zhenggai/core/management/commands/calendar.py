from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from zhenggai.core import workdays
from zhenggai.core.models import WorkCalendar

TRUE_WORDS = {"1", "true", "yes", "y", "是", "工作日", "班"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "休息日", "休", "节假日"}


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"日期格式不正确：{value!r}（应为 YYYY-MM-DD）") from exc


class Command(BaseCommand):
    help = (
        "工作日历：add 日期 天数（含首日，计算 N 个工作日后的日期）；between 开始 结束（两端都算的工作日数）；"
        "seed（从 chinesecalendar 写入已知年份）；import 文件.csv（列：date,is_workday,name）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="从某日起（含当日）数 N 个工作日，打印结束日期")
        add.add_argument("start")
        add.add_argument("days", type=int)
        between = sub.add_parser("between", help="两个日期之间（含两端）的工作日数")
        between.add_argument("start")
        between.add_argument("end")
        sub.add_parser("seed", help="从 chinesecalendar 写入它知道的所有年份（保留手工修改）")
        imp = sub.add_parser("import", help="从 CSV 导入：date,is_workday,name")
        imp.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            start = _date(options["start"])
            if options["days"] < 1:
                raise CommandError("天数必须至少为 1。")
            end = workdays.add_working_days(start, options["days"])
            self.stdout.write(end.isoformat())
            self._warn_unknown(start, end)
        elif action == "between":
            start, end = _date(options["start"]), _date(options["end"])
            self.stdout.write(str(workdays.working_days_between(start, end)))
            self._warn_unknown(start, end)
        elif action == "seed":
            written = workdays.seed_from_chinesecalendar()
            self.stdout.write(f"已写入 {written} 天。")
        elif action == "import":
            self.stdout.write(f"已导入 {import_calendar_csv(Path(options['file']))} 天。")

    def _warn_unknown(self, *days: dt.date) -> None:
        years = workdays.unknown_years(*days)
        if years:
            self.stderr.write(
                f"注意：工作日历未收录 {'、'.join(map(str, years))} 年，按周一至周五计算。"
            )


def import_calendar_csv(path: Path) -> int:
    """Import date,is_workday[,name] rows; all or nothing, every bad row reported."""
    if not path.exists():
        raise CommandError(f"文件不存在：{path}")
    rows: list[WorkCalendar] = []
    problems: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for number, row in enumerate(csv.reader(fh), start=1):
            if not row or (number == 1 and row[0].strip().lower() in {"date", "日期"}):
                continue
            try:
                day = dt.date.fromisoformat(row[0].strip())
            except ValueError:
                problems.append(f"第 {number} 行：日期 {row[0]!r} 格式不正确")
                continue
            flag = row[1].strip().lower() if len(row) > 1 else ""
            if flag in TRUE_WORDS:
                is_workday = True
            elif flag in FALSE_WORDS:
                is_workday = False
            else:
                problems.append(f"第 {number} 行：是否工作日 {flag!r} 无法识别（填 1/0 或 工作日/休息日）")
                continue
            name = row[2].strip() if len(row) > 2 else ""
            rows.append(WorkCalendar(date=day, is_workday=is_workday, name=name, source=WorkCalendar.Source.CSV))
    if problems:
        raise CommandError("未导入任何数据：\n" + "\n".join(problems))
    with transaction.atomic():
        for item in rows:
            WorkCalendar.objects.update_or_create(
                date=item.date, defaults={"is_workday": item.is_workday, "name": item.name, "source": item.source}
            )
    workdays.clear_cache()
    return len(rows)
