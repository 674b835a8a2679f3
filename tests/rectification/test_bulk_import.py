"""The bulk path of the dispatch-table import: the same tasks, measures, milestones, units and events as
saving task by task through `task_save`, in a number of statements that does not grow with the tasks."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from zhenggai.core.events import audit_verify, event_record_bulk
from zhenggai.core.models import Event, EventChain
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import task_save
from zhenggai.reports.task_import import ImportFailed, task_import_apply, task_import_parse

from ..reports.sheets import DISPATCH_ROWS, HEADER, dispatch_xlsx

EXTRA = ["配合单位", "验收单位", "阶段目标"]
ROWS: list[list[Any]] = [
    [*row, *extra] for row, extra in zip(DISPATCH_ROWS, [
        ["区生态环境局", "区生态环境局", "2025年6月30日 完成排查（50%）\n2025-03-31：方案印发"],
        [None, None, None], [None, None, None],
        ["", "", ""],
    ], strict=True)
] + [
    # a measure naming one unit twice, a long-term task
    [6, "河道垃圾清理" * 10, "双桂街道", "", "长期坚持", "每周巡河", "双桂街道、双桂街道", "", "", "", "", "", "", "", ""],
]


def parse(world, tmp_path, rows=ROWS, name="t.xlsx"):
    path = dispatch_xlsx(tmp_path / name, rows, merges=[], header=[*HEADER, *EXTRA][: len(rows[0])])
    result = task_import_parse(path, filename=path.name, plan=world.plan)
    assert result.ok(), result.problems_for()
    return result


def save_one_by_one(*, actor, plan, result) -> None:
    """What `task_import_apply` did before the bulk path: `task_save` for every task."""
    for item in result.tasks:
        task_save(actor=actor, plan=plan, data=item.task_data(result.units, present=result.present, existing=None))


def written(plan) -> dict[str, Any]:
    """Everything the import wrote for `plan`, with ids replaced by task numbers."""
    tasks = list(Task.objects.filter(plan=plan).order_by("number"))
    number = {t.pk: t.number for t in tasks}

    def key(k: str) -> str:
        kind, _sep, ident = k.partition(":")
        return f"{kind}:#{number[int(ident)]}" if kind == "task" else k

    skip = {"id", "created_at", "updated_at"}
    rows = {}
    for task in tasks:
        rows[task.number] = {
            "fields": {f.attname: getattr(task, f.attname) for f in Task._meta.concrete_fields if f.attname not in skip},
            "implementing": sorted(task.implementing_units.values_list("name", flat=True)),
            "cooperating": sorted(task.cooperating_units.values_list("name", flat=True)),
            "measures": [(m.number, m.text, m.deadline, m.deadline_text, m.deadline_kind,
                          sorted(m.units.values_list("name", flat=True))) for m in task.measures.order_by("number")],
            "milestones": list(task.milestones.order_by("date", "id").values_list("date", "title", "percent")),
        }
    events = []
    for event in Event.objects.filter(object_type="task", object_id__in=[str(pk) for pk in number]).order_by("id"):
        data = dict(event.data)
        data["state"] = {key(k): v for k, v in data.get("state", {}).items()}
        events.append((key(event.chain.key), event.seq, event.verb, event.object_repr, event.actor_id,
                       event.actor_name, bool(event.prev_hash), data))
    return {"tasks": rows, "events": events}


def test_bulk_import_writes_what_saving_one_by_one_wrote(world, tmp_path):
    result = parse(world, tmp_path)
    office = world.users.office
    with transaction.atomic():
        save_one_by_one(actor=office, plan=world.plan, result=result)
        before = written(world.plan)
        transaction.set_rollback(True)
    counts = task_import_apply(actor=office, plan=world.plan, result=result)
    assert (counts.created, counts.updated, counts.unchanged) == (3, 0, 0)
    after = written(world.plan)
    assert set(after["tasks"]) == {1, 2, 3, 4, 5, 6}  # the plan's three tasks and the three imported
    assert after == before
    assert len(after["events"]) == len(before["events"])
    assert [e[2] for e in after["events"] if e[0] in ("task:#4", "task:#5", "task:#6")] == ["task.created"] * 3
    t4 = Task.objects.get(plan=world.plan, number=4)
    assert list(t4.milestones.values_list("title", flat=True)) == ["方案印发", "完成排查"]
    assert list(t4.cooperating_units.values_list("name", flat=True)) == ["区生态环境局"]


def test_audit_verifies_after_a_bulk_import(world, tmp_path):
    task_import_apply(actor=world.users.office, plan=world.plan, result=parse(world, tmp_path))
    assert list(audit_verify()) == []
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=out)
    assert "链全部通过校验，记录的当前状态一致" in out.getvalue(), out.getvalue()


def test_reimport_after_a_bulk_import_changes_nothing(world, tmp_path):
    result = parse(world, tmp_path)
    task_import_apply(actor=world.users.office, plan=world.plan, result=result)
    events = Event.objects.count()
    counts = task_import_apply(actor=world.users.office, plan=world.plan, result=parse(world, tmp_path, name="2.xlsx"))
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 3)
    assert Event.objects.count() == events


def many_rows(first: int, n: int) -> list[list[Any]]:
    rows = []
    for number in range(first, first + n):
        rows.append([number, f"问题{number}", "区住建委", "目标", "2026年12月底", "措施一", "区住房城乡建委、双桂街道",
                     "", "", "", "", "", "区生态环境局", "", "2026年6月30日 过半（50%）"])
        rows.append([None, None, None, None, None, "措施二", "双桂街道", "2026年9月底", None, None, None, None,
                     None, None, None])
    return rows


def test_statements_do_not_grow_with_the_tasks(world, tmp_path):
    def statements(first: int, n: int) -> int:
        result = parse(world, tmp_path, many_rows(first, n), name=f"{first}.xlsx")
        with CaptureQueriesContext(connection) as ctx:
            counts = task_import_apply(actor=world.users.office, plan=world.plan, result=result)
        assert counts.created == n
        # receivers of the events' post_save that keep their own projections (the warning steps of the
        # dashboards) write per event by their own choice; the import's own statements must stay flat
        return len([q for q in ctx.captured_queries if "warningstep" not in q["sql"]])

    few, many = statements(100, 3), statements(200, 60)
    assert many <= few, (few, many)  # the first may also read the working-day calendar
    assert many <= 40
    assert Task.objects.get(plan=world.plan, number=259).measures.count() == 2
    assert list(audit_verify()) == []


def test_batches_split_a_large_import_and_the_progress_follows_the_writes(world, tmp_path):
    result = parse(world, tmp_path, many_rows(300, 10))
    seen: list[tuple[int, int]] = []

    def progress(tasks):
        for item in tasks:
            seen.append((item.number, Task.objects.filter(plan=world.plan, number__gte=300).count()))
            yield item

    counts = task_import_apply(actor=world.users.office, plan=world.plan, result=result, progress=progress,
                               batch_size=4)
    assert counts.created == 10
    assert [o.number for o in counts.outcomes] == list(range(300, 310))
    assert list(Task.objects.filter(number__gte=300).order_by("pk").values_list("number", flat=True)) == list(
        range(300, 310))
    assert Event.objects.filter(verb="task.created", object_type="task").count() >= 10
    # the bar reaches a task only once every task before it is written (4 per batch)
    assert seen == [(300, 0), (301, 4), (302, 4), (303, 4), (304, 4), (305, 8), (306, 8), (307, 8), (308, 8),
                    (309, 10)]
    assert list(audit_verify()) == []


def test_a_refused_task_among_new_ones_imports_nothing(world, tmp_path):
    """A task the services refuse (no implementing unit left here) fails the whole import, and the
    failure names its row, as when saving one by one."""
    result = parse(world, tmp_path)
    result.tasks[1].implementing_units = []
    for measure in result.tasks[1].measures:
        measure.unit_names = []
    tasks, events = Task.objects.count(), Event.objects.count()
    with pytest.raises(ImportFailed) as info:
        task_import_apply(actor=world.users.office, plan=world.plan, result=result)
    assert [p.row for p in info.value.problems] == [result.tasks[1].row]
    assert "至少需要一个整改实施主体" in info.value.problems[0].message
    assert (Task.objects.count(), Event.objects.count()) == (tasks, events)


def test_event_record_bulk_appends_to_existing_chains(world):
    """Events for objects whose chains already have events link to the chain heads."""
    task = world.t_dept
    chain = EventChain.objects.get(key=f"task:{task.pk}")
    length = chain.length
    event_record_bulk(actor=world.users.office, verb="task.noted", items=[(task, {"n": 1}), (task, {"n": 2})])
    chain.refresh_from_db()
    assert chain.length == length + 2
    seqs = list(Event.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, length + 3))
    assert list(audit_verify()) == []


def test_warning_steps_follow_a_bulk_import(world, tmp_path):
    """The dashboards' warning steps (a projection of the task events) get one row per created task."""
    from zhenggai.reports.dashboards_warning_steps import warning_steps_from_events, warning_steps_kept

    task_import_apply(actor=world.users.office, plan=world.plan, result=parse(world, tmp_path, many_rows(400, 5)))
    kept = warning_steps_kept()
    assert kept == warning_steps_from_events()
    created = set(Task.objects.filter(number__gte=400).values_list("pk", flat=True))
    assert {task_id for _e, task_id, *_rest in kept} >= created
