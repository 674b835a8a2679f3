"""Pages and exports of 考核: who sees what, recomputing, rule edits by the office only, xlsx read back,
and a ranking page whose query count does not grow with the number of units."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from zhenggai.accounts.models import Organization
from zhenggai.assessment.models import Rule, ScoreItem
from zhenggai.assessment.services import assessment_compute, assessment_create, rule_set_create
from zhenggai.core.models import Event

D = dt.date


@pytest.fixture
def computed(scenario):
    w = scenario.world
    rule_set = rule_set_create(actor=w.users.office, region=w.district, name="2025年度考核细则")
    assessment = assessment_create(actor=w.users.office, region=w.district, title="2025年度考核", period_kind="year",
                                   start=D(2025, 1, 1), end=D(2025, 12, 31), rule_set=rule_set)
    return assessment_compute(assessment=assessment, actor=w.users.office)


def get(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(name, args=args))


def test_office_sees_ranking_with_rules_explained_and_recomputes(client, computed, scenario):
    w = scenario.world
    page = get(client, w.users.office, "assessment_detail", computed.pk)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("双桂街道环保所") < html.index("区住房城乡建委")
    assert "每个单位以基础分 100 分起算" in html and "同一整改任务每亮黄牌 2 次" in html
    assert 'data-testid="recompute"' in html
    response = client.post(reverse("assessment_recompute", args=[computed.pk]))
    assert response.status_code == 302
    assert Event.objects.filter(object_type="assessment", object_id=str(computed.pk),
                                verb="assessment.computed").count() == 2
    assert "结果与上次相同" in client.get(reverse("assessment_detail", args=[computed.pk])).content.decode()
    listing = client.get(reverse("assessment_list")).content.decode()
    assert "2025年度考核" in listing and reverse("assessment_create") in listing


def test_unit_sees_ranking_but_only_its_own_items(client, computed, scenario):
    w = scenario.world
    page = get(client, w.users.head2, "assessment_detail", computed.pk)
    html = page.content.decode()
    assert page.status_code == 200 and "区住房城乡建委" in html and 'data-testid="recompute"' not in html
    assert reverse("assessment_unit", args=[computed.pk, w.town.pk]) in html
    assert reverse("assessment_unit", args=[computed.pk, w.dept.pk]) not in html
    assert get(client, w.users.head2, "assessment_unit", computed.pk, w.dept.pk).status_code == 404
    own = get(client, w.users.head2, "assessment_unit", computed.pk, w.town.pk)
    assert own.status_code == 200
    text = own.content.decode()
    assert "回头看发现问题反弹" in text and "-3" in text and "+0.5" in text
    town_event = ScoreItem.objects.filter(assessment=computed, unit=w.town).first().event_id
    dept_event = ScoreItem.objects.filter(assessment=computed, unit=w.dept, rule_kind="red").first().event_id
    assert reverse("assessment_event", args=[computed.pk, town_event]) in text
    assert get(client, w.users.head2, "assessment_event", computed.pk, town_event).status_code == 200
    assert get(client, w.users.head2, "assessment_event", computed.pk, dept_event).status_code == 404
    # a sub-unit sees its own items, not its parent's
    assert get(client, w.users.sub, "assessment_unit", computed.pk, w.town_sub.pk).status_code == 200
    assert get(client, w.users.sub, "assessment_unit", computed.pk, w.town.pk).status_code == 404


def test_region_wide_roles_read_every_unit_other_region_gets_404(client, computed, scenario):
    w = scenario.world
    for user in (w.users.leader, w.users.discipline, w.users.office):
        assert get(client, user, "assessment_unit", computed.pk, w.dept.pk).status_code == 200
    for name in ("assessment_detail", "assessment_ranking_xlsx", "assessment_scores_xlsx"):
        assert get(client, w.users.other_office, name, computed.pk).status_code == 404
    assert get(client, w.users.other_office, "assessment_unit", computed.pk, w.dept.pk).status_code == 404
    client.force_login(w.users.other_office)
    assert client.post(reverse("assessment_recompute", args=[computed.pk])).status_code == 404
    client.force_login(w.users.leader)
    assert client.post(reverse("assessment_recompute", args=[computed.pk])).status_code == 403
    assert "2025年度考核" not in get(client, w.users.other_office, "assessment_list").content.decode()


def _sheet(response, title):
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                             else response.content))
    return [list(row) for row in book[title].iter_rows(values_only=True)]


def test_exports_read_back(client, computed, scenario):
    w = scenario.world
    ranking = _sheet(get(client, w.users.office, "assessment_ranking_xlsx", computed.pk), "排名")
    assert ranking[0] == ["名次", "单位", "得分", "扣分", "加分", "计分项数"]
    assert ranking[1:] == [[1, "双桂街道环保所", 99, -1, 0, 1], [2, "双桂街道", 96.5, -4, 0.5, 3],
                           [3, "区住房城乡建委", 95, -5, 0, 4]]
    scores = _sheet(get(client, w.users.office, "assessment_scores_xlsx", computed.pk), "计分明细")
    assert len(scores) == 1 + 8
    header = scores[0]
    rows = [dict(zip(header, row, strict=True)) for row in scores[1:]]
    red = next(r for r in rows if r["规则"] == "任务亮红灯")
    event = Event.objects.get(pk=red["记录编号"])
    assert (red["单位"], red["分值"], red["记录动作"], red["记录哈希"]) == ("区住房城乡建委", -2, event.verb, event.hash)
    assert event.verb == "task.warning_changed"
    own = _sheet(get(client, w.users.head2, "assessment_scores_xlsx", computed.pk), "计分明细")
    assert {row[0] for row in own[1:]} == {"双桂街道", "双桂街道环保所"} and len(own) == 1 + 4
    rules = _sheet(get(client, w.users.head2, "assessment_ranking_xlsx", computed.pk), "计分规则")
    assert ["问题反弹" in (r[2] or "") for r in rules].count(True) == 1


def test_rule_edits_by_office_only(client, computed, scenario):
    w = scenario.world
    rule_set = computed.rule_set
    rules = list(rule_set.rules.order_by("sort_order"))
    data = {"name": rule_set.name, "base_points": "100", "description": "区督察整改办制定",
            "rules-TOTAL_FORMS": str(len(rules) + 1), "rules-INITIAL_FORMS": str(len(rules)),
            "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000"}
    for index, rule in enumerate(rules):
        data.update({f"rules-{index}-kind": rule.kind, f"rules-{index}-label": rule.label,
                     f"rules-{index}-points": str(rule.points), f"rules-{index}-sort_order": str(rule.sort_order),
                     f"rules-{index}-is_active": "on", f"rules-{index}-every": str(rule.params.get("every", "")),
                     f"rules-{index}-days_before": str(rule.params.get("days_before", ""))})
    data["rules-1-points"] = "-3"  # red
    data["rules-0-every"] = "3"  # yellow: every third time
    url = reverse("ruleset_edit", args=[rule_set.pk])
    for user in (w.users.head, w.users.leader, w.users.discipline):
        client.force_login(user)
        assert client.post(url, data).status_code in (403, 404)
    assert Rule.objects.get(rule_set=rule_set, kind="red").points == Decimal("-2")
    client.force_login(w.users.other_office)
    assert client.post(url, data).status_code == 404
    client.force_login(w.users.office)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 302
    assert Rule.objects.get(rule_set=rule_set, kind="red").points == Decimal("-3")
    assert Rule.objects.get(rule_set=rule_set, kind="yellow_repeated").params == {"every": 3}
    event = Event.objects.filter(object_type="ruleset", object_id=str(rule_set.pk), verb="ruleset.updated").get()
    assert set(event.data["changes"]) == {"description", "rules"}
    client.post(reverse("assessment_recompute", args=[computed.pk]))
    kinds = set(ScoreItem.objects.filter(assessment=computed, unit=w.dept).values_list("rule_kind", "points"))
    assert ("red", Decimal("-3")) in kinds and "yellow_repeated" not in {k for k, _p in kinds}
    assert get(client, w.users.head, "ruleset_list").status_code == 403
    # creating an assessment through the page
    client.force_login(w.users.office)
    response = client.post(reverse("assessment_create"), {"title": "2025年第三季度考核", "period_kind": "quarter",
                                                           "year": "2025", "quarter": "3", "rule_set": rule_set.pk})
    assert response.status_code == 302
    assert get(client, w.users.head, "assessment_create").status_code == 403


def test_ranking_page_queries_do_not_grow_with_units(client, computed, scenario):
    w = scenario.world

    def count() -> int:
        client.force_login(w.users.office)
        client.get(reverse("assessment_detail", args=[computed.pk]))  # warm caches (session, roles)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("assessment_detail", args=[computed.pk])).status_code == 200
        return len(queries)

    before = count()
    for n in range(6):
        unit = f.org(f"测试乡镇{n}", region=w.district, kind=Organization.Kind.TOWNSHIP, parent=w.gov)
        f.task(actor=w.users.office, plan=w.plan, number=40 + n, units=[unit])
    assessment_compute(assessment=computed, actor=w.users.office)
    assert computed.unit_scores.count() == 9
    assert count() == before


def test_office_creates_a_rule_set_from_the_starting_rules(client, computed, scenario):
    w = scenario.world
    client.force_login(w.users.office)
    for name in ("ruleset_list", "ruleset_create", "assessment_create"):
        assert client.get(reverse(name)).status_code == 200
    assert "2025年度考核细则" in client.get(reverse("ruleset_list")).content.decode()
    response = client.post(reverse("ruleset_create"), {"name": "2026年度考核细则", "base_points": "100"})
    assert response.status_code == 302
    rule_set = computed.rule_set.__class__.objects.get(name="2026年度考核细则")
    assert sorted(rule_set.rules.values_list("kind", "points")) == sorted([
        ("yellow_repeated", Decimal("-1")), ("red", Decimal("-2")), ("missed_report", Decimal("-1")),
        ("acceptance_returned", Decimal("-1")), ("rebound", Decimal("-3")), ("complaint_overdue", Decimal("-1")),
        ("early_closure", Decimal("0.5"))])
    assert Event.objects.filter(object_type="ruleset", object_id=str(rule_set.pk), verb="ruleset.created").exists()
    client.force_login(w.users.discipline)
    assert client.post(reverse("ruleset_create"), {"name": "x", "base_points": "100"}).status_code == 403
