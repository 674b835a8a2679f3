"""The workbench, the task list and the task page at size: statements per request do not grow with the
rows shown, the filters' choices are read once, and what the pages show is unchanged."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenggai.accounts.models import Organization
from zhenggai.rectification.models import Task
from zhenggai.rectification.selectors import task_years_for_user
from zhenggai.rectification.services import MeasureData

from .. import factories as f

pytestmark = pytest.mark.django_db


def shown(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-task="(\d+)"', response.content.decode())}


def queries(client, url: str) -> int:
    client.get(url)  # warm: the session, the user's roles and the calendar are read as on any page
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def more_tasks(world, count: int, *, start: int = 100) -> list[Task]:
    """Tasks of the department and the township, with cooperating units, measures of other units and
    acceptance units, so that every relation of the unit scope has rows."""
    made = []
    for i in range(count):
        units = [world.dept] if i % 2 else [world.town, world.town_sub]
        made.append(f.task(
            actor=world.users.office, plan=world.plan, number=start + i, units=units,
            cooperating=[world.unrelated] if i % 3 == 0 else [], acceptance_unit=world.acceptor_org,
            measures=[MeasureData(number=1, text="排查", units=units),
                      MeasureData(number=2, text="整改", units=[world.unrelated])],
            due_year=2025 + i % 3, deadline=dt.date(2031, 6, 30),
        ))
    return made


@pytest.mark.parametrize("role,params", [
    ("office", ""), ("office", "?status=open"), ("office", "?unit={dept}"), ("office", "?year=2026"),
    ("staff", ""), ("staff2", "?sort=warning"), ("acceptor", ""),
])
def test_task_list_statements_do_not_grow_with_the_rows(client, world, role, params):
    client.force_login(getattr(world.users, role))
    url = reverse("task_list") + params.format(dept=world.dept.pk)
    more_tasks(world, 3, start=50)  # at least one row for every filter
    few = queries(client, url)
    more_tasks(world, 30)
    many = queries(client, url)
    assert many == few
    assert many <= 14
    if role == "office" and not params:
        assert len(shown(client.get(url))) == 25  # a full page: 36 tasks in the region


@pytest.mark.parametrize("role", ["office", "staff", "staff2", "acceptor"])
def test_workbench_statements_do_not_grow_with_the_rows(client, world, role):
    client.force_login(getattr(world.users, role))
    few = queries(client, reverse("workbench"))
    more_tasks(world, 30)
    assert queries(client, reverse("workbench")) == few <= 10


def test_workbench_counts_in_one_statement_and_rows_as_before(client, world):
    more_tasks(world, 12)
    Task.objects.filter(pk=world.t_dept.pk).update(warning="red")
    Task.objects.filter(pk=world.t_town.pk).update(warning="yellow")
    client.force_login(world.users.staff)  # implements t_dept, accepts t_town, and the new dept tasks
    client.get(reverse("workbench"))
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("workbench"))
    counting = [q for q in ctx.captured_queries if "COUNT(" in q["sql"] and "rectification_task" in q["sql"]]
    assert len(counting) == 1
    visible = Task.objects.filter(pk__in=[world.t_dept.pk, world.t_town.pk]) | Task.objects.filter(
        implementing_units=world.dept)
    assert page.context["counts"] == {"red": 1, "yellow": 1, "green": visible.distinct().count() - 2}
    rows = list(page.context["tasks"])
    assert rows[0] == world.t_dept and rows[1] == world.t_town  # red first, then yellow
    assert rows[0].plan.title == world.plan.title  # read with the row
    html = page.content.decode()
    assert world.t_dept.short_title in html and "区住建委" in html


def test_year_choices_are_one_distinct_statement_of_visible_tasks(world):
    Task.objects.filter(pk=world.t_dept.pk).update(due_year=2026)
    Task.objects.filter(pk=world.t_town.pk).update(due_year=2025)
    Task.objects.filter(pk=world.t_sub.pk).update(due_year=2027)
    Task.objects.filter(pk=world.t_other.pk).update(due_year=2030)
    staff, office = world.users.staff, world.users.office
    assert staff.role_codes and office.role_codes
    with CaptureQueriesContext(connection) as ctx:
        assert task_years_for_user(staff) == [2025, 2026]
    assert len(ctx.captured_queries) == 1 and "DISTINCT" in ctx.captured_queries[0]["sql"]
    assert task_years_for_user(office) == [2025, 2026, 2027]
    Task.objects.filter(pk=world.t_sub.pk).update(due_year=None)
    assert task_years_for_user(office) == [2025, 2026]


def test_the_unit_filter_shows_the_units_tasks_and_sub_units(client, world):
    client.force_login(world.users.office)
    url = reverse("task_list")
    assert shown(client.get(f"{url}?unit={world.town.pk}")) == {world.t_town.pk, world.t_sub.pk}
    assert shown(client.get(f"{url}?unit={world.dept.pk}")) == {world.t_dept.pk, world.t_town.pk}  # accepts t_town
    assert shown(client.get(f"{url}?unit={world.dept.pk}&unit_role=implementing")) == {world.t_dept.pk}
    assert shown(client.get(f"{url}?unit=999999")) == set()
    lonely = f.org("区水利局", region=world.district, parent=world.gov, kind=Organization.Kind.DEPARTMENT)
    assert shown(client.get(f"{url}?unit={lonely.pk}")) == set()


def detail(client, user, task):
    client.force_login(user)
    url = reverse("task_detail", args=[task.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("role,start,upload", [
    ("office", False, True), ("staff", True, True), ("head", True, True), ("acceptor", False, True),
])
def test_task_page_asks_the_scope_once_and_shows_the_same(client, world, role, start, upload):
    """The page reads the task through the user's scope once; its panels (transitions, reports, evidence)
    do not ask the database again, the unread count is read once, and the buttons stay the same."""
    response, statements = detail(client, getattr(world.users, role), world.t_dept)
    assert response.status_code == 200
    html = response.content.decode()
    assert len(statements) <= 24
    assert sum('FROM "notifications_notification"' in sql for sql in statements) == 1
    assert not [sql for sql in statements if sql.startswith('SELECT 1 AS "a" FROM "rectification_task"')]
    assert ('action="' + reverse("task_start", args=[world.t_dept.pk]) + '"' in html) is start
    assert ('data-testid="evidence-upload-toggle"' in html) is upload
    assert 'data-testid="evidence-panel"' in html and 'data-testid="events"' in html
    assert world.t_dept.measures.get().text in html


def test_task_page_of_a_hidden_task_is_missing(client, world):
    response, _statements = detail(client, world.users.staff2, world.t_dept)
    assert response.status_code == 404


def test_panels_ask_the_database_when_the_task_was_not_read_through_the_scope(world):
    """Outside the page (a task loaded without the user's scope), the checks still query."""
    from zhenggai.rectification.transitions import available_transitions

    task = Task.objects.get(pk=world.t_dept.pk)
    assert available_transitions(task, world.users.staff) == ["start"]
    assert available_transitions(task, world.users.staff2) == []  # not party: hidden
    assert available_transitions(task, world.users.other_office) == []
