"""Spreadsheets for the import tests, built with openpyxl (real files in tmp_path)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

HEADER = ["序号", "存在问题", "牵头单位", "整改目标", "整改时限", "整改措施", "责任单位", "整改时限", "整改阶段",
          "整改进度描述", "是否销号", "备注"]
TITLE = "梁平区生态环境保护督察反馈问题整改任务调度表"

# Two tasks in the dispatch shape: task 4 over three measure rows (task cells merged), task 5 on one row.
DISPATCH_ROWS: list[list[Any]] = [
    [4, "城区黑臭水体治理后反弹", "区住建委", "消除黑臭水体", "2025年12月底", "排查雨污混流点", "区住房城乡建委",
     "2025年6月底前", "整改中", "已排查 12 处", "否", "重点任务"],
    [None, None, None, None, None, "实施管网雨污分流改造", "区住房城乡建委、双桂街道", None, None, None, None, None],
    [None, None, None, None, None, "开展水质监测", "区生态环境局", "长期坚持", None, None, None, None],
    [5, "餐饮油烟扰民", "区生态环境局", "油烟达标排放", "立行立改", "安装油烟净化设施", "双桂街道；双桂街道环保所",
     "2025年3月31日", "整改中", "", "否", ""],
]
DISPATCH_MERGES = [f"{c}3:{c}5" for c in "ABCDEIJKL"]  # rows 3–5 hold task 4 (row 1 title, row 2 header)


def xlsx(path: Path, rows: Iterable[Sequence[Any]], *, merges: Iterable[str] = ()) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


def dispatch_xlsx(path: Path, rows: Sequence[Sequence[Any]] = DISPATCH_ROWS, *, merges: Iterable[str] | None = None,
                  header: Sequence[str] = HEADER) -> Path:
    """Title row (merged across), header row, then `rows` from spreadsheet row 3."""
    return xlsx(path, [[TITLE], list(header), *rows],
                merges=[f"A1:{chr(64 + len(header))}1", *(DISPATCH_MERGES if merges is None else merges)])


def csv_file(path: Path, rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path
