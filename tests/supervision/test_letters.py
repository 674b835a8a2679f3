"""The notice as an official letter: DOCX with the number, the addressee and CJK fonts; PDF with the Chinese
text and the AR PL UMing font embedded."""

from __future__ import annotations

import io
import re
import subprocess
import zlib

import docx
from docx.oxml.ns import qn

from zhenggai.rectification.letters import letter_filename, notice_docx, notice_pdf
from zhenggai.rectification.models import SupervisionNotice
from zhenggai.rectification.supervision import notice_draft, notice_issue


def issued_letter(world):
    notice = notice_draft(actor=world.users.office, task=world.t_dept, unit=world.dept,
                          kind=SupervisionNotice.Kind.LETTER, reason="管网改造进度滞后。\n排查尚未完成。",
                          required_action="立即制定倒排计划。")
    return notice_issue(actor=world.users.office, notice=notice)


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated, to search the dictionaries."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_docx_is_an_official_letter(world):
    notice = issued_letter(world)
    document = docx.Document(io.BytesIO(notice_docx(notice)))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "区督察整改办"  # the issuing office's name heads the letter
    assert texts[1] == "督办函"
    assert "梁督整办〔2025〕1号" in texts
    assert "区住房城乡建委：" in texts
    assert "管网改造进度滞后。" in texts and "排查尚未完成。" in texts
    assert "请于2025年6月9日前将办理情况书面回复本办。" in texts
    assert texts[-2:] == ["区督察整改办", "2025年6月2日"]
    header_run = document.paragraphs[0].runs[0]
    assert str(header_run.font.color.rgb) == "C00000"
    east_asia = {r._element.rPr.rFonts.get(qn("w:eastAsia")) for p in document.paragraphs for r in p.runs}
    assert east_asia <= {"仿宋", "宋体", "黑体"} and "仿宋" in east_asia


def test_draft_letter_says_so_and_has_no_number(world):
    notice = notice_draft(actor=world.users.office, task=world.t_dept, unit=world.dept,
                          kind=SupervisionNotice.Kind.NOTICE, reason="事由", required_action="要求")
    texts = [p.text for p in docx.Document(io.BytesIO(notice_docx(notice))).paragraphs]
    assert "督办单（草稿）" in texts and "（签发时编号）" in texts
    assert letter_filename(notice, "docx") == f"督办单-草稿{notice.pk}.docx"


def test_pdf_has_the_chinese_text_and_embeds_the_font(world):
    notice = issued_letter(world)
    pdf = notice_pdf(notice)
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    text = re.sub(r"\s+", "", text.decode("utf-8"))
    for expected in ("区督察整改办", "督办函", "梁督整办〔2025〕1号", "区住房城乡建委：", "管网改造进度滞后。",
                     "请于2025年6月9日前将办理情况书面回复本办。", "2025年6月2日"):
        assert expected in text
    objects = pdf_objects(pdf)
    assert b"/FontFile" in objects  # the font program is in the file …
    assert b"UMing" in objects  # … and it is AR PL UMing
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all("UMing" in row[0] and row[-5] == "yes" for row in rows)  # every font embedded
