"""The demo loader: the Liangping facts, the 37 sample tasks, units, accounts and scopes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from zhenggai.accounts.models import Organization, Region, Role, User
from zhenggai.accounts.policies import scope_for
from zhenggai.core.models import Event
from zhenggai.demo import ALL_DEMO_ACCOUNTS, DEMO_ACCOUNTS, DEMO_PASSWORD
from zhenggai.demo.loader import DemoDataExists, deadline_from_text, load_demo
from zhenggai.inspections.models import Inspection, Plan
from zhenggai.rectification.models import Task
from zhenggai.rectification.workflow import Category, DeadlineKind, TaskSource, TaskStatus

from . import factories as f

PLAN_TITLE = "重庆市梁平区贯彻落实〈梁平区生态环境保护督察报告〉整改方案"


@pytest.fixture(scope="class")
def loaded_demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for a test class inside a transaction that is rolled back after the class
    (as Django's setUpTestData does); each test runs in its own savepoint."""
    with f.rolled_back(django_db_blocker):
        yield load_demo()


@pytest.fixture
def demo(loaded_demo, db):
    return loaded_demo


@pytest.fixture
def plan(demo):
    return Plan.objects.get(title=PLAN_TITLE)


def party(task: Task, org: Organization) -> bool:
    units = {task.lead_unit_id, task.acceptance_unit_id}
    units |= set(task.implementing_units.values_list("pk", flat=True))
    units |= set(task.cooperating_units.values_list("pk", flat=True))
    units |= {u.pk for m in task.measures.all() for u in m.units.all()}
    return org.pk in units


class TestLoadedDemo:
    """Read-only checks on one loaded demo."""

    def test_inspection_facts(self, demo):
        insp = Inspection.objects.get(title__startswith="重庆市第八生态环境保护督察组对梁平区")
        assert insp.group.name == "重庆市第八生态环境保护督察组"
        assert insp.group.kind == Organization.Kind.INSPECTION_GROUP
        assert insp.group.parent is None and insp.group.region.name == "重庆市"
        assert (insp.start_date, insp.end_date, insp.feedback_date) == (
            dt.date(2024, 11, 18), dt.date(2024, 12, 2), dt.date(2025, 3, 3)
        )
        assert (insp.level, insp.round, insp.kind) == (Inspection.Level.MUNICIPAL, "第八", Inspection.Kind.ROUTINE)
        assert insp.target_region.name == "梁平区" and insp.target_region.parent.name == "重庆市"
        assert insp.is_sample is False
        assert insp.findings.count() >= 12


    def test_plan_goals_areas_and_guarantees(self, plan):
        assert plan.is_sample is False
        assert plan.inspection.feedback_date < plan.published_date
        assert [g["title"] for g in plan.goals] == ["思想行动更加自觉", "突出问题有效解决", "体制机制逐步健全"]
        assert all(g["text"] for g in plan.goals)
        assert [g["title"] for g in plan.guarantee_measures] == ["加强组织领导", "严格督办落实", "加强信息公开", "落实闭环管控"]
        areas = list(plan.measure_areas.order_by("number"))
        assert [a.number for a in areas] == [1, 2, 3, 4, 5]
        assert [a.title for a in areas] == [
            "深学笃用习近平生态文明思想", "加强对生态文明建设的领导", "坚决打好污染防治攻坚战", "加强生态保护修复",
            "深入补短板强弱项",
        ]
        assert areas[2].subareas == ["大气", "水", "农村", "危险废物", "建筑垃圾"]
        assert areas[3].subareas == ["自然保护地", "修复项目"]


    def test_thirty_seven_tasks_by_year_with_complete_fields(self, plan):
        tasks = list(plan.tasks.prefetch_related("implementing_units", "measures__units"))
        assert [t.number for t in tasks] == list(range(1, 38))
        assert Counter(t.due_year for t in tasks) == {2025: 32, 2026: 3, 2027: 2}
        for task in tasks:
            assert task.is_sample and task.title and task.goal and task.responsible_leader, task.number
            assert task.implementing_units.exists() and task.lead_unit and task.acceptance_unit, task.number
            assert task.category in Category.values and task.measure_area.plan_id == plan.pk, task.number
            assert task.deadline_text, task.number
            if task.deadline_kind == DeadlineKind.BY_DATE:
                assert task.deadline.year == task.due_year, task.number
            measures = list(task.measures.all())
            assert len(measures) >= 2, task.number
            assert all(m.text and m.units.exists() and m.deadline_text for m in measures), task.number
            assert Event.objects.filter(object_type="task", object_id=str(task.pk), verb="task.created").exists()
        kinds = Counter(t.deadline_kind for t in tasks)
        assert kinds[DeadlineKind.IMMEDIATE_LONG_TERM] >= 3
        assert all(
            t.deadline_text == "立行立改、长期坚持" for t in tasks if t.deadline_kind == DeadlineKind.IMMEDIATE_LONG_TERM
        )
        assert set(Category.values) == {t.category for t in tasks}
        assert {t.measure_area.number for t in tasks} == {1, 2, 3, 4, 5}
        statuses = Counter(t.status for t in tasks)
        assert set(statuses) == set(TaskStatus.values)  # the whole lifecycle is on show
        assert statuses[TaskStatus.CLOSED] < len(tasks)
        assert statuses[TaskStatus.CLOSED] >= 1
        assert any(t.milestones.exists() for t in tasks)
        assert all(t.finding and t.finding.inspection_id == plan.inspection_id for t in tasks)


    def test_regions_and_organization_tree(self, demo):
        district = Region.objects.get(name="梁平区")
        assert Region.objects.get(name="重庆市").level == Region.Level.CITY
        assert district.children.filter(level=Region.Level.TOWNSHIP).count() >= 30
        gov = Organization.objects.get(name="梁平区人民政府")
        assert gov.kind == Organization.Kind.GOVERNMENT and gov.parent is None and gov.region == district
        office = Organization.objects.get(kind=Organization.Kind.OFFICE)
        assert office.name == "梁平区生态环境保护督察整改工作领导小组办公室"
        assert office.short_name == "区督察整改办" and office.parent == gov
        departments = Organization.objects.filter(kind=Organization.Kind.DEPARTMENT, parent=gov)
        assert departments.count() >= 20
        assert {"区住房城乡建委", "区生态环境局", "区纪委监委", "梁平工业园区管委会"} <= set(departments.values_list("name", flat=True))
        townships = Organization.objects.filter(kind=Organization.Kind.TOWNSHIP, parent=gov).select_related("region")
        assert townships.count() >= 30
        assert all(t.region.level == Region.Level.TOWNSHIP and t.region.name == t.name for t in townships)
        groups = Organization.objects.filter(kind=Organization.Kind.INSPECTION_GROUP)
        assert {g.name for g in groups} >= {"重庆市第八生态环境保护督察组", "中央第二生态环境保护督察组"}
        assert all(g.parent is None and g.region.name == "重庆市" for g in groups)


    def test_every_demo_account_signs_in_with_its_role(self, demo):
        request = RequestFactory().post("/accounts/login/")
        assert ("office", "office", "梁平区生态环境保护督察整改工作领导小组办公室") in DEMO_ACCOUNTS
        for username, role, org_name in ALL_DEMO_ACCOUNTS:
            user = authenticate(request, username=username, password=DEMO_PASSWORD)
            assert user is not None, username
            assert role in user.role_codes and user.organization.name == org_name
            assert user.last_name and user.first_name and user.title
        assert authenticate(request, username="head", password="wrong-password") is None
        admin = User.objects.get(username="admin")
        assert admin.is_staff and Role.ADMIN in admin.role_codes
        assert not User.objects.filter(is_superuser=True).exists()
        assert {u for u, _r, _o in DEMO_ACCOUNTS} == {
            "office", "staff", "head", "staff2", "head2", "acceptor", "leader", "discipline", "admin"
        }


    def test_scopes_of_the_unit_accounts(self, plan):
        head, head2, acceptor = (User.objects.get(username=n) for n in ("head", "head2", "acceptor"))
        housing, town, env = head.organization, head2.organization, acceptor.organization
        assert (housing.name, town.name, env.name) == ("区住房城乡建委", "双桂街道", "区生态环境局")

        seen = set(scope_for(head, Task.objects.all()))
        assert seen and seen < set(Task.objects.all())
        assert all(party(t, housing) for t in seen)
        in_plan = plan.tasks.filter(implementing_units=housing)
        assert in_plan.count() >= 5
        assert in_plan.filter(acceptance_unit=env).count() >= 2

        seen2 = set(scope_for(head2, Task.objects.all()))
        only_town = {t for t in seen2 - seen if t.plan_id == plan.pk and town in t.implementing_units.all()}
        assert len(only_town) >= 3
        assert all(not party(t, housing) for t in only_town)

        office, leader = User.objects.get(username="office"), User.objects.get(username="leader")
        assert scope_for(office, Task.objects.all()).count() == Task.objects.count()
        assert scope_for(leader, Plan.objects.all()).count() == Plan.objects.count()
        assert scope_for(User.objects.get(username="admin"), Task.objects.all()).count() == 0


    def test_more_inspections_each_with_a_plan(self, demo):
        with_plans = Inspection.objects.filter(plans__isnull=False).distinct()
        assert with_plans.count() >= 2
        look_back = Inspection.objects.get(kind=Inspection.Kind.LOOK_BACK)
        assert look_back.follows.level == Inspection.Level.CENTRAL and look_back.is_sample
        lb_tasks = Task.objects.filter(plan__inspection=look_back)
        assert 5 <= lb_tasks.count() <= 10
        assert lb_tasks.filter(status=TaskStatus.CLOSED).exists()
        assert lb_tasks.exclude(status=TaskStatus.CLOSED).exists()
        rebound = lb_tasks.get(source=TaskSource.REBOUND)
        assert rebound.rebound_of.plan.inspection == look_back.follows
        assert rebound.rebound_of.status == TaskStatus.CLOSED


    def test_meetings_link_the_inspection_and_tasks(self, plan):
        meetings = plan.inspection.meetings.all()
        assert meetings.count() >= 3
        assert all(m.tasks.exists() and m.body and m.decisions for m in meetings)
        assert all(m.date >= plan.inspection.feedback_date for m in meetings)


    def test_loading_twice_refuses_and_changes_nothing(self, demo):
        counts = (Task.objects.count(), User.objects.count(), Event.objects.count())
        with pytest.raises(DemoDataExists, match="不能重复载入"):
            load_demo()
        assert (Task.objects.count(), User.objects.count(), Event.objects.count()) == counts
        with pytest.raises(CommandError):
            call_command("load_demo", stdout=StringIO())


    def test_event_chains_verify_after_loading(self, demo):
        out = StringIO()
        call_command("verify_audit", stdout=out)
        assert "链全部通过校验" in out.getvalue()
        assert demo["events"] == Event.objects.count() > demo["tasks"]


@pytest.mark.django_db
def test_command_if_empty_loads_once_and_prints_accounts():
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    text = out.getvalue()
    assert "演示数据已载入" in text and DEMO_PASSWORD in text
    assert all(username in text for username, _r, _o in DEMO_ACCOUNTS)
    assert "区住房城乡建委" in text and "责任单位负责人" in text
    counts = (Task.objects.count(), User.objects.count())
    assert counts[0] == 37 + 6 + 6

    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "未载入演示数据" in out.getvalue()
    assert (Task.objects.count(), User.objects.count()) == counts


@pytest.mark.django_db
def test_command_if_empty_leaves_a_database_with_users_alone():
    User.objects.create_user("someone", password="pw-for-tests-123")
    out = StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "未载入演示数据" in out.getvalue()
    assert not Inspection.objects.exists() and not User.objects.filter(username="office").exists()


@pytest.mark.parametrize(
    ("text", "due", "expected"),
    [
        ("2025年12月底", None, (dt.date(2025, 12, 31), DeadlineKind.BY_DATE)),
        ("2026年6月底", None, (dt.date(2026, 6, 30), DeadlineKind.BY_DATE)),
        ("2025年2月底", None, (dt.date(2025, 2, 28), DeadlineKind.BY_DATE)),
        ("2023年9月30日前", None, (dt.date(2023, 9, 30), DeadlineKind.BY_DATE)),
        ("立行立改、长期坚持", "2025-12-31", (dt.date(2025, 12, 31), DeadlineKind.IMMEDIATE_LONG_TERM)),
        ("长期坚持", None, (None, DeadlineKind.LONG_TERM)),
        ("立行立改", None, (None, DeadlineKind.IMMEDIATE)),
    ],
)
def test_deadline_from_text(text, due, expected):
    assert deadline_from_text(text, due) == expected


def test_deadline_from_text_refuses_unknown_text():
    with pytest.raises(ValueError):
        deadline_from_text("尽快")


@pytest.mark.django_db
def test_stored_warnings_match_the_rule_after_loading():
    from zhenggai.demo.loader import load_demo
    from zhenggai.rectification.models import Task
    from zhenggai.rectification.warnings import warning_for

    load_demo()
    tasks = list(Task.objects.all())
    assert all(t.warning == warning_for(t) for t in tasks)
    assert {t.warning for t in tasks} >= {"red", "green"}


@pytest.mark.django_db
def test_the_demo_shows_the_loop_in_every_state():
    from collections import Counter

    from zhenggai.accounts.models import User
    from zhenggai.demo.loader import load_demo
    from zhenggai.evidence.models import Evidence
    from zhenggai.rectification.models import (
        AcceptanceReview,
        DispatchRound,
        LookBack,
        Objection,
        ProgressReport,
        PublicNotice,
        SupervisionNotice,
        Task,
    )
    from zhenggai.rectification.transitions import available_transitions

    load_demo()
    assert set(Task.objects.values_list("status", flat=True)) == set(TaskStatus.values)
    assert {"red", "yellow"} <= set(Task.objects.values_list("warning", flat=True))
    # rounds: a past one closed, a current one past its due date with missing, submitted and draft reports
    past, current = DispatchRound.objects.order_by("period_start")
    assert past.status == "closed" and current.status == "open" and current.due_date < dt.date.today()
    statuses = Counter(ProgressReport.objects.filter(round=current).values_list("status", flat=True))
    assert statuses["approved"] and statuses["submitted"] and statuses["draft"]
    expected = sum(t.implementing_units.count() for t in current.tasks.all())
    assert ProgressReport.objects.filter(round=current).count() < expected  # late reporters
    # supervision: an issued notice with a reply, drafts waiting for the office
    assert SupervisionNotice.objects.filter(status="replied").exclude(reply="").exists()
    assert SupervisionNotice.objects.filter(status="draft").exists()
    # acceptance and notices: a notice in progress with an objection, closed tasks with a passed review
    running = PublicNotice.objects.filter(status="open", end_date__gte=dt.date.today())
    assert running.exists() and Objection.objects.filter(notice__in=running).exists()
    assert AcceptanceReview.objects.filter(decision="pass").count() >= Task.objects.filter(status="closed").count() - 6
    assert Evidence.objects.exists()
    # a look-back that found a rebound, linked to a new task
    rebound = LookBack.objects.get(result="rebound")
    assert rebound.rebound_task.rebound_of_id == rebound.task_id
    # the demo users have work waiting: head approves, acceptor reviews
    head = User.objects.get(username="head")
    assert ProgressReport.objects.filter(unit=head.organization, status="submitted").exists()
    acceptor = User.objects.get(username="acceptor")
    waiting = Task.objects.filter(status="acceptance_requested")
    assert any("pass" in available_transitions(t, acceptor) for t in waiting)
