"""The complaint pages: list with filters and export, the case page for each role, handling, assignment,
review, repeats, evidence, look-backs, statistics and batches."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from tests.evidence import samples as s
from zhenggai.complaints.models import Complaint, ComplaintLookBack, ReviewStatus
from zhenggai.complaints.services import complaint_handle, complaint_submit
from zhenggai.evidence.models import Evidence

from .conftest import make_batch, make_complaint

pytestmark = pytest.mark.usefixtures("complaint_urls")

RESULT = {"investigation": "经核查属实", "truthfulness": "true", "handling": "已责令停产整改", "status": "done",
          "ordered_rectify": "1", "penalized": "1", "fine_amount": "25000", "investigated": "0",
          "admin_detained": "0", "criminal_detained": "0", "interviewed": "2", "held_accountable": "0",
          "leads_transferred": "0", "evidence_category": "statement"}


def rows(response) -> list[str]:
    return re.findall(r'data-complaint="(\d+)"', response.content.decode())


def no_inline_script(html: str) -> bool:
    return "<script>" not in html.split("</head>", 1)[1] and " onclick=" not in html


# ------------------------------------------------------------------------------------------- list


def test_list_marks_priority_and_filters(cw, login, time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 12, 9, 0))  # deadline 6-13: yellow
    client = login(cw.users.office)
    response = client.get(reverse("complaint_list"))
    html = response.content.decode()
    assert response.status_code == 200 and no_inline_script(html)
    assert len(rows(response)) == 3 and html.count('data-priority="1"') == 1
    assert 'data-warning="yellow"' in html
    url = reverse("complaint_list")
    assert rows(client.get(url, {"priority": "1"})) == [str(cw.town.pk)]
    assert set(rows(client.get(url, {"type": "noise"}))) == {str(cw.dept.pk)}
    assert set(rows(client.get(url, {"unit": cw.world.town.pk}))) == {str(cw.town.pk), str(cw.coop.pk)}
    assert set(rows(client.get(url, {"q": "化工厂"}))) == {str(cw.town.pk)}
    assert set(rows(client.get(url, {"q": "X3CQ2025"}))) == {str(cw.dept.pk)}
    assert set(rows(client.get(url, {"region": cw.world.district.pk}))) == {str(c.pk) for c in (cw.town, cw.dept, cw.coop)}
    assert rows(client.get(url, {"warning": "red"})) == []
    assert len(rows(client.get(url, {"warning": "yellow", "batch": cw.batch.pk,
                                     "inspection": cw.world.inspection.pk}))) == 3
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"status": "done"})
    assert rows(client.get(url, {"status": "done"})) == [str(cw.town.pk)]
    assert len(rows(client.get(url, {"status": "open"}))) == 2
    partial = client.get(url, {"status": "done"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'data-testid="complaint-table"' in partial


def test_list_pages_and_keeps_queries_flat(cw, login, django_assert_max_num_queries):
    for n in range(30):
        make_complaint(cw.world, cw.batch, f"X-{n:03d}", f"某企业{n}号厂房噪声", lead_unit=cw.world.town,
                       cooperating_units=[cw.world.dept])
    client = login(cw.users.office)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("complaint_list"))
    assert len(rows(response)) == 25 and "第 1 / 2 页" in response.content.decode()
    assert len(rows(client.get(reverse("complaint_list"), {"page": 2}))) == 8


def test_export_has_the_published_columns(cw, login):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town,
                     data={"investigation": "属实", "truthfulness": "属实", "handling": "已整改", "status": "done",
                           "fine_amount": 20000})
    response = login(cw.users.office).get(reverse("complaint_list_export"), {"priority": "1"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    for column in ("受理编号", "交办问题基本情况", "行政区域", "污染类型", "调查核实情况", "是否属实", "处理和整改情况",
                   "是否办结", "责任人被处理情况", "罚款金额（元）", "是否重复", "重复关联件编号", "合并编号"):
        assert column in header
    assert not any(h and ("信访人" in h or "联系" in h or "姓名" in h) for h in header)
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert sheet.max_row == 2 and values["受理编号"] == cw.town.acceptance_number and values["重点件"] == "★"
    assert values["是否办结"] == "已办结" and values["是否属实"] == "属实" and values["罚款金额（元）"] == 20000


# ----------------------------------------------------------------------------------------- detail


def test_case_page_for_the_lead_unit(cw, login):
    html = login(cw.users.staff2).get(reverse("complaint_detail", args=[cw.town.pk])).content.decode()
    assert 'data-testid="complaint-handle-form"' in html and 'data-testid="complaint-evidence-form"' in html
    assert 'data-testid="assign-link"' not in html and 'data-testid="repeat-candidates"' not in html
    assert 'data-testid="complaint-review-form"' not in html and no_inline_script(html)


def test_case_page_for_a_cooperating_unit_is_read_only(cw, login):
    client = login(cw.users.staff2)
    html = client.get(reverse("complaint_detail", args=[cw.coop.pk])).content.decode()
    assert 'data-testid="complaint-handle-form"' not in html and 'data-testid="handle-link"' not in html
    assert client.get(reverse("complaint_handle", args=[cw.coop.pk])).status_code == 403
    assert client.post(reverse("complaint_handle", args=[cw.coop.pk]), RESULT).status_code == 403


def test_case_page_for_the_office_proposes_repeats(cw, login):
    batch = make_batch(cw.world, number=2, handed_over=dt.date(2025, 6, 10))
    similar = make_complaint(cw.world, batch, "X3CQ202506100011", "某某化工厂晚上排放异味", lead_unit=cw.world.town)
    client = login(cw.users.office)
    html = client.get(reverse("complaint_detail", args=[similar.pk])).content.decode()
    assert f'data-candidate="{cw.town.pk}"' in html and f'data-candidate="{cw.dept.pk}"' not in html
    assert 'data-testid="assign-link"' in html
    response = client.post(reverse("complaint_link", args=[similar.pk]), {"action": "repeat", "other": cw.town.pk})
    assert response.status_code == 302
    similar.refresh_from_db()
    assert similar.repeat_of == cw.town
    client.post(reverse("complaint_link", args=[similar.pk]), {"action": "merge", "other": cw.town.pk})
    similar.refresh_from_db()
    assert similar.merged_into == cw.town
    html = client.get(reverse("complaint_detail", args=[cw.town.pk])).content.decode()
    assert similar.acceptance_number in html  # listed as merged into the main case


def test_units_cannot_link(cw, login):
    response = login(cw.users.head2).post(reverse("complaint_link", args=[cw.coop.pk]),
                                          {"action": "repeat", "other": cw.town.pk})
    assert response.status_code == 403
    cw.coop.refresh_from_db()
    assert cw.coop.repeat_of is None


# --------------------------------------------------------------------------------------- handling


def test_handle_form_saves_the_result(cw, login):
    client = login(cw.users.staff2)
    url = reverse("complaint_handle", args=[cw.town.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, RESULT)
    assert response.status_code == 302
    cw.town.refresh_from_db()
    assert cw.town.status == "done" and cw.town.interviewed == 2 and cw.town.fine_amount == 25000


def test_false_conclusion_without_evidence_is_refused_on_the_page(cw, login):
    client = login(cw.users.staff2)
    url = reverse("complaint_handle", args=[cw.town.pk])
    response = client.post(url, {**RESULT, "truthfulness": "false"})
    assert response.status_code == 400 and "必须上传调查核实的佐证材料" in response.content.decode()
    cw.town.refresh_from_db()
    assert cw.town.truthfulness == ""
    response = client.post(url, {**RESULT, "truthfulness": "false", "files": s.upload("核查.jpg", s.jpeg())})
    assert response.status_code == 302
    assert Evidence.objects.filter(complaint=cw.town).count() == 1


def test_refused_files_are_named(cw, login):
    response = login(cw.users.staff2).post(reverse("complaint_handle", args=[cw.town.pk]),
                                           {**RESULT, "files": s.upload("病毒.exe", b"MZ\x90\x00" * 100)})
    assert response.status_code == 400 and "病毒.exe" in response.content.decode()
    assert not Evidence.objects.exists()


def test_evidence_upload(cw, login):
    client = login(cw.users.staff2)
    response = client.post(reverse("complaint_evidence_upload", args=[cw.town.pk]),
                           {"category": "penalty", "description": "处罚决定书", "files": s.upload("处罚.pdf", s.pdf())})
    assert response.status_code == 302 and response["Location"].endswith("#evidence")
    evidence = Evidence.objects.get(complaint=cw.town)
    html = client.get(reverse("complaint_detail", args=[cw.town.pk])).content.decode()
    assert reverse("evidence_download", args=[evidence.pk]) in html
    assert client.get(reverse("evidence_download", args=[evidence.pk])).status_code == 200
    assert login(cw.users.staff).get(reverse("evidence_download", args=[evidence.pk])).status_code == 404
    assert login(cw.users.staff2).post(reverse("complaint_evidence_upload", args=[cw.coop.pk]),
                                       {"category": "penalty", "files": s.upload("a.pdf", s.pdf())}).status_code == 403


# ------------------------------------------------------------------------------ assign and review


def test_office_assigns(cw, login):
    client = login(cw.users.office)
    url = reverse("complaint_assign", args=[cw.dept.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"lead_unit": cw.world.town.pk, "cooperating_units": [cw.world.dept.pk]})
    assert response.status_code == 302
    cw.dept.refresh_from_db()
    assert cw.dept.lead_unit == cw.world.town and list(cw.dept.cooperating_units.all()) == [cw.world.dept]
    assert login(cw.users.head).get(url).status_code == 403


def test_submit_and_review_pages(cw, login):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={k: v for k, v in RESULT.items()
                                                                     if k != "evidence_category"})
    head = login(cw.users.head2)
    html = head.get(reverse("complaint_detail", args=[cw.town.pk])).content.decode()
    assert 'data-testid="complaint-submit"' in html
    assert head.post(reverse("complaint_submit", args=[cw.town.pk])).status_code == 302
    cw.town.refresh_from_db()
    assert cw.town.review_status == ReviewStatus.SUBMITTED
    review = reverse("complaint_review", args=[cw.town.pk])
    assert head.post(review, {"decision": "approve"}).status_code == 403
    office = login(cw.users.office)
    assert 'data-testid="complaint-review-form"' in office.get(reverse("complaint_detail", args=[cw.town.pk])).content.decode()
    response = office.post(review, {"decision": "return"})
    assert response.status_code == 400 and "退回必须写明理由" in response.content.decode()
    assert office.post(review, {"decision": "approve"}).status_code == 302
    cw.town.refresh_from_db()
    assert cw.town.review_status == ReviewStatus.APPROVED


def test_staff_cannot_submit(cw, login):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"investigation": "x", "truthfulness": "true",
                                                                     "handling": "y", "status": "done"})
    response = login(cw.users.staff2).post(reverse("complaint_submit", args=[cw.town.pk]))
    assert response.status_code == 403


def test_lookback_pages(cw, login):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"status": "done"})
    client = login(cw.users.office)
    url = reverse("complaint_lookback", args=[cw.town.pk])
    assert client.post(url, {"op": "schedule", "scheduled_date": "2025-09-01"}).status_code == 302
    look_back = ComplaintLookBack.objects.get(complaint=cw.town)
    client.post(url, {"op": "record", "look_back": look_back.pk, "result": "rebound", "notes": "又有气味"})
    look_back.refresh_from_db()
    assert look_back.done and look_back.rebound_complaint.acceptance_number == "D3CQ202506030001-回头看"
    assert login(cw.users.head2).post(url, {"op": "schedule", "scheduled_date": "2025-09-01"}).status_code == 403


# -------------------------------------------------------------------------------- statistics, batches


def test_statistics_page(cw, login):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"status": "done", "fine_amount": 251500})
    client = login(cw.users.office)
    html = client.get(reverse("complaint_statistics")).content.decode()
    assert "累计交办群众信访举报件3件" in html and "罚款金额25.15万元" in html
    assert 'data-testid="types-note"' in html and "4 件次" in html
    html = client.get(reverse("complaint_statistics"), {"inspection": cw.world.inspection.pk,
                                                       "batch": cw.batch.pk}).content.decode()
    assert 'data-testid="summary-sentence"' in html and no_inline_script(html)
    unit_html = login(cw.users.staff).get(reverse("complaint_statistics")).content.decode()
    assert "累计交办群众信访举报件2件" in unit_html  # the department's two cases


def test_batch_pages(cw, login):
    client = login(cw.users.staff2)
    html = client.get(reverse("batch_list")).content.decode()
    assert f'data-batch="{cw.batch.pk}"' in html and "2件" in html  # the township sees two of three cases
    response = client.get(reverse("batch_detail", args=[cw.batch.pk]))
    assert response.status_code == 200 and set(rows(response)) == {str(cw.town.pk), str(cw.coop.pk)}


def test_anonymous_users_are_sent_to_login(cw, client):
    for url in (reverse("complaint_list"), reverse("complaint_detail", args=[cw.town.pk]),
                reverse("complaint_statistics"), reverse("complaint_list_export")):
        assert client.get(url).status_code == 302


def test_submitted_cases_cannot_be_handled_on_the_page(cw, login):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"investigation": "x", "truthfulness": "true",
                                                                     "handling": "y", "status": "done"})
    complaint_submit(actor=cw.users.head2, complaint=cw.town)
    client = login(cw.users.staff2)
    html = client.get(reverse("complaint_detail", args=[cw.town.pk])).content.decode()
    assert 'data-testid="handle-link"' not in html
    response = client.post(reverse("complaint_handle", args=[cw.town.pk]), RESULT)
    assert response.status_code == 400 and "审核完成前不能修改" in response.content.decode()
    assert Complaint.objects.get(pk=cw.town.pk).review_status == ReviewStatus.SUBMITTED
