"""The monthly dispatch bulletin as a Word document (python-docx), from the same `BulletinData` as the PDF.

Word picks the East Asian font of a run for Chinese characters (w:rFonts/@w:eastAsia); without it Word
falls back to a Latin font and shows Chinese in whatever font the machine substitutes. So the East Asian
font is set on the Normal, Title and heading styles and on every table cell's text. Tables mark their
first row as a header row (w:tblHeader) so that Word repeats it on every page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from .bulletin import LANGUAGE, BulletinData

BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def _east_asian(element: Any, name: str) -> None:
    """Set every font slot (ascii, hAnsi, eastAsia, cs) of a style's or run's rPr to `name`."""
    from docx.oxml.ns import qn

    r_fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(attribute), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        r_fonts.attrib.pop(qn(theme), None)


def _style(document: Any, name: str, font: str, size: float, *, bold: bool = False) -> None:
    from docx.shared import Pt, RGBColor

    style = document.styles[name]
    style.font.name = font
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _east_asian(style.element, font)


def _page_number_footer(section: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _table(document: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           widths: Sequence[float] | None = None) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for cell, text in zip(header.cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.font.bold = True
        run.font.size = Pt(10)
        _east_asian(run._element, HEADING_FONT)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            run = cell.paragraphs[0].add_run("" if value is None else str(value))
            run.font.size = Pt(10)
            _east_asian(run._element, BODY_FONT)
    if widths:
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Cm(width)
    return table


def bulletin_docx_bytes(data: BulletinData) -> bytes:
    """The bulletin as .docx: A4, 宋体 body and 黑体 headings (East Asian font set), the same sections
    and tables as the PDF, page numbers in the footer."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    section.left_margin, section.right_margin = Cm(2.2), Cm(2.2)
    _style(document, "Normal", BODY_FONT, 12)
    _style(document, "Title", HEADING_FONT, 18, bold=True)
    _style(document, "Heading 1", HEADING_FONT, 14, bold=True)
    _page_number_footer(section)

    def para(text: str, *, indent: bool = False, align: Any = None, size: float | None = None) -> None:
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        _east_asian(run._element, BODY_FONT)
        if size:
            run.font.size = Pt(size)
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(24)
        if align is not None:
            paragraph.alignment = align

    with translation.override(LANGUAGE):
        title = document.add_heading(data.title, level=0)
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        para(f"{data.office}　" + _("截至%(date)s") % {"date": _cn(data.as_of)}, align=WD_ALIGN_PARAGRAPH.CENTER)
        para(data.lead, indent=True)

        s = data.summary
        document.add_heading(_("一、总体情况"), level=1)
        _table(document, [_("整改任务（项）"), _("已完成销号"), _("正在推进"), _("完成率"), _("红灯"), _("黄牌"),
                          _("信访件（件）"), _("已办结")],
               [[s.tasks, s.done, s.in_progress, s.rate, s.red, s.yellow, s.complaints, s.complaints_done]])

        document.add_heading(_("二、分年度完成情况"), level=1)
        _table(document, [_("完成年度"), _("任务数（项）"), _("已完成"), _("未完成"), _("完成率")],
               [[r.label, r.total, r.done, r.open, r.rate] for r in data.by_year])

        document.add_heading(_("三、责任单位完成情况排名"), level=1)
        _table(document, [_("排名"), _("整改实施主体"), _("任务数（项）"), _("已完成"), _("完成率"), _("逾期（项）")],
               [*([r.rank, r.unit, r.total, r.done, r.rate, r.overdue] for r in data.ranking_head),
                *([["……", _("……（中间 %(n)s 个单位从略）") % {"n": data.ranking_gap}, "", "", "", ""]]
                  if data.ranking_gap else []),
                *([r.rank, r.unit, r.total, r.done, r.rate, r.overdue] for r in data.ranking_tail)],
               [1.4, 6.0, 2.2, 2.0, 2.2, 2.2])

        red_more = _("以上为逾期最久的任务，另有红灯任务 %(n)s 项未列出，完整清单见系统“数据看板·红灯任务”。")
        yellow_more = _("以上为剩余时间最短的任务，另有黄牌任务 %(n)s 项未列出，完整清单见系统“数据看板”。")
        for heading, rows, days_label, empty, more, more_text in (
            (_("四、红灯任务清单"), data.red, _("逾期天数"), _("无红灯任务。"), data.red_more, red_more),
            (_("五、黄牌任务清单"), data.yellow, _("剩余天数"), _("无黄牌任务。"), data.yellow_more, yellow_more),
        ):
            document.add_heading(heading, level=1)
            if rows:
                _table(document, [_("序号"), _("存在问题"), _("整改实施主体"), _("整改时限"), days_label],
                       [[r.number, r.title, r.units, r.deadline, "—" if r.days is None else r.days] for r in rows],
                       [1.2, 7.0, 4.0, 2.8, 1.8])
                if more:
                    para(more_text % {"n": more}, size=10)
            else:
                para(empty, indent=True)

        document.add_heading(_("六、逾期报送和未报送单位"), level=1)
        if data.rounds:
            para(_("本月调度：") + "、".join(data.rounds), size=10)
        if data.reporters:
            _table(document, [_("单位"), _("调度"), _("报送截止"), _("逾期报送（项）"), _("未报送（项）"), _("涉及任务序号")],
                   [[r.unit, r.round, r.due, r.late, r.missing, r.tasks] for r in data.reporters])
            if data.reporters_more:
                para(_("另有 %(n)s 个单位的逾期或未报送情况未列出，详见系统“调度”页面。") % {"n": data.reporters_more},
                     size=10)
        else:
            para(_("各单位均按时报送。") if data.rounds else _("本月未开展调度。"), indent=True)

        if data.assessment is not None:
            document.add_heading(_("七、考核排名"), level=1)
            if data.assessment:
                _table(document, [_("排名"), _("单位"), _("得分")],
                       [[r.rank, r.unit_name, r.score] for r in data.assessment])
            else:
                para(_("暂无考核结果。"), indent=True)

    document.core_properties.title = data.title
    document.core_properties.author = data.office
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _cn(day: Any) -> str:
    from zhenggai.core.templatetags.zg import cn_date

    return cn_date(day)
