"""The API of the integrity review: the same scope, filters, services and refusals as the pages."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, token_for
from zhenggai.core.actors import system_actor
from zhenggai.integrity.checks import Scope
from zhenggai.integrity.models import IntegrityFlag
from zhenggai.integrity.services import integrity_run

from .conftest import PROBE

pytestmark = pytest.mark.django_db
BASE = "/api/v1/integrity"


@pytest.fixture
def api(world):
    class Clients:
        def __getattr__(self, name: str) -> ApiClient:
            client = ApiClient(token_for(getattr(world.users, name)))
            setattr(self, name, client)
            return client

    return Clients()


@pytest.fixture
def flags(world, probe):
    probe.report(world.t_town, "进展描述与上一轮雷同", similarity=0.96)
    probe.report(world.t_dept, "措施出现“全部关停”")
    probe.report(world.t_other, "垫江县的疑点")
    integrity_run(scope=Scope(), checks=[PROBE], actor=system_actor())
    return {flag.task_id: flag for flag in IntegrityFlag.objects.all()}


def test_list_is_scoped_filtered_and_paginated(world, api, flags):
    answer = api.office.get(f"{BASE}/flags").json()
    assert answer["count"] == 2 and {f["task_id"] for f in answer["items"]} == {world.t_town.pk, world.t_dept.pk}
    assert api.office.get(f"{BASE}/flags", {"task": world.t_dept.pk}).json()["count"] == 1
    assert api.office.get(f"{BASE}/flags", {"status": "confirmed"}).json()["count"] == 0
    assert api.office.get(f"{BASE}/flags", {"unit": world.town.pk}).json()["items"][0]["task_id"] == world.t_town.pk
    assert api.office.get(f"{BASE}/flags", {"page_size": 1}).json()["page_size"] == 1
    assert api.office.get(f"{BASE}/flags", {"status": "bogus"}).status_code == 422
    assert api.other_office.get(f"{BASE}/flags").json()["count"] == 1
    for role in ("leader", "discipline"):
        assert getattr(api, role).get(f"{BASE}/flags").json()["count"] == 2
    for role in ("staff", "head2", "acceptor", "admin"):
        assert getattr(api, role).get(f"{BASE}/flags").status_code == 403, role
        assert getattr(api, role).get(f"{BASE}/flags/{flags[world.t_town.pk].pk}").status_code == 404, role
    checks = api.office.get(f"{BASE}/checks").json()
    probe = next(c for c in checks if c["code"] == PROBE)
    assert probe["label"] == "测试核查项" and "report.submitted" in probe["triggers"]


def test_detail_and_decisions(world, api, flags):
    flag = flags[world.t_town.pk]
    detail = api.office.get(f"{BASE}/flags/{flag.pk}").json()
    assert detail["evidence"] == {"similarity": 0.96} and detail["actions"] == ["confirm", "dismiss"]
    assert api.discipline.get(f"{BASE}/flags/{flag.pk}").json()["actions"] == []
    assert api.other_office.get(f"{BASE}/flags/{flag.pk}").status_code == 404

    refused = api.office.post(f"{BASE}/flags/{flag.pk}/dismiss", {"reason": ""})
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    assert api.discipline.post(f"{BASE}/flags/{flag.pk}/dismiss", {"reason": "不是问题"}).status_code == 403
    assert api.other_office.post(f"{BASE}/flags/{flag.pk}/dismiss", {"reason": "不是问题"}).status_code == 404
    dismissed = api.office.post(f"{BASE}/flags/{flag.pk}/dismiss", {"reason": "现场核实无误"})
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert dismissed.json()["actions"] == ["reopen"] and dismissed.json()["decision_reason"] == "现场核实无误"
    again = api.office.post(f"{BASE}/flags/{flag.pk}/dismiss", {"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "transition_refused"
    assert api.office.post(f"{BASE}/flags/{flag.pk}/reopen", {"reason": "群众再次反映"}).json()["status"] == "open"
    confirmed = api.office.post(f"{BASE}/flags/{flag.pk}/confirm", {})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    events = api.leader.get(f"{BASE}/flags/{flag.pk}/events").json()["items"]
    assert [e["verb"] for e in events] == ["integrity.flagged", "integrity.dismissed", "integrity.reopened",
                                           "integrity.confirmed"]


def test_discipline_turns_a_confirmed_flag_into_a_case(world, api, flags):
    flag = flags[world.t_dept.pk]
    body = {"title": "“一刀切”式关停", "date": "2025-07-01", "measures": ["talk"],
            "people": [{"name": "王某", "post": "区住建委副主任"}]}
    assert api.discipline.post(f"{BASE}/flags/{flag.pk}/accountability", body).status_code == 409  # still open
    api.office.post(f"{BASE}/flags/{flag.pk}/confirm", {"reason": "确认"})
    assert api.office.post(f"{BASE}/flags/{flag.pk}/accountability", body).status_code == 403
    created = api.discipline.post(f"{BASE}/flags/{flag.pk}/accountability", body)
    assert created.status_code == 201, created.json()
    case_id = created.json()["accountability_case_id"]
    case = api.discipline.get(f"/api/v1/accountability/cases/{case_id}").json()
    assert case["tasks"] == [world.t_dept.pk] and case["measures"] == ["talk"]
    assert api.discipline.post(f"{BASE}/flags/{flag.pk}/accountability", body).status_code == 409


def test_list_queries_do_not_grow_with_rows(world, api, probe, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    probe.report(world.t_town)
    integrity_run(scope=Scope(), checks=[PROBE], actor=system_actor())
    api.office.get(f"{BASE}/flags")
    with CaptureQueriesContext(connection) as few:
        api.office.get(f"{BASE}/flags")
    for n in range(15):
        probe.report(f.task(actor=world.users.office, plan=world.plan, number=30 + n, units=[world.dept]))
    integrity_run(scope=Scope(), checks=[PROBE], actor=system_actor())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.office.get(f"{BASE}/flags").json()["count"] == 16
