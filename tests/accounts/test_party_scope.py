"""The unit scope (`party_task_ids`, `task_party_q`, `scope_for` for unit roles): the same tasks as the
rule says — party through any of the five relations, sub-units included, parents not — read by one id
query per relation combined with UNION instead of a join of all five with OR."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from zhenggai.accounts.models import Organization, Role
from zhenggai.accounts.policies import party_task_ids, scope_for, task_party_q
from zhenggai.inspections.models import Inspection, Meeting, Plan
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import MeasureData

from .. import factories as f

pytestmark = pytest.mark.django_db


def joined_party_q(org_path: str) -> Q:
    """The rule as it was written before: the five relations joined with OR (the oracle of these tests)."""
    return (
        Q(implementing_units__path__startswith=org_path)
        | Q(lead_unit__path__startswith=org_path)
        | Q(cooperating_units__path__startswith=org_path)
        | Q(acceptance_unit__path__startswith=org_path)
        | Q(measures__units__path__startswith=org_path)
    )


@pytest.fixture
def parties(world):
    """One task per relation through which the unit `dept` (or its sub-unit) is party, and tasks it is
    not party to (only its parent, only an unrelated unit)."""
    office = world.users.office
    dept_sub = f.org("区住建委城建科", region=world.district, parent=world.dept, kind=Organization.Kind.OTHER)
    other = world.unrelated
    make = lambda number, **kw: f.task(actor=office, plan=world.plan, number=number, **kw)  # noqa: E731
    tasks = {
        "implementing": make(11, units=[world.dept], lead_unit=other),
        "implementing_sub": make(12, units=[dept_sub], lead_unit=other),
        "lead": make(13, units=[other], lead_unit=world.dept),
        "cooperating": make(14, units=[other], cooperating=[dept_sub]),
        "acceptance": make(15, units=[other], acceptance_unit=world.dept),
        "measure": make(16, units=[other], measures=[
            MeasureData(number=1, text="排查", units=[other]), MeasureData(number=2, text="改造", units=[dept_sub])]),
        "parent_only": make(17, units=[world.gov]),
        "unrelated": make(18, units=[other], cooperating=[world.town]),
    }
    return world, dept_sub, tasks


def test_party_ids_are_the_tasks_of_every_relation_and_sub_unit(parties):
    world, dept_sub, tasks = parties
    ids = set(Task.objects.filter(pk__in=party_task_ids(world.dept.path)).values_list("pk", flat=True))
    expected = {tasks[k].pk for k in ("implementing", "implementing_sub", "lead", "cooperating", "acceptance",
                                      "measure")}
    assert expected <= ids
    assert tasks["parent_only"].pk not in ids and tasks["unrelated"].pk not in ids
    # and exactly the joined rule's answer, for every unit of the district
    for org in Organization.objects.all():
        union = set(Task.objects.filter(task_party_q(org.path)).values_list("pk", flat=True))
        joined = set(Task.objects.filter(joined_party_q(org.path)).values_list("pk", flat=True))
        assert union == joined, org.name


@pytest.mark.parametrize("role", [Role.UNIT_STAFF, Role.UNIT_HEAD, Role.ACCEPTOR])
def test_unit_roles_see_exactly_the_joined_rule(parties, role):
    world, dept_sub, _tasks = parties
    for org in (world.dept, dept_sub, world.town, world.town_sub, world.gov, world.unrelated):
        user = f.user(organization=org, roles=[role])
        seen = set(scope_for(user, Task.objects.all()).values_list("pk", flat=True))
        assert seen == set(Task.objects.filter(joined_party_q(org.path)).values_list("pk", flat=True)), org.name
        plans = set(scope_for(user, Plan.objects.all()))
        assert plans == set(Plan.objects.filter(tasks__in=Task.objects.filter(joined_party_q(org.path))))
        inspections = set(scope_for(user, Inspection.objects.all()))
        assert inspections == set(Inspection.objects.filter(
            plans__tasks__in=Task.objects.filter(joined_party_q(org.path))))


def test_meetings_of_party_tasks(parties):
    world, dept_sub, tasks = parties
    seen_by_sub = Meeting.objects.create(inspection=world.inspection, title="专题会", date="2025-03-10")
    seen_by_sub.tasks.add(tasks["measure"])
    hidden = Meeting.objects.create(inspection=world.inspection, title="另一会", date="2025-03-11")
    hidden.tasks.add(tasks["unrelated"])
    user = f.user(organization=dept_sub, roles=[Role.UNIT_STAFF])
    assert set(scope_for(user, Meeting.objects.all())) == {seen_by_sub}


def test_the_scope_is_one_statement_of_id_subqueries_without_a_join_of_the_relations(world):
    user = world.users.staff
    assert user.role_codes  # loaded once per user, as the middleware does
    with CaptureQueriesContext(connection) as ctx:
        list(scope_for(user, Task.objects.order_by("pk")))
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"].upper()
    assert sql.count("UNION") == 4
    assert "LEFT OUTER JOIN" not in sql  # the relations are not joined to the task rows
    assert " OR " not in sql
