"""The dispatch pages: the office's list and board (with query counts), opening a round, the phone
report form for staff and head, the panel on the task page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from zhenggai.notifications.models import Notification
from zhenggai.rectification.models import DispatchRound, ProgressReport
from zhenggai.rectification.rounds import report_save_draft, report_submit, round_open

from .conftest import D, approved_report, jpeg_upload, report_data

pytestmark = pytest.mark.django_db


def edit_url(rnd, task, unit=None):
    url = reverse("report_edit", kwargs={"round_pk": rnd.pk, "task_pk": task.pk})
    return f"{url}?unit={unit.pk}" if unit else url


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client
    return as_


# ---------------------------------------------------------------- office


def test_office_list_shows_counts(world, rnd, login, django_assert_max_num_queries):
    approved_report(world, rnd)
    report = report_save_draft(actor=world.users.staff2, round=rnd, task=world.t_town, data=report_data())
    report_submit(actor=world.users.staff2, report=report)
    for day in (10, 17, 24):  # three weekly rounds more: the list still takes a fixed number of queries
        round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                   period_start=D(2025, 3, day), due_date=D(2025, 3, day + 2), tasks=[world.t_dept])
    client = login(world.users.office)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("round_list"))
    assert response.status_code == 200
    assert [r.counts.expected for r in response.context["rows"]] == [1, 1, 1, 3]
    row = response.context["rows"][-1]
    assert (row.counts.expected, row.counts.approved, row.counts.submitted, row.counts.missing, row.counts.late) == (
        3, 1, 1, 2, 0)
    assert 'data-testid="round-create"' in response.content.decode()


def test_office_opens_a_monthly_round_on_the_page(world, travel, login):
    client = login(world.users.office)
    page = client.get(reverse("round_create"))
    assert page.status_code == 200 and page.context["form"].initial["due_date"] == D(2025, 3, 10)
    response = client.post(reverse("round_create"), {
        "kind": "monthly", "period_start": "2025-03-03", "due_date": "2025-03-07"})
    rnd = DispatchRound.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("round_detail", args=[rnd.pk])
    assert rnd.tasks.count() == 3 and rnd.opened_by == world.users.office


def test_weekly_round_on_the_page_needs_tasks(world, travel, login):
    client = login(world.users.office)
    response = client.post(reverse("round_create"), {
        "kind": "weekly", "period_start": "2025-03-03", "due_date": "2025-03-05"})
    assert response.status_code == 200 and "周调度需要选择重点任务" in response.content.decode()
    client.post(reverse("round_create"), {"kind": "weekly", "period_start": "2025-03-03",
                                          "due_date": "2025-03-05", "tasks": [world.t_town.pk]})
    assert list(DispatchRound.objects.get().tasks.all()) == [world.t_town]


@pytest.mark.parametrize("name", ["staff", "head", "leader", "admin"])
def test_only_the_office_opens_rounds_on_the_page(world, login, name):
    client = login(getattr(world.users, name))
    assert client.get(reverse("round_create")).status_code == 403
    assert client.post(reverse("round_create"), {"kind": "monthly"}).status_code == 403


def test_board_shows_each_units_state_with_few_queries(world, rnd, login, django_assert_max_num_queries, travel):
    approved_report(world, rnd)
    report_save_draft(actor=world.users.staff2, round=rnd, task=world.t_town, data=report_data())
    client = login(world.users.office)
    url = reverse("round_detail", args=[rnd.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    board = response.context["board"]
    states = {(c.task.pk, c.unit.pk): c.state for row in board.units for c in row.cells}
    assert states == {(world.t_dept.pk, world.dept.pk): "approved", (world.t_town.pk, world.town.pk): "draft",
                      (world.t_sub.pk, world.town_sub.pk): "missing"}
    assert (board.counts.expected, board.counts.approved, board.counts.missing, board.counts.late) == (3, 1, 2, 0)

    # more tasks, same number of queries
    for number in range(20, 30):
        rnd.tasks.add(f.task(actor=world.users.office, plan=world.plan, number=number, units=[world.unrelated]))
    with django_assert_max_num_queries(12):
        client.get(url)

    # after the due date the missing ones are late
    travel.move_to("2025-03-10 09:00+08:00")
    response = login(world.users.office).get(url)  # (the session of last week has expired)
    counts = response.context["board"].counts
    assert (counts.expected, counts.approved, counts.late) == (13, 1, 12)
    assert 'data-state="overdue"' in response.content.decode()


def test_remind_button_tells_missing_units_once(world, rnd, login, travel):
    approved_report(world, rnd)
    client = login(world.users.office)
    url = reverse("round_detail", args=[rnd.pk])
    client.post(url, {"action": "remind"})
    sent = Notification.objects.filter(kind="round_reminder").count()
    assert sent == 3
    response = client.post(url, {"action": "remind"}, follow=True)
    assert Notification.objects.filter(kind="round_reminder").count() == sent
    assert "今天已经提醒过" in response.content.decode()


def test_close_button(world, rnd, login):
    login(world.users.office).post(reverse("round_detail", args=[rnd.pk]), {"action": "close"})
    rnd.refresh_from_db()
    assert rnd.status == "closed"


@pytest.mark.parametrize("name", ["staff", "head", "leader"])
def test_others_cannot_remind_or_close(world, rnd, login, name):
    client = login(getattr(world.users, name))
    assert client.post(reverse("round_detail", args=[rnd.pk]), {"action": "close"}).status_code == 403
    rnd.refresh_from_db()
    assert rnd.status == "open"


@pytest.mark.parametrize("name", ["other_office", "unrelated", "admin"])
def test_hidden_rounds_answer_404(world, rnd, login, name):
    assert login(getattr(world.users, name)).get(reverse("round_detail", args=[rnd.pk])).status_code == 404


def test_unit_sees_only_its_own_rows_on_the_board(world, rnd, login):
    response = login(world.users.staff2).get(reverse("round_detail", args=[rnd.pk]))
    assert {row.unit for row in response.context["board"].units} == {world.town, world.town_sub}


# ---------------------------------------------------------------- units


def test_unit_list_has_a_report_button_per_task(world, rnd, login):
    response = login(world.users.staff).get(reverse("round_list"))
    (item,) = response.context["unit_rounds"]
    assert [(c.task, c.state) for c in item.cells] == [(world.t_dept, "missing")]
    assert edit_url(rnd, world.t_dept, world.dept) in response.content.decode()
    assert response.context["rows"] == []  # units do not see the office's table


def test_staff_fills_in_the_phone_form_and_submits(world, rnd, login, travel):
    client = login(world.users.staff)
    url = edit_url(rnd, world.t_dept, world.dept)
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is not None
    html = page.content.decode()
    assert 'capture="environment"' in html and 'type="range"' in html and "保存草稿" in html and "提交审核" in html
    response = client.post(url, {"action": "save", "unit": world.dept.pk, "stage": "advancing", "percent": "30",
                                 "description": "已排查 3 公里", "next_steps": "", "evidence_category": "after_photo",
                                 "attachments": [jpeg_upload()]})
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.status == "draft" and report.evidence.count() == 1
    response = client.post(url, {"action": "submit", "unit": world.dept.pk, "stage": "advancing", "percent": "35",
                                 "description": "已排查 3.5 公里", "next_steps": "继续"})
    assert response.status_code == 302 and response["Location"] == reverse("round_list")
    report.refresh_from_db()
    assert (report.status, report.percent) == ("submitted", 35)


def test_the_form_is_prefilled_from_the_last_approved_report(world, rnd, login, travel):
    approved_report(world, rnd, description="管网排查完成", percent=40)
    april = DispatchRound.objects.create(title="4月", region=world.district, period_start=D(2025, 4, 1),
                                         due_date=D(2025, 4, 8), opened_by=world.users.office)
    april.tasks.add(world.t_dept)
    page = login(world.users.staff).get(edit_url(april, world.t_dept))
    form = page.context["form"]
    assert form.initial["description"] == "管网排查完成" and form.initial["percent"] == 40
    assert 'data-testid="prefilled"' in page.content.decode()


def test_head_approves_on_the_page(world, rnd, login):
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=world.users.staff, report=report)
    client = login(world.users.head)
    page = client.get(edit_url(rnd, world.t_dept))
    assert page.context["page"].can_approve and page.context["form"] is None
    assert "审核通过" in page.content.decode()
    response = client.post(edit_url(rnd, world.t_dept), {"action": "approve", "unit": world.dept.pk})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "approved" and report.approved_by == world.users.head


def test_head_cannot_approve_own_report_on_the_page(world, rnd, login):
    head = world.users.head
    report = report_save_draft(actor=head, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=head, report=report)
    client = login(head)
    page = client.get(edit_url(rnd, world.t_dept))
    assert not page.context["page"].can_approve and 'data-testid="own-report"' in page.content.decode()
    response = client.post(edit_url(rnd, world.t_dept), {"action": "approve", "unit": world.dept.pk})
    assert response.status_code == 403
    assert "不能审核自己填报的整改进展" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted" and report.approved_by is None


def test_return_on_the_page_needs_a_reason(world, rnd, login):
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=world.users.staff, report=report)
    client = login(world.users.head)
    response = client.post(edit_url(rnd, world.t_dept), {"action": "return", "unit": world.dept.pk, "reason": ""})
    assert response.status_code == 200 and "退回必须写明理由" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "submitted"
    client.post(edit_url(rnd, world.t_dept), {"action": "return", "unit": world.dept.pk, "reason": "数据有误"})
    report.refresh_from_db()
    assert (report.status, report.return_reason) == ("returned", "数据有误")
    page = login(world.users.staff).get(edit_url(rnd, world.t_dept))
    assert page.context["form"] is not None and "数据有误" in page.content.decode()


@pytest.mark.parametrize("name", ["staff2", "unrelated", "other_office"])
def test_another_unit_gets_404(world, rnd, login, name):
    client = login(getattr(world.users, name))
    url = edit_url(rnd, world.t_dept)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "save", "stage": "advancing", "percent": "10",
                             "description": "x"}).status_code == 404
    assert not ProgressReport.objects.exists()


def test_a_party_that_does_not_implement_cannot_write(world, rnd, login):
    # the department is the acceptance unit of the street's task: it sees the task but does not report on it
    client = login(world.users.staff)
    url = edit_url(rnd, world.t_town)
    assert client.get(url).context["form"] is None
    assert client.post(url, {"action": "save", "stage": "advancing", "percent": "10",
                             "description": "x"}).status_code == 403
    assert not ProgressReport.objects.exists()


def test_ad_hoc_report_page(world, login, travel):
    client = login(world.users.staff)
    url = reverse("report_adhoc", kwargs={"task_pk": world.t_dept.pk})
    assert client.get(url).status_code == 200
    client.post(url, {"action": "submit", "stage": "preparing", "percent": "5", "description": "已制定方案"})
    report = ProgressReport.objects.get()
    assert report.round is None and report.status == "submitted"


# ---------------------------------------------------------------- the task page


def test_task_page_panel(world, rnd, login):
    approved_report(world, rnd, description="已完成排查", percent=30)
    april = DispatchRound.objects.create(title="2025年4月调度", region=world.district, period_start=D(2025, 4, 1),
                                         due_date=D(2025, 4, 8), opened_by=world.users.office)
    april.tasks.add(world.t_dept)
    report_save_draft(actor=world.users.staff, round=april, task=world.t_dept, data={"description": "四月草稿内容"})

    staff_page = login(world.users.staff).get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert 'data-testid="reports-panel"' in staff_page and "已完成排查" in staff_page and "四月草稿内容" in staff_page
    assert edit_url(april, world.t_dept, world.dept) in staff_page  # 填报进展 in the open round
    assert "data-judgement=" in staff_page and 'data-testid="latest-percent"' in staff_page

    leader_page = login(world.users.leader).get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert "已完成排查" in leader_page and "四月草稿内容" not in leader_page  # drafts stay with the unit
    assert 'data-testid="report-link"' not in leader_page

    office_page = login(world.users.office).get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert "四月草稿内容" in office_page
