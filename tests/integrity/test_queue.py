"""The review pages: the queue's scope, filters, counts and export, the detail page's data and forms, the
panel on the task and complaint pages, and the navigation entry — for each role."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from tests import factories as f
from zhenggai.core.actors import system_actor
from zhenggai.integrity.checks import Scope
from zhenggai.integrity.models import IntegrityFlag
from zhenggai.integrity.services import integrity_flag_confirm, integrity_run

from .conftest import PROBE

pytestmark = pytest.mark.django_db
LIST = "/integrity/"


def run():
    return integrity_run(scope=Scope(), checks=[PROBE], actor=system_actor())


@pytest.fixture
def flagged(world, probe):
    """Three flags in 梁平区 (tasks 2 and 3 and the department's task) and one in 垫江县."""
    probe.report(world.t_town, "进展描述与上一轮几乎逐字相同", excerpt="已完成管网排查工作，正在推进整改。",
                 other_excerpt="已完成管网排查工作，正在推进整改！", similarity=0.98, other_task=world.t_sub.pk)
    probe.report(world.t_sub, "照片拍摄时间早于任务创建")
    probe.report(world.t_dept, "措施中出现“一律关停”", phrase="一律关停")
    probe.report(world.t_other, "垫江县的疑点")
    run()
    return {flag.task_id: flag for flag in IntegrityFlag.objects.all()}


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_office_sees_the_flags_of_its_region_only(client, world, flagged):
    html = page(client, world.users.office, LIST).content.decode()
    for task in (world.t_town, world.t_sub, world.t_dept):
        assert f'data-flag="{flagged[task.pk].pk}"' in html
    assert "垫江县的疑点" not in html and f'data-flag="{flagged[world.t_other.pk].pk}"' not in html
    assert 'data-check="test_probe"' in html and "测试核查项 3" in html
    other = page(client, world.users.other_office, LIST).content.decode()
    assert "垫江县的疑点" in other and "一律关停" not in other
    assert page(client, world.users.other_office, f"{LIST}{flagged[world.t_town.pk].pk}/").status_code == 404


@pytest.mark.parametrize("role", ["staff", "head2", "acceptor", "unrelated", "admin"])
def test_units_and_admin_get_404_and_no_navigation_entry(client, world, flagged, role):
    user = getattr(world.users, role)
    flag = flagged[world.t_town.pk]
    for url in (LIST, f"{LIST}export.xlsx", f"{LIST}{flag.pk}/"):
        assert page(client, user, url).status_code == 404, (role, url)
    client.force_login(user)
    assert client.post(f"{LIST}{flag.pk}/", {"action": "dismiss", "dismiss-reason": "x"}).status_code == 404
    assert 'href="/integrity/"' not in page(client, user, "/").content.decode()
    assert IntegrityFlag.objects.get(pk=flag.pk).status == "open"


@pytest.mark.parametrize("role", ["office", "leader", "discipline"])
def test_region_roles_have_the_navigation_entry(client, world, role):
    assert 'href="/integrity/"' in page(client, getattr(world.users, role), "/").content.decode()


def test_discipline_reads_but_cannot_dismiss(client, world, flagged):
    flag = flagged[world.t_town.pk]
    response = page(client, world.users.discipline, f"{LIST}{flag.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and "进展描述与上一轮几乎逐字相同" in html
    assert 'data-testid="form-dismiss"' not in html and 'data-testid="form-confirm"' not in html
    assert client.post(f"{LIST}{flag.pk}/", {"action": "dismiss", "dismiss-reason": "不是问题"}).status_code == 403
    assert IntegrityFlag.objects.get(pk=flag.pk).status == "open"


def test_detail_shows_the_data_readably(client, world, flagged):
    flag = flagged[world.t_town.pk]
    html = page(client, world.users.office, f"{LIST}{flag.pk}/").content.decode()
    assert 'data-testid="side-by-side"' in html
    assert "已完成管网排查工作，正在推进整改。" in html and "已完成管网排查工作，正在推进整改！" in html
    assert f'href="/tasks/{world.t_sub.pk}/"' in html  # the other task it names, as a link
    assert "相似度" in html and "0.98" in html
    assert f'href="/tasks/{world.t_town.pk}/"' in html and 'data-testid="form-confirm"' in html


def test_office_dismisses_and_confirms_through_the_page(client, world, flagged):
    flag = flagged[world.t_town.pk]
    client.force_login(world.users.office)
    url = f"{LIST}{flag.pk}/"
    refused = client.post(url, {"action": "dismiss", "dismiss-reason": ""})
    assert refused.status_code == 200 and "is-invalid" in refused.content.decode()
    assert IntegrityFlag.objects.get(pk=flag.pk).status == "open"
    done = client.post(url, {"action": "dismiss", "dismiss-reason": "现场核实，系同一设施不同角度"})
    assert done.status_code == 302 and done["Location"] == url
    flag.refresh_from_db()
    assert flag.status == "dismissed" and flag.decision_reason == "现场核实，系同一设施不同角度"
    html = client.get(url).content.decode()
    assert "现场核实，系同一设施不同角度" in html and 'data-testid="form-reopen"' in html
    assert client.post(url, {"action": "confirm", "confirm-reason": ""}).status_code == 403  # not in this state
    other = flagged[world.t_dept.pk]
    assert client.post(f"{LIST}{other.pk}/", {"action": "confirm", "confirm-reason": ""}).status_code == 302
    assert IntegrityFlag.objects.get(pk=other.pk).status == "confirmed"


def test_discipline_turns_a_confirmed_flag_into_a_case_through_the_page(client, world, flagged):
    flag = flagged[world.t_dept.pk]
    integrity_flag_confirm(actor=world.users.office, flag=flag, reason="措施宣布一律关停，属“一刀切”")
    client.force_login(world.users.discipline)
    url = f"{LIST}{flag.pk}/"
    assert 'data-testid="form-to_accountability"' in client.get(url).content.decode()
    response = client.post(url, {"action": "to_accountability", "to_accountability-title": "搞“一刀切”式关停",
                                 "to_accountability-date": "2025-07-01", "to_accountability-measures": ["circulated"],
                                 "to_accountability-people": "王某，区住建委副主任"})
    flag.refresh_from_db()
    assert flag.accountability_case is not None
    assert response.status_code == 302 and response["Location"] == f"/accountability/{flag.accountability_case_id}/"
    assert list(flag.accountability_case.tasks.all()) == [world.t_dept]


def test_filters_and_counts(client, world, flagged, probe):
    flag = flagged[world.t_town.pk]
    integrity_flag_confirm(actor=world.users.office, flag=flag)
    probe.hits.pop(f"task:{world.t_sub.pk}")
    run()  # task 3's flag is no longer found
    client.force_login(world.users.office)

    def shown(**params) -> set[int]:
        html = client.get(LIST, params).content.decode()
        return {f.pk for f in IntegrityFlag.objects.all() if f'data-flag="{f.pk}"' in html}

    ids = {task: flagged[task.pk].pk for task in (world.t_town, world.t_sub, world.t_dept)}
    assert shown() == set(ids.values())
    assert shown(status="confirmed") == {ids[world.t_town]}
    assert shown(status="open") == {ids[world.t_sub], ids[world.t_dept]}
    assert shown(unit=world.dept.pk) == {ids[world.t_dept]}
    assert shown(unit=world.town_sub.pk) == {ids[world.t_sub]}
    assert shown(found="gone") == {ids[world.t_sub]}
    assert shown(found="current") == {ids[world.t_town], ids[world.t_dept]}
    assert shown(check=PROBE) == set(ids.values()) and shown(check="bogus\x00") == set(ids.values())
    assert shown(region=world.other_district.pk) == set()
    assert shown(region=world.district.pk) == set(ids.values())
    html = client.get(LIST, {"status": "open"}).content.decode()
    assert "测试核查项 2" in html  # the counts follow the other filters


def test_export_has_the_same_rows(client, world, flagged):
    client.force_login(world.users.office)
    response = client.get(f"{LIST}export.xlsx", {"status": "open"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "核查项", "整改任务", "信访件")
    assert sorted(r[0] for r in rows[1:]) == sorted(flagged[t.pk].pk for t in (world.t_town, world.t_sub, world.t_dept))
    assert any(r[6] == "措施中出现“一律关停”" for r in rows[1:]) and all(r[10] == "待核查" for r in rows[1:])


def test_queue_queries_do_not_grow_with_rows(client, world, probe, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    probe.report(world.t_town)
    run()
    client.force_login(world.users.office)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for n in range(20):
        task = f.task(actor=world.users.office, plan=world.plan, number=20 + n, units=[world.dept if n % 2 else world.town])
        probe.report(task, f"疑点{n}")
    run()
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(LIST).content.decode()
    assert html.count("data-flag=") == 21


def test_task_page_panel_for_office_not_for_units(client, world, flagged):
    url = reverse("task_detail", args=[world.t_town.pk])
    office = page(client, world.users.office, url).content.decode()
    assert 'data-testid="integrity-panel"' in office and "进展描述与上一轮几乎逐字相同" in office
    assert f'href="/integrity/{flagged[world.t_town.pk].pk}/"' in office
    for role in ("staff2", "head2", "staff"):  # implementing and acceptance unit
        response = page(client, getattr(world.users, role), url)
        html = response.content.decode()
        assert response.status_code == 200, role  # the unit sees its task…
        assert 'data-testid="integrity-panel"' not in html and "进展描述与上一轮" not in html, role  # …not the flag
    leader = page(client, world.users.leader, url).content.decode()
    assert 'data-testid="integrity-panel"' in leader
    # a task without flags shows no panel
    assert 'data-testid="integrity-panel"' not in page(client, world.users.office,
                                                        reverse("task_detail", args=[world.t_other.pk])).content.decode()


def test_complaint_page_panel(client, world, probe):
    from zhenggai.complaints.models import HandoverBatch
    from zhenggai.complaints.services import complaint_create

    batch = HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=dt.date(2025, 6, 3), reply_days=10)
    complaint = complaint_create(actor=world.users.office, batch=batch, data={
        "acceptance_number": "D3CQ202506030001", "summary": "某厂夜间排放刺鼻气味", "region": world.district,
        "lead_unit": world.town})
    probe.report(complaint, "办结为不属实，但没有佐证材料")
    run()
    flag = IntegrityFlag.objects.get()
    assert (flag.complaint, flag.region, flag.unit, flag.task) == (complaint, world.district, world.town, None)
    url = reverse("complaint_detail", args=[complaint.pk])
    assert "办结为不属实，但没有佐证材料" in page(client, world.users.office, url).content.decode()
    staff = page(client, world.users.staff2, url)
    assert staff.status_code == 200 and "办结为不属实，但没有佐证材料" not in staff.content.decode()
    assert page(client, world.users.discipline, f"{LIST}{flag.pk}/").status_code == 200
