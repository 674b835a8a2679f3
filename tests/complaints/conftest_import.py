"""Files and fixtures for the complaint import tests (imported by the test modules; real files in tmp_path)."""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.management import call_command

from tests import factories as f
from tests.reports.sheets import csv_file, xlsx
from zhenggai.accounts.models import Region

TITLE = "中央第三生态环境保护督察组交办梁平区群众信访举报件办理情况（第一批）"
HEADER = ["序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型", "调查核实情况", "是否属实", "处理和整改情况",
          "是否办结", "责任人被处理情况"]
ROWS: list[list[Any]] = [
    [1, "D3CQ202312110042", "双桂街道某餐馆油烟扰民", "双桂街道", "大气", "经现场核查，该餐馆未安装油烟净化设施。", "属实",
     "已责令安装油烟净化设施并已完成。", "已办结", "无"],
    [2, "X3CQ202312110043*", "屏锦镇某砂石厂扬尘、噪声扰民", "屏锦", "大气、噪音", None, None, None, None, None],
    [3, "梁平区2023-03号", "城区河道水质变差", "梁平区", "水,其他", "部分河段水质超标。", "部分属实", "正在实施截污工程。",
     "阶段性办结", ""],
    [4, "D3CQ202312110045", "工业园区异味扰民", "梁平工业园区", "扬尘 土壤", None, None, None, "未办结", None],
]
HANDED_OVER = dt.date(2023, 12, 12)


def make_places(world):
    """Townships under the district (and one under the other district, which must never match)."""
    return SimpleNamespace(
        shuanggui=f.region("双桂街道", parent=world.district, level=Region.Level.TOWNSHIP),
        pingjin=f.region("屏锦镇", parent=world.district, level=Region.Level.TOWNSHIP),
        yuanyi=f.region("袁驿镇", parent=world.district, level=Region.Level.TOWNSHIP),
        foreign=f.region("澄溪镇", parent=world.other_district, level=Region.Level.TOWNSHIP),
    )


def table(path: Path, rows: Sequence[Sequence[Any]] = ROWS, *, header: Sequence[str] = HEADER,
          title: str | None = TITLE) -> Path:
    """An .xlsx (or, by its suffix, a UTF-8 .csv): the title row (merged across) above the header."""
    grid = ([[title]] if title else []) + [list(header), *[list(r) for r in rows]]
    if path.suffix == ".csv":
        return csv_file(path, grid)
    merges = [f"A1:{chr(64 + len(header))}1"] if title else []
    return xlsx(path, grid, merges=merges)


def html_page(path: Path, rows: Sequence[Sequence[Any]] = ROWS, *, header: Sequence[str] = HEADER,
              encoding: str = "utf-8", rowspan_region: bool = False) -> Path:
    """A saved web page: a layout table, then the table with a colspan title row, <th> header, <br> in cells."""
    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return "<br>".join(html.escape(line) for line in text.split("\n")) or "&nbsp;"

    lines = [f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
             "<title>信访件</title><style>td{padding:2px}</style></head><body>",
             "<table><tr><td><a href='/'>首页</a></td><td>新闻</td></tr></table>",
             '<table border="1">', f'<tr><td colspan="{len(header)}"><b>{html.escape(TITLE)}</b></td></tr>',
             "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    region = header.index("行政区域") if "行政区域" in header else -1
    for i, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            if rowspan_region and c == region and i == 0:
                cells.append(f'<td rowspan="2">{cell(value)}</td>')
            elif rowspan_region and c == region and i == 1:
                continue
            else:
                cells.append(f"<td>{cell(value)}</td>")
        lines.append("<tr>\n  " + "\n  ".join(cells) + "\n</tr>")
    lines.append("</table><p>注：带*号的为重点件。</p></body></html>")
    path.write_bytes("\n".join(lines).encode("gb18030" if encoding.lower() in ("gbk", "gb2312") else encoding))
    return path


def run(path: Path, inspection: Any, *, batch: int = 1, handed_over: dt.date = HANDED_OVER, **options: Any) -> str:
    out = io.StringIO()
    call_command("import_complaints", str(path), inspection=inspection.pk, batch=str(batch),
                 handed_over=handed_over.isoformat(), stdout=out, **options)
    return out.getvalue()
