"""The acceptance → public notice → closure loop through the pages, as the users of each role."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import time_machine
from django.urls import reverse

from zhenggai.rectification.models import LookBack, Objection, PublicNotice, Task
from zhenggai.rectification.workflow import TaskStatus

from .test_transitions import evidence_of, photo

pytestmark = pytest.mark.django_db
CRITERIA = {f"check_{k}": "on" for k in ("measures", "solved", "mechanism", "conduct", "records")}


def started(world):
    from zhenggai.rectification.transitions import task_start

    task_start(actor=world.users.staff, task=world.t_dept)
    return Task.objects.get(pk=world.t_dept.pk)


def test_buttons_come_from_available_transitions(client, world):
    client.force_login(world.users.staff)
    page = client.get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert reverse("task_start", args=[world.t_dept.pk]) in page
    client.force_login(world.users.acceptor)
    page = client.get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert reverse("task_start", args=[world.t_dept.pk]) not in page


def test_the_loop_through_the_pages(client, world):
    task = started(world)
    evidence = evidence_of(world, task)
    # head applies, uploading one more photo in the same form
    client.force_login(world.users.head)
    response = client.post(reverse("task_apply", args=[task.pk]), {
        "statement": "完成雨污分流改造 3.2 公里", "evidence": [evidence.pk], "category": "after_photo",
        "new_files": [photo("after2.jpg")], **CRITERIA,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACCEPTANCE_REQUESTED
    # the acceptor sees it in the list and passes it
    client.force_login(world.users.acceptor)
    assert task.title[:10] in client.get(reverse("acceptance_list")).content.decode()
    response = client.post(reverse("task_review", args=[task.pk]), {
        "decision": "pass", "reasons": "现场核查，管网已分流", "check_date": "2025-06-10", "check_people": "王某、李某",
        "contact_phone": "023-53220000",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    notice = PublicNotice.objects.get(task=task)
    # an anonymous visitor objects on the public page
    client.logout()
    public = client.get(reverse("portal:notice_detail", args=[notice.pk])).content.decode()
    assert "公示期间" in public and "acceptor" not in public and "王某" not in public
    response = client.post(reverse("portal:notice_objection", args=[notice.pk]),
                           {"content": "河边仍有臭味", "contact_name": "张三", "contact": "13912345678"})
    assert response.status_code == 302
    objection = Objection.objects.get(notice=notice)
    public = client.get(reverse("portal:notice_detail", args=[notice.pk])).content.decode()
    assert "13912345678" not in public and "张三" not in public
    # the office cannot close yet, answers, and closes after the notice ends
    client.force_login(world.users.office)
    client.post(reverse("task_close", args=[task.pk]))
    assert Task.objects.get(pk=task.pk).status == TaskStatus.IN_PUBLIC_NOTICE
    response = client.post(reverse("objection_answer", args=[objection.pk]), {"answer": "经核实系上游来水，已转办"})
    assert response.status_code == 302
    with time_machine.travel(notice.end_date + dt.timedelta(days=1), tick=False):
        client.force_login(world.users.office)  # the earlier session has expired by then
        client.post(reverse("task_close", args=[task.pk]))
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CLOSED
    page = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "已销号" in page and "验收通过" in page
    pdf = client.get(reverse("closure_certificate", args=[task.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "销号确认单" in text and "完成雨污分流改造" in text
    fonts = subprocess.run(["pdffonts", "-"], input=pdf.content, capture_output=True, check=False).stdout.decode()
    assert "UMing" in fonts or b"UMing" in pdf.content


def test_return_through_the_page_needs_reasons(client, world):
    task = started(world)
    evidence = evidence_of(world, task)
    client.force_login(world.users.head)
    client.post(reverse("task_apply", args=[task.pk]), {"statement": "完成", "evidence": [evidence.pk],
                                                         "category": "after_photo", **CRITERIA})
    client.force_login(world.users.acceptor)
    response = client.post(reverse("task_review", args=[task.pk]), {"decision": "return", "reasons": ""})
    assert response.status_code == 200 and "退回必须写明理由" in response.content.decode()
    client.post(reverse("task_review", args=[task.pk]), {"decision": "return", "reasons": "溢流口未封堵"})
    client.force_login(world.users.head)
    page = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert "溢流口未封堵" in page and Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS


@pytest.mark.parametrize("role", ["staff", "acceptor", "office", "unrelated"])
def test_apply_page_refused_to_others(client, world, role):
    started(world)
    client.force_login(getattr(world.users, role))
    assert client.get(reverse("task_apply", args=[world.t_dept.pk])).status_code in (403, 404)


def test_look_back_rebound_creates_a_linked_task(client, world):
    Task.objects.filter(pk=world.t_dept.pk).update(status=TaskStatus.CLOSED)
    client.force_login(world.users.office)
    client.post(reverse("lookback_create", args=[world.t_dept.pk]), {"scheduled_date": "2026-03-01"})
    look_back = LookBack.objects.get(task=world.t_dept)
    response = client.post(reverse("lookback_record", args=[look_back.pk]),
                           {"result": "rebound", "notes": "雨季再次出现溢流", "rebound_deadline": "2026-12-31"})
    look_back.refresh_from_db()
    new = look_back.rebound_task
    assert response.status_code == 302 and new is not None
    assert new.source == "rebound" and new.rebound_of_id == world.t_dept.pk
    assert Task.objects.get(pk=world.t_dept.pk).status == TaskStatus.CLOSED
    assert list(new.implementing_units.all()) == [world.dept]
