"""Excel exports of an assessment: the ranking (with the rules used) and every score item with its event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from zhenggai.reports.xlsx import styled_sheet

from .models import Assessment, ScoreItem
from .selectors import RankingRow


def _num(value: Any) -> float:
    return float(value)


def _rules_sheet(workbook: Workbook, assessment: Assessment) -> None:
    rows = [[r["label"], _num(r["points"]), r.get("explanation", "")] for r in assessment.rules_used]
    rows.append(["基础分", _num(assessment.base_points or 0), "每个单位以基础分起算，加减各计分项得到得分。"])
    styled_sheet(workbook, "计分规则", ["规则", "分值", "说明"], rows, [24, 8, 80])


def ranking_workbook(assessment: Assessment, rows: Iterable[RankingRow]) -> Workbook:
    workbook = Workbook()
    sheet = styled_sheet(
        workbook, "排名",
        ["名次", "单位", "得分", "扣分", "加分", "计分项数"],
        ([r.rank, r.unit_name, _num(r.score), _num(r.deductions), _num(r.bonuses), r.items] for r in rows),
        [8, 30, 10, 10, 10, 10],
    )
    for column in ("C", "D", "E"):
        for cell in sheet[column][1:]:
            cell.number_format = "0.0#"
    _rules_sheet(workbook, assessment)
    return workbook


def scores_workbook(assessment: Assessment, items: Iterable[ScoreItem]) -> Workbook:
    workbook = Workbook()

    def row(i: ScoreItem) -> list[Any]:
        event = i.event
        return [
            i.unit.name, i.date, i.rule_label, _num(i.points), i.reason,
            f"第{i.task.number}项 {i.task.short_title}" if i.task else "",
            i.complaint.acceptance_number if i.complaint else "",
            event.pk if event else "", event.verb if event else "",
            timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M") if event else "",
            event.actor_name if event else "", event.hash if event else "",
        ]

    sheet = styled_sheet(
        workbook, "计分明细",
        ["单位", "日期", "规则", "分值", "事由", "整改任务", "信访件", "记录编号", "记录动作", "记录时间", "操作人",
         "记录哈希"],
        (row(i) for i in items),
        [24, 12, 18, 8, 50, 30, 20, 10, 22, 17, 12, 20],
    )
    for cell in sheet["B"][1:]:
        cell.number_format = "yyyy-mm-dd"
    _rules_sheet(workbook, assessment)
    return workbook
