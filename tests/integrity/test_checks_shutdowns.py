"""The blanket-shutdown check: wording that announces 一刀切 shutdowns, and wording that rejects them."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.integrity.checks import Scope
from zhenggai.integrity.checks.shutdowns import blanket_phrases
from zhenggai.rectification.services import MeasureData

from .support import dispatch_round, report, run

BLANKET = [
    "对辖区内养殖场一律停产整顿", "所有砖厂全部关停", "涉气企业统统关停", "沿河餐饮店全面停业整改",
    "对散乱污企业一律予以关闭", "对小作坊实行一刀切关停", "全镇 一律 停產", "对“散乱污”企业一律立即关停取缔",
    "辖区内所有企业一律停止生产", "采取一刀切的办法全部关停", "所有石材加工厂一律断电", "对不达标的养殖户统统清退",
    "全部实施停产", "一律责令停产整顿",
]
NOT_BLANKET = [
    "严禁一刀切", "防止“一刀切”", "不搞一刀切", "坚决防止敷衍整改、表面整改、假装整改和整改“一刀切”",
    "依法关停3家无证小作坊", "全面排查关闭搬迁企业遗留地块", "停产整治企业全部完成验收", "对5家超标排放企业全部停产整治",
    "杜绝简单化、一刀切的做法", "不存在“一刀切”问题", "一刀切的做法坚决杜绝", "对一律停产的做法予以纠正",
    "责令停产整改，罚款20000元", "该矿井已关闭多年", "避免一律关停", "关停取缔2家非法洗砂场", "村民要求关停",
    "查处整改“一刀切”问题3起", "已全部完成整改", "全部关闭阀门后试压", "违规占用岸线的设施全部清退",
]


@pytest.mark.parametrize("text", BLANKET)
def test_blanket_wording_is_found(text):
    assert blanket_phrases(text), text


@pytest.mark.parametrize("text", NOT_BLANKET)
def test_rejecting_or_targeted_wording_is_not(text):
    assert blanket_phrases(text) == [], text


def test_a_clause_that_rejects_does_not_hide_another_that_announces():
    found = blanket_phrases("严禁“一刀切”；对沿河养殖场一律关停。")
    assert [p.phrase for p in found] == ["一律关停"]
    assert found[0].clause == "对沿河养殖场一律关停"


def test_measures_reports_and_complaint_handling_are_read(world):
    task = f.task(actor=world.users.office, plan=world.plan, number=9, units=[world.dept],
                  measures=[MeasureData(number=1, text="严禁一刀切，分类整治。", units=[world.dept]),
                            MeasureData(number=2, text="对沿河养殖场一律关停。", units=[world.dept])])
    blanket_measure = task.measures.get(number=2)
    april = dispatch_round(world, dt.date(2025, 4, 1))
    blanket_report = report(april, world.t_town, world.town, world.users.staff2, "本月对辖区餐饮店全部关停整顿。")
    report(april, world.t_sub, world.town_sub, world.users.sub, "依法关停2家无证小作坊，其余分类整治。")
    batch = HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=dt.date(2024, 11, 25))
    handled = Complaint.objects.create(batch=batch, inspection=world.inspection, sequence=1, acceptance_number="X1",
                                       summary="养殖场臭味", reply_deadline=dt.date(2024, 12, 5), status="done",
                                       handling="经核查，对周边养殖户统统清退。")
    findings = {f.key: f for f in run("blanket_shutdown")}
    assert set(findings) == {f"measure:{blanket_measure.pk}", f"report:{blanket_report.pk}", f"complaint:{handled.pk}"}
    measure = findings[f"measure:{blanket_measure.pk}"]
    assert measure.task_id == task.pk and measure.evidence["phrase"] == "一律关停"
    assert "整改措施" in measure.reason and "一律关停" in measure.reason
    assert findings[f"complaint:{handled.pk}"].complaint_id == handled.pk
    scoped = run("blanket_shutdown", Scope(task_ids=frozenset({task.pk}), complaint_ids=frozenset()))
    assert [f.key for f in scoped] == [f"measure:{blanket_measure.pk}"]
