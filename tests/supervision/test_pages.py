"""The pages of 督办推进: the warning board (scoped), notice list and detail with their actions, drafting
by hand, letter downloads, and the panel on the task page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from zhenggai.rectification.models import SupervisionNotice, Task
from zhenggai.rectification.supervision import notice_draft, notice_issue
from zhenggai.rectification.warnings import RED, YELLOW, warnings_refresh_all

from .conftest import open_round

D = dt.date
Kind, Status = SupervisionNotice.Kind, SupervisionNotice.Status


def login(client, user):
    client.force_login(user)
    return client


def make_board(world):
    """t_dept red, t_town yellow (missing report), t_sub green, the other district's task red."""
    Task.objects.filter(pk__in=[world.t_dept.pk, world.t_other.pk]).update(deadline=D(2025, 5, 30))
    open_round(world, world.t_town, due=D(2025, 5, 20))
    warnings_refresh_all(on=D(2025, 6, 2))
    return {t.pk: t.warning for t in Task.objects.all()}


def board_tasks(response):
    return {t.pk for g in response.context["board"].groups for t in g.tasks}


def test_office_board_groups_the_region_by_unit(client, world):
    levels = make_board(world)
    assert (levels[world.t_dept.pk], levels[world.t_town.pk]) == (RED, YELLOW)
    response = login(client, world.users.office).get(reverse("warning_board"))
    assert response.status_code == 200
    board = response.context["board"]
    assert [(g.unit, g.red, g.yellow) for g in board.groups] == [(world.dept, 1, 0), (world.town, 0, 1)]
    assert (board.red, board.yellow) == (1, 1)  # not the other district's red task
    html = response.content.decode()
    assert "尚未报送整改进展" in html and "已超过整改时限" in html
    assert reverse("notice_create", args=[world.t_dept.pk]) in html

    red_only = client.get(reverse("warning_board"), {"level": "red"})
    assert board_tasks(red_only) == {world.t_dept.pk}
    by_unit = client.get(reverse("warning_board"), {"unit": world.town.pk})
    assert board_tasks(by_unit) == {world.t_town.pk}


@pytest.mark.parametrize("name", ["leader", "discipline"])
def test_leader_and_discipline_see_the_region_board(client, world, name):
    make_board(world)
    response = login(client, getattr(world.users, name)).get(reverse("warning_board"))
    assert board_tasks(response) == {world.t_dept.pk, world.t_town.pk}
    assert reverse("notice_create", args=[world.t_dept.pk]) not in response.content.decode()


def test_unit_head_sees_only_its_units_tasks(client, world):
    make_board(world)
    # the department is also the acceptance unit of t_town, but that task is not its own on the board
    response = login(client, world.users.head).get(reverse("warning_board"))
    assert board_tasks(response) == {world.t_dept.pk}
    assert [g.unit for g in response.context["board"].groups] == [world.dept]
    response = login(client, world.users.head2).get(reverse("warning_board"))
    assert board_tasks(response) == {world.t_town.pk}
    response = login(client, world.users.unrelated).get(reverse("warning_board"))
    assert board_tasks(response) == set()


def test_board_query_count_does_not_grow_with_tasks(client, world, django_assert_max_num_queries):
    make_board(world)
    login(client, world.users.office)
    with django_assert_max_num_queries(25):
        client.get(reverse("warning_board"))


def issue(world, task=None, unit=None, kind=Kind.NOTICE):
    notice = notice_draft(actor=world.users.office, task=task or world.t_dept, unit=unit or world.dept, kind=kind,
                          reason="进度滞后。", required_action="书面报告。")
    return notice_issue(actor=world.users.office, notice=notice)


def test_notice_list_for_office_and_unit_head(client, world):
    issued = issue(world)
    other_unit = issue(world, task=world.t_town, unit=world.town)
    draft = notice_draft(actor=world.users.office, task=world.t_dept, unit=world.dept, kind=Kind.LETTER,
                         reason="r", required_action="a")
    office = login(client, world.users.office).get(reverse("notice_list"))
    assert {n.pk for n in office.context["page"]} == {issued.pk, other_unit.pk, draft.pk}
    drafts = client.get(reverse("notice_list"), {"status": "draft"})
    assert [n.pk for n in drafts.context["page"]] == [draft.pk]
    head = login(client, world.users.head).get(reverse("notice_list"))
    assert [n.pk for n in head.context["page"]] == [issued.pk]  # its unit's, issued only


def test_office_edits_and_issues_a_draft_on_its_page(client, world):
    notice = notice_draft(actor=world.users.office, task=world.t_dept, unit=world.dept, kind=Kind.NOTICE,
                          reason="r", required_action="a")
    url = reverse("notice_detail", args=[notice.pk])
    login(client, world.users.office)
    page = client.get(url)
    assert page.status_code == 200 and 'name="action" value="issue"' in page.content.decode()
    response = client.post(url, {"action": "save", "kind": Kind.LETTER, "reply_deadline": "2025-06-13",
                                 "reason": "新的事由", "required_action": "新的要求"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.kind, notice.reason, notice.reply_deadline) == (Kind.LETTER, "新的事由", D(2025, 6, 13))
    bad = client.post(url, {"action": "save", "kind": Kind.LETTER, "reply_deadline": "2025-05-01",
                            "reason": "x", "required_action": "y"})
    assert bad.status_code == 200 and "回复期限不能早于今天" in bad.content.decode()
    client.post(url, {"action": "issue"})
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED and notice.number == "梁督整办〔2025〕1号"


def test_unit_head_replies_on_the_page_and_staff_cannot(client, world):
    notice = issue(world)
    url = reverse("notice_detail", args=[notice.pk])
    staff_page = login(client, world.users.staff).get(url)
    assert staff_page.status_code == 200 and 'value="reply"' not in staff_page.content.decode()
    assert client.post(url, {"action": "reply", "reply": "我来回复"}).status_code == 403
    assert login(client, world.users.head2).get(url).status_code == 404
    assert client.post(url, {"action": "reply", "reply": "x"}).status_code == 404
    login(client, world.users.head)
    assert 'value="reply"' in client.get(url).content.decode()
    assert client.post(url, {"action": "issue"}).status_code == 403
    assert client.post(url, {"action": "reply", "reply": "已完成排查。"}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == Status.REPLIED and notice.reply == "已完成排查。"


def test_drafts_are_hidden_from_everyone_but_the_office(client, world):
    notice = notice_draft(actor=world.users.office, task=world.t_dept, unit=world.dept, kind=Kind.NOTICE,
                          reason="r", required_action="a")
    for name in ("head", "staff", "leader", "discipline", "other_office"):
        login(client, getattr(world.users, name))
        for route in ("notice_detail", "notice_docx", "notice_pdf"):
            assert client.get(reverse(route, args=[notice.pk])).status_code == 404, (name, route)


def test_downloads_are_attachments_for_those_who_may_see_the_notice(client, world):
    notice = issue(world)
    login(client, world.users.head)
    response = client.get(reverse("notice_docx", args=[notice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    pdf = client.get(reverse("notice_pdf", args=[notice.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith("attachment;")
    login(client, world.users.head2)
    assert client.get(reverse("notice_pdf", args=[notice.pk])).status_code == 404


def test_office_drafts_by_hand_from_the_task(client, world):
    url = reverse("notice_create", args=[world.t_town.pk])
    assert login(client, world.users.head2).get(url).status_code == 403
    assert login(client, world.users.unrelated).get(url).status_code == 404
    assert login(client, world.users.other_office).get(url).status_code == 404
    login(client, world.users.office)
    form = client.get(url).context["form"]
    assert list(form.fields["unit"].queryset) == [world.town]
    assert form.initial["reply_deadline"] == D(2025, 6, 9)
    response = client.post(url, {"unit": world.town.pk, "kind": Kind.NOTICE, "reply_deadline": "2025-06-09",
                                 "reason": "污水设施闲置。", "required_action": "限期恢复运行。"})
    notice = SupervisionNotice.objects.get(task=world.t_town)
    assert response.status_code == 302 and response["Location"] == reverse("notice_detail", args=[notice.pk])
    assert (notice.unit, notice.trigger, notice.status) == (world.town, "manual", Status.DRAFT)


def test_task_page_panel_shows_warning_reasons_and_notices(client, world):
    make_board(world)
    notice = issue(world)
    page = login(client, world.users.head).get(reverse("task_detail", args=[world.t_dept.pk]))
    html = page.content.decode()
    assert 'data-testid="supervision-panel"' in html
    assert "已超过整改时限（2025年5月30日），尚未通过验收" in html
    assert notice.number in html and reverse("notice_detail", args=[notice.pk]) in html
    assert reverse("notice_create", args=[world.t_dept.pk]) not in html
    office = login(client, world.users.office).get(reverse("task_detail", args=[world.t_dept.pk]))
    assert reverse("notice_create", args=[world.t_dept.pk]) in office.content.decode()
    town = login(client, world.users.head2).get(reverse("task_detail", args=[world.t_town.pk])).content.decode()
    assert "尚未报送整改进展" in town
