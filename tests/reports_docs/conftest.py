"""A small hand-built district for the generated documents, built through the real services while the
clock moves from February to 20 March 2025:

- task 1 (区住房城乡建委): evidence, started, applied, passed with a public notice from 10 February
  (objection by 王五 answered, not upheld), closed on 20 March, look-back scheduled — done;
- the March round (due 7 March) covers tasks 2 and 3; 双桂街道 reports task 2 late, task 3 is missing;
- task 4 (区住房城乡建委, due 10 March): red, with an issued supervision notice;
- task 5 (双桂街道, due 25 March): yellow (deadline near);
- task 6 (双桂街道环保所, due 2026): green;
- two complaints, one done.
Expected figures: 6 tasks, 1 done, 5 in progress, 1 red, 2 yellow (task 3 misses its report, task 5);
2025: 5 tasks / 1 done, 2026: 1 / 0; ranking 区住房城乡建委 1st (50.0%, 1 overdue), the others 2nd.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from types import SimpleNamespace

import pytest
import time_machine

from zhenggai.accounts.models import Organization

D = dt.date
TZ = dt.timezone(dt.timedelta(hours=8))
OBJECTOR = ("王五", "13900001111")
PHONE, EMAIL = "023-53221234", "dczg@liangping.example.cn"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)


def jpeg_upload(name: str = "整改后照片.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text without any white space (table cells wrap wherever the layout puts them)."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))


def pdf_fonts(pdf: bytes) -> list[list[str]]:
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def assert_cjk_font_embedded(pdf: bytes) -> None:
    rows = pdf_fonts(pdf)
    assert rows, "no fonts in the PDF"
    uming = [row for row in rows if "UMing" in row[0]]
    assert uming, rows
    # columns: name type encoding emb sub uni object ID → "emb" is the fifth from the end
    assert all(row[-5] == "yes" for row in uming), rows


@pytest.fixture
def clock():
    with time_machine.travel(at(D(2025, 2, 5)), tick=False) as traveller:
        yield traveller


@pytest.fixture
def scene(clock, world, django_capture_on_commit_callbacks):
    from tests import factories as f
    from zhenggai.complaints.models import HandoverBatch
    from zhenggai.complaints.services import complaint_create
    from zhenggai.evidence.services import evidence_create
    from zhenggai.rectification.lookbacks import lookback_schedule
    from zhenggai.rectification.models import DispatchRound, SupervisionNotice, Task
    from zhenggai.rectification.rounds import report_approve, report_save_draft, report_submit, round_open
    from zhenggai.rectification.supervision import notice_draft, notice_issue
    from zhenggai.rectification.transitions import (
        CRITERIA_KEYS,
        objection_answer,
        objection_lodge,
        task_apply_for_acceptance,
        task_close,
        task_pass_acceptance,
        task_start,
    )
    from zhenggai.rectification.warnings import warnings_refresh_all

    u = world.users
    fresh = lambda task: Task.objects.get(pk=task.pk)  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        evidence = evidence_create(actor=u.staff, task=world.t_dept, file=jpeg_upload(), category="after_photo")
        task_start(actor=u.head, task=fresh(world.t_dept))
        task_apply_for_acceptance(actor=u.head, task=fresh(world.t_dept), statement="管网已完成雨污分流改造。",
                                  self_check={k: True for k in CRITERIA_KEYS}, evidence=[evidence])
        clock.move_to(at(D(2025, 2, 10)))
        notice = task_pass_acceptance(actor=u.acceptor, task=fresh(world.t_dept), reasons="符合验收标准",
                                      contact_phone=PHONE, contact_email=EMAIL)
        objection = objection_lodge(notice=notice, content="小区门口仍有污水外溢", contact_name=OBJECTOR[0],
                                    contact=OBJECTOR[1])
        objection_answer(actor=u.office, objection=objection, answer="经现场复核，外溢点已封堵。", upheld=False)

        clock.move_to(at(D(2025, 3, 3)))
        rnd = round_open(actor=u.office, region=world.district, kind=DispatchRound.Kind.MONTHLY,
                         period_start=D(2025, 3, 3), due_date=D(2025, 3, 7))

        clock.move_to(at(D(2025, 3, 20)))
        task_close(actor=u.office, task=fresh(world.t_dept))
        lookback_schedule(actor=u.office, task=fresh(world.t_dept), scheduled_date=D(2025, 9, 30))
        report = report_save_draft(actor=u.staff2, round=rnd, task=world.t_town, data={
            "stage": "advancing", "description": "已完成 3 个村的设施修复", "percent": 40, "next_steps": "继续修复"})
        report_submit(actor=u.staff2, report=report)
        report_approve(actor=u.head2, report=report)
        t4 = f.task(actor=u.office, plan=world.plan, number=4, units=[world.dept], deadline=D(2025, 3, 10),
                    title="建筑工地扬尘管控不到位")
        t5 = f.task(actor=u.office, plan=world.plan, number=5, units=[world.town], deadline=D(2025, 3, 25),
                    title="场镇污水处理厂出水超标")
        t6 = f.task(actor=u.office, plan=world.plan, number=6, units=[world.town_sub], deadline=D(2026, 6, 30),
                    title="废弃矿山生态修复滞后")
        supervision = notice_draft(actor=u.office, task=t4, unit=world.dept, kind=SupervisionNotice.Kind.NOTICE,
                                   reason="整改时限已过仍未完成", required_action="限期完成扬尘整治")
        notice_issue(actor=u.office, notice=supervision)
        batch = HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=D(2025, 1, 6))
        complaint_create(actor=u.office, batch=batch, data={
            "acceptance_number": "D8CQ202501060001", "summary": "某餐馆油烟扰民", "region": world.district,
            "lead_unit": world.dept, "status": "done", "handling": "已安装油烟净化设施"})
        complaint_create(actor=u.office, batch=batch, data={
            "acceptance_number": "D8CQ202501060002", "summary": "某砖厂粉尘污染", "region": world.district,
            "lead_unit": world.town})
    warnings_refresh_all(on=D(2025, 3, 20))
    return SimpleNamespace(world=world, users=u, evidence=evidence, notice=notice, round=rnd, t4=t4, t5=t5, t6=t6,
                           supervision=supervision, office_region=world.district)


def unit_names(*units: Organization) -> list[str]:
    return [u.name for u in units]
