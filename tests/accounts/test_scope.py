"""Scope: each role sees and changes exactly what DOMAIN §8 allows, in the policy, the pages and the admin."""

import pytest
from django.urls import reverse

from zhenggai.accounts.policies import CHANGE, scope_for, user_can
from zhenggai.inspections.models import Inspection, Plan
from zhenggai.rectification.models import Task

pytestmark = pytest.mark.django_db

# role -> tasks (by fixture name) it may see
VISIBLE = {
    "office": {"t_dept", "t_town", "t_sub"},
    "leader": {"t_dept", "t_town", "t_sub"},
    "discipline": {"t_dept", "t_town", "t_sub"},
    "staff": {"t_dept", "t_town"},  # implements t_dept, accepts t_town
    "head": {"t_dept", "t_town"},
    "staff2": {"t_town", "t_sub"},  # the township and its sub-unit
    "head2": {"t_town", "t_sub"},
    "sub": {"t_sub"},  # a sub-unit does not see its parent's tasks
    "acceptor": {"t_dept"},  # accepts t_dept
    "admin": set(),
    "unrelated": set(),
    "other_office": {"t_other"},
}
ALL = ("t_dept", "t_town", "t_sub", "t_other")


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_policy_scope_for_tasks(world, role):
    user = getattr(world.users, role)
    seen = set(scope_for(user, Task.objects.all()))
    assert seen == {getattr(world, name) for name in VISIBLE[role]}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_only_the_regions_office_changes_tasks(world, role):
    user = getattr(world.users, role)
    for name in ALL:
        task = getattr(world, name)
        expected = (role == "office" and name != "t_other") or (role == "other_office" and name == "t_other")
        assert user_can(user, CHANGE, task) is expected, (role, name)


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_task_pages_show_exactly_the_scope(client, world, role):
    user = getattr(world.users, role)
    client.force_login(user)
    listing = client.get(reverse("task_list"))
    assert listing.status_code == 200
    shown = {int(pk) for pk in __import__("re").findall(r'data-task="(\d+)"', listing.content.decode())}
    assert shown == {getattr(world, n).pk for n in VISIBLE[role]}
    for name in ALL:
        task = getattr(world, name)
        detail = client.get(reverse("task_detail", args=[task.pk]))
        assert detail.status_code == (200 if name in VISIBLE[role] else 404), (role, name)


def test_hidden_and_missing_tasks_answer_the_same(client, world):
    client.force_login(world.users.head)
    hidden = client.get(reverse("task_detail", args=[world.t_sub.pk]))
    missing = client.get(reverse("task_detail", args=[999999]))
    assert hidden.status_code == missing.status_code == 404
    import re

    def strip(r):  # per-response CSRF tokens and the request path differ; nothing else may
        return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+|/tasks/\d+/', "", r.content.decode())

    assert strip(hidden) == strip(missing)


@pytest.mark.parametrize("role", ["staff", "head", "acceptor", "leader", "discipline", "admin", "other_office"])
def test_refusal_to_edit_another_units_task(client, world, role):
    client.force_login(getattr(world.users, role))
    before = Task.objects.get(pk=world.t_dept.pk)
    response = client.post(reverse("task_edit", args=[world.t_dept.pk]), {"number": 1, "title": "改掉"})
    assert response.status_code in (403, 404)
    after = Task.objects.get(pk=world.t_dept.pk)
    assert after.title == before.title and after.version == before.version


def test_office_edits_a_task_through_the_form(client, world):
    client.force_login(world.users.office)
    task = world.t_dept
    data = {
        "number": task.number, "title": "城区污水管网雨污混流，汛期溢流", "goal": "完成雨污分流改造",
        "implementing_units": [world.dept.pk], "lead_unit": world.dept.pk, "cooperating_units": [world.town.pk],
        "responsible_leader": "副区长 张某", "acceptance_unit": world.acceptor_org.pk, "deadline": "2025年12月底",
        "due_year": "", "category": "water", "measure_area": "", "remarks": "",
        "measures-TOTAL_FORMS": "2", "measures-INITIAL_FORMS": "0", "measures-MIN_NUM_FORMS": "0",
        "measures-MAX_NUM_FORMS": "1000",
        "measures-0-text": "完成管网排查", "measures-0-units": [world.dept.pk], "measures-0-deadline": "2025年6月底",
        "measures-1-text": "实施改造", "measures-1-units": [], "measures-1-deadline": "",
    }
    response = client.post(reverse("task_edit", args=[task.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert task.title.startswith("城区污水管网") and str(task.deadline) == "2025-12-31" and task.due_year == 2025
    assert list(task.cooperating_units.all()) == [world.town]
    measures = list(task.measures.order_by("number"))
    assert [m.text for m in measures] == ["完成管网排查", "实施改造"]
    assert str(measures[0].deadline) == "2025-06-30" and str(measures[1].deadline) == "2025-12-31"
    assert list(measures[1].units.all()) == [world.dept]  # blank units: the implementing units
    assert task.version == 2


def test_task_form_reports_errors_in_chinese_and_keeps_the_task(client, world):
    client.force_login(world.users.office)
    response = client.post(reverse("task_edit", args=[world.t_dept.pk]), {
        "number": "", "title": "", "deadline": "2025年13月", "measures-TOTAL_FORMS": "0",
        "measures-INITIAL_FORMS": "0", "measures-MIN_NUM_FORMS": "0", "measures-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "这个字段是必填项" in page
    assert "is-invalid" in page
    world.t_dept.refresh_from_db()
    assert world.t_dept.version == 1


def test_inspections_and_plans_are_scoped(client, world):
    assert set(scope_for(world.users.head, Inspection.objects.all())) == {world.inspection}
    assert set(scope_for(world.users.unrelated, Plan.objects.all())) == set()
    assert set(scope_for(world.users.other_office, Plan.objects.all())) == {world.other_plan}
    client.force_login(world.users.unrelated)
    assert client.get(reverse("plan_detail", args=[world.plan.pk])).status_code == 404
    client.force_login(world.users.head)
    page = client.get(reverse("plan_detail", args=[world.plan.pk]))
    assert page.status_code == 200
    assert f'data-task="{world.t_sub.pk}"' not in page.content.decode()


def test_only_office_creates_inspections(client, world):
    client.force_login(world.users.head)
    assert client.get(reverse("inspection_create")).status_code == 403
    client.force_login(world.users.office)
    response = client.post(reverse("inspection_create"), {
        "title": "第三轮中央生态环境保护督察", "level": "central", "round": "第三轮", "kind": "routine",
        "target_region": world.district.pk, "start_date": "2025-04-01", "end_date": "2025-03-01",
    })
    assert response.status_code == 200 and "结束日期不能早于进驻日期" in response.content.decode()
    response = client.post(reverse("inspection_create"), {
        "title": "第三轮中央生态环境保护督察", "level": "central", "round": "第三轮", "kind": "routine",
        "target_region": world.district.pk, "start_date": "2025-04-01", "end_date": "2025-05-01",
    })
    assert response.status_code == 302
    assert Inspection.objects.filter(title="第三轮中央生态环境保护督察").exists()


class TestAdmin:
    """The Django admin applies the same scope."""

    def _staff(self, user):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return user

    def test_head_sees_only_its_tasks_in_admin(self, client, world):
        client.force_login(self._staff(world.users.head))
        listing = client.get(reverse("admin:rectification_task_changelist"))
        assert listing.status_code == 200
        page = listing.content.decode()
        assert world.t_dept.short_title in page
        assert "餐饮油烟扰民" not in page  # t_sub
        assert client.get(reverse("admin:rectification_task_change", args=[world.t_sub.pk])).status_code in (302, 403, 404)

    def test_admin_role_manages_users_of_its_region_only(self, client, world):
        client.force_login(self._staff(world.users.admin))
        listing = client.get(reverse("admin:accounts_user_changelist"))
        assert listing.status_code == 200
        assert "other_office" not in listing.content.decode()
        assert client.get(reverse("admin:accounts_user_change", args=[world.users.other_office.pk])).status_code in (302, 404)
        assert client.get(reverse("admin:accounts_user_change", args=[world.users.head.pk])).status_code == 200

    def test_unit_user_cannot_manage_users_in_admin(self, client, world):
        client.force_login(self._staff(world.users.head))
        assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403

    def test_nobody_changes_tasks_in_admin(self, client, world):
        client.force_login(self._staff(world.users.office))
        response = client.post(reverse("admin:rectification_task_change", args=[world.t_dept.pk]), {"title": "x"})
        assert response.status_code == 403
        world.t_dept.refresh_from_db()
        assert world.t_dept.title != "x"


def test_admin_role_manages_users_in_the_staff_site(client, world):
    client.force_login(world.users.head)
    assert client.get(reverse("user_list")).status_code == 403
    client.force_login(world.users.admin)
    page = client.get(reverse("user_list")).content.decode()
    assert "head2" in page and "other_office" not in page
    response = client.post(reverse("user_create"), {
        "username": "newstaff", "last_name": "李", "first_name": "四", "organization": world.dept.pk,
        "roles": ["unit_staff"], "password": "a-long-enough-secret", "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    from zhenggai.accounts.models import User

    created = User.objects.get(username="newstaff")
    assert created.role_codes == {"unit_staff"} and created.check_password("a-long-enough-secret")
    response = client.post(reverse("user_create"), {
        "username": "weak", "organization": world.dept.pk, "roles": ["unit_staff"], "password": "12345678",
    })
    assert response.status_code == 200 and not User.objects.filter(username="weak").exists()


def test_user_form_renders_every_role_as_a_checkbox(client, world):
    """The form a browser gets offers each role, so that what a browser sends is what the test posts."""
    client.force_login(world.users.admin)
    page = client.get(reverse("user_edit", args=[world.users.head.pk])).content.decode()
    import re

    boxes = re.findall(r'<input type="checkbox" name="roles" value="(\w+)"[^>]*>', page)
    assert sorted(boxes) == sorted(["office", "unit_staff", "unit_head", "acceptor", "leader", "discipline", "admin"])
    assert re.search(r'<input type="checkbox" name="roles" value="unit_head"[^>]*checked', page)


def test_not_found_and_forbidden_pages_are_chinese(client, world):
    client.force_login(world.users.head)
    assert "对象不存在或您无权查看" in client.get(reverse("task_detail", args=[world.t_sub.pk])).content.decode()
    assert "您没有权限执行此操作" in client.get(reverse("inspection_create")).content.decode()


def test_task_history_names_the_changed_fields(client, world):
    from zhenggai.rectification.services import task_data_from, task_update

    data = task_data_from(world.t_dept)
    data.goal = "新的整改目标"
    task_update(actor=world.users.office, task=world.t_dept, data=data)
    client.force_login(world.users.office)
    page = client.get(reverse("task_detail", args=[world.t_dept.pk])).content.decode()
    assert "修改任务" in page and "（整改目标）" in page and "创建任务" in page


def test_lists_say_when_a_deadline_year_is_not_in_the_calendar(client, world):
    import datetime as dt

    from tests import factories as f

    client.force_login(world.users.office)
    page = client.get(reverse("task_list")).content.decode()
    assert 'data-testid="calendar-fallback"' not in page  # all deadlines in 2025
    f.task(actor=world.users.office, plan=world.plan, units=[world.dept], deadline=dt.date(2027, 12, 31))
    page = client.get(reverse("task_list")).content.decode()
    assert 'data-testid="calendar-fallback"' in page and "2027" in page
