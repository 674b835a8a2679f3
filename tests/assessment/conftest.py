"""A hand-made scenario in 2025, built through the real services as the clock moves (time_machine):

task A (区住房城乡建委, due 2025-09-30): in a weekly round due 06-10 it reports late (approved 06-12);
  yellow on 06-11 (report missing), green again, yellow on 09-20 (deadline near), red on 10-08;
  applies for acceptance on 10-09 and the acceptor returns it on 10-10.
task B (双桂街道, due 2025-12-31): accepted and closed on 07-20 (early); a look-back on 08-01 finds a rebound.
task C (双桂街道环保所): in the same round, never reports.
complaint K1 (双桂街道, deadline 06-13) done on 06-20 (late); K2 (区住建委) done on 06-10 (in time).
an other-district task turns red on 2025-09-10 (never counts in 梁平区).

Hand-computed, year 2025, starting rules:
  区住房城乡建委  100 − 1 (late report) − 1 (2nd yellow) − 2 (red) − 1 (returned)       = 95
  双桂街道        100 + 0.5 (early closure) − 3 (rebound) − 1 (complaint overdue)     = 96.5
  双桂街道环保所  100 − 1 (missing report)                                            = 99
"""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories as f
from zhenggai.complaints.models import HandoverBatch
from zhenggai.complaints.services import complaint_create, complaint_handle
from zhenggai.evidence.services import evidence_create
from zhenggai.rectification import lookbacks, rounds
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import AcceptanceApplication, DispatchRound
from zhenggai.rectification.warnings import task_warning_refresh

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date
ALL = {key: True for key, _label in AcceptanceApplication.CRITERIA}


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def photo(name: str) -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 140, 70)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(at(D(2025, 6, 2)), tick=False)

    def move(day: dt.date) -> None:
        time_machine.move_to(at(day), tick=False)
    return move


@pytest.fixture
def scenario(clock, world, django_capture_on_commit_callbacks):
    u = world.users
    a = f.task(actor=u.office, plan=world.plan, number=10, units=[world.dept], acceptance_unit=world.acceptor_org,
               deadline=D(2025, 9, 30), title="城区污水管网雨污混流整治")
    b = f.task(actor=u.office, plan=world.plan, number=11, units=[world.town], acceptance_unit=world.acceptor_org,
               deadline=D(2025, 12, 31), title="双桂街道黑臭水体整治")
    c = f.task(actor=u.office, plan=world.plan, number=12, units=[world.town_sub], title="餐饮油烟净化设施")
    other = f.task(actor=u.other_office, plan=world.other_plan, number=2, units=[u.other_office.organization],
                   deadline=D(2025, 8, 31), title="垫江县逾期任务")
    task_warning_refresh(other, on=D(2025, 9, 10))
    rnd = rounds.round_open(actor=u.office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                            period_start=D(2025, 6, 2), due_date=D(2025, 6, 10), tasks=[a, c], title="6月第1周调度")
    # A: yellow (report missing) on 06-11, report approved late on 06-12 (green again)
    task_warning_refresh(a, on=D(2025, 6, 11))
    clock(D(2025, 6, 12))
    report = rounds.report_save_draft(actor=u.staff, round=rnd, task=a, unit=world.dept,
                                      data={"description": "管网排查完成三成", "percent": 30})
    report = rounds.report_submit(actor=u.staff, report=report)
    rounds.report_approve(actor=u.head, report=report)
    # complaints
    batch = HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=D(2025, 6, 3))
    k1 = complaint_create(actor=u.office, batch=batch, data={
        "acceptance_number": "D8CQ202506030001", "summary": "夜间异味", "region": world.district,
        "lead_unit": world.town})
    k2 = complaint_create(actor=u.office, batch=batch, data={
        "acceptance_number": "D8CQ202506030002", "summary": "油烟扰民", "region": world.district,
        "lead_unit": world.dept})
    result = {"investigation": "现场核查属实", "truthfulness": "true", "handling": "已整改", "status": "done"}
    complaint_handle(actor=u.office, complaint=k2, data={**result, "done_at": D(2025, 6, 10)})
    clock(D(2025, 6, 20))
    complaint_handle(actor=u.staff2, complaint=k1, data=result)
    # B: closed early, then a rebound
    with django_capture_on_commit_callbacks(execute=False):
        clock(D(2025, 7, 1))
        tr.task_start(actor=u.staff2, task=b)
        evidence = [evidence_create(actor=u.staff2, task=b, file=photo("b.jpg"), category="after_photo")]
        tr.task_apply_for_acceptance(actor=u.head2, task=b, statement="已完成", self_check=ALL, evidence=evidence)
        clock(D(2025, 7, 2))
        tr.task_pass_acceptance(actor=u.acceptor, task=b, notice_start=D(2025, 7, 2))
        clock(D(2025, 7, 20))
        tr.task_close(actor=u.office, task=b)
        clock(D(2025, 8, 1))
        b.refresh_from_db()
        look_back = lookbacks.lookback_schedule(actor=u.office, task=b, scheduled_date=D(2025, 8, 1))
        lookbacks.lookback_record(actor=u.office, look_back=look_back, result="rebound", notes="雨后再次出现黑臭")
        # A: yellow again (deadline near), red, returned acceptance
        a.refresh_from_db()
        task_warning_refresh(a, on=D(2025, 9, 20))
        task_warning_refresh(a, on=D(2025, 10, 8))
        clock(D(2025, 10, 9))
        evidence = [evidence_create(actor=u.staff, task=a, file=photo("a.jpg"), category="after_photo")]
        tr.task_apply_for_acceptance(actor=u.head, task=a, statement="已完成", self_check=ALL, evidence=evidence)
        clock(D(2025, 10, 10))
        tr.task_return_acceptance(actor=u.acceptor, task=a, reasons="雨污分流改造尚有两处未完成")
    clock(D(2025, 12, 1))
    return SimpleNamespace(a=a, b=b, c=c, k1=k1, k2=k2, other=other, round=rnd, world=world, users=u)
