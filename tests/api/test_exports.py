"""Exports, documents, bulletins and dashboards through the API: the pages' files, scope and filters."""

from __future__ import annotations

import io
import subprocess

import pytest
from django.core.files.base import ContentFile
from openpyxl import load_workbook

from tests.complaints.conftest import make_batch, make_complaint
from zhenggai.reports.dashboards import DashboardFilters, tasks_by_status
from zhenggai.reports.models import Bulletin

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX and response["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.content))
    return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("attachment;")
    return subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True,
                          check=True).stdout.decode()


def test_task_list_and_ledger_exports_are_scoped_and_filtered(world, api):
    office = sheet_text(api.office.get("/api/v1/tasks/export.xlsx"))
    assert world.t_town.title in office and world.t_other.title not in office
    staff = sheet_text(api.staff.get("/api/v1/tasks/export.xlsx"))
    assert world.t_sub.title not in staff  # the department is not party to the sub-unit's task
    filtered = sheet_text(api.office.get("/api/v1/tasks/ledger.xlsx", {"q": "油烟"}))
    assert world.t_sub.title in filtered and world.t_town.title not in filtered
    assert api.office.get("/api/v1/tasks/export.xlsx", {"status": "nonsense"}).status_code == 422
    plan = sheet_text(api.office.get(f"/api/v1/plans/{world.plan.pk}/ledger.xlsx"))
    assert world.t_town.title in plan
    assert api.office.get(f"/api/v1/plans/{world.other_plan.pk}/ledger.xlsx").status_code == 404


def test_complaint_export_never_shows_the_complainant(world, api):
    make_complaint(world, make_batch(world), "D3CQ202506030001", "双桂街道油烟扰民", pollution_types=["air"],
                   lead_unit=world.town, complainant={"name": "张三丰", "contact": "13812345678"})
    office = sheet_text(api.office.get("/api/v1/complaints/export.xlsx"))
    assert "双桂街道油烟扰民" in office and "张三丰" not in office and "13812345678" not in office
    assert "双桂街道油烟扰民" not in sheet_text(api.staff.get("/api/v1/complaints/export.xlsx"))
    assert "双桂街道油烟扰民" in sheet_text(api.staff2.get("/api/v1/complaints/export.xlsx"))


def test_dossier_and_closure_table_pdfs(world, api):
    text = pdf_text(api.staff.get(f"/api/v1/tasks/{world.t_dept.pk}/dossier.pdf"))
    assert world.t_dept.title[:6] in text.replace("\n", "")
    assert api.staff.get(f"/api/v1/tasks/{world.t_sub.pk}/dossier.pdf").status_code == 404
    assert api.office.get(f"/api/v1/tasks/{world.t_other.pk}/dossier.pdf").status_code == 404
    table = pdf_text(api.office.get(f"/api/v1/plans/{world.plan.pk}/closure-notices.pdf",
                                    {"from": "2025-01-01", "to": "2025-12-31"}))
    assert "验收销号" in table.replace(" ", "")
    assert api.office.get(f"/api/v1/plans/{world.other_plan.pk}/closure-notices.pdf").status_code == 404


def test_bulletins_office_requests_region_roles_read(world, api, django_capture_on_commit_callbacks):
    assert api.staff.get("/api/v1/bulletins").status_code == 403
    assert api.leader.post("/api/v1/bulletins", {"month": "2025-03"}).status_code == 403
    assert api.office.post("/api/v1/bulletins", {"month": "2025-3x"}).status_code == 422
    queued = api.office.post("/api/v1/bulletins", {"month": "2025-03"})
    assert queued.status_code == 201 and queued.json()["status"] == "queued"
    bulletin = Bulletin.objects.get(pk=queued.json()["id"])
    assert bulletin.month.isoformat() == "2025-03-01" and bulletin.region == world.district
    assert api.leader.get(f"/api/v1/bulletins/{bulletin.pk}/pdf").status_code == 404  # not generated yet
    bulletin.pdf.save("b.pdf", ContentFile(b"%PDF-1.7 stand-in"), save=False)
    bulletin.status = Bulletin.Status.DONE
    bulletin.save()
    assert [b["id"] for b in api.leader.get("/api/v1/bulletins").json()["items"]] == [bulletin.pk]
    pdf = api.discipline.get(f"/api/v1/bulletins/{bulletin.pk}/pdf")
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7 stand-in"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert api.leader.get(f"/api/v1/bulletins/{bulletin.pk}/docx").status_code == 404  # no Word file
    assert api.other_office.get(f"/api/v1/bulletins/{bulletin.pk}/pdf").status_code == 404


def test_dashboards_give_the_charts_of_the_page(world, api):
    assert [d["key"] for d in api.office.get("/api/v1/dashboards").json()["items"]] == ["office"]
    assert [d["key"] for d in api.staff.get("/api/v1/dashboards").json()["items"]] == ["unit"]
    board = api.office.get("/api/v1/dashboards/office", {"plan": world.plan.pk})
    assert board.status_code == 200, board.content[:300]
    status = next(c for c in board.json()["charts"] if c["key"] == "status")
    expected = tasks_by_status(world.users.office, DashboardFilters(plan=world.plan.pk))
    assert [p["value"] for p in status["series"][0]["data"]] == [p.value for p in expected.series[0].data]
    assert sum(p["value"] for p in status["series"][0]["data"]) == 3
    assert api.staff.get("/api/v1/dashboards/office").status_code == 403
    assert api.leader.get("/api/v1/dashboards/leader").json()["headline"]["total"] == 3
    unit = api.staff.get("/api/v1/dashboards/charts/status").json()
    assert sum(p["value"] for p in unit["series"][0]["data"]) == 2  # the department's own tasks
    assert api.staff.get("/api/v1/dashboards/charts/accountability").status_code == 404
    assert api.discipline.get("/api/v1/dashboards/charts/accountability").status_code == 200
