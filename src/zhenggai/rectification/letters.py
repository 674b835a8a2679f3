"""A supervision notice as an official letter: DOCX (python-docx, for editing) and PDF (WeasyPrint, with
the CJK font embedded).

The layout follows the usual form of a Chinese official letter: the issuing office's name in red over a
red rule, the title (督办单/督办函/约谈建议), the number, the addressee, the body (事由, 督办要求, 回复期限),
the signature and the date written in Chinese (2025年3月3日). Letters are always written in Chinese.
A draft is marked as such and carries no number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import SupervisionNotice
from .supervision import cn_date, issuing_office
from .warnings import today

LETTER_LANGUAGE = "zh-hans"
BODY_FONT = "仿宋"
TITLE_FONT = "宋体"
RED = (0xC0, 0x00, 0x00)
PPR_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)


@dataclass
class Letter:
    """What a letter says, shared by the DOCX and the PDF."""

    office: str
    title: str
    number: str
    is_draft: bool
    addressee: str
    task: str
    reason: list[str]
    required_action: list[str]
    reply_deadline: str
    date: str
    escalated_from: str


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def letter_for(notice: SupervisionNotice) -> Letter:
    task = notice.task
    office = issuing_office(task)
    issued = timezone.localtime(notice.issued_at).date() if notice.issued_at else today()
    with translation.override(LETTER_LANGUAGE):
        deadline = cn_date(task.deadline) if task.deadline else task.deadline_text
        return Letter(
            office=office.name if office else _("督察整改工作领导小组办公室"),
            title=str(notice.get_kind_display()),
            number=notice.number,
            is_draft=notice.status == SupervisionNotice.Status.DRAFT,
            addressee=notice.unit.name,
            task=_("第%(n)s项整改任务：%(title)s（整改时限：%(deadline)s）")
            % {"n": task.number, "title": task.title, "deadline": deadline or "—"},
            reason=_paragraphs(notice.reason),
            required_action=_paragraphs(notice.required_action),
            reply_deadline=cn_date(notice.reply_deadline),
            date=cn_date(issued),
            escalated_from=(notice.escalated_from.number or "") if notice.escalated_from_id else "",  # type: ignore[union-attr]
        )


def letter_filename(notice: SupervisionNotice, extension: str) -> str:
    name = f"{notice.get_kind_display()}-{notice.number or _('草稿') + str(notice.pk)}"
    return f"{name}.{extension}"


# ---------------------------------------------------------------------------------------------------
# DOCX

def _set_fonts(run: object, name: str) -> None:
    """Latin and East Asian font of a run (Word picks the East Asian one for Chinese text)."""
    from docx.oxml.ns import qn

    run.font.name = name  # type: ignore[attr-defined]
    r_pr = run._element.get_or_add_rPr()  # type: ignore[attr-defined]
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.insert(0, r_fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(attribute), name)


def _red_rule(paragraph: object) -> None:
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    borders = p_pr.makeelement(qn("w:pBdr"), {})
    bottom = borders.makeelement(
        qn("w:bottom"), {qn("w:val"): "single", qn("w:sz"): "18", qn("w:space"): "4", qn("w:color"): "C00000"}
    )
    borders.append(bottom)
    # CT_PPr is a sequence: the border goes before spacing, indentation and justification
    p_pr.insert_element_before(borders, *PPR_AFTER_BORDER)


def notice_docx(notice: SupervisionNotice) -> bytes:
    """The notice as a Word document (A4, 仿宋 body, red header and rule)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    letter = letter_for(notice)
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)

    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT  # type: ignore[attr-defined]
    normal.font.size = Pt(16)  # type: ignore[attr-defined]
    r_pr = normal.element.get_or_add_rPr()
    r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    def paragraph(text: str, *, size: float = 16, bold: bool = False, font: str = BODY_FONT,
                  align: int | None = None, color: tuple[int, int, int] | None = None,
                  indent: bool = False) -> object:
        p = document.add_paragraph()
        if align is not None:
            p.alignment = align  # type: ignore[assignment]
        p.paragraph_format.space_after = Pt(4)
        p.paragraph_format.line_spacing = Pt(28)
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        run = p.add_run(text)
        run.font.size = Pt(size)
        run.font.bold = bold
        if color:
            run.font.color.rgb = RGBColor(*color)
        _set_fonts(run, font)
        return p

    with translation.override(LETTER_LANGUAGE):
        header = paragraph(letter.office, size=22, bold=True, font=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER,
                           color=RED)
        _red_rule(header)
        title = letter.title + (_("（草稿）") if letter.is_draft else "")
        paragraph(title, size=22, bold=True, font=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER)
        paragraph(letter.number or _("（签发时编号）"), align=WD_ALIGN_PARAGRAPH.CENTER)
        paragraph(f"{letter.addressee}：")
        paragraph(letter.task, indent=True)
        if letter.escalated_from:
            paragraph(_("本函系对%(number)s的升级督办。") % {"number": letter.escalated_from}, indent=True)
        paragraph(_("一、督办事由"), bold=True, font="黑体")
        for text in letter.reason:
            paragraph(text, indent=True)
        paragraph(_("二、督办要求"), bold=True, font="黑体")
        for text in letter.required_action:
            paragraph(text, indent=True)
        paragraph(_("三、回复期限"), bold=True, font="黑体")
        paragraph(_("请于%(date)s前将办理情况书面回复本办。") % {"date": letter.reply_deadline}, indent=True)
        document.add_paragraph()
        paragraph(letter.office, align=WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph(letter.date, align=WD_ALIGN_PARAGRAPH.RIGHT)

    document.core_properties.title = f"{letter.title} {letter.number}".strip()
    document.core_properties.author = letter.office
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# PDF

def notice_pdf(notice: SupervisionNotice) -> bytes:
    """The notice as a PDF, rendered by WeasyPrint from templates/supervision/letter_pdf.html with the
    AR PL UMing font (fonts-arphic-uming) embedded."""
    from weasyprint import HTML

    with translation.override(LETTER_LANGUAGE):
        html = render_to_string("supervision/letter_pdf.html", {"letter": letter_for(notice), "notice": notice})
    return HTML(string=html).write_pdf() or b""
