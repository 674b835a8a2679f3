"""The assessment of the hand-made scenario (see conftest) equals the hand-computed points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from zhenggai.assessment.models import Assessment, ScoreItem
from zhenggai.assessment.selectors import ranking_rows
from zhenggai.assessment.services import assessment_compute, assessment_create, rule_set_create
from zhenggai.core.models import Event

D = dt.date


def make(world, start=D(2025, 1, 1), end=D(2025, 12, 31), region=None, kind=Assessment.PeriodKind.YEAR):
    region = region or world.district
    actor = world.users.office if region == world.district else world.users.other_office
    rule_set = rule_set_create(actor=actor, region=region, name=f"细则{start}{end}{region.pk}")
    return assessment_create(actor=actor, region=region, title="2025年度考核", period_kind=kind,
                             start=start, end=end, rule_set=rule_set)


def items_of(assessment, unit):
    return [(i.rule_kind, i.points, i.date) for i in ScoreItem.objects.filter(assessment=assessment, unit=unit)
            .order_by("date", "id")]


def test_year_equals_hand_computed_points(scenario):
    w = scenario.world
    assessment = assessment_compute(assessment=make(w), actor=w.users.office)
    assert items_of(assessment, w.dept) == [
        ("missed_report", Decimal("-1"), D(2025, 6, 10)),
        ("yellow_repeated", Decimal("-1"), D(2025, 9, 20)),
        ("red", Decimal("-2"), D(2025, 10, 8)),
        ("acceptance_returned", Decimal("-1"), D(2025, 10, 10)),
    ]
    assert items_of(assessment, w.town) == [
        ("complaint_overdue", Decimal("-1"), D(2025, 6, 20)),
        ("early_closure", Decimal("0.5"), D(2025, 7, 20)),
        ("rebound", Decimal("-3"), D(2025, 8, 1)),
    ]
    assert items_of(assessment, w.town_sub) == [("missed_report", Decimal("-1"), D(2025, 6, 10))]
    rows = {r.unit_name: (r.rank, r.score, r.deductions, r.bonuses, r.items) for r in ranking_rows(assessment=assessment)}
    assert rows == {
        "双桂街道环保所": (1, Decimal("99"), Decimal("-1"), Decimal("0"), 1),
        "双桂街道": (2, Decimal("96.5"), Decimal("-4"), Decimal("0.5"), 3),
        "区住房城乡建委": (3, Decimal("95"), Decimal("-5"), Decimal("0"), 4),
    }
    # every item names the event behind it, and that event is about the item's task or complaint
    for item in ScoreItem.objects.filter(assessment=assessment).select_related("event"):
        assert item.event is not None, item.reason
        target = item.task_id or item.complaint_id
        assert item.event.object_id == str(target) or item.event.object_type == "dispatchround"
    late = ScoreItem.objects.get(assessment=assessment, unit=w.dept, rule_kind="missed_report")
    assert late.event.verb == "report.approved" and "后才报送" in late.reason
    missing = ScoreItem.objects.get(assessment=assessment, unit=w.town_sub)
    assert missing.event.verb == "round.opened" and "未报送" in missing.reason


def test_recompute_gives_identical_items_and_records_an_event(scenario):
    w = scenario.world
    assessment = assessment_compute(assessment=make(w), actor=w.users.office)
    first = list(ScoreItem.objects.filter(assessment=assessment).order_by("id").values_list(
        "unit_id", "rule_kind", "points", "event_id", "task_id", "complaint_id", "date", "reason"))
    digest = assessment.digest
    again = assessment_compute(assessment=assessment, actor=w.users.office)
    second = list(ScoreItem.objects.filter(assessment=again).order_by("id").values_list(
        "unit_id", "rule_kind", "points", "event_id", "task_id", "complaint_id", "date", "reason"))
    assert first == second and len(first) == 8
    assert again.digest == digest
    events = Event.objects.filter(object_type="assessment", object_id=str(assessment.pk), verb="assessment.computed")
    assert events.count() == 2
    assert {e.data["digest"] for e in events} == {digest}
    assert events.first().data["items"] == 8


def test_period_boundaries(scenario):
    w = scenario.world
    q3 = assessment_compute(assessment=make(w, D(2025, 7, 1), D(2025, 9, 30), kind="quarter"), actor=w.users.office)
    kinds = sorted((i.unit.name, i.rule_kind, i.points) for i in ScoreItem.objects.filter(assessment=q3))
    assert kinds == [
        ("区住房城乡建委", "yellow_repeated", Decimal("-1")),
        ("双桂街道", "early_closure", Decimal("0.5")),
        ("双桂街道", "rebound", Decimal("-3")),
    ]
    # an event on the last day of a period counts; the day after does not
    edge = assessment_compute(assessment=make(w, D(2025, 10, 8), D(2025, 10, 9)), actor=w.users.office)
    assert [i.rule_kind for i in ScoreItem.objects.filter(assessment=edge)] == ["red"]
    before = assessment_compute(assessment=make(w, D(2025, 10, 9), D(2025, 10, 9)), actor=w.users.office)
    assert not ScoreItem.objects.filter(assessment=before).exists()


def test_region_boundaries(scenario):
    w = scenario.world
    district = assessment_compute(assessment=make(w), actor=w.users.office)
    other_unit = w.users.other_office.organization
    assert not ScoreItem.objects.filter(assessment=district, unit=other_unit).exists()
    assert other_unit.pk not in {r.unit_id for r in ranking_rows(assessment=district)}
    other = assessment_compute(assessment=make(w, region=w.other_district), actor=w.users.other_office)
    assert [(i.unit_id, i.rule_kind) for i in ScoreItem.objects.filter(assessment=other)] == [(other_unit.pk, "red")]


def test_edited_rules_change_the_result_only_when_recomputed(scenario):
    from zhenggai.assessment.services import RuleData, rule_set_update

    w = scenario.world
    assessment = assessment_compute(assessment=make(w), actor=w.users.office)
    rules = [RuleData(kind=r.kind, label=r.label, points=r.points, params=r.params, is_active=r.is_active,
                      sort_order=r.sort_order) for r in assessment.rule_set.rules.all()]
    for r in rules:
        if r.kind == "red":
            r.points = Decimal("-5")
    rules = [r for r in rules if r.kind != "early_closure"]
    assert rule_set_update(actor=w.users.office, rule_set=assessment.rule_set, name=assessment.rule_set.name,
                           description="", base_points=Decimal("100"), rules=rules)
    rows = {r.unit_name: r.score for r in ranking_rows(assessment=assessment)}
    assert rows["区住房城乡建委"] == Decimal("95")  # unchanged until recomputed
    assessment_compute(assessment=assessment, actor=w.users.office)
    rows = {r.unit_name: r.score for r in ranking_rows(assessment=assessment)}
    assert rows == {"区住房城乡建委": Decimal("92"), "双桂街道": Decimal("96"), "双桂街道环保所": Decimal("99")}
    assessment.refresh_from_db()
    assert "early_closure" not in {r["kind"] for r in assessment.rules_used}
