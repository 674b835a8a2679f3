"""Concurrency (issue 8): a second editor working from an old version is refused instead of overwriting
the first; simultaneous transitions and edits from two threads end with exactly one winner.

The threaded tests run on both databases: on PostgreSQL the row lock (`select_for_update`) makes the
second transaction wait and then see the first one's result; SQLite serialises writers on the database
lock, which gives the same outcome. (The race between two acceptors is in test_transitions.)"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from tests import factories as f
from zhenggai.accounts.models import Role
from zhenggai.core.audit_state import state_verify
from zhenggai.core.errors import Conflict, DomainError
from zhenggai.core.models import Event
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import task_data_from, task_update
from zhenggai.rectification.workflow import TaskStatus


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(page: str, task: Task, **changes: str) -> dict[str, object]:
    """What the edit page posts: the task's values as shown, the version from the page's hidden field,
    its measures unchanged, and `changes` typed by the user."""
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version, "the edit page carries the version it was built from"
    measures = list(task.measures.order_by("number"))
    data: dict[str, object] = {
        "number": task.number, "title": task.title, "goal": task.goal,
        "implementing_units": [u.pk for u in task.implementing_units.all()],
        "lead_unit": task.lead_unit_id or "", "cooperating_units": [u.pk for u in task.cooperating_units.all()],
        "responsible_leader": task.responsible_leader, "acceptance_unit": task.acceptance_unit_id or "",
        "deadline": task.deadline_text or f"{task.deadline:%Y年%-m月%-d日}", "due_year": task.due_year or "",
        "category": task.category, "measure_area": task.measure_area_id or "", "remarks": task.remarks,
        "version": version.group(1),
        "measures-TOTAL_FORMS": len(measures), "measures-INITIAL_FORMS": len(measures),
        "measures-MIN_NUM_FORMS": 0, "measures-MAX_NUM_FORMS": 1000,
    }
    for i, m in enumerate(measures):
        data[f"measures-{i}-text"] = m.text
        data[f"measures-{i}-units"] = [u.pk for u in m.units.all()]
        data[f"measures-{i}-deadline"] = m.deadline_text
    return {**data, **changes}


@pytest.mark.django_db
def test_two_editors_of_one_task_the_second_sees_a_conflict_and_keeps_their_input(world):
    first = world.users.office
    second = f.user("office_b", organization=world.office_org, roles=[Role.OFFICE])
    task = Task.objects.get(pk=world.t_dept.pk)
    url = f"/tasks/{task.pk}/edit/"
    a, b = logged_in(first), logged_in(second)
    page_a, page_b = a.get(url), b.get(url)  # both open the edit page of version 1
    assert page_a.status_code == page_b.status_code == 200

    saved = a.post(url, form_data(page_a.content.decode(), task, goal="管网全部接通，雨污分流"))
    assert saved.status_code == 302
    refused = b.post(url, form_data(page_b.content.decode(), task, goal="二号编辑的目标", remarks="二号的备注"))

    assert refused.status_code == 200
    html = refused.content.decode()
    assert "该任务已被他人修改（当前版本 2），请刷新后重新编辑" in html
    assert "二号编辑的目标" in html and "二号的备注" in html  # the user's input is kept on the page
    task.refresh_from_db()
    assert (task.goal, task.remarks, task.version) == ("管网全部接通，雨污分流", "", 2)
    assert Event.objects.filter(object_type="task", object_id=str(task.pk), verb="task.updated").count() == 1

    fresh = b.get(url)  # after reloading, the second editor's save goes through
    assert 'name="version" value="2"' in fresh.content.decode()
    again = b.post(url, form_data(fresh.content.decode(), task, remarks="二号的备注"))
    assert again.status_code == 302
    task.refresh_from_db()
    assert (task.goal, task.remarks, task.version) == ("管网全部接通，雨污分流", "二号的备注", 3)
    assert list(state_verify()) == []


@pytest.mark.django_db
def test_task_update_with_a_stale_version_writes_nothing(world):
    task = Task.objects.get(pk=world.t_dept.pk)
    data = task_data_from(task)
    assert task_update(actor=world.users.office, task=task, data=dataclasses.replace(data, goal="甲"),
                       expected_version=1)
    with pytest.raises(Conflict, match="当前版本 2") as info:
        task_update(actor=world.users.office, task=task, data=dataclasses.replace(data, goal="乙"),
                    expected_version=1)
    assert info.value.code == "version_conflict"
    task.refresh_from_db()
    assert (task.goal, task.version) == ("甲", 2)
    # without a version (importers) the last write wins, as before
    assert task_update(actor=world.users.office, task=task, data=dataclasses.replace(data, goal="乙"))
    assert Task.objects.get(pk=task.pk).goal == "乙"


@pytest.mark.django_db
def test_api_patch_with_a_stale_version_answers_409_version_conflict(world):
    from zhenggai.api.services import api_token_create

    _token, secret = api_token_create(user=world.users.office, name="测试")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    url = f"/api/v1/tasks/{world.t_dept.pk}"
    ok = client.patch(url, {"goal": "甲", "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.patch(url, {"goal": "乙", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict" and "当前版本 2" in stale.json()["message"]
    assert Task.objects.get(pk=world.t_dept.pk).goal == "甲"


def race(*attempts: Callable[[], object]) -> list[str]:
    """Run the attempts at the same moment in their own threads (own connections); "ok" or the refusal."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def run(attempt: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=5)
            attempt()
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(f"{type(error).__name__}: {error.message}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(outcomes) == len(attempts), "every attempt finished"
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_people_starting_a_task_at_the_same_moment(world):
    pk = world.t_dept.pk
    outcomes = race(
        lambda: tr.task_start(actor=world.users.staff, task=Task.objects.get(pk=pk)),
        lambda: tr.task_start(actor=world.users.head, task=Task.objects.get(pk=pk)),
    )
    assert outcomes.count("ok") == 1, outcomes
    assert any(o.startswith("TransitionRefused") for o in outcomes), outcomes
    task = Task.objects.get(pk=pk)
    assert (task.status, task.version) == (TaskStatus.IN_PROGRESS, 2)
    assert Event.objects.filter(object_type="task", object_id=str(pk), verb="task.start").count() == 1
    assert list(state_verify()) == []


@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_the_same_version_at_the_same_moment(world):
    second = f.user("office_b", organization=world.office_org, roles=[Role.OFFICE])
    pk = world.t_dept.pk
    data = task_data_from(Task.objects.get(pk=pk))

    def save(user, goal: str) -> Callable[[], object]:
        return lambda: task_update(actor=user, task=Task.objects.get(pk=pk), data=dataclasses.replace(data, goal=goal),
                                   expected_version=1)

    outcomes = race(save(world.users.office, "甲的目标"), save(second, "乙的目标"))
    assert outcomes.count("ok") == 1, outcomes
    assert any(o.startswith("Conflict") and "当前版本 2" in o for o in outcomes), outcomes
    task = Task.objects.get(pk=pk)
    assert task.version == 2 and task.goal in {"甲的目标", "乙的目标"}
    assert Event.objects.filter(object_type="task", object_id=str(pk), verb="task.updated").count() == 1
    assert list(state_verify()) == []


@pytest.mark.django_db
def test_two_people_handling_one_complaint_the_second_sees_a_conflict(world):
    from django.urls import reverse

    from tests.complaints.conftest import make_batch, make_complaint
    from zhenggai.complaints.models import Complaint

    case = make_complaint(world, make_batch(world), "D3CQ202506030001", "双桂街道某化工厂夜间排放刺鼻气味",
                          pollution_types=["air"], lead_unit=world.town)
    url = reverse("complaint_handle", args=[case.pk])
    a, b = logged_in(world.users.staff2), logged_in(world.users.head2)
    page_a, page_b = a.get(url).content.decode(), b.get(url).content.decode()
    version = re.search(r'name="version" value="(\d+)"', page_a)
    assert version and version.group(1) in page_b
    result = {"truthfulness": "true", "status": "investigating", "ordered_rectify": "0", "penalized": "0",
              "fine_amount": "0", "investigated": "0", "admin_detained": "0", "criminal_detained": "0",
              "interviewed": "0", "held_accountable": "0", "leads_transferred": "0", "evidence_category": "statement",
              "version": version.group(1)}
    assert a.post(url, {**result, "investigation": "经现场核查属实"}).status_code == 302
    refused = b.post(url, {**result, "investigation": "负责人另写的核查情况"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "该信访件已被他人修改" in html and "负责人另写的核查情况" in html
    case = Complaint.objects.get(pk=case.pk)
    assert case.investigation == "经现场核查属实"
    assert Event.objects.filter(object_type="complaint", object_id=str(case.pk), verb="complaint.handled").count() == 1
