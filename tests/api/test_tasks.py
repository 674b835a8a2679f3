"""Task routes: the same scope, filters and transitions as the pages (a rule enforced in a page and not in
the API is a bug)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from zhenggai.core.models import Event
from zhenggai.rectification.models import AcceptanceApplication, Task
from zhenggai.rectification.selectors import TaskFilters, task_list_for_user
from zhenggai.rectification.workflow import TaskStatus

pytestmark = pytest.mark.django_db


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["staff", "head", "staff2", "acceptor", "unrelated", "other_office"])
def test_scope_parity_for_another_units_task(world, api, role):
    """Where the page answers 404, the API answers 404 with the code of a missing task."""
    user = getattr(world.users, role)
    hidden = [t for t in (world.t_dept, world.t_town, world.t_sub, world.t_other)
              if page_client(user).get(f"/tasks/{t.pk}/").status_code == 404]
    assert hidden, "every role here is outside some task"
    missing = getattr(api, role).get("/api/v1/tasks/987654")
    for task in hidden:
        response = getattr(api, role).get(f"/api/v1/tasks/{task.pk}")
        assert response.status_code == 404
        assert response.json() == missing.json()
        assert getattr(api, role).post(f"/api/v1/tasks/{task.pk}/start").status_code == 404
        assert Task.objects.get(pk=task.pk).status == TaskStatus.NOT_STARTED
    listed = {row["id"] for row in getattr(api, role).get("/api/v1/tasks", {"page_size": 100}).json()["items"]}
    assert listed == set(task_list_for_user(user).values_list("pk", flat=True))
    assert not listed & {t.pk for t in hidden}


def test_visible_task_detail_and_transitions_match_the_page(world, api):
    detail = api.staff.get(f"/api/v1/tasks/{world.t_dept.pk}").json()
    assert detail["title"] == world.t_dept.title
    assert [u["name"] for u in detail["implementing_units"]] == ["区住房城乡建委"]
    assert detail["transitions"] == ["start"]
    assert api.staff.get(f"/api/v1/tasks/{world.t_dept.pk}/transitions").json() == ["start"]
    assert api.leader.get(f"/api/v1/tasks/{world.t_dept.pk}/transitions").json() == []


@pytest.mark.parametrize("role", ["acceptor", "leader", "office"])
def test_wrong_role_is_refused_as_in_the_page(world, api, role):
    user = getattr(world.users, role)
    page = page_client(user).post(f"/tasks/{world.t_dept.pk}/start/", follow=True)
    assert "您没有权限" in page.content.decode()
    response = getattr(api, role).post(f"/api/v1/tasks/{world.t_dept.pk}/start")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "您没有权限" in response.json()["message"]
    task = Task.objects.get(pk=world.t_dept.pk)
    assert (task.status, task.version) == (TaskStatus.NOT_STARTED, 1)
    assert not Event.objects.filter(verb="task.start").exists()


def test_wrong_state_is_refused_as_in_the_page(world, api):
    apply = {"statement": "完成", "self_check": {k: True for k, _l in AcceptanceApplication.CRITERIA}, "evidence": []}
    response = api.head.post(f"/api/v1/tasks/{world.t_dept.pk}/apply", apply)
    assert response.status_code == 422  # no evidence: the service names the missing field
    assert response.json()["field"] == "evidence"
    closing = api.office.post(f"/api/v1/tasks/{world.t_dept.pk}/close", {})
    assert closing.status_code == 409
    assert closing.json()["code"] == "transition_refused"
    page = page_client(world.users.office).post(f"/tasks/{world.t_dept.pk}/close/", follow=True)
    assert closing.json()["message"] in page.content.decode()
    assert Task.objects.get(pk=world.t_dept.pk).status == TaskStatus.NOT_STARTED


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 140, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile("after.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_the_loop_through_the_api(world, api):
    from zhenggai.evidence.services import evidence_create

    url = f"/api/v1/tasks/{world.t_dept.pk}"
    assert api.staff.post(f"{url}/start", {"note": "开工"}).json()["status"] == "in_progress"
    evidence = evidence_create(actor=world.users.staff, task=world.t_dept, file=_photo(), category="after_photo")
    checks = {k: True for k, _l in AcceptanceApplication.CRITERIA}
    assert api.staff.post(f"{url}/apply", {"statement": "完成", "self_check": checks,
                                           "evidence": [evidence.pk]}).status_code == 403
    applied = api.head.post(f"{url}/apply", {"statement": "管网改造完成", "self_check": checks,
                                             "evidence": [evidence.pk]})
    assert applied.status_code == 200 and applied.json()["status"] == "acceptance_requested"
    assert api.acceptor.post(f"{url}/return", {"reasons": ""}).json()["field"] == "reasons"
    returned = api.acceptor.post(f"{url}/return", {"reasons": "缺少监测报告"})
    assert returned.json()["status"] == "in_progress"
    api.head.post(f"{url}/apply", {"statement": "补充监测报告", "self_check": checks, "evidence": [evidence.pk]})
    passed = api.acceptor.post(f"{url}/pass", {"reasons": "同意", "contact_phone": "023-12345678"})
    assert passed.status_code == 200 and passed.json()["status"] == "in_public_notice"
    early = api.office.post(f"{url}/close", {})
    assert early.status_code == 409 and "公示期" in early.json()["message"]
    events = api.staff.get(f"{url}/events", {"page_size": 3}).json()
    assert events["count"] == Event.objects.filter(chain__key=f"task:{world.t_dept.pk}").count()
    assert len(events["items"]) == 3 and "task.pass" in [e["verb"] for e in events["items"]]


def test_list_filters_sort_and_pages_like_the_page(world, api):
    response = api.office.get("/api/v1/tasks", {"plan": world.plan.pk, "sort": "-number", "page_size": 2})
    body = response.json()
    assert body["count"] == 3 and body["page"] == 1 and body["page_size"] == 2
    assert [row["number"] for row in body["items"]] == [3, 2]
    assert [row["number"] for row in api.office.get("/api/v1/tasks", {
        "plan": world.plan.pk, "sort": "-number", "page_size": 2, "page": 2}).json()["items"]] == [1]
    params = {"unit": str(world.town.pk), "status": "open", "q": "污水"}
    expected = list(task_list_for_user(world.users.office, TaskFilters.from_query(params)).values_list("pk", flat=True))
    assert [r["id"] for r in api.office.get("/api/v1/tasks", params).json()["items"]] == expected == [world.t_town.pk]
    assert api.office.get("/api/v1/tasks", {"sort": "title"}).status_code == 422
    assert api.office.get("/api/v1/tasks", {"page_size": 101}).status_code == 422
    assert api.office.get("/api/v1/tasks", {"status": "nonsense"}).json()["field"] == "status"


def test_office_creates_and_patches_a_task_with_the_version_check(world, api):
    body = {"plan": world.plan.pk, "number": 9, "title": "建筑工地扬尘", "implementing_units": [world.dept.pk],
            "acceptance_unit": world.acceptor_org.pk, "deadline": "2025年12月底", "category": "air",
            "measures": [{"text": "安装喷淋"}]}
    assert api.staff.post("/api/v1/tasks", body).status_code in (403, 404)
    created = api.office.post("/api/v1/tasks", body)
    assert created.status_code == 201, created.content
    task = created.json()
    assert task["deadline"] == "2025-12-31" and task["lead_unit"]["id"] == world.dept.pk
    assert task["measures"][0]["units"][0]["id"] == world.dept.pk
    assert api.office.post("/api/v1/tasks", body).json()["field"] == "number"
    url = f"/api/v1/tasks/{task['id']}"
    patched = api.office.patch(url, {"goal": "PM10 达标", "version": task["version"]})
    assert patched.status_code == 200 and patched.json()["goal"] == "PM10 达标"
    assert patched.json()["version"] == task["version"] + 1
    stale = api.office.patch(url, {"goal": "别的", "version": task["version"]})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert Task.objects.get(pk=task["id"]).goal == "PM10 达标"
    assert api.head.patch(url, {"goal": "x"}).status_code == 403
    assert api.other_office.patch(url, {"goal": "x"}).status_code == 404
    assert api.office.patch(url, {"implementing_units": [987654]}).json()["field"] == "implementing_units"
    assert api.office.patch(url, {"deadline": "明年吧"}).json()["field"] == "deadline"
