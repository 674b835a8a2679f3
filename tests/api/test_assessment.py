"""Assessment and accountability routes: the same scopes, services and refusals as the pages (units see
the ranking of their region but only their own unit's items; rule sets are the office's; accountability
cases are recorded by the discipline body)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from tests.assessment import conftest as assessment_fixtures
from zhenggai.assessment.models import AccountabilityCase, Assessment, ScoreItem
from zhenggai.assessment.selectors import items_for_user, ranking_rows
from zhenggai.assessment.services import assessment_compute, assessment_create, rule_set_create
from zhenggai.core.models import Event

from .conftest import ApiClient, token_for

# the assessment tests' scenario, built through the real services as the clock moves
clock = assessment_fixtures.clock
scenario = assessment_fixtures.scenario
pytestmark = pytest.mark.django_db
D = dt.date


def api_for(user) -> ApiClient:
    return ApiClient(token_for(user))


def page_status(user, path: str) -> int:
    client = Client()
    client.force_login(user)
    return client.get(path).status_code


@pytest.fixture
def computed(scenario):
    w = scenario.world
    rule_set = rule_set_create(actor=w.users.office, region=w.district, name="2025年度考核细则")
    assessment = assessment_create(actor=w.users.office, region=w.district, title="2025年度考核", period_kind="year",
                                   start=D(2025, 1, 1), end=D(2025, 12, 31), rule_set=rule_set)
    return assessment_compute(assessment=assessment, actor=w.users.office)


def test_ranking_and_items_with_the_pages_scopes(computed, scenario):
    w = scenario.world
    office = api_for(w.users.office).get(f"/api/v1/assessments/{computed.pk}").json()
    assert [(r["unit_name"], Decimal(str(r["score"]))) for r in office["ranking"]] == [
        (r.unit_name, r.score) for r in ranking_rows(assessment=computed)]
    assert [r["unit_name"] for r in office["ranking"]][:1] == ["双桂街道环保所"]
    assert office["sees_all_units"] and office["may_manage"] and all(r["openable"] for r in office["ranking"])
    assert any("同一整改任务每亮黄牌 2 次" in rule["explanation"] for rule in office["rules_used"])
    # a unit user: the whole ranking, but only the own unit's items (another unit's: 404, as the page)
    staff = api_for(w.users.staff)
    seen = staff.get(f"/api/v1/assessments/{computed.pk}").json()
    assert len(seen["ranking"]) == len(office["ranking"]) and not seen["sees_all_units"]
    assert {r["unit_id"] for r in seen["ranking"] if r["openable"]} == {w.dept.pk}
    items = staff.get(f"/api/v1/assessments/{computed.pk}/items", {"page_size": 100}).json()["items"]
    assert {i["id"] for i in items} == set(items_for_user(w.users.staff, computed).values_list("pk", flat=True))
    assert {i["unit_id"] for i in items} == {w.dept.pk} and sum(Decimal(str(i["points"])) for i in items) == -5
    town_path = f"/assessments/{computed.pk}/units/{w.town.pk}"
    assert page_status(w.users.staff, f"/assessment/{computed.pk}/units/{w.town.pk}/") == 404
    assert staff.get(f"/api/v1{town_path}/items").status_code == 404
    own = staff.get(f"/api/v1/assessments/{computed.pk}/units/{w.dept.pk}/items").json()
    assert own["count"] == ScoreItem.objects.filter(assessment=computed, unit=w.dept).count()
    # the event behind an item: the own unit's only
    item = ScoreItem.objects.filter(assessment=computed, unit=w.dept).exclude(event=None).first()
    other = ScoreItem.objects.filter(assessment=computed, unit=w.town).exclude(event=None).exclude(
        event_id=item.event_id).first()
    assert staff.get(f"/api/v1/assessments/{computed.pk}/events/{item.event_id}").json()["id"] == item.event_id
    assert staff.get(f"/api/v1/assessments/{computed.pk}/events/{other.event_id}").status_code == 404
    # another district's office sees neither the assessment nor its items
    assert api_for(w.users.other_office).get(f"/api/v1/assessments/{computed.pk}").status_code == 404
    assert api_for(w.users.other_office).get("/api/v1/assessments").json()["count"] == 0


def test_rule_sets_and_computing_are_the_offices(computed, scenario):
    w = scenario.world
    office, leader = api_for(w.users.office), api_for(w.users.leader)
    assert page_status(w.users.leader, "/assessment/rulesets/") == 403
    assert leader.get("/api/v1/assessment-rule-sets").status_code == 403
    assert leader.post(f"/api/v1/assessments/{computed.pk}/compute").status_code == 403
    rule_sets = office.get("/api/v1/assessment-rule-sets").json()["items"]
    assert [rs["name"] for rs in rule_sets] == ["2025年度考核细则"] and len(rule_sets[0]["rules"]) == 7
    rules = [{**r, "points": "-4"} if r["kind"] == "red" else r for r in rule_sets[0]["rules"]]
    payload = {"name": "2025年度考核细则", "description": "", "base_points": "100", "rules": rules}
    duplicate = office.client.put(f"/api/v1/assessment-rule-sets/{rule_sets[0]['id']}",
                                  {**payload, "rules": [*rules, rules[0]]}, content_type="application/json",
                                  headers=office.headers)
    assert duplicate.status_code == 422 and duplicate.json()["field"] == "rules"  # one rule per kind, as the page
    changed = office.client.put(f"/api/v1/assessment-rule-sets/{rule_sets[0]['id']}", payload,
                                content_type="application/json", headers=office.headers)
    assert changed.status_code == 200, changed.json()
    assert Event.objects.filter(verb="ruleset.updated").count() == 1
    assert api_for(w.users.staff).client.put(f"/api/v1/assessment-rule-sets/{rule_sets[0]['id']}", payload,
                                             content_type="application/json",
                                             headers=api_for(w.users.staff).headers).status_code == 404
    before = Assessment.objects.get(pk=computed.pk).digest
    recomputed = office.post(f"/api/v1/assessments/{computed.pk}/compute").json()
    assert recomputed["digest"] != before  # red now costs 4
    assert [r for r in recomputed["ranking"] if r["unit_id"] == w.dept.pk][0]["deductions"] in ("-7.00", -7.0)
    created = office.post("/api/v1/assessments", {"title": "2025年第三季度考核", "period_kind": "quarter", "year": 2025,
                                                  "quarter": 3, "rule_set": rule_sets[0]["id"]})
    assert created.status_code == 201, created.json()
    assert (created.json()["start"], created.json()["end"]) == ("2025-07-01", "2025-09-30")
    assert created.json()["computed_at"]
    no_quarter = office.post("/api/v1/assessments", {"title": "x", "period_kind": "quarter", "year": 2025,
                                                     "rule_set": rule_sets[0]["id"]})
    assert no_quarter.status_code == 422 and no_quarter.json()["field"] == "quarter"
    assert api_for(w.users.staff).post("/api/v1/assessments", {"title": "x", "period_kind": "year", "year": 2025,
                                                               "rule_set": rule_sets[0]["id"]}).status_code == 403


def test_accountability_cases_by_the_discipline_body(scenario):
    w = scenario.world
    discipline, office, staff = api_for(w.users.discipline), api_for(w.users.office), api_for(w.users.staff)
    assert page_status(w.users.staff, "/accountability/") == 403
    assert staff.get("/api/v1/accountability/cases").status_code == 403
    assert staff.get("/api/v1/accountability/proposals").status_code == 403
    body = {"title": "第10项整改任务逾期", "date": "2025-12-01", "measures": ["talk"],
            "people": [{"name": "王某", "post": "区住房城乡建委副主任"}], "tasks": [scenario.a.pk]}
    assert office.post("/api/v1/accountability/cases", body).status_code == 403
    lead = discipline.post("/api/v1/accountability/cases", {**body, "measures": ["lead_transfer"]})
    assert lead.status_code == 422 and lead.json()["field"] == "lead_transferred_to"
    hidden = discipline.post("/api/v1/accountability/cases", {**body, "tasks": [scenario.other.pk]})
    assert hidden.status_code == 422 and hidden.json()["field"] == "tasks"
    created = discipline.post("/api/v1/accountability/cases", body)
    assert created.status_code == 201, created.json()
    case = AccountabilityCase.objects.get(pk=created.json()["id"])
    assert (case.measures, [p.name for p in case.people.all()]) == (["talk"], ["王某"])
    assert list(case.tasks.values_list("pk", flat=True)) == [scenario.a.pk]
    assert office.get(f"/api/v1/accountability/cases/{case.pk}").json()["title"] == body["title"]
    assert api_for(w.users.other_office).get(f"/api/v1/accountability/cases/{case.pk}").status_code == 404
    edit = {**body, "measures": ["talk", "circulated"]}
    assert office.client.put(f"/api/v1/accountability/cases/{case.pk}", edit, content_type="application/json",
                             headers=office.headers).status_code == 403
    edited = discipline.client.put(f"/api/v1/accountability/cases/{case.pk}", edit, content_type="application/json",
                                   headers=discipline.headers)
    assert edited.json()["measures"] == ["circulated", "talk"]
    verbs = [e["verb"] for e in discipline.get(f"/api/v1/accountability/cases/{case.pk}/events").json()["items"]]
    assert verbs == ["accountability.created", "accountability.updated"]
    assert discipline.get("/api/v1/accountability/cases").json()["count"] == 1
    assert isinstance(discipline.get("/api/v1/accountability/proposals").json(), list)
