"""Hostile text in every free-text field of the demo's records renders escaped on the staff pages and
the portal, and stays literal text in the exports (no spreadsheet formulas); SQL-looking search and
filter values are inert."""

from __future__ import annotations

import io
import re
import subprocess
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from django.db import models
from django.test import Client
from docx import Document

from zhenggai.accounts.models import User
from zhenggai.accounts.policies import scope_for
from zhenggai.assessment.models import AccountabilityCase, AccountabilityPerson
from zhenggai.complaints.models import Complaint, ComplaintLookBack, HandoverBatch
from zhenggai.demo.loader import load_demo
from zhenggai.inspections.models import Inspection, Plan
from zhenggai.rectification.loop_models import (
    AcceptanceApplication,
    AcceptanceReview,
    LookBack,
    Objection,
    ProgressReport,
    PublicNotice,
    SupervisionNotice,
)
from zhenggai.rectification.models import Measure, Milestone, Task

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"=1+2{IMG}{SCRIPT}javascript:alert(1) {{{{7*7}}}} '; DROP TABLE tasks; -- %(x)s \u202e\u200b"
SHORT = SCRIPT  # for short fields
PAYLOADS = [SCRIPT, IMG, "javascript:alert(1)", "{{7*7}}", "'; DROP TABLE tasks; --", "%(x)s",
            "\u202etxt.exe\u200b", "x" * 5000, "=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)"]

MODELS: list[type[models.Model]] = [
    Inspection, Plan, Task, Measure, Milestone, ProgressReport, SupervisionNotice, AcceptanceApplication,
    AcceptanceReview, PublicNotice, Objection, LookBack, HandoverBatch, Complaint, ComplaintLookBack,
    AccountabilityCase, AccountabilityPerson,
]
# identifiers and machine values, not free text
SKIP = ("number", "code", "sha", "status", "kind", "type", "token", "key", "hash", "phone", "ip", "url", "verb",
        "slug", "file", "name_pinyin", "area", "search", "level", "category", "result", "outcome", "year")


def free_text_fields(model: type[models.Model]) -> list[models.CharField[Any, Any]]:
    fields = []
    for field in model._meta.get_fields():
        if not isinstance(field, models.CharField | models.TextField) or field.choices or field.unique:
            continue
        if any(part in field.name for part in SKIP) or not field.editable:
            continue
        fields.append(field)
    return fields


def fill_everything() -> dict[str, int]:
    """Every free-text field of every record gets the payload (cut to the field's length)."""
    counts: dict[str, int] = {}
    for model in MODELS:
        fields = free_text_fields(model)
        updates = {}
        for field in fields:
            limit = field.max_length or 100_000
            updates[field.name] = PAYLOAD if limit >= len(PAYLOAD) else SHORT[:limit]
        if updates:
            counts[model.__name__] = model.objects.update(**updates)
    return counts


class Scan(HTMLParser):
    """What the payload would have become had it not been escaped."""

    def __init__(self) -> None:
        super().__init__()
        self.injected: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") and "alert" in (value or ""):
                self.injected.append(f"<{tag} {name}>")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.injected.append(f"<{tag} {name}=javascript:>")
        self._in_script = tag == "script" and dict(attrs).get("type") != "application/json"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(1)" in data:
            self.injected.append("<script>alert(1)")


def assert_escaped(response, where: str) -> str:
    assert response.status_code == 200, (where, response.status_code)
    html = response.content.decode()
    scan = Scan()
    scan.feed(html)
    assert scan.injected == [], (where, scan.injected)
    return html


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def assert_no_formulas(data: bytes, where: str) -> list[str]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (where, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


@pytest.fixture
def demo(db):
    load_demo()
    return fill_everything()


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_payloads_render_escaped_on_every_page_and_stay_text_in_exports(demo):
    assert demo["Task"] > 10 and demo["Complaint"] > 0 and demo["SupervisionNotice"] > 0
    task = Task.objects.order_by("pk").first()
    assert task.title.startswith("=1+2") and SCRIPT in task.title
    office, staff = client_for("office"), client_for("staff")
    pages = ["/", "/tasks/", "/tasks/?q=" + SCRIPT, "/supervision/", "/supervision/notices/", "/acceptance/",
             "/complaints/", "/complaints/batches/", "/complaints/statistics/", "/inspections/", "/rounds/",
             "/accountability/", "/dashboards/office/", "/reports/bulletins/"]
    pages += [f"/tasks/{t.pk}/" for t in Task.objects.order_by("pk")[:8]]
    pages += [f"/plans/{p.pk}/" for p in Plan.objects.all()[:2]]
    pages += [f"/inspections/{i.pk}/" for i in Inspection.objects.all()[:2]]
    pages += [f"/supervision/notices/{n.pk}/" for n in SupervisionNotice.objects.all()[:3]]
    pages += [f"/complaints/{c.pk}/" for c in Complaint.objects.all()[:4]]
    pages += [f"/complaints/batches/{b.pk}/" for b in HandoverBatch.objects.all()[:2]]
    pages += [f"/accountability/{c.pk}/" for c in AccountabilityCase.objects.all()[:3]]
    seen_escaped = 0
    for url in pages:
        html = assert_escaped(office.get(url), url)
        seen_escaped += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert seen_escaped >= len(pages) // 2  # the payload did reach the pages, as text
    own = scope_for(User.objects.get(username="staff"), Task.objects.order_by("pk")).first()
    assert_escaped(staff.get(f"/tasks/{own.pk}/"), "staff task page")
    assert_escaped(staff.get("/tasks/"), "staff task list")

    anonymous = Client()
    portal = ["/portal/", "/portal/results/", "/portal/notices/", "/portal/complaints/", "/portal/data/"]
    portal += [f"/portal/plans/{p.pk}/" for p in Plan.objects.all()[:1]]
    portal += [f"/portal/notices/{n.pk}/" for n in PublicNotice.objects.all()[:2]]
    portal += [f"/portal/complaints/batches/{b.pk}/" for b in HandoverBatch.objects.filter(published_at__isnull=False)[:1]]
    for url in portal:
        assert_escaped(anonymous.get(url), url)
    feed = anonymous.get("/portal/feed.atom")
    assert feed.status_code == 200 and b"<script>" not in feed.content

    for url in ["/tasks/export.xlsx", "/tasks/ledger.xlsx", "/complaints/export.xlsx",
                *[f"/plans/{p.pk}/ledger.xlsx" for p in Plan.objects.all()[:1]]]:
        response = office.get(url)
        assert response.status_code == 200, url
        texts = assert_no_formulas(body(response), url)
        assert any(SCRIPT in t for t in texts), url  # the literal text, not dropped or mangled
    for batch in HandoverBatch.objects.filter(published_at__isnull=False)[:1]:
        response = anonymous.get(f"/portal/complaints/batches/{batch.pk}/table.xlsx")
        assert_no_formulas(body(response), "portal xlsx")

    notice = SupervisionNotice.objects.order_by("pk").first()
    pdf = office.get(f"/supervision/notices/{notice.pk}/letter.pdf")
    assert pdf.status_code == 200
    text = pdf_text(body(pdf))
    assert "<script>alert(1)</script>" in text.replace("\n", "")
    docx = office.get(f"/supervision/notices/{notice.pk}/letter.docx")
    assert docx.status_code == 200
    document = Document(io.BytesIO(body(docx)))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    paragraphs += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert SCRIPT in paragraphs and "&lt;" not in paragraphs


def task_links(response) -> set[str]:
    return set(re.findall(r'href="/tasks/(\d+)/"', response.content.decode().split('id="main"', 1)[-1]))


@pytest.mark.parametrize("value", ["'; DROP TABLE tasks; --", "' OR '1'='1", "1) OR (1=1", "%", "_", "\\",
                                   "\x00", "1 UNION SELECT username, password FROM accounts_user --"])
def test_sql_looking_search_and_filters_are_inert(world, client, value):
    client.force_login(world.users.office)
    everything = task_links(client.get("/tasks/"))
    assert str(world.t_dept.pk) in everything
    for url, params in [("/tasks/", {"q": value}), ("/tasks/", {"status": value}), ("/tasks/", {"unit": value}),
                        ("/tasks/", {"q": value, "plan": value}), ("/complaints/", {"q": value}),
                        ("/supervision/notices/", {"q": value}), ("/portal/results/", {"q": value}),
                        ("/complaints/", {"type": value, "status": value}), ("/api/v1/complaints", {"q": value}),
                        ("/api/v1/tasks", {"q": value, "status": value})]:
        response = client.get(url, params)
        assert response.status_code in (200, 400, 422), (url, params, response.status_code)
        html = response.content.decode()
        assert "垫江县任务" not in html  # never another district's rows
        if url == "/tasks/":
            assert task_links(response) <= everything  # no extra rows
    if "DROP" in value or "UNION" in value:
        assert task_links(client.get("/tasks/", {"q": value})) == set()
    assert Task.objects.filter(pk=world.t_dept.pk).exists()
