"""The portal with the demo loaded once for the module (and its internal markers planted).

Nothing internal on the public site. With the demo loaded (and its internal markers planted), an
anonymous visitor crawls every portal page reachable from /portal/ — links, images, downloads, the feed —
and finds none of the markers, no staff username or name, no complainant's name, contact or ID number,
no objector's contact, no review comment, no supervision text, no internal remark.

The complaint tables' Excel and PDF downloads are read by tests/complaints/test_privacy.py; this crawl
skips them to stay fast.

Also: the QR code leads to the plan's page (decoded with zbarimg), the SVG is SVG, the poster prints; the
open data parse back with the right rows; the Atom feed parses with entries; a task's public history."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from zhenggai.accounts.models import User
from zhenggai.complaints.models import Complainant
from zhenggai.complaints.publication import PUBLISHED_COLUMNS, published_complaints
from zhenggai.core.actors import SYSTEM_USERNAME
from zhenggai.demo.internal_markers import (
    EVIDENCE_FILE_NAME,
    INTERNAL_MARKERS,
    STAFF_FULL_NAME,
    STAFF_USERNAME,
    TASK_REMARKS,
)
from zhenggai.evidence.models import Evidence
from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import (
    AcceptanceReview,
    Objection,
    ProgressReport,
    PublicNotice,
    SupervisionNotice,
    Task,
)

ATOM = "{http://www.w3.org/2005/Atom}"
ZBARIMG = "/usr/bin/zbarimg"
MAX_PAGES = 600
SKIPPED = (".pdf", ".xlsx")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name in ("href", "src"):
            if tag in ("a", "img", "link") and values.get(name):
                self.links.append(values[name])
        if values.get("alt"):
            self.text.append(values["alt"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _text_of(kind: str, content: bytes) -> tuple[str, list[str]]:
    """(the readable text, the links) of a response."""
    if kind.startswith("text/html"):
        page = _Page()
        page.feed(content.decode())
        return "\n".join(page.text), page.links
    if kind.startswith("text/csv"):
        assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads UTF-8
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        return "\n".join(" ".join(row) for row in rows), []
    if kind.startswith("application/json"):
        return json.dumps(json.loads(content), ensure_ascii=False), []
    if kind.startswith(("application/atom+xml", "image/svg+xml")):
        root = ET.fromstring(content)
        links = [el.get("href", "") for el in root.iter("{http://www.w3.org/2005/Atom}link")]
        return "\n".join(t for t in root.itertext()), links
    if kind.startswith(("image/png", "image/jpeg")):
        return "", []
    raise AssertionError(f"unexpected content type {kind}")


def _accessible(url: str, html: str) -> None:
    """The basics every portal page keeps: a language, one h1, a skip link to the main landmark, a
    navigation landmark, tables with a caption and header cells with a scope."""
    assert re.search(r'<html lang="(zh-Hans|en)"', html), url
    assert len(re.findall(r"<h1[\s>]", html)) == 1, url
    assert 'href="#main"' in html and '<main id="main"' in html and "<nav" in html, url
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        assert "<caption" in table, url
        assert all("scope=" in th for th in re.findall(r"<th[\s>][^>]*>?", table)), url
    assert "<script>" not in html and " style=" not in html, url  # nothing a strict CSP would block


def crawl(client, *starts: str) -> dict[str, tuple[str, str]]:
    """url → (visible text, raw content) of every /portal/ URL reachable from `starts`."""
    seen: dict[str, tuple[str, str]] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or url.endswith(SKIPPED):
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if not url.endswith("/objection/"):  # the objection form's page sets the CSRF cookie, uncached
            assert not response.cookies, url
            assert "Cookie" not in response.get("Vary", ""), url
        text, links = _text_of(response["Content-Type"], response.content)
        raw = response.content.decode("utf-8", errors="ignore")
        if response["Content-Type"].startswith("text/html") and not url.startswith("/portal/complaints/"):
            _accessible(url, raw)
        seen[url] = (text, raw)
        for href in links:
            target = urlsplit(urljoin("http://testserver" + url, href))
            if target.netloc in ("", "testserver") and target.path.startswith("/portal/"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return seen


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def secrets(demo):
    """Everything that must never be public, each with where it comes from."""
    found: dict[str, str] = {marker: "internal marker" for marker in INTERNAL_MARKERS}
    for user in User.objects.exclude(username=SYSTEM_USERNAME):
        found[user.username] = "username"
        if len(user.get_full_name()) >= 2:
            found[user.get_full_name()] = f"name of {user.username}"
    for person in Complainant.objects.all():
        for value in (person.name, person.contact, person.id_number):
            if len(value) >= 2:
                found[value] = "complainant"
    for o in Objection.objects.all():
        for value in (o.contact_name, o.contact):
            if len(value) >= 2:
                found[value] = "objection contact"
    for review in AcceptanceReview.objects.all():
        for value in (review.reasons, review.check_findings, review.check_people):
            if len(value) >= 4:
                found[value] = "acceptance review"
    for notice in SupervisionNotice.objects.all():
        for value in (notice.reason, notice.required_action, notice.reply):
            if len(value) >= 4:
                found[value] = "supervision notice"
    for report in ProgressReport.objects.exclude(return_reason=""):
        found[report.return_reason] = "return reason"
    for task in Task.objects.exclude(remarks=""):
        found[task.remarks] = "task remarks"
    for evidence in Evidence.objects.filter(is_public=False):
        found[evidence.original_name] = "non-public evidence"
        if evidence.description:
            found[evidence.description] = "non-public evidence"
    return found


def test_the_demo_holds_every_marker(secrets):
    kinds = set(secrets.values())
    assert {"complainant", "objection contact", "acceptance review", "supervision notice", "return reason",
            "task remarks", "non-public evidence", "username"} <= kinds
    assert Task.objects.filter(remarks=TASK_REMARKS).exists()
    assert ProgressReport.objects.filter(status="draft", description=INTERNAL_MARKERS[0]).exists()
    assert User.objects.filter(username=STAFF_USERNAME).get().get_full_name() == STAFF_FULL_NAME
    assert Complainant.objects.filter(name__in=INTERNAL_MARKERS, complaint__published_at__isnull=False).exists()


def test_no_portal_page_shows_anything_internal(client, secrets):
    plans = list(Plan.objects.filter(published_date__isnull=False))
    starts = [reverse("portal:home"), reverse("portal:data_index"), reverse("portal:feed")]
    for name in ("plans", "notices", "results", "complaints"):
        starts += [reverse("portal:dataset", args=[name, fmt]) for fmt in ("csv", "json")]
    for plan in plans:
        starts += [reverse("portal:plan_tasks", args=[plan.pk, fmt]) for fmt in ("csv", "json")]
        starts += [reverse("portal:plan_qr_png", args=[plan.pk])]
    pages = crawl(client, *starts)

    # the crawl reached every kind of page
    for plan in plans:
        for name in ("portal:plan_detail", "portal:plan_qr_svg", "portal:plan_poster"):
            assert reverse(name, args=[plan.pk]) in pages, (name, plan)
    public_tasks = Task.objects.filter(plan__published_date__isnull=False)
    assert all(reverse("portal:task_detail", args=[t.pk]) in pages for t in public_tasks)
    for name in ("portal:results", "portal:notice_list", "portal_complaints"):
        assert reverse(name) in pages, name
    assert sum(1 for url in pages if url.startswith("/portal/photos/")) >= 10
    assert sum(1 for url in pages if url.startswith("/portal/complaints/batches/")) >= 10
    marked = Task.objects.get(remarks=TASK_REMARKS)
    assert reverse("portal:task_detail", args=[marked.pk]) in pages

    leaks = []
    for url, (text, raw) in pages.items():
        compact_text, compact_raw = _compact(text), _compact(raw)
        words = set(re.findall(r"[A-Za-z0-9_]+", text))
        for secret, origin in secrets.items():
            if secret.isascii() and re.fullmatch(r"[A-Za-z0-9_]+", secret) and not secret.isdigit():
                leaked = secret in words  # a username: as a word of the visible text, not inside another word
            else:
                leaked = _compact(secret) in compact_text or _compact(secret) in compact_raw
            if leaked:
                leaks.append((url, origin, secret))
    assert leaks == []


def test_hidden_photos_are_not_served(client, demo):
    hidden = Evidence.objects.get(original_name__startswith=EVIDENCE_FILE_NAME)
    assert client.get(reverse("portal:photo", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("portal:photo_thumb", args=[hidden.pk])).status_code == 404
    shown = Evidence.objects.filter(is_public=True, category="after_photo").first()
    response = client.get(reverse("portal:photo", args=[shown.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"\xff\xd8") and b"Exif" not in response.content[:200]
    assert shown.original_name not in response["Content-Disposition"]
    again = client.get(reverse("portal:photo", args=[shown.pk]), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


# ------------------------------------------------------------------------ QR code, open data, feed


def _decode(png: bytes, tmp_path) -> str:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    done = subprocess.run([ZBARIMG, "--raw", "-q", str(path)], capture_output=True, check=True, text=True)
    return done.stdout.strip()


def _plan(demo) -> Plan:
    return Plan.objects.get(pk=demo["plan_id"])


def test_qr_png_decodes_to_the_plan_page(client, demo, tmp_path, settings):
    plan = _plan(demo)
    settings.ZHENGGAI_SITE_URL = ""
    response = client.get(reverse("portal:plan_qr_png", args=[plan.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert _decode(response.content, tmp_path) == "http://testserver" + reverse("portal:plan_detail", args=[plan.pk])
    # with the site URL configured, the code leads there whatever host was asked
    settings.ZHENGGAI_SITE_URL = "https://dczg.example.gov.cn"
    response = client.get(reverse("portal:plan_qr_png", args=[plan.pk]))
    assert _decode(response.content, tmp_path) == "https://dczg.example.gov.cn" + reverse(
        "portal:plan_detail", args=[plan.pk])


def test_qr_svg_is_svg_and_the_poster_shows_it(client, demo):
    plan = _plan(demo)
    response = client.get(reverse("portal:plan_qr_svg", args=[plan.pk]))
    assert response["Content-Type"] == "image/svg+xml" and response["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and float(root.get("width")) >= 200
    assert len(list(root.iter("{http://www.w3.org/2000/svg}path"))) >= 1
    poster = client.get(reverse("portal:plan_poster", args=[plan.pk])).content.decode()
    assert plan.title in poster and reverse("portal:plan_qr_svg", args=[plan.pk]) in poster
    assert "http://testserver" + reverse("portal:plan_detail", args=[plan.pk]) in poster
    assert "<script>" not in poster and "portal.js" in poster
    # unpublished plans have no page and no code
    Plan.objects.filter(pk=plan.pk).update(published_date=None)
    assert client.get(reverse("portal:plan_qr_png", args=[plan.pk])).status_code == 404
    assert client.get(reverse("portal:plan_detail", args=[plan.pk])).status_code == 404


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_plan_tasks_as_csv_and_json(client, demo):
    plan = _plan(demo)
    tasks = list(Task.objects.filter(plan=plan).order_by("number"))
    rows = _csv(client.get(reverse("portal:plan_tasks", args=[plan.pk, "csv"])).content)
    assert rows[0][:3] == ["序号", "存在问题", "整改目标"] and len(rows) == 1 + len(tasks) == 38
    assert [int(r[0]) for r in rows[1:]] == [t.number for t in tasks]
    assert rows[1][1] == tasks[0].title
    data = json.loads(client.get(reverse("portal:plan_tasks", args=[plan.pk, "json"])).content)
    assert data["title"] == plan.title and len(data["rows"]) == 37
    first = data["rows"][0]
    assert first["number"] == 1 and first["status"] == tasks[0].get_status_display()
    assert first["schedule"] in {"未启动", "未达到序时进度", "达到序时进度", "超过序时进度"}
    assert first["url"].endswith(reverse("portal:task_detail", args=[tasks[0].pk]))
    assert "remarks" not in first and "warning" not in first and "responsible_leader" not in first


def test_lists_as_csv_and_json(client, demo):
    published = Plan.objects.filter(published_date__isnull=False).count()
    plans = json.loads(client.get(reverse("portal:dataset", args=["plans", "json"])).content)
    assert len(plans["rows"]) == published and {r["tasks"] for r in plans["rows"]} >= {37}
    notices = _csv(client.get(reverse("portal:dataset", args=["notices", "csv"])).content)
    assert len(notices) - 1 == PublicNotice.objects.exclude(status="withdrawn").count()
    results = json.loads(client.get(reverse("portal:dataset", args=["results", "json"])).content)
    closed = Task.objects.filter(status="closed", plan__published_date__isnull=False).count()
    assert len(results["rows"]) == closed and all(r["closed_date"] for r in results["rows"])
    complaints = _csv(client.get(reverse("portal:dataset", args=["complaints", "csv"])).content)
    assert complaints[0][3:] == list(PUBLISHED_COLUMNS)
    assert len(complaints) - 1 == published_complaints().count() > 0
    numbers = {row[4] for row in complaints[1:]}
    assert {(c.published_data or {})["受理编号"] for c in published_complaints()} == numbers


def test_atom_feed_parses_with_entries(client, demo):
    response = client.get(reverse("portal:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}title").text
    entries = root.findall(f"{ATOM}entry")
    assert 10 <= len(entries) <= 50
    kinds = {e.find(f"{ATOM}category").get("term") for e in entries}
    assert kinds >= {"progress", "closed"}
    # further back, the other kinds of updates are there too
    from zhenggai.portal.updates import latest_updates

    assert {u.kind for u in latest_updates(500)} == {"notice", "closed", "progress", "batch"}
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/portal/")
        assert entry.find(f"{ATOM}updated").text[:2] == "20"


def test_task_page_shows_its_public_history_and_photos(client, demo):


    task = Task.objects.filter(plan_id=demo["plan_id"], status="closed", evidence__is_public=True).first()
    page = client.get(reverse("portal:task_detail", args=[task.pk])).content.decode()
    assert task.title in page
    for kind in ("accepted", "notice", "closed"):
        assert f'data-kind="{kind}"' in page, kind
    photos = task.evidence.filter(is_public=True)
    assert all(reverse("portal:photo_thumb", args=[p.pk]) in page for p in photos)
    review = AcceptanceReview.objects.filter(application__task=task).first()
    assert review.reasons.splitlines()[0] not in page and review.check_findings.splitlines()[0] not in page
    notice = PublicNotice.objects.get(task=task)
    assert reverse("portal:notice_detail", args=[notice.pk]) in page
    # progress: approved reports only, with percent, never their writers
    reporting = Task.objects.filter(plan_id=demo["plan_id"], status="in_progress",
                                    reports__status="approved").first()
    page = client.get(reverse("portal:task_detail", args=[reporting.pk])).content.decode()
    assert 'data-kind="progress"' in page and "完成 " in page
