"""Inspection and plan routes: reads scoped as in the pages, writes for the office of the region only."""

from __future__ import annotations

import pytest

from zhenggai.core.models import Event
from zhenggai.inspections.models import Inspection, Plan
from zhenggai.inspections.selectors import plan_figures

pytestmark = pytest.mark.django_db


def test_lists_are_scoped_like_the_pages(world, api):
    office = {row["id"] for row in api.office.get("/api/v1/inspections").json()["items"]}
    assert office == {world.inspection.pk}
    assert api.staff.get(f"/api/v1/inspections/{world.inspection.pk}").status_code == 200
    assert api.staff.get(f"/api/v1/inspections/{world.other_plan.inspection_id}").status_code == 404
    plans = api.head.get("/api/v1/plans").json()
    assert [p["id"] for p in plans["items"]] == [world.plan.pk]
    detail = api.staff.get(f"/api/v1/plans/{world.plan.pk}").json()
    assert detail["task_total"] == plan_figures(world.users.staff, world.plan)["total"] == 2  # implements, accepts
    assert api.office.get(f"/api/v1/plans/{world.plan.pk}").json()["task_total"] == 3
    assert api.office.get("/api/v1/plans", {"inspection": world.other_plan.inspection_id}).json()["count"] == 0


def test_office_registers_an_inspection_and_its_plan(world, api):
    body = {"title": "第二轮中央督察", "level": "central", "target_region": world.district.pk,
            "start_date": "2025-05-01", "end_date": "2025-06-01"}
    assert api.staff.post("/api/v1/inspections", body).status_code == 403
    assert api.office.post("/api/v1/inspections", {**body, "target_region": world.other_district.pk}).status_code == 422
    wrong = api.office.post("/api/v1/inspections", {**body, "end_date": "2025-04-01"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "end_date"
    created = api.office.post("/api/v1/inspections", body)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert Inspection.objects.get(pk=pk).level == "central"
    assert api.office.patch(f"/api/v1/inspections/{pk}", {"round": "第二轮"}).json()["round"] == "第二轮"
    assert api.other_office.patch(f"/api/v1/inspections/{pk}", {"round": "x"}).status_code == 404
    moved = api.office.patch(f"/api/v1/inspections/{pk}", {"target_region": world.other_district.pk})
    assert moved.status_code == 422 and moved.json()["field"] == "target_region"
    assert Inspection.objects.get(pk=pk).target_region == world.district
    plan = api.office.post("/api/v1/plans", {"inspection": pk, "title": "整改方案", "measure_areas": ["治水", "治气"]})
    assert plan.status_code == 201 and plan.json()["measure_areas"] == ["治水", "治气"]
    plan_id = plan.json()["id"]
    assert api.leader.patch(f"/api/v1/plans/{plan_id}", {"title": "x"}).status_code == 403
    patched = api.office.patch(f"/api/v1/plans/{plan_id}", {"document_number": "梁平委办〔2025〕1号"})
    assert patched.json()["document_number"] == "梁平委办〔2025〕1号"
    assert Plan.objects.get(pk=plan_id).title == "整改方案"
    assert Event.objects.filter(verb="plan.updated", object_id=str(plan_id)).count() == 1
