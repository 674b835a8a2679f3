"""The filtered ledger: the task list's query parameters and scope, written in the dispatch-table shape."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from tests import factories as f
from zhenggai.rectification.services import MeasureData
from zhenggai.reports.task_export import FIRST_DATA_ROW, HEADER_ROW, LEDGER_COLUMNS

URL = "/tasks/ledger.xlsx"


def _download(client, user, query: str = ""):
    client.force_login(user)
    response = client.get(URL + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _numbers(sheet) -> list[int]:
    return [row[0] for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True) if row[0] is not None]


def test_url_name():
    assert reverse("task_ledger_export") == URL


def test_the_list_filters_choose_the_rows(client, world):
    book = _download(client, world.users.office, f"?unit={world.town.pk}")
    sheet = book.active
    assert book.sheetnames == ["整改任务台账"]
    assert sheet.cell(row=1, column=1).value == "测试整改方案整改任务调度台账"
    assert [c.value for c in sheet[HEADER_ROW]] == [label for label, _level, _width in LEDGER_COLUMNS]
    assert _numbers(sheet) == [2, 3]  # the township and its sub-unit; not task 1 of the department
    assert sheet.cell(row=FIRST_DATA_ROW, column=2).value == "农村生活污水处理设施闲置"
    assert sheet.cell(row=FIRST_DATA_ROW, column=6).value == "排查管网"  # the measure row

    assert _numbers(_download(client, world.users.office, "?q=油烟").active) == [3]
    assert _numbers(_download(client, world.users.office, "?status=closed").active) == []


def test_scope_is_the_users(client, world):
    # the department implements task 1 and accepts task 2; task 3 is none of its business
    assert _numbers(_download(client, world.users.staff).active) == [1, 2]
    assert _numbers(_download(client, world.users.unrelated).active) == []


def test_several_plans_give_one_sheet_each_with_merged_task_cells(client, world):
    f.task(actor=world.users.other_office, plan=world.other_plan, number=2,
           units=[world.t_other.implementing_units.get()], title="垫江县第二项任务", measures=[MeasureData(number=1, text="措施一", units=[]),
                                              MeasureData(number=2, text="措施二", units=[])])
    admin = f.user("root", organization=None, superuser=True)
    book = _download(client, admin)
    assert book.sheetnames == ["测试整改方案", "垫江县整改方案"]
    first, second = book["测试整改方案"], book["垫江县整改方案"]
    assert _numbers(first) == [1, 2, 3]
    assert second.cell(row=1, column=1).value == "垫江县整改方案整改任务调度台账"
    assert [c.value for c in second[HEADER_ROW]] == [label for label, _level, _width in LEDGER_COLUMNS]
    assert _numbers(second) == [1, 2]
    assert [second.cell(row=r, column=6).value for r in (4, 5)] == ["措施一", "措施二"]
    assert "A4:A5" in {str(r) for r in second.merged_cells.ranges}  # the task spans its two measure rows
    assert second.freeze_panes == first.freeze_panes == "C3"


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_task_list_links_to_the_ledger_with_its_filters(client, world):
    client.force_login(world.users.office)
    page = client.get(f"/tasks/?unit={world.town.pk}").content.decode()
    assert f'href="{URL}?unit={world.town.pk}" data-testid="export-ledger"' in page
