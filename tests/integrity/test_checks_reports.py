"""Report and application checks: repeated texts, 100% jumps, applications without new evidence, bursts
before deadlines; and the text similarity they use."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from bench.integrity import edited_copy

from tests import factories as f
from zhenggai.integrity import text
from zhenggai.integrity.checks import Scope
from zhenggai.rectification.models import AcceptanceApplication

from .support import at, dispatch_round, photo, report, run, upload

APRIL = ("区住建委本月完成城区雨污分流管网改造2.3公里，新建截污干管800米；排查整改混错接点位12处，"
         "累计完成总工程量的65%。下一步将加快双桂湖片区施工进度。")
APRIL_COPY = ("本期区住建委排查整改混错接点位15处，累计完成总工程量的70%；完成了城区雨污分流管网改造2.8公里，"
              "新建截污干管900米。下一步将加快双桂湖片区施工进度。")
MAY_HONEST = ("双桂湖片区剩余三段管网进场施工，已完成沟槽开挖和管材进场；对施工中发现的两处老旧检查井"
              "进行了翻新，计划六月底前完成闭水试验并移交运维单位。")
TOWN_TEXT = "双桂街道组织对辖区内餐饮店油烟净化设施开展专项检查，督促18家餐饮店安装油烟净化器，下一步将加强日常巡查和群众回访。"


# ── similarity


def test_lightly_edited_copies_are_alike_and_honest_reports_in_other_words_are_not():
    assert text.texts_alike(APRIL, APRIL_COPY) is not None
    assert text.texts_alike(APRIL, edited_copy(APRIL, random.Random(4))) is not None
    assert text.texts_alike(APRIL, MAY_HONEST) is None
    assert text.texts_alike(APRIL, TOWN_TEXT) is None
    assert text.texts_alike("已完成。", "已完成。") is None  # too short to judge
    # figures and dates do not make a copy new
    assert text.words("2025年3月完成65%") == text.words("2026年4月完成70%")


def test_the_index_finds_the_same_texts_as_comparing_all_pairs():
    rnd = random.Random(8)
    from bench.integrity import TOPICS, honest_report

    texts = {i: honest_report(rnd, rnd.choice(list(TOPICS)), [f"站点{i}", "龙溪河"], "区水利局") for i in range(60)}
    texts[100] = edited_copy(texts[5], rnd)
    texts[101] = edited_copy(texts[17], rnd)
    prepared = {k: text.prepare(v) for k, v in texts.items()}
    brute = {a: {b for b in texts if b != a and text.similarity(prepared[a].shingles, prepared[b].shingles).alike}
             for a in texts}
    assert 5 in brute[100] and 17 in brute[101]
    full = text.ShingleIndex(max_postings=10_000)
    for key, value in prepared.items():
        full.add(key, value)
    assert {a: {k for k, _s in full.alike(prepared[a], exclude=[a])} for a in texts} == brute
    # leaving out the shingles most texts share still finds the copies
    lean = text.ShingleIndex(max_postings=10)
    for key, value in prepared.items():
        lean.add(key, value)
    assert 5 in {k for k, _s in lean.alike(prepared[100], exclude=[100])}
    assert 17 in {k for k, _s in lean.alike(prepared[101], exclude=[101])}


# ── repeated_text


def test_a_report_copied_from_the_previous_round_is_flagged(world):
    april, may = dispatch_round(world, dt.date(2025, 4, 1)), dispatch_round(world, dt.date(2025, 5, 1))
    report(april, world.t_dept, world.dept, world.users.staff, APRIL)
    copied = report(may, world.t_dept, world.dept, world.users.staff, APRIL_COPY)
    findings = run("repeated_text")
    assert [f.key for f in findings] == [f"report:{copied.pk}"]
    facts = findings[0].evidence
    assert facts["kind"] == "previous_round" and facts["jaccard"] >= 0.5 or facts["containment"] >= 0.7
    assert facts["excerpt"].startswith("本期区住建委") and facts["other_excerpt"].startswith("区住建委本月")
    assert "上一轮" in findings[0].reason


def test_an_honest_next_report_and_a_draft_are_not_flagged(world):
    april, may = dispatch_round(world, dt.date(2025, 4, 1)), dispatch_round(world, dt.date(2025, 5, 1))
    report(april, world.t_dept, world.dept, world.users.staff, APRIL)
    report(may, world.t_dept, world.dept, world.users.staff, MAY_HONEST)
    june = dispatch_round(world, dt.date(2025, 6, 1))
    report(june, world.t_dept, world.dept, world.users.staff, MAY_HONEST, status="draft")  # not sent yet
    assert run("repeated_text") == []


def test_a_report_copied_from_another_unit_in_the_same_round_is_flagged_on_the_later_one(world):
    april = dispatch_round(world, dt.date(2025, 4, 1))
    original = report(april, world.t_dept, world.dept, world.users.staff, APRIL, sent=at(2025, 4, 5))
    copy = report(april, world.t_town, world.town, world.users.staff2, edited_copy(APRIL, random.Random(2)),
                  sent=at(2025, 4, 7))
    report(april, world.t_sub, world.town_sub, world.users.sub, TOWN_TEXT, sent=at(2025, 4, 8))
    findings = run("repeated_text")
    assert [f.key for f in findings] == [f"report:{copy.pk}"]
    assert findings[0].evidence["other_report_id"] == original.pk
    assert findings[0].evidence["kind"] == "other_unit"
    # a run over the copying task's scope finds it; one over the original's does not
    assert run("repeated_text", Scope(task_ids=frozenset({world.t_dept.pk}), complaint_ids=frozenset())) == []
    assert len(run("repeated_text", Scope(task_ids=frozenset({world.t_town.pk}), complaint_ids=frozenset()))) == 1


# ── percent_jump


def test_a_jump_to_100_percent_with_nothing_new_is_flagged(world):
    april, may = dispatch_round(world, dt.date(2025, 4, 1)), dispatch_round(world, dt.date(2025, 5, 1))
    before = upload(world.users.staff, photo(1), task=world.t_dept, uploaded=at(2025, 4, 6))
    report(april, world.t_dept, world.dept, world.users.staff, APRIL, percent=40, sent=at(2025, 4, 8),
           evidence=[before])
    jumped = report(may, world.t_dept, world.dept, world.users.staff, MAY_HONEST, percent=100, sent=at(2025, 5, 8))
    findings = run("percent_jump")
    assert [f.key for f in findings] == [f"report:{jumped.pk}"]
    assert findings[0].evidence["previous_percent"] == 40
    assert "40%" in findings[0].reason and "100%" in findings[0].reason


def test_a_jump_with_new_photos_or_a_small_last_step_is_not_flagged(world):
    april, may = dispatch_round(world, dt.date(2025, 4, 1)), dispatch_round(world, dt.date(2025, 5, 1))
    report(april, world.t_dept, world.dept, world.users.staff, APRIL, percent=40, sent=at(2025, 4, 8))
    new = upload(world.users.staff, photo(2), task=world.t_dept, uploaded=at(2025, 5, 6))
    report(may, world.t_dept, world.dept, world.users.staff, MAY_HONEST, percent=100, sent=at(2025, 5, 8),
           evidence=[new])
    report(april, world.t_town, world.town, world.users.staff2, TOWN_TEXT, percent=85, sent=at(2025, 4, 8))
    report(may, world.t_town, world.town, world.users.staff2, TOWN_TEXT + "已完成。", percent=100,
           sent=at(2025, 5, 8))
    assert run("percent_jump") == []


def test_a_first_report_at_100_percent_without_any_evidence_is_flagged(world):
    april = dispatch_round(world, dt.date(2025, 4, 1))
    first = report(april, world.t_sub, world.town_sub, world.users.sub, TOWN_TEXT, percent=100)
    assert {f.key for f in run("percent_jump")} == {f"report:{first.pk}"}


# ── application_without_new_evidence


def apply(task, unit, user, when, evidence):
    application = AcceptanceApplication.objects.create(task=task, unit=unit, applied_by=user, statement="已完成")
    AcceptanceApplication.objects.filter(pk=application.pk).update(applied_at=when)
    application.evidence.set(evidence)
    return application


def test_an_application_with_only_evidence_older_than_the_last_report_is_flagged(world):
    april = dispatch_round(world, dt.date(2025, 4, 1))
    old = upload(world.users.staff, photo(3), task=world.t_dept, uploaded=at(2025, 4, 2))
    report(april, world.t_dept, world.dept, world.users.staff, APRIL, percent=90, sent=at(2025, 4, 8), evidence=[old])
    stale = apply(world.t_dept, world.dept, world.users.head, at(2025, 5, 20), [old])
    findings = run("application_without_new_evidence")
    assert [f.key for f in findings] == [f"application:{stale.pk}"]
    assert findings[0].evidence["newest_evidence_uploaded_at"].startswith("2025-04-02")
    assert "2025年4月8日" in findings[0].reason


def test_an_application_with_new_evidence_or_without_earlier_reports_is_not_flagged(world):
    april = dispatch_round(world, dt.date(2025, 4, 1))
    old = upload(world.users.staff, photo(4), task=world.t_dept, uploaded=at(2025, 4, 2))
    report(april, world.t_dept, world.dept, world.users.staff, APRIL, percent=90, sent=at(2025, 4, 8), evidence=[old])
    new = upload(world.users.staff, photo(5), task=world.t_dept, uploaded=at(2025, 5, 19))
    apply(world.t_dept, world.dept, world.users.head, at(2025, 5, 20), [old, new])
    town_photo = upload(world.users.staff2, photo(6), task=world.t_town, uploaded=at(2025, 3, 1))
    apply(world.t_town, world.town, world.users.head2, at(2025, 5, 20), [town_photo])  # no report at all
    assert run("application_without_new_evidence") == []


# ── deadline_burst


@pytest.fixture
def dept_tasks(world):
    deadline = dt.date(2025, 12, 31)
    extra = [f.task(actor=world.users.office, plan=world.plan, number=10 + i, units=[world.dept], deadline=deadline)
             for i in range(3)]
    return [world.t_dept, *extra]


def test_a_units_burst_of_applications_just_before_the_deadlines_is_flagged(world, dept_tasks):
    made = [apply(task, world.dept, world.users.head, at(2025, 12, 26 + i), []) for i, task in enumerate(dept_tasks[:3])]
    findings = run("deadline_burst")
    assert {f.key for f in findings} == {f"application:{a.pk}" for a in made}
    assert len(findings[0].evidence["burst"]) == 3
    assert "3 件" in findings[0].reason and "2025年12月31日" in findings[0].reason


def test_two_late_applications_or_a_week_of_early_ones_are_not_a_burst(world, dept_tasks):
    apply(dept_tasks[0], world.dept, world.users.head, at(2025, 12, 27), [])
    apply(dept_tasks[1], world.dept, world.users.head, at(2025, 12, 29), [])
    assert run("deadline_burst") == []
    # the other two a month early
    apply(dept_tasks[2], world.dept, world.users.head, at(2025, 11, 27), [])
    apply(dept_tasks[3], world.dept, world.users.head, at(2025, 11, 28), [])
    assert run("deadline_burst") == []
    # another unit's last-minute application does not make this unit's two a burst
    apply(world.t_town, world.town, world.users.head2, at(2025, 12, 28), [])
    assert run("deadline_burst") == []
