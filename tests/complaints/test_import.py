"""Importing complaint tables: the published shapes, the all-or-nothing rule, idempotency, priority marks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError
from django.utils import timezone
from openpyxl import Workbook

from zhenggai.complaints.complaint_import import (
    ComplaintImportFailed,
    complaint_import_apply,
    complaint_import_parse,
)
from zhenggai.complaints.models import Complaint, ComplaintStatus, HandoverBatch
from zhenggai.core.errors import PermissionDenied
from zhenggai.core.models import Event

from .conftest_import import HANDED_OVER, HEADER, ROWS, html_page, make_places, run, table

D = dt.date


@pytest.fixture
def places(world):
    return make_places(world)


def refused(path, inspection, **options) -> str:
    before = (Complaint.objects.count(), HandoverBatch.objects.count(), Event.objects.count())
    with pytest.raises(CommandError) as info:
        run(path, inspection, **options)
    assert info.value.returncode == 1
    assert (Complaint.objects.count(), HandoverBatch.objects.count(), Event.objects.count()) == before
    return str(info.value)


def case(number: str) -> Complaint:
    return Complaint.objects.select_related("batch", "region").get(acceptance_number=number)


def assert_rows_imported(world, places, *, region_of_2="pingjin", type_text="大气"):
    batch = HandoverBatch.objects.get(inspection=world.inspection, number=1)
    assert batch.handed_over == HANDED_OVER
    c1 = case("D3CQ202312110042")
    assert (c1.batch, c1.inspection, c1.sequence) == (batch, world.inspection, 1)
    assert c1.done_at == timezone.localdate()  # imported as 已办结
    assert (c1.channel, c1.number_round, c1.number_province, c1.received_date, c1.number_serial) == (
        "D", "3", "CQ", D(2023, 12, 11), "0042")
    assert c1.is_priority is False
    assert c1.summary == "双桂街道某餐馆油烟扰民"
    assert (c1.region, c1.region_text) == (places.shuanggui, "双桂街道")
    assert (c1.pollution_types, c1.pollution_subtypes, c1.pollution_text) == (["air"], [], type_text)
    assert c1.investigation == "经现场核查，该餐馆未安装油烟净化设施。"
    assert (c1.truthfulness, c1.status) == ("true", ComplaintStatus.DONE)
    assert c1.handling == "已责令安装油烟净化设施并已完成。"
    assert c1.accountability == "无"
    assert c1.reply_deadline == D(2023, 12, 22)  # handed over + 10 days
    assert "油烟" in c1.search_text and "双桂" in c1.search_text

    c2 = case("X3CQ202312110043")  # the mark is not part of the key
    assert (c2.channel, c2.is_priority, c2.sequence) == ("X", True, 2)
    assert c2.region == getattr(places, region_of_2)
    assert c2.pollution_types == ["air", "noise"]
    assert (c2.truthfulness, c2.status, c2.investigation) == ("", ComplaintStatus.RECEIVED, "")

    c3 = case("梁平区2023-03号")  # free text
    assert (c3.channel, c3.received_date) == ("", None)
    assert c3.region == world.district  # the district itself
    assert c3.pollution_types == ["water", "other"]
    assert (c3.truthfulness, c3.status) == ("partly_true", ComplaintStatus.STAGE_DONE)

    c4 = case("D3CQ202312110045")
    assert (c4.region, c4.region_text) == (None, "梁平工业园区")  # not matched: the text is kept, no error
    assert (c4.pollution_types, c4.pollution_subtypes) == (["air", "soil"], ["扬尘"])
    assert c4.status == ComplaintStatus.INVESTIGATING


def test_ten_column_table_with_title_row(world, places, tmp_path):
    out = run(table(tmp_path / "信访件.xlsx"), world.inspection)
    assert "新增 4 件，更新 0 件，未变 0 件" in out
    assert "已新建交办批次：第1批" in out
    assert "梁平工业园区" in out  # the unmatched region is mentioned
    assert_rows_imported(world, places)
    complaints = Complaint.objects.filter(inspection=world.inspection)
    assert complaints.count() == 4
    assert Event.objects.filter(verb="complaint.imported", object_id__in=[str(c.pk) for c in complaints]).count() == 4
    event = Event.objects.get(verb="complaint.imported", object_id=str(case("D3CQ202312110042").pk))
    assert event.actor.username == "system" and event.data["result"] == "created"
    assert Event.objects.filter(verb="batch.created").count() == 1


def test_problem_type_column_and_handling_goal(world, places, tmp_path):
    header = ["序号", "受理编号", "交办问题基本情况", "行政区域", "问题类型", "调查核实情况", "是否属实", "办结目标",
              "处理和整改情况", "是否办结", "责任人被处理情况"]
    rows = [[*r[:7], f"目标{r[0]}", *r[7:]] for r in ROWS]
    run(table(tmp_path / "t.xlsx", rows, header=header), world.inspection)
    assert_rows_imported(world, places)
    assert case("D3CQ202312110042").handling_goal == "目标1"


def test_accountability_and_remarks_columns(world, places, tmp_path):
    header = [*HEADER[:9], "问责情况", "备注"]
    rows = [[*r, "群众满意" if r[0] == 1 else None] for r in ROWS]
    run(table(tmp_path / "t.xlsx", rows, header=header, title=None), world.inspection)
    assert_rows_imported(world, places)
    c1 = case("D3CQ202312110042")
    assert (c1.accountability, c1.remarks) == ("无", "群众满意")


@pytest.mark.parametrize("name", ["所属新城", "所属区县", "区县", "所属区域", "行政区划"])
def test_region_column_names(world, places, tmp_path, name):
    header = [name if h == "行政区域" else h for h in HEADER]
    run(table(tmp_path / "t.xlsx", header=header), world.inspection)
    assert_rows_imported(world, places)


def test_traditional_headers_and_values(world, places, tmp_path):
    header = ["序號", "受理編號", "交辦問題基本情況", "行政區域", "污染類型", "調查核實情況", "是否屬實", "處理和整改情況",
              "是否辦結", "責任人被處理情況"]
    rows = [list(r) for r in ROWS]
    rows[0][4], rows[0][6], rows[0][8] = "大氣", "屬實", "已辦結"
    rows[2][8] = "階段性辦結"
    run(table(tmp_path / "t.xlsx", rows, header=header), world.inspection)
    assert_rows_imported(world, places, type_text="大氣")  # the text as given; the type found


def test_title_rows_and_headings_between_rows(world, places, tmp_path):
    """Two title rows above the header, a heading row and a note row inside the table."""
    from tests.reports.sheets import xlsx

    grid = [[TITLE_1 := "梁平区信访件办理情况"], ["（第一批，共4件）"], HEADER, ROWS[0], ROWS[1], ["二、其他件"], ROWS[2],
            ROWS[3], ["注：带*号的为重点件。"]]
    xlsx(tmp_path / "t.xlsx", grid, merges=["A1:J1", "A2:J2", "A6:J6", "A9:J9"])
    assert TITLE_1
    out = run(tmp_path / "t.xlsx", world.inspection)
    assert "新增 4 件" in out
    assert_rows_imported(world, places)


def test_csv_in_gb18030(world, places, tmp_path):
    from tests.reports.sheets import csv_file

    path = csv_file(tmp_path / "信访件.csv", [HEADER, *ROWS], encoding="gb18030")
    run(path, world.inspection)
    assert_rows_imported(world, places)


def test_csv_in_utf8_with_bom(world, places, tmp_path):
    from tests.reports.sheets import csv_file

    path = csv_file(tmp_path / "信访件.csv", [HEADER, *ROWS], encoding="utf-8-sig")
    run(path, world.inspection)
    assert_rows_imported(world, places)


def test_html_page(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[2][5] = "部分河段\n水质超标。"  # a <br> inside the cell
    path = html_page(tmp_path / "信访件.html", rows)
    run(path, world.inspection)
    assert_rows_imported(world, places)  # &nbsp; cells are blank, the layout table is ignored
    assert case("梁平区2023-03号").investigation == "部分河段\n水质超标。"


def test_html_page_in_gbk_with_a_region_cell_over_two_rows(world, places, tmp_path):
    path = html_page(tmp_path / "信访件.htm", encoding="gbk", rowspan_region=True)
    run(path, world.inspection)
    assert_rows_imported(world, places, region_of_2="shuanggui")  # the merged cell is both rows' region


def test_html_saved_as_xls(world, places, tmp_path):
    """Some systems export a web page named .xls."""
    path = html_page(tmp_path / "信访件.html")
    run(path.rename(tmp_path / "信访件.xls"), world.inspection)
    assert_rows_imported(world, places)


def test_html_page_without_a_complaint_table(world, tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><body><p>没有表格</p></body></html>", encoding="utf-8")
    assert "网页中没有表格" in refused(path, world.inspection)


def test_region_matching(world, places, tmp_path):
    rows = [[i, f"N{i:03d}", "问题", text, "水"] for i, text in enumerate(
        ["双桂", "梁平区双桂街道", "重庆市梁平区屏锦镇", "袁驿", "梁平", "澄溪镇", "双桂街道、屏锦镇"], start=1)]
    run(table(tmp_path / "t.xlsx", rows, header=HEADER[:5]), world.inspection)
    regions = dict(Complaint.objects.values_list("acceptance_number", "region"))
    assert regions == {"N001": places.shuanggui.pk, "N002": places.shuanggui.pk, "N003": places.pingjin.pk,
                       "N004": places.yuanyi.pk, "N005": world.district.pk,
                       "N006": None,  # a township of another district
                       "N007": None}  # two places: the text only


# --- refusals: nothing imported, every problem reported -------------------------------------------------


def test_missing_required_header_lists_the_headers_found(world, places, tmp_path):
    header = [h for h in HEADER if h != "行政区域"]
    rows = [[v for i, v in enumerate(r) if i != 3] for r in ROWS]
    message = refused(table(tmp_path / "t.xlsx", rows, header=header), world.inspection)
    assert "缺少必需的列：行政区域" in message
    assert "第 2 行" in message  # the header row under the title
    assert "序号、受理编号、交办问题基本情况、污染类型、调查核实情况" in message


def test_no_header_at_all(world, tmp_path):
    message = refused(table(tmp_path / "t.xlsx", [["a", "b"]], header=["甲", "乙"], title="随便什么"), world.inspection)
    assert "没有找到表头" in message and "甲" in message


def test_bad_truthfulness_value(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][6] = "是"
    message = refused(table(tmp_path / "t.xlsx", rows), world.inspection)
    assert "共发现 1 个问题" in message
    assert "第 4 行，「是否属实」（G 列）：“是”不是有效的值" in message
    assert "属实、基本属实、部分属实、不属实" in message


def test_bad_status_value(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][8] = "办完了"
    message = refused(table(tmp_path / "t.xlsx", rows), world.inspection)
    assert "第 3 行，「是否办结」（I 列）：“办完了”不是有效的值" in message


def test_unknown_pollution_type(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[3][4] = "大气、火星"
    message = refused(table(tmp_path / "t.xlsx", rows), world.inspection)
    assert "第 6 行，「污染类型」（E 列）：无法识别的污染类型：火星" in message


def test_every_bad_row_is_reported(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][6] = "不清楚"  # row 3
    rows[2][4] = "火星"  # row 5
    rows[2][2] = None  # row 5 again: no summary
    message = refused(table(tmp_path / "t.xlsx", rows), world.inspection)
    assert "共发现 3 个问题" in message
    assert "第 3 行，「是否属实」" in message
    assert "第 5 行，「交办问题基本情况」（C 列）：“交办问题基本情况”不能为空" in message
    assert "第 5 行，「污染类型」" in message
    assert message.index("第 3 行") < message.index("第 5 行")


def test_problems_in_an_html_page_have_row_numbers_without_letters(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][6] = "是"
    message = refused(html_page(tmp_path / "p.html", rows), world.inspection)
    assert "第 4 行，「是否属实」：" in message  # title row 1, header row 2, data from row 3


def test_duplicate_numbers_in_the_file(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[3][1] = "D3CQ202312110042★"
    message = refused(table(tmp_path / "t.xlsx", rows), world.inspection)
    assert "第 6 行，「受理编号」（B 列）：受理编号“D3CQ202312110042”与第 3 行重复" in message


def test_bad_sequence(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][0] = "一"
    assert "序号应为正整数" in refused(table(tmp_path / "t.xlsx", rows), world.inspection)


def test_too_long_number(world, places, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][1] = "X" * 61
    assert "内容过长（最多 60 个字）" in refused(table(tmp_path / "t.xlsx", rows), world.inspection)


def test_header_without_rows(world, tmp_path):
    assert "表头之下没有任何信访件" in refused(table(tmp_path / "t.xlsx", []), world.inspection)


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.csv", "empty.html"])
def test_empty_file(world, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert "文件是空的" in refused(path, world.inspection)


def test_empty_workbook(world, tmp_path):
    Workbook().save(tmp_path / "t.xlsx")
    assert "没有任何内容" in refused(tmp_path / "t.xlsx", world.inspection)


def test_xlsx_that_is_really_text(world, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_text(",".join(HEADER) + "\n1,D3,问题,梁平区,水\n", encoding="utf-8")
    assert "内容是文本" in refused(path, world.inspection)


@pytest.mark.parametrize("name", ["t.pdf", "t.docx", "noextension"])
def test_unsupported_extension(world, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4")
    message = refused(path, world.inspection)
    assert "不支持的文件类型" in message and ".html" in message


def test_existing_batch_with_another_date(world, places, tmp_path):
    path = table(tmp_path / "t.xlsx")
    run(path, world.inspection)
    message = refused(path, world.inspection, handed_over=D(2023, 12, 13))
    assert "第1批已于 2023-12-12 交办，与填写的交办日期 2023-12-13 不一致" in message


def test_cases_of_another_batch_are_refused(world, places, tmp_path):
    run(table(tmp_path / "t.xlsx"), world.inspection)
    message = refused(table(tmp_path / "t2.xlsx", ROWS[:2]), world.inspection, batch=2, handed_over=D(2023, 12, 20))
    assert "第 3 行，「受理编号」（B 列）：受理编号“D3CQ202312110042”已在第1批中" in message
    assert not HandoverBatch.objects.filter(number=2).exists()


def test_command_help_is_chinese():
    from zhenggai.complaints.management.commands.import_complaints import Command

    text = Command().create_parser("zhenggai", "import_complaints").format_help()
    assert "受理编号" in text and "交办日期" in text and "退出码为 1" in text


def test_command_arguments(world, tmp_path):
    path = table(tmp_path / "t.xlsx")
    assert "督察 999999 不存在" in refused(path, SimpleInspection(999999))
    assert "交办日期“2023-13-01”无效" in refused_raw(path, world.inspection.pk, "1", "2023-13-01")
    assert "批次应为正整数" in refused_raw(path, world.inspection.pk, "0", "2023-12-01")
    assert "找不到文件" in refused(tmp_path / "missing.xlsx", world.inspection)


class SimpleInspection:
    def __init__(self, pk):
        self.pk = pk


def refused_raw(path, inspection_id, batch, handed_over) -> str:
    from django.core.management import call_command

    with pytest.raises(CommandError) as info:
        call_command("import_complaints", str(path), inspection=inspection_id, batch=batch, handed_over=handed_over)
    assert info.value.returncode == 1
    return str(info.value)


# --- idempotency and updates ----------------------------------------------------------------------------


def test_reimport_changes_nothing(world, places, tmp_path):
    path = table(tmp_path / "t.xlsx")
    run(path, world.inspection)
    events = Event.objects.count()
    stamps = list(Complaint.objects.order_by("pk").values_list("updated_at", "version"))
    out = run(path, world.inspection)
    assert "新增 0 件，更新 0 件，未变 4 件" in out
    assert "新建交办批次" not in out
    assert Event.objects.count() == events
    assert list(Complaint.objects.order_by("pk").values_list("updated_at", "version")) == stamps


def test_reimport_of_the_same_table_as_csv_and_html_changes_nothing(world, places, tmp_path):
    from tests.reports.sheets import csv_file

    run(table(tmp_path / "t.xlsx"), world.inspection)
    events = Event.objects.count()
    assert "未变 4 件" in run(csv_file(tmp_path / "t.csv", [HEADER, *ROWS], encoding="gb18030"), world.inspection)
    assert "未变 4 件" in run(html_page(tmp_path / "t.html"), world.inspection)
    assert Event.objects.count() == events


def test_a_changed_row_updates(world, places, tmp_path):
    run(table(tmp_path / "t.xlsx"), world.inspection)
    rows = [list(r) for r in ROWS]
    rows[1][5:9] = ["经核查，扬尘问题属实。", "基本属实", "已覆盖料堆。", "已办结"]
    events = Event.objects.count()
    out = run(table(tmp_path / "t2.xlsx", rows), world.inspection)
    assert "新增 0 件，更新 1 件，未变 3 件" in out
    assert Event.objects.count() == events + 1
    c2 = case("X3CQ202312110043")
    assert (c2.truthfulness, c2.status, c2.handling, c2.version) == ("mostly_true", "done", "已覆盖料堆。", 2)
    assert c2.done_at == timezone.localdate()
    event = Event.objects.filter(verb="complaint.imported", object_id=str(c2.pk)).latest("seq")
    assert event.data["result"] == "updated"
    assert set(event.data["changes"]) == {"investigation", "truthfulness", "handling", "status"}


def test_priority_mark_added_later_updates_the_same_case(world, places, tmp_path):
    run(table(tmp_path / "t.xlsx"), world.inspection)
    rows = [list(r) for r in ROWS]
    rows[0][1] = "D3CQ202312110042（*）"
    rows[1][1] = "X3CQ202312110043"  # the mark removed
    out = run(table(tmp_path / "t2.xlsx", rows), world.inspection)
    assert "新增 0 件，更新 2 件，未变 2 件" in out
    assert case("D3CQ202312110042").is_priority is True
    assert case("X3CQ202312110043").is_priority is False
    assert Complaint.objects.count() == 4


def test_blank_cells_do_not_erase_recorded_results(world, places, tmp_path):
    run(table(tmp_path / "t.xlsx"), world.inspection)
    handover = [r[:5] for r in ROWS]  # the handover table: no result columns at all
    assert "未变 4 件" in run(table(tmp_path / "t2.xlsx", handover, header=HEADER[:5]), world.inspection)
    blanks = [[*r[:5], None, None, None, None, None] for r in ROWS]
    assert "未变 4 件" in run(table(tmp_path / "t3.xlsx", blanks), world.inspection)
    c1 = case("D3CQ202312110042")
    assert (c1.truthfulness, c1.status, c1.accountability) == ("true", "done", "无")


def test_dry_run_writes_nothing(world, places, tmp_path):
    before = (Complaint.objects.count(), HandoverBatch.objects.count(), Event.objects.count())
    out = run(table(tmp_path / "t.xlsx"), world.inspection, dry_run=True)
    assert "试运行" in out and "将会新增 4 件，更新 0 件，未变 0 件" in out
    assert "[新增] 第 4 行 X3CQ202312110043（重点件）：屏锦镇；大气、噪声" in out
    assert "将新建交办批次：第1批" in out
    assert (Complaint.objects.count(), HandoverBatch.objects.count(), Event.objects.count()) == before


def test_existing_batch_keeps_its_reply_days(world, places, tmp_path):
    HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=HANDED_OVER, reply_days=15)
    run(table(tmp_path / "t.xlsx"), world.inspection)
    assert case("D3CQ202312110042").reply_deadline == D(2023, 12, 27)


# --- who may import -------------------------------------------------------------------------------------


def test_office_of_the_region_may_import(world, places, tmp_path):
    result = complaint_import_parse(table(tmp_path / "t.xlsx"), filename="t.xlsx", inspection=world.inspection)
    counts = complaint_import_apply(actor=world.users.office, inspection=world.inspection, batch_number=1,
                                    handed_over=HANDED_OVER, result=result)
    assert counts.created == 4
    assert Event.objects.filter(verb="complaint.imported", actor=world.users.office).count() == 4


@pytest.mark.parametrize("name", ["other_office", "staff", "head", "leader", "discipline", "admin", "acceptor"])
def test_others_may_not_import(world, places, tmp_path, name):
    result = complaint_import_parse(table(tmp_path / "t.xlsx"), filename="t.xlsx", inspection=world.inspection)
    with pytest.raises(PermissionDenied):
        complaint_import_apply(actor=getattr(world.users, name), inspection=world.inspection, batch_number=1,
                               handed_over=HANDED_OVER, result=result)
    assert not Complaint.objects.exists() and not HandoverBatch.objects.exists()


def test_apply_refuses_a_result_with_problems(world, tmp_path):
    result = complaint_import_parse(b"", filename="t.csv", inspection=world.inspection)
    with pytest.raises(ComplaintImportFailed) as info:
        complaint_import_apply(actor=world.users.office, inspection=world.inspection, batch_number=1,
                               handed_over=HANDED_OVER, result=result)
    assert [p.message for p in info.value.problems] == ["文件是空的。"]


def test_reply_deadline_follows_the_inspections_setting(world, places, tmp_path):
    world.inspection.complaint_reply_days = 15
    world.inspection.save(update_fields=["complaint_reply_days"])
    run(table(tmp_path / "信访件.xlsx"), world.inspection)
    batch = HandoverBatch.objects.get(inspection=world.inspection, number=1)
    assert batch.reply_days == 15
    assert case("D3CQ202312110042").reply_deadline == HANDED_OVER + dt.timedelta(days=15)
