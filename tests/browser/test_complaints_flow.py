"""Complaint publication in Chromium: the office imports a small table of cases (preview → confirm), the
cases are handled and approved (through the services, to keep the walk short), the office publishes the
batch on its publication page, and an anonymous visitor reads the ten-column table on the portal —
without the phone number the table held."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from tests.complaints.test_demo_complaints import load_demo_with_complaints
from zhenggai.accounts.models import Organization, User
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.complaints.services import (
    complaint_assign,
    complaint_handle,
    complaint_review,
    complaint_submit,
)
from zhenggai.inspections.models import Inspection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900001111"
HEADER = ["序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型", "调查核实情况", "是否属实", "处理和整改情况",
          "是否办结", "责任人被处理情况"]


def login(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "zhenggai-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def small_table(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["重庆市第八生态环境保护督察组交办第13批群众信访举报件"])
    sheet.append(HEADER)
    sheet.append([1, "D8CQ202412020101", f"双桂街道某小区旁餐馆油烟扰民，反映人电话{PHONE}。", "双桂街道", "油烟"])
    sheet.append([2, "D8CQ202412020102★", "双桂街道某洗车店污水直排雨水沟。", "双桂街道", "水"])
    workbook.save(path)
    return path


def test_import_handle_publish_and_read_on_the_portal(page, live_server, tmp_path):
    load_demo_with_complaints()
    base = live_server.url
    liangping = Inspection.objects.get(title__startswith="重庆市第八生态环境保护督察组对梁平区")

    # the office imports the table: preview, then confirm
    login(page, base, "office")
    page.goto(f"{base}/complaints/import/")
    page.select_option("select[name=inspection]", str(liangping.pk))
    page.fill("input[name=batch]", "13")
    page.fill("input[name=handed_over]", "2024-12-02")
    page.set_input_files("input[name=file]", str(small_table(tmp_path / "第13批.xlsx")))
    page.click("[data-testid=preview-import]")
    page.wait_for_selector("[data-testid=import-preview]")
    assert "D8CQ202412020101" in page.inner_text("[data-testid=import-preview]")
    with page.expect_navigation():
        page.click("[data-testid=confirm-import]")
    batch = HandoverBatch.objects.get(inspection=liangping, number=13)
    cases = list(Complaint.objects.filter(batch=batch).order_by("sequence"))
    assert [c.acceptance_number for c in cases] == ["D8CQ202412020101", "D8CQ202412020102"]

    # the township handles both cases, its head submits, the office approves
    office, staff2, head2 = (User.objects.get(username=n) for n in ("office", "staff2", "head2"))
    town = Organization.objects.get(name="双桂街道")
    for case in cases:
        case = complaint_assign(actor=office, complaint=case, lead_unit=town)
        case = complaint_handle(actor=staff2, complaint=case, data={
            "investigation": "经现场核查，反映问题属实。", "truthfulness": "属实", "handling": "已责令整改，整改完毕。",
            "accountability": "无", "status": "已办结"})
        case = complaint_submit(actor=head2, complaint=case)
        complaint_review(actor=office, complaint=case, approve=True)

    # the office checks what will be masked and publishes
    page.goto(f"{base}/complaints/batches/{batch.pk}/publish/")
    assert "139****1111" in page.inner_text("[data-testid=masked-items]")
    assert "139****1111" in page.inner_text("[data-testid=publish-preview]")
    page.click("[data-testid=publish-batch]")
    page.wait_for_selector("[data-testid=published-note]")
    batch.refresh_from_db()
    assert batch.published_at is not None

    # an anonymous visitor finds the batch on the portal
    page.context.clear_cookies()
    page.goto(f"{base}/portal/complaints/")
    assert "累计交办群众信访举报件" in page.inner_text("main")
    page.click("[data-testid=complaints-batches] a:has-text('第13批')")
    page.wait_for_selector("[data-testid=complaints-table]")
    headers = page.locator("[data-testid=complaints-table] thead th").all_inner_texts()
    assert headers == HEADER
    table = page.inner_text("[data-testid=complaints-table]")
    assert "D8CQ202412020102★" in table and "139****1111" in table and "已办结" in table
    assert PHONE not in page.content()
    assert page.locator("[data-testid=complaints-table] tbody tr").count() == 2
