"""The dispatch ledger: its shape, its scope, and export → import giving back the same tasks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from zhenggai.rectification.deadlines import parse_deadline
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import MeasureData, TaskData, task_create, task_data_from
from zhenggai.rectification.workflow import DeadlineKind as K
from zhenggai.reports.task_export import LEDGER_COLUMNS, deadline_cell

from .. import factories as f

D = dt.date
AREAS = ("坚决打好污染防治攻坚战", "加强生态保护修复")


def demo_like_plan(world):
    """A plan shaped like the demo's: tasks over several measures, every deadline kind, optional columns."""
    office = world.users.office
    plan = f.plan(inspection=world.inspection, title="梁平区整改方案（台账测试）", areas=AREAS)
    area1, area2 = plan.measure_areas.order_by("number")

    def m(n, text, units, text_deadline):
        parsed = parse_deadline(text_deadline)
        return MeasureData(number=n, text=text, units=units, deadline=parsed.date, deadline_text=parsed.text,
                           deadline_kind=parsed.kind)

    specs = [
        TaskData(number=1, title="城市建成区污水管网雨污混流，汛期溢流", goal="2025年底前完成主城区雨污分流改造\n消除溢流",
                 implementing_units=[world.dept, world.town], lead_unit=world.dept, cooperating_units=[world.acceptor_org],
                 responsible_leader="李副区长", acceptance_unit=world.acceptor_org, deadline=D(2025, 12, 31),
                 deadline_text="2025年12月底", category="water", measure_area=area1, remarks="重点任务\n列入年度考核",
                 milestones=[(D(2025, 3, 31), "完成排查", 20), (D(2025, 9, 30), "完成主干管网改造", 70)],
                 measures=[m(1, "排查雨污混流点位并建立清单", [world.dept], "2025年3月底前"),
                           m(2, "实施管网改造", [world.dept, world.town], "2025年12月31日"),
                           m(3, "建立长效管护机制", [world.town], "长期坚持")]),
        TaskData(number=2, title="餐饮油烟扰民", implementing_units=[world.town_sub], lead_unit=world.town_sub,
                 deadline=None, deadline_text="立行立改", deadline_kind=K.IMMEDIATE, due_year=2025, category="air",
                 measures=[m(1, "安装油烟净化设施", [world.town_sub], "立行立改")]),
        TaskData(number=3, title="自然保护区内违规建筑", implementing_units=[world.town, world.dept], lead_unit=world.town,
                 deadline=D(2026, 6, 30), deadline_text="立行立改，2026年6月底前完成", deadline_kind=K.IMMEDIATE,
                 acceptance_unit=world.dept, measure_area=area2, category="mountain",
                 measures=[m(1, "拆除违建", [world.town], "2025年9月30日前"), m(2, "生态复绿", [world.town, world.dept], "2026年上半年")]),
        TaskData(number=4, title="=环境保护责任清单未落实", implementing_units=[world.gov], lead_unit=world.gov,
                 deadline=D(2025, 12, 31), deadline_text="2025年12月底前完成并长期坚持", deadline_kind=K.LONG_TERM,
                 due_year=2027, responsible_leader="区长",
                 measures=[m(1, "制定责任清单", [world.gov], "2025年6月底")]),
        TaskData(number=5, title="生态环境考核权重偏低", implementing_units=[world.gov, world.office_org],
                 lead_unit=world.office_org, deadline=None, deadline_text="立行立改、长期坚持",
                 deadline_kind=K.IMMEDIATE_LONG_TERM, due_year=2025, measures=[]),
        TaskData(number=6, title="夜间施工噪声扰民", implementing_units=[world.dept], lead_unit=world.dept,
                 deadline=D(2025, 12, 31), deadline_text="立行立改、长期坚持", deadline_kind=K.IMMEDIATE_LONG_TERM,
                 measures=[m(1, "加强夜间巡查", [world.dept], "立行立改")]),
    ]
    for data in specs:
        task_create(actor=office, plan=plan, data=data)
    return plan


def comparable(task: Task) -> dict:
    data = task_data_from(task)
    values = {}
    for field in dataclasses.fields(TaskData):
        value = getattr(data, field.name)
        if field.name in ("implementing_units", "cooperating_units"):
            value = sorted(u.pk for u in value)
        elif field.name == "measure_area":
            value = value.title if value else None
        elif field.name == "measures":
            value = [(m.number, m.text, sorted(u.pk for u in m.units), m.deadline, m.deadline_text, m.deadline_kind)
                     for m in value]
        values[field.name] = value
    return values


def export(plan, path):
    out = io.StringIO()
    call_command("export_ledger", plan=plan.pk, output=str(path), stdout=out)
    return out.getvalue()


def import_into_fresh_plan(world, path, areas=AREAS):
    fresh = f.plan(inspection=world.inspection, title="新方案", areas=areas)
    call_command("import_tasks", str(path), plan=fresh.pk, stdout=io.StringIO())
    return fresh


def test_export_then_import_round_trips(world, tmp_path):
    plan = demo_like_plan(world)
    path = tmp_path / "台账.xlsx"
    assert "6 项任务、8 条措施" in export(plan, path)
    fresh = import_into_fresh_plan(world, path)
    originals = {t.number: comparable(t) for t in plan.tasks.all()}
    imported = {t.number: comparable(t) for t in fresh.tasks.all()}
    assert imported.keys() == originals.keys()
    for number, original in originals.items():
        for name, value in original.items():
            assert imported[number][name] == value, (number, name)
    # and the plan's own re-import changes nothing
    out = io.StringIO()
    call_command("import_tasks", str(path), plan=plan.pk, stdout=out)
    assert "未变 6 项" in out.getvalue()


def test_world_plan_round_trips(world, tmp_path):
    """Measures without a deadline of their own come back with the task's (the import rule)."""
    path = tmp_path / "world.xlsx"
    export(world.plan, path)
    fresh = import_into_fresh_plan(world, path, areas=("坚决打好污染防治攻坚战",))
    for original in world.plan.tasks.all():
        expected = comparable(original)
        expected["measures"] = [(n, t, u, original.deadline, original.deadline_text, original.deadline_kind)
                                for n, t, u, _d, _dt, _k in expected["measures"]]
        assert comparable(fresh.tasks.get(number=original.number)) == expected


def test_ledger_shape(world, tmp_path):
    plan = demo_like_plan(world)
    path = tmp_path / "台账.xlsx"
    export(plan, path)
    sheet = load_workbook(path).active
    assert "整改任务调度台账" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    assert header[:12] == ["序号", "存在问题", "牵头单位", "整改目标", "整改时限", "整改措施", "责任单位", "整改时限",
                           "整改阶段", "整改进度描述", "是否销号", "备注"]
    assert header[12:] == ["整改实施主体", "配合单位", "责任领导", "验收单位", "九治类别", "整改举措领域", "完成年度",
                           "完成日期", "阶段目标"]
    assert sheet["A2"].font.bold and sheet["A3"].border.left.style == "thin" and sheet["B3"].alignment.wrap_text
    assert sheet.freeze_panes == "C3"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A3:A5", "B3:B5", "E3:E5", "L3:L5"} <= merged  # task 1 over its three measure rows
    assert not any(r.startswith(("F3", "G3", "H3")) for r in merged)  # measure cells are not merged
    assert [sheet.cell(row=r, column=6).value for r in (3, 4, 5)] == ["排查雨污混流点位并建立清单", "实施管网改造", "建立长效管护机制"]
    assert sheet["G4"].value == "区住房城乡建委、双桂街道"
    assert sheet["H5"].value == "长期坚持"
    assert sheet["I3"].value == "未启动" and sheet["K3"].value == "否"
    assert sheet["Q3"].value == "治水"
    assert sheet["B9"].value == "=环境保护责任清单未落实" and sheet["B9"].data_type == "s"  # text, not a formula
    assert sheet.max_row == 2 + 3 + 1 + 2 + 1 + 1 + 1
    assert sheet["T3"].value.date() == D(2025, 12, 31) and sheet["T3"].number_format == 'yyyy"年"m"月"d"日"'
    assert (sheet["E11"].value, sheet["T11"].value.date()) == ("立行立改、长期坚持", D(2025, 12, 31))
    assert sheet["U3"].value == "2025年3月31日 完成排查（20%）\n2025年9月30日 完成主干管网改造（70%）"
    assert sheet.column_dimensions["B"].width == LEDGER_COLUMNS[1][2]


@pytest.mark.parametrize(
    ("date", "kind", "text", "expected"),
    [
        (D(2025, 12, 31), K.BY_DATE, "2025年12月底", "2025年12月底"),
        (D(2025, 12, 31), K.BY_DATE, "", "2025年12月31日"),
        (D(2025, 12, 31), K.BY_DATE, "2025年6月", "2025年12月31日"),  # the wording disagrees with the date
        (None, K.IMMEDIATE, "", "立行立改"),
        (D(2025, 6, 30), K.IMMEDIATE, "立行立改", "立行立改"),  # the task's date goes to 完成日期
        (D(2025, 6, 30), K.LONG_TERM, "", "2025年6月30日前完成，长期坚持"),
        (D(2025, 6, 30), K.LONG_TERM, "立行立改", "2025年6月30日前完成，长期坚持"),  # wrong kind
        (None, K.IMMEDIATE_LONG_TERM, "", "立行立改，长期坚持"),
    ],
)
def test_deadline_cells(date, kind, text, expected):
    cell = deadline_cell(date, kind, text)
    assert cell == expected
    parsed = parse_deadline(cell)
    assert parsed.kind == kind and parsed.date in (date, None)


def test_reimporting_the_ledger_keeps_wordings_it_had_to_rewrite(world, tmp_path):
    """A task whose wording does not read back as its deadline is exported with other words, measures
    without a deadline of their own with a blank cell; importing the ledger again into the same plan
    changes nothing."""
    data = task_data_from(world.t_dept)
    data.deadline_text = ""
    data.measures = [*data.measures, MeasureData(number=2, text="复查", units=[world.dept], deadline=D(2025, 6, 30),
                                                  deadline_text="立行立改", deadline_kind=K.IMMEDIATE)]
    from zhenggai.rectification.services import task_update

    task_update(actor=world.users.office, task=world.t_dept, data=data)
    path = tmp_path / "t.xlsx"
    export(world.plan, path)
    out = io.StringIO()
    call_command("import_tasks", str(path), plan=world.plan.pk, stdout=out)
    assert "未变 3 项" in out.getvalue()
    world.t_dept.refresh_from_db()
    assert world.t_dept.deadline_text == ""
    assert [(m.deadline, m.deadline_text) for m in world.t_dept.measures.order_by("number")] == [
        (None, ""), (D(2025, 6, 30), "立行立改")]


def test_export_command_refusals(world, tmp_path):
    with pytest.raises(CommandError) as info:
        export(world.plan, tmp_path / "台账.csv")
    assert info.value.returncode == 1
    with pytest.raises(CommandError):
        call_command("export_ledger", plan=99999, output=str(tmp_path / "x.xlsx"))


# --- the download -----------------------------------------------------------------------------------


def download(client, user, plan):
    client.force_login(user)
    return client.get(reverse("ledger_export", kwargs={"pk": plan.pk}))


def ledger_numbers(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)
            if sheet.cell(row=r, column=1).value is not None]


def test_office_downloads_the_ledger(client, world, django_assert_max_num_queries):
    client.force_login(world.users.office)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("ledger_export", kwargs={"pk": world.plan.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="ledger-{world.plan.pk}.xlsx";')
    assert f"filename*=UTF-8''{quote('测试整改方案-整改任务调度台账.xlsx')}" in disposition
    assert ledger_numbers(response) == [1, 2, 3]


def test_ledger_query_count_does_not_grow_with_tasks(client, world, django_assert_max_num_queries):
    for number in range(4, 14):
        f.task(actor=world.users.office, plan=world.plan, number=number, units=[world.dept, world.town])
    client.force_login(world.users.office)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("ledger_export", kwargs={"pk": world.plan.pk}))
    assert len(ledger_numbers(response)) == 13


def test_unit_user_gets_only_its_tasks(client, world):
    response = download(client, world.users.head, world.plan)
    assert ledger_numbers(response) == [1, 2]  # t_town: its unit accepts


def test_ledger_of_a_hidden_plan_is_not_found(client, world):
    assert download(client, world.users.other_office, world.plan).status_code == 404
    assert download(client, world.users.unrelated, world.plan).status_code == 404


def test_ledger_needs_login(client, world):
    response = client.get(reverse("ledger_export", kwargs={"pk": world.plan.pk}))
    assert response.status_code == 302 and "/login/" in response["Location"]

