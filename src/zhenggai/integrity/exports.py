"""The queue as an Excel workbook (the same rows and filters as the page)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from zhenggai.reports.xlsx import styled_sheet

from .checks import load_all
from .models import IntegrityFlag


def _local(value: Any) -> Any:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def queue_workbook(flags: Iterable[IntegrityFlag]) -> Workbook:
    checks = load_all()
    workbook = Workbook()

    def row(flag: IntegrityFlag) -> list[Any]:
        check = checks.get(flag.check_code)
        task = flag.task
        return [
            flag.pk, str(check.label) if check else flag.check_code,
            f"{task.plan.title} 第{task.number}项 {task.title}" if task else "",
            flag.complaint.acceptance_number if flag.complaint else "",
            flag.unit.name if flag.unit else "", flag.region.name, flag.reason,
            _local(flag.first_found), _local(flag.last_found), _("是") if flag.still_found else _("否"),
            flag.get_status_display(), flag.decision_reason, str(flag.decided_by) if flag.decided_by else "",
            _local(flag.decided_at), flag.accountability_case_id or "",
        ]

    sheet = styled_sheet(
        workbook, _("真实性核查疑点"),
        [_("编号"), _("核查项"), _("整改任务"), _("信访件"), _("单位"), _("行政区域"), _("疑点"), _("发现时间"),
         _("最近发现"), _("仍存在"), _("状态"), _("核查意见"), _("核查人"), _("核查时间"), _("问责编号")],
        (row(flag) for flag in flags),
        [8, 20, 40, 18, 20, 10, 50, 17, 17, 8, 8, 40, 10, 17, 8],
    )
    for column in ("H", "I", "N"):
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    return workbook
