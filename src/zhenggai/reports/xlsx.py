"""Small helpers for styled Excel output and download responses."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")


def attachment_disposition(filename: str, fallback: str | None = None) -> str:
    """Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 5987)."""
    ascii_name = fallback or filename.encode("ascii", "ignore").decode() or "download"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = attachment_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def styled_sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                 widths: Sequence[int] | None = None) -> Any:
    active = workbook.active
    # reuse the empty first sheet of a new workbook (reading a cell would create it, so look at _cells)
    sheet = active if active is not None and not active._cells else workbook.create_sheet()  # type: ignore[union-attr]
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, width in enumerate(widths or [14] * len(headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _cell(value: Any) -> Any:
    # Defuse spreadsheet formulas in user text (CSV/Excel injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def task_list_workbook(tasks: Iterable[Any]) -> Workbook:
    from zhenggai.rectification.warnings import LABELS

    workbook = Workbook()
    rows = (
        [
            t.plan.title,
            t.number,
            t.title,
            "、".join(u.name for u in t.implementing_units.all()),
            t.lead_unit.name if t.lead_unit else "",
            t.acceptance_unit.name if t.acceptance_unit else "",
            t.deadline,
            t.deadline_text,
            t.get_deadline_kind_display(),
            t.due_year,
            t.get_category_display(),
            t.get_status_display(),
            str(LABELS.get(getattr(t, "warning", ""), "")),
        ]
        for t in tasks
    )
    sheet = styled_sheet(
        workbook,
        "整改任务",
        ["整改方案", "序号", "存在问题", "整改实施主体", "牵头单位", "验收单位", "整改时限", "整改时限（原文）",
         "时限类型", "完成年度", "九治类别", "状态", "预警"],
        rows,
        [30, 6, 50, 24, 16, 16, 12, 16, 12, 8, 8, 10, 8],
    )
    for cell in sheet["G"][1:]:
        cell.number_format = "yyyy-mm-dd"
    return workbook
