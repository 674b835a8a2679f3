"""The task dossier (一案一档) and the closure notice table (验收销号公示表): content and scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhenggai.rectification.models import SupervisionNotice
from zhenggai.reports.selectors_documents import closure_notices_for_plan, dossier_for_user

from .conftest import EMAIL, OBJECTOR, PHONE, D, assert_cjk_font_embedded, pdf_text


def test_dossier_holds_every_record_and_the_evidence_hash(client, scene):
    w = scene.world
    client.force_login(w.users.office)
    url = reverse("task_dossier_pdf", args=[w.t_dept.pk])
    assert url == f"/tasks/{w.t_dept.pk}/dossier.pdf"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    text = pdf_text(pdf)
    for heading in ("整改任务档案（一案一档）", "一、任务基本情况", "整改措施", "二、操作记录", "三、整改进展", "四、验收销号",
                    "销号公示与异议", "五、督办", "六、回头看", "七、佐证材料清单"):
        assert heading in text, heading
    for label in ("创建任务", "上传佐证材料", "启动任务", "申请验收任务", "验收通过任务", "收到异议公示", "答复异议公示",
                  "销号任务", "安排回头看"):
        assert label in text, label  # every event of the chain, by its label
    assert "2025年2月10日10:00" in text and "acceptor" in text  # time and actor of the pass
    assert "管网已完成雨污分流改造。" in text and "符合验收标准" in text  # application and review
    assert "小区门口仍有污水外溢" in text and "经现场复核，外溢点已封堵。" in text  # objection and answer
    assert OBJECTOR[0] not in text and OBJECTOR[1] not in text  # never the objector's name or contact
    assert "2025年9月30日" in text  # the look-back
    assert "整改后照片.jpg" in text and "整改后照片" in text and "staff" in text
    assert scene.evidence.sha256 in text and len(scene.evidence.sha256) == 64  # the full SHA-256
    assert_cjk_font_embedded(pdf)


@pytest.mark.parametrize("who", ["unrelated", "other_office", "staff2"])
def test_dossier_of_a_hidden_task_is_404(client, world, who):
    client.force_login(getattr(world.users, who))
    assert client.get(reverse("task_dossier_pdf", args=[world.t_dept.pk])).status_code == 404


def test_dossier_of_a_missing_task_is_404(client, world):
    client.force_login(world.users.office)
    assert client.get(reverse("task_dossier_pdf", args=[999999])).status_code == 404


def test_dossier_shows_each_reader_only_what_they_may_read(scene):
    from zhenggai.rectification.supervision import notice_draft

    w = scene.world
    notice_draft(actor=w.users.office, task=scene.t4, unit=w.dept, kind=SupervisionNotice.Kind.LETTER,
                 reason="再次督办", required_action="说明原因")
    office = dossier_for_user(w.users.office, scene.t4)
    head = dossier_for_user(w.users.head, scene.t4)
    assert len(office.supervision) == 2 and len(head.supervision) == 1  # the draft stays with the office
    assert head.supervision[0].pk == scene.supervision.pk
    town = dossier_for_user(w.users.staff2, w.t_town)
    assert [r.unit_id for r in town.reports] == [w.town.pk]
    assert all(o.__dict__.get("contact") is None for n in dossier_for_user(w.users.office, w.t_dept).notices
               for o in n.objections)  # contact fields are not even loaded


def test_closure_table_lists_the_notices_with_period_and_channel(client, scene):
    w = scene.world
    client.force_login(w.users.leader)
    url = reverse("closure_notice_table_pdf", args=[w.plan.pk])
    assert url == f"/plans/{w.plan.pk}/closure-notices.pdf"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for heading in ("测试整改方案验收销号公示表", "任务序号", "整改实施主体", "公示日期", "整改任务概述", "整改情况"):
        assert heading in text, heading
    assert "城区污水管网雨污混流" in text and "管网已完成雨污分流改造。" in text and "区住房城乡建委" in text
    end = scene.notice.end_date
    assert f"公示期间：2025年2月10日至{end.year}年{end.month}月{end.day}日（10个工作日）" in text
    assert PHONE in text and EMAIL in text
    assert OBJECTOR[1] not in text and "小区门口仍有污水外溢" not in text
    assert_cjk_font_embedded(response.content)


def test_closure_notices_by_dates_and_scope(scene):
    w = scene.world
    office = w.users.office
    assert [n.task.number for n in closure_notices_for_plan(office, w.plan)] == [1]
    assert list(closure_notices_for_plan(office, w.plan, date_from=D(2025, 3, 1))) == []
    assert len(closure_notices_for_plan(office, w.plan, date_from=D(2025, 2, 1), date_to=D(2025, 2, 10))) == 1
    assert list(closure_notices_for_plan(w.users.staff2, w.plan)) == []  # the township sees no task 1


@pytest.mark.parametrize("who", ["unrelated", "other_office"])
def test_closure_table_of_a_hidden_plan_is_404(client, world, who):
    client.force_login(getattr(world.users, who))
    assert client.get(reverse("closure_notice_table_pdf", args=[world.plan.pk])).status_code == 404
