"""A small scenario for the dashboards, built on the `world` fixture through the real services.

Tasks of 梁平区 (the office sees these five; 垫江县's task never counts):
- t_dept  (区住建委, deadline 2025-12-31, red): reported on time in a closed round, late in an
  overdue one, so it is 整改中;
- t_town  (双桂街道, red, 未启动) and t_sub (双桂街道环保所, red, 未启动): never reported;
- t_done  (区住建委, deadline 2027-03-31): started, applied, passed, closed → 已销号;
- t_notice (双桂街道, deadline 2027-05-31): applied, returned, applied again, passed → 公示中.
Complaints: three in 梁平区 (one in its township 双桂街道, one 已办结) and one in 垫江县.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests import factories as f
from zhenggai.accounts.models import Region
from zhenggai.complaints.models import HandoverBatch
from zhenggai.complaints.services import complaint_create, complaint_handle
from zhenggai.demo.loop import ALL_CRITERIA, _evidence
from zhenggai.rectification import rounds
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import DispatchRound


def _apply(task, head):
    return tr.task_apply_for_acceptance(actor=head, task=task, statement="已完成整改", self_check=ALL_CRITERIA,
                                        evidence=_evidence(head, task))


def _report(round_, task, unit, staff, head):
    data = {"stage": "advancing", "percent": 50, "description": "本月推进情况"}
    report = rounds.report_save_draft(actor=staff, round=round_, task=task, data=data, unit=unit)
    report = rounds.report_submit(actor=staff, report=report)
    return rounds.report_approve(actor=head, report=report)


@pytest.fixture
def scene(world, django_capture_on_commit_callbacks):
    w, u = world, world.users
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        t_done = f.task(actor=u.office, plan=w.plan, number=4, units=[w.dept], acceptance_unit=w.acceptor_org,
                        deadline=dt.date(2027, 3, 31), title="建筑工地扬尘")
        t_notice = f.task(actor=u.office, plan=w.plan, number=5, units=[w.town], acceptance_unit=w.acceptor_org,
                          deadline=dt.date(2027, 5, 31), title="黑臭水体")
        tr.task_start(actor=u.head, task=t_done)
        _apply(t_done, u.head)
        tr.task_pass_acceptance(actor=u.acceptor, task=t_done)
        tr.task_close(actor=u.office, task=t_done, on=today + dt.timedelta(days=40))
        tr.task_start(actor=u.head2, task=t_notice)
        _apply(t_notice, u.head2)
        tr.task_return_acceptance(actor=u.acceptor, task=t_notice, reasons="佐证不足")
        _apply(t_notice, u.head2)
        tr.task_pass_acceptance(actor=u.acceptor, task=t_notice)

        # a closed round (reported on time by the department) and an overdue one (reported late)
        closed = rounds.round_open(actor=u.office, region=w.district, kind=DispatchRound.Kind.MONTHLY, plan=w.plan,
                                   period_start=today - dt.timedelta(days=40), due_date=today + dt.timedelta(days=5))
        _report(closed, w.t_dept, w.dept, u.staff, u.head)
        rounds.round_close(actor=u.office, round=closed)
        overdue = rounds.round_open(actor=u.office, region=w.district, kind=DispatchRound.Kind.WEEKLY,
                                    plan=w.plan, tasks=[w.t_dept, w.t_town, w.t_sub],
                                    period_start=today - dt.timedelta(days=10), due_date=today - dt.timedelta(days=1))
        _report(overdue, w.t_dept, w.dept, u.staff, u.head)

        township = f.region("双桂街道", parent=w.district, level=Region.Level.TOWNSHIP)
        batch = HandoverBatch.objects.create(inspection=w.inspection, number=1, handed_over=dt.date(2025, 6, 3))
        c_air = complaint_create(actor=u.office, batch=batch, data={
            "acceptance_number": "D1", "summary": "化工厂夜间排放刺鼻气味", "region": township,
            "pollution_types": ["air"], "lead_unit": w.town})
        c_two = complaint_create(actor=u.office, batch=batch, data={
            "acceptance_number": "D2", "summary": "餐饮油烟扰民，噪声大", "region": w.district,
            "pollution_types": ["air", "noise"], "lead_unit": w.dept})
        c_water = complaint_create(actor=u.office, batch=batch, data={
            "acceptance_number": "D3", "summary": "养殖场废水直排", "region": w.district,
            "pollution_types": ["water"], "lead_unit": w.dept})
        complaint_handle(actor=u.staff, complaint=c_water, data={"status": "done", "handling": "已整改",
                                                                 "truthfulness": "true"})
        other_batch = HandoverBatch.objects.create(inspection=w.other_plan.inspection, number=1,
                                                   handed_over=dt.date(2025, 6, 3))
        c_other = complaint_create(actor=u.other_office, batch=other_batch, data={
            "acceptance_number": "O1", "summary": "垫江县某厂粉尘", "region": w.other_district,
            "pollution_types": ["air"]})
    for t in (w.t_dept, w.t_town, w.t_sub, t_done, t_notice):
        t.refresh_from_db()
    return SimpleNamespace(w=w, u=u, today=today, t_done=t_done, t_notice=t_notice, township=township,
                           closed_round=closed, overdue_round=overdue, c_air=c_air, c_two=c_two, c_water=c_water,
                           c_other=c_other)
