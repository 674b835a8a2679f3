"""Reading tables and finding headers by name."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from zhenggai.reports.tables import Sheet, TableError, find_header, header_key, read_sheets, split_names
from zhenggai.reports.task_rows import FIELD_ALIASES


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("区住建委、区生态环境局", ["区住建委", "区生态环境局"]),
        ("区住建委，区生态环境局；双桂街道", ["区住建委", "区生态环境局", "双桂街道"]),
        ("区住建委\r\n区住建委 / 双桂街道", ["区住建委", "双桂街道"]),
        ("区生态环境局（牵头）、区住建委(配合)", ["区生态环境局", "区住建委"]),
        ("　区住建委　", ["区住建委"]),
        (None, []),
        ("", []),
    ],
)
def test_split_names(cell, names):
    assert split_names(cell) == names


@pytest.mark.parametrize(
    ("cell", "key"),
    [("存在問題", "存在问题"), ("整改\n时限", "整改时限"), (" 序　号 ", "序号"), ("整改时限（任务）", "整改时限"),
     ("*責任單位", "责任单位"), ("牽頭單位", "牵头单位"), ("整改目標", "整改目标"), ("整改時限", "整改时限")],
)
def test_header_keys(cell, key):
    assert header_key(cell) == key


def test_header_after_title_rows():
    sheet = Sheet("s", [["某某整改任务调度表"], ["填报日期：2025年3月"], ["序号", "存在问题", "整改措施", "备注"], [1, "a", "b", ""]])
    header = find_header(sheet, FIELD_ALIASES)
    assert header.rows == (2,)
    assert [c.field for c in header.columns] == ["number", "title", "measure", "remarks"]


def test_header_read_together_over_two_rows():
    sheet = Sheet("s", [["序号", "整改", None, "责任单位"], [None, "措施", "时限", None]],
                  merged=[(0, 0, 1, 0), (0, 1, 0, 2), (0, 3, 1, 3)])
    header = find_header(sheet, FIELD_ALIASES)
    assert header.rows == (0, 1)
    assert [(c.field, c.label) for c in header.columns] == [
        ("number", "序号"), ("measure", "整改措施"), ("deadline", "整改时限"), ("units", "责任单位")]


def test_no_header():
    assert find_header(Sheet("s", [["a", "b"], [1, 2]]), FIELD_ALIASES) is None


def test_the_sheet_with_the_table_is_chosen(world, tmp_path):
    from zhenggai.reports.task_import import task_import_parse

    workbook = Workbook()
    workbook.active.append(["填表说明：每项任务一行或多行"])
    table = workbook.create_sheet("任务")
    table.append(["序号", "存在问题", "整改时限", "整改措施", "责任单位"])
    table.append([30, "问题", "2025年底", "措施", "区住建委"])
    workbook.save(tmp_path / "t.xlsx")
    result = task_import_parse(tmp_path / "t.xlsx", filename="t.xlsx", plan=world.plan)
    assert (result.sheet, [t.number for t in result.tasks], result.problems) == ("任务", [30], [])


def test_csv_in_utf16_with_tabs(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("序号\t存在问题\n1\t问题\n".encode("utf-16"))
    (sheet,) = read_sheets(path, filename="t.csv")
    assert sheet.rows == [["序号", "存在问题"], ["1", "问题"]]


def test_file_objects_and_bytes_are_read(tmp_path):
    data = "序号,存在问题\n1,问题\n".encode("gb18030")
    import io

    assert read_sheets(io.BytesIO(data), filename="x.csv")[0].rows == read_sheets(data, filename="x.csv")[0].rows


def test_a_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    with pytest.raises(TableError) as info:
        read_sheets(path, filename="t.xlsx")
    assert "没有 Excel 工作簿" in info.value.message
