from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhenggai.complaints.complaint_import import (
    ComplaintImportCounts,
    ComplaintImportFailed,
    Problem,
    complaint_import_apply,
    complaint_import_parse,
    problems_text,
)
from zhenggai.core.actors import system_actor
from zhenggai.core.errors import PermissionDenied
from zhenggai.inspections.models import Inspection


def _status_label(status: str) -> str:
    return {"created": _("新增"), "updated": _("更新"), "unchanged": _("未变")}[status]


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = _(
            "从交办或公开的信访件表格（.xlsx、.csv 或保存的网页 .html）导入群众信访举报件到一次督察的某一交办批次："
            "按受理编号（不含重点件标记）新增或更新，重复导入同一文件不会改变数据。文件中只要有一处问题就什么也不导入，"
            "并列出所有问题（行号、列名、原因），退出码为 1。"
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("信访件表格：.xlsx，UTF-8 或 GB18030 编码的 .csv，或包含表格的网页 .html"))
        parser.add_argument("--inspection", type=int, required=True, help=_("导入到哪次督察（督察编号）"))
        parser.add_argument("--batch", required=True, help=_("交办批次（第几批，正整数）；系统中没有的批次会新建"))
        parser.add_argument("--handed-over", required=True,
                            help=_("交办日期，格式 YYYY-MM-DD；反馈期限为交办日期后 10 天"))
        parser.add_argument("--dry-run", action="store_true",
                            help=_("只检查并显示将会新增、更新的信访件，不写入数据"))

    def handle(self, *args: Any, **options: Any) -> None:
        inspection = Inspection.objects.select_related("target_region").filter(pk=options["inspection"]).first()
        if inspection is None:
            raise CommandError(_("督察 %(id)s 不存在。") % {"id": options["inspection"]}, returncode=1)
        batch_text = str(options["batch"]).strip()
        if not batch_text.isdigit() or int(batch_text) < 1:
            raise CommandError(_("批次应为正整数，而不是“%(value)s”。") % {"value": batch_text}, returncode=1)
        batch = int(batch_text)
        try:
            handed_over = dt.date.fromisoformat(str(options["handed_over"]).strip())
        except ValueError as error:
            raise CommandError(_("交办日期“%(value)s”无效：格式应为 YYYY-MM-DD。") % {"value": options["handed_over"]},
                               returncode=1) from error
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("找不到文件：%(path)s") % {"path": path}, returncode=1)

        result = complaint_import_parse(path, filename=path.name, inspection=inspection)
        if result.problems:
            self._fail(result.problems)
        try:
            counts = complaint_import_apply(actor=system_actor(), inspection=inspection, batch_number=batch,
                                            handed_over=handed_over, result=result, dry_run=options["dry_run"])
        except ComplaintImportFailed as failure:
            self._fail(failure.problems)
        except PermissionDenied as error:
            raise CommandError(str(error.message), returncode=1) from error
        self._report(counts, inspection, batch)

    def _fail(self, problems: list[Problem]) -> NoReturn:
        lines = [_("导入失败，未导入任何数据。共发现 %(n)s 个问题：") % {"n": len(problems)}, problems_text(problems)]
        raise CommandError("\n".join(lines), returncode=1)

    def _report(self, counts: ComplaintImportCounts, inspection: Inspection, batch: int) -> None:
        if counts.dry_run:
            self.stdout.write(_("试运行（--dry-run），未写入任何数据。导入到《%(title)s》第%(batch)s批将会：") % {
                "title": inspection.title, "batch": batch})
            for o in counts.outcomes:
                region = o.region if o.region_matched else _("%(region)s（未匹配到行政区域）") % {"region": o.region}
                self.stdout.write(_("  [%(status)s] 第 %(row)s 行 %(number)s%(mark)s：%(region)s；%(types)s") % {
                    "status": _status_label(o.status), "row": o.row, "number": o.number,
                    "mark": _("（重点件）") if o.is_priority else "", "region": region,
                    "types": "、".join(o.types + o.subtypes)})
        if counts.batch_created:
            message = _("将新建交办批次：第%(batch)s批。") if counts.dry_run else _("已新建交办批次：第%(batch)s批。")
            self.stdout.write(message % {"batch": batch})
        unmatched = sorted({o.region for o in counts.outcomes if not o.region_matched})
        if unmatched:
            self.stdout.write(_("以下行政区域未匹配到系统中的区域，仅保存原文：%(names)s") % {"names": "、".join(unmatched)})
        message = (_("将会新增 %(created)s 件，更新 %(updated)s 件，未变 %(unchanged)s 件。") if counts.dry_run
                   else _("导入完成：新增 %(created)s 件，更新 %(updated)s 件，未变 %(unchanged)s 件。"))
        self.stdout.write(self.style.SUCCESS(message % {
            "created": counts.created, "updated": counts.updated, "unchanged": counts.unchanged}))
