"""Importing the dispatch table: shapes found in the wild, the all-or-nothing rule, idempotency."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from zhenggai.accounts.models import Organization
from zhenggai.core.models import Event
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import MeasureData, task_data_from, task_update
from zhenggai.rectification.workflow import DeadlineKind
from zhenggai.reports.task_import import task_import_parse

from .sheets import DISPATCH_ROWS, HEADER, TITLE, csv_file, dispatch_xlsx, xlsx

D = dt.date


def run(path, plan, **options):
    out = io.StringIO()
    call_command("import_tasks", str(path), plan=plan.pk, stdout=out, **options)
    return out.getvalue()


def refused(path, plan, **options) -> str:
    tasks, events = Task.objects.count(), Event.objects.count()
    with pytest.raises(CommandError) as info:
        run(path, plan, **options)
    assert info.value.returncode == 1
    assert (Task.objects.count(), Event.objects.count()) == (tasks, events)  # nothing imported
    return str(info.value)


def units(queryset):
    return {u.name for u in queryset.all()}


def assert_dispatch_tasks(world):
    """Tasks 4 and 5 of DISPATCH_ROWS as they must be in the database."""
    t4 = Task.objects.get(plan=world.plan, number=4)
    assert t4.title == "城区黑臭水体治理后反弹"
    assert t4.goal == "消除黑臭水体"
    assert t4.lead_unit == world.dept  # found by its short name 区住建委
    assert (t4.deadline, t4.deadline_kind, t4.deadline_text) == (D(2025, 12, 31), DeadlineKind.BY_DATE, "2025年12月底")
    assert t4.due_year == 2025
    assert t4.remarks == "重点任务"
    assert units(t4.implementing_units) == {"区住房城乡建委", "双桂街道", "区生态环境局"}
    m1, m2, m3 = t4.measures.order_by("number")
    assert (m1.text, units(m1.units), m1.deadline) == ("排查雨污混流点", {"区住房城乡建委"}, D(2025, 6, 30))
    assert (m2.text, units(m2.units)) == ("实施管网雨污分流改造", {"区住房城乡建委", "双桂街道"})
    assert (m2.deadline, m2.deadline_text) == (D(2025, 12, 31), "2025年12月底")  # blank → the task's deadline
    assert (m3.deadline, m3.deadline_kind) == (None, DeadlineKind.LONG_TERM)
    t5 = Task.objects.get(plan=world.plan, number=5)
    assert (t5.deadline, t5.deadline_kind) == (None, DeadlineKind.IMMEDIATE)
    assert units(t5.implementing_units) == {"双桂街道", "双桂街道环保所"}
    assert t5.lead_unit == world.acceptor_org
    (m,) = t5.measures.all()
    assert m.deadline == D(2025, 3, 31)


def test_dispatch_table_with_title_row_and_merged_cells(world, tmp_path):
    out = run(dispatch_xlsx(tmp_path / "调度表.xlsx"), world.plan)
    assert "新增 2 项，更新 0 项，未变 0 项" in out
    assert_dispatch_tasks(world)
    assert Event.objects.filter(verb="task.created", object_id__in=[
        str(t.pk) for t in Task.objects.filter(number__in=[4, 5])]).count() == 2


def test_reimport_changes_nothing(world, tmp_path):
    path = dispatch_xlsx(tmp_path / "t.xlsx")
    run(path, world.plan)
    events = Event.objects.count()
    out = run(path, world.plan)
    assert "新增 0 项，更新 0 项，未变 2 项" in out
    assert Event.objects.count() == events


def test_blank_cells_continue_the_task_like_merged_ones(world, tmp_path):
    """The same table without merges (as a CSV export of it looks) gives the same tasks."""
    run(dispatch_xlsx(tmp_path / "t.xlsx", merges=[]), world.plan)
    assert_dispatch_tasks(world)


def test_update_keeps_what_the_table_does_not_hold(world, tmp_path):
    task = world.t_dept
    data = task_data_from(task)
    data.milestones = [(D(2025, 6, 30), "完成排查", 50)]
    task_update(actor=world.users.office, task=task, data=data)
    rows = [[1, "城区污水管网雨污混流（修订）", "区住建委", "", "2025年12月31日", "排查管网", "区住房城乡建委", "", "", "", "", ""]]
    out = run(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    assert "更新 1 项" in out
    task.refresh_from_db()
    assert task.title == "城区污水管网雨污混流（修订）"
    assert list(task.milestones.values_list("title", flat=True)) == ["完成排查"]  # not in the table: kept
    assert task.acceptance_unit == world.acceptor_org  # no 验收单位 column: kept
    assert task.version == 3


def test_two_row_header(world, tmp_path):
    rows = [
        ["序号", "整改任务", None, None, None, "整改措施", "责任单位", "整改时限", "备注"],
        [None, "存在问题", "牵头单位", "整改目标", "整改时限", None, None, None, None],
        [7, "建筑工地扬尘", "区住建委", "扬尘达标", "2025年第三季度", "落实六个百分百", "区住建委", "", ""],
        [None, None, None, None, None, "开展联合执法", "区生态环境局", "2025年上半年", ""],
    ]
    merges = ["A1:A2", "B1:E1", "F1:F2", "G1:G2", "H1:H2", "I1:I2", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4"]
    run(xlsx(tmp_path / "t.xlsx", rows, merges=merges), world.plan)
    task = Task.objects.get(plan=world.plan, number=7)
    assert (task.title, task.goal, task.deadline) == ("建筑工地扬尘", "扬尘达标", D(2025, 9, 30))
    assert [(m.text, m.deadline) for m in task.measures.order_by("number")] == [
        ("落实六个百分百", D(2025, 9, 30)), ("开展联合执法", D(2025, 6, 30))]


def test_header_split_over_two_rows_and_traditional_characters(world, tmp_path):
    rows = [
        [TITLE],
        ["填报单位：区督察整改办"],
        ["序　號", "存在問題", "牽頭\n單位", "整改", None, "整改\n措施", "責任單位", "完成時限"],
        [None, None, None, "目標", "時限", None, None, None],
        ["8", "工業企業揮發性有機物治理不到位", "區生態環境局", "達標排放", "2025.12.31", "開展專項檢查", "区生态环境局", "2025-09-30"],
    ]
    merges = ["A1:H1", "A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:F4", "G3:G4", "H3:H4"]
    path = xlsx(tmp_path / "t.xlsx", rows, merges=merges)
    result = task_import_parse(path, filename=path.name, plan=world.plan)
    assert result.unknown_units and "區生態環境局" in result.unknown_units  # data is not translated
    rows[4][2] = "区生态环境局"
    run(xlsx(tmp_path / "t2.xlsx", rows, merges=merges), world.plan)
    task = Task.objects.get(plan=world.plan, number=8)
    assert (task.goal, task.deadline, task.lead_unit) == ("達標排放", D(2025, 12, 31), world.acceptor_org)
    assert task.measures.get().deadline == D(2025, 9, 30)


def test_headers_in_any_order_with_variants_and_optional_columns(world, tmp_path):
    header = ["备注", "督察反馈问题", "完成时限", "任务序号", "目标任务", "整改实施主体", "重点措施", "责任单位",
              "配合单位", "责任领导", "验收单位", "九治类别", "整改举措领域"]
    rows = [
        ["", "河道岸线被占用", "2026年底前", 9, "恢复岸线", "双桂街道", "拆除违建", "双桂街道", "区住建委", "张三",
         "区生态环境局", "治岸", "坚决打好污染防治攻坚战"],
        [None, None, None, None, None, None, "复绿", "双桂街道环保所", None, None, None, None, None],
    ]
    run(dispatch_xlsx(tmp_path / "t.xlsx", rows, header=header, merges=[]), world.plan)
    task = Task.objects.get(plan=world.plan, number=9)
    assert units(task.implementing_units) == {"双桂街道"}  # the task-level column, not the union
    assert units(task.cooperating_units) == {"区住房城乡建委"}
    assert (task.responsible_leader, task.acceptance_unit, task.category) == ("张三", world.acceptor_org, "shore")
    assert task.measure_area.title == "坚决打好污染防治攻坚战"
    assert task.deadline == D(2026, 12, 31)
    assert [units(m.units) for m in task.measures.order_by("number")] == [{"双桂街道"}, {"双桂街道环保所"}]


@pytest.mark.parametrize(
    "cell",
    ["区住建委、区生态环境局", "区住建委，区生态环境局", "区住建委,区生态环境局", "区住建委;区生态环境局",
     "区住建委；区生态环境局", "区住建委/区生态环境局", "区住建委\n区生态环境局", " 区住建委 、 区生态环境局（牵头）"],
)
def test_unit_separators(world, tmp_path, cell):
    rows = [[10, "问题", "", "", "2025年底", "措施", cell, "", "", "", "", ""]]
    run(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    task = Task.objects.get(plan=world.plan, number=10)
    assert units(task.implementing_units) == {"区住房城乡建委", "区生态环境局"}
    assert task.lead_unit == world.dept  # no 牵头单位: the first implementing unit


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings(world, tmp_path, encoding):
    rows = [HEADER, *[[v for v in row] for row in DISPATCH_ROWS]]
    run(csv_file(tmp_path / "调度表.csv", rows, encoding=encoding), world.plan)
    assert_dispatch_tasks(world)


def test_csv_with_the_number_repeated_on_every_row(world, tmp_path):
    rows = [HEADER,
            [11, "问题", "区住建委", "", "2025年底", "措施一", "区住建委", "", "", "", "", ""],
            [11, "问题", "区住建委", "", "2025年底", "措施二", "双桂街道", "", "", "", "", ""]]
    run(csv_file(tmp_path / "t.csv", rows, encoding="gb18030"), world.plan)
    assert Task.objects.get(plan=world.plan, number=11).measures.count() == 2


def test_headings_and_repeated_headers_are_skipped(world, tmp_path):
    rows = [["一、水污染防治"], *DISPATCH_ROWS[:3], HEADER, ["二、大气污染防治"], DISPATCH_ROWS[3], ["注：本表由区督察整改办汇总"]]
    run(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=["A3:L3", *[f"{c}4:{c}6" for c in "ABCDE"]]), world.plan)
    assert_dispatch_tasks(world)


# --- refusals -------------------------------------------------------------------------------------


def test_missing_headers_are_named(world, tmp_path):
    path = xlsx(tmp_path / "t.xlsx", [["序号", "存在问题", "整改措施", "进展"], [1, "问题", "措施", ""]])
    message = refused(path, world.plan)
    assert "缺少必需的列：整改时限、责任单位" in message
    assert "找到的列：序号、存在问题、整改措施、进展" in message


def test_no_header_at_all(world, tmp_path):
    path = xlsx(tmp_path / "t.xlsx", [["No.", "Problem", "Unit"], [1, "x", "y"]])
    message = refused(path, world.plan)
    assert "没有找到表头" in message and "No.、Problem、Unit" in message


def test_bad_rows_are_all_reported_with_row_and_column(world, tmp_path):
    rows = [
        [12, "问题一", "", "", "明年", "措施", "区住建委", "", "", "", "", ""],
        [13, "问题二", "", "", "2025年底", "措施", "区住建委", "2025年13月", "", "", "", ""],
        ["十四", "问题三", "", "", "2025年底", "措施", "区住建委", "", "", "", "", ""],
        [15, "问题四", "", "", "2025年底", "措施", "区不存在局、某某街道", "", "", "", "", ""],
    ]
    message = refused(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    assert "共发现 4 个问题" in message
    assert "第 3 行，「整改时限」（E 列）：无法识别的整改时限“明年”" in message
    assert "第 4 行，「整改时限」（H 列）：整改时限“2025年13月”中的月份 13 无效" in message
    assert "第 5 行，「序号」（A 列）：序号“十四”不是正整数" in message
    assert "第 6 行，「责任单位」（G 列）：系统中没有这些单位：区不存在局、某某街道" in message
    assert "系统中没有的单位（2 个）：区不存在局、某某街道" in message
    assert message.index("第 3 行") < message.index("第 4 行") < message.index("第 6 行")


def test_duplicate_numbers_with_conflicting_content(world, tmp_path):
    rows = [
        [16, "问题甲", "", "", "2025年底", "措施", "区住建委", "", "", "", "", ""],
        [17, "问题乙", "", "", "2025年底", "措施", "区住建委", "", "", "", "", ""],
        [16, "问题丙", "", "", "2025年底", "措施", "区住建委", "", "", "", "", ""],
        [None, "问题丁", "", "", "", "措施二", "区住建委", "", "", "", "", ""],
    ]
    message = refused(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    assert "第 5 行，「存在问题」（B 列）：序号 16 与第 3 行的任务重复，且内容不一致" in message
    assert "第 6 行，「存在问题」（B 列）：与同一任务（序号 16，第 3 行）的内容不一致；如果这是新任务，请填写序号" in message


def test_a_repeated_number_with_the_same_content_continues_the_task(world, tmp_path):
    rows = [
        [18, "问题甲", "", "", "2025年底", "措施一", "区住建委", "", "", "", "", ""],
        [19, "问题乙", "", "", "2025年底", "措施", "区住建委", "", "", "", "", ""],
        [18, "问题甲", "", "", "2025年底", "措施二", "双桂街道", "", "", "", "", ""],
    ]
    run(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    assert Task.objects.get(plan=world.plan, number=18).measures.count() == 2


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty.xlsx", b"", "文件是空的"),
        ("empty.csv", b"", "文件是空的"),
        ("text.xlsx", "序号,存在问题\n1,问题\n".encode(), "内容是文本"),
        ("broken.xlsx", b"PK\x03\x04garbage", "不是有效的 Excel 工作簿"),
        ("tasks.txt", b"1,2,3", "不支持的文件类型“.txt”"),
        ("tasks.pdf", b"%PDF-1.4", "不支持的文件类型"),
    ],
)
def test_unreadable_files(world, tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    assert fragment in refused(path, world.plan)


def test_header_without_data_rows(world, tmp_path):
    assert "表头之下没有任何任务数据" in refused(xlsx(tmp_path / "t.xlsx", [HEADER]), world.plan)


def test_empty_title_and_units(world, tmp_path):
    rows = [[20, "", "", "", "2025年底", "措施", "", "", "", "", "", ""]]
    message = refused(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    assert "「存在问题」（B 列）：存在问题不能为空" in message
    assert "「责任单位」（G 列）：责任单位不能为空" in message


def test_unknown_plan_and_file(world, tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("import_tasks", str(tmp_path / "missing.xlsx"), plan=world.plan.pk)
    assert info.value.returncode == 1 and "找不到文件" in str(info.value)
    with pytest.raises(CommandError):
        call_command("import_tasks", str(dispatch_xlsx(tmp_path / "t.xlsx")), plan=99999)


# --- options --------------------------------------------------------------------------------------


def test_create_units(world, tmp_path):
    rows = [[21, "取水口保护区违建", "区水利局", "", "2025年底", "拆除", "区水利局、双桂街道", "", "", "", "", ""]]
    path = dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[])
    assert "区水利局" in refused(path, world.plan)
    out = run(path, world.plan, create_units=True)
    assert "已新建单位 1 个：区水利局" in out
    org = Organization.objects.get(name="区水利局")
    assert (org.kind, org.parent, org.region) == (Organization.Kind.DEPARTMENT, world.gov, world.district)
    assert Event.objects.filter(verb="organization.created", object_id=str(org.pk)).exists()
    task = Task.objects.get(plan=world.plan, number=21)
    assert task.lead_unit == org


def test_dry_run_writes_nothing(world, tmp_path):
    path = dispatch_xlsx(tmp_path / "t.xlsx")
    tasks, events, orgs = Task.objects.count(), Event.objects.count(), Organization.objects.count()
    out = run(path, world.plan, dry_run=True)
    assert "试运行" in out and "将会新增 2 项" in out
    assert "[新增] 序号 4：城区黑臭水体治理后反弹（3 条措施" in out
    assert (Task.objects.count(), Event.objects.count(), Organization.objects.count()) == (tasks, events, orgs)


def test_services_check_rights(world, tmp_path):
    """The apply step refuses an actor who may not change the plan, whatever called it."""
    from zhenggai.core.errors import PermissionDenied
    from zhenggai.reports.task_import import task_import_apply

    path = dispatch_xlsx(tmp_path / "t.xlsx")
    result = task_import_parse(path, filename=path.name, plan=world.plan)
    for user in (world.users.head, world.users.leader, world.users.other_office):
        with pytest.raises(PermissionDenied):
            task_import_apply(actor=user, plan=world.plan, result=result)
    assert not Task.objects.filter(number=4).exists()


def test_measure_without_units_takes_the_units_above(world, tmp_path):
    rows = [[22, "问题", "", "", "2025年底", "措施一", "双桂街道", "", "", "", "", ""],
            [None, None, None, None, None, "措施二", None, "2025年6月", None, None, None, None]]
    run(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    task = Task.objects.get(plan=world.plan, number=22)
    assert [(units(m.units), m.deadline) for m in task.measures.order_by("number")] == [
        ({"双桂街道"}, D(2025, 12, 31)), ({"双桂街道"}, D(2025, 6, 30))]


def test_parse_result_for_a_task_with_existing_measures(world, tmp_path):
    """Measures are replaced by the table's (keyed by their order)."""
    rows = [[2, "农村生活污水处理设施闲置", "双桂街道", "", "2025年12月31日", "新措施", "双桂街道", "", "", "", "", ""]]
    run(dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]), world.plan)
    task = Task.objects.get(plan=world.plan, number=2)
    assert list(task.measures.values_list("text", flat=True)) == ["新措施"]
    assert isinstance(task_data_from(task).measures[0], MeasureData)


def test_a_row_pasted_twice_gives_one_measure(world, tmp_path):
    row = [23, "问题", "", "", "2025年底", "措施", "区住建委", "", "", "", "", ""]
    out = run(dispatch_xlsx(tmp_path / "t.xlsx", [row, [24, *row[1:]], row], merges=[]), world.plan)
    assert "方案中另有 3 项任务不在文件中" in out
    assert Task.objects.get(plan=world.plan, number=23).measures.count() == 1


def test_single_deadline_after_the_measures_is_theirs(world, tmp_path):
    """Closure-notice shape: 完成时限 only after 重点措施; the task's deadline is the latest of its measures'."""
    header = ["任务序号", "整改问题", "整改实施主体", "重点措施", "目标任务", "完成时限"]
    rows = [[25, "垃圾转运站臭气扰民", "双桂街道", "加装除臭设备", "臭气达标", "2025年6月底"],
            [None, None, None, "建立巡查制度", None, "2025年9月底"],
            [None, None, None, "定期清洗", None, "长期坚持"]]
    run(dispatch_xlsx(tmp_path / "t.xlsx", rows, header=header, merges=[]), world.plan)
    task = Task.objects.get(plan=world.plan, number=25)
    assert (task.deadline, task.deadline_text, task.goal) == (D(2025, 9, 30), "2025年9月底", "臭气达标")
    assert [m.deadline for m in task.measures.order_by("number")] == [D(2025, 6, 30), D(2025, 9, 30), None]
    assert units(task.implementing_units) == {"双桂街道"}


def test_milestones_column(world, tmp_path):
    header = [*HEADER, "阶段目标"]
    row = [26, "问题", "", "", "2025年底", "措施", "区住建委", "", "", "", "", "",
           "2025年6月30日 完成排查（50%）\n2025-09-30：完成一半改造\n"]
    run(dispatch_xlsx(tmp_path / "t.xlsx", [row], header=header, merges=[]), world.plan)
    task = Task.objects.get(plan=world.plan, number=26)
    assert list(task.milestones.values_list("date", "title", "percent")) == [
        (D(2025, 6, 30), "完成排查", 50), (D(2025, 9, 30), "完成一半改造", 0)]
    row[-1] = "下个月 完成排查\n2025年6月30日 完成（150%）"
    message = refused(dispatch_xlsx(tmp_path / "t2.xlsx", [row], header=header, merges=[]), world.plan)
    assert "「阶段目标」（M 列）：阶段目标“下个月 完成排查”应写成“日期 目标（百分比）”" in message
    assert "阶段目标“2025年6月30日 完成（150%）”" in message
