"""Privacy: nothing confidential anywhere the public can reach.

The demo is loaded once for the module with `zhenggai load-demo` (which plants its internal markers, see
zhenggai.demo.internal_markers). An anonymous visitor then walks, breadth-first, everything public:

- every page reachable from /portal/ (plans, tasks, notices and their objection forms, results, complaint
  batches, the QR code's SVG, the printable poster), every open-data file (CSV, JSON), the Atom feed;
- every public download: the complaint tables as Excel (every cell, sheet title and document property
  is read with openpyxl) and PDF (text and metadata, with pdftotext and pdfinfo);
- every answer of every API operation that needs no authentication — the operations are taken from the
  OpenAPI schema, so a new public route is crawled (or the test says it does not know how to reach it).

Binary images (photos, the QR code's PNG) and static assets are not read. What is looked for (`forbidden`):

- every complainant's name, contact and ID number, and every phone number, ID-card number or e-mail address
  inside a case's texts; every objector's name and contact;
- every staff account's user name and full name (the system actor excluded);
- INTERNAL_MARKERS, and their common prefix (so a marker split over two lines of a PDF is still found).

Matching: user names (ASCII words) as whole words, so that `head` does not match `header`; everything else
as a substring of the text with all white space removed. Strings shorter than two characters are not
looked for, nor strings that are part of a legitimately public name (a unit or a region), which would
match without any leak.

The crawl also checks that it reached every kind of public thing, so a broken link cannot make it pass by
seeing less, and that its readers do read each format (a public string is found in each).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter, deque
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from zhenggai.accounts.models import Organization, Region, User
from zhenggai.complaints.models import Complainant, Complaint, HandoverBatch
from zhenggai.complaints.publication import published_complaints
from zhenggai.complaints.redaction import find_sensitive
from zhenggai.core.actors import SYSTEM_USERNAME
from zhenggai.demo.internal_markers import INTERNAL_MARKERS
from zhenggai.portal import selectors
from zhenggai.rectification.models import Objection

from .. import factories as f

MAX_URLS = 3000
PUBLIC_PREFIXES = ("/portal/", "/api/v1/public/")
BINARY = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico")
# Structural attributes: their values are names the templates chose, not data.
STRUCTURAL_ATTRIBUTES = {"class", "id", "rel", "type", "for", "role", "lang", "charset", "method", "name", "scope",
                         "aria-labelledby", "aria-describedby", "aria-current", "data-testid", "data-kind",
                         "autocomplete", "inputmode", "novalidate", "colspan", "rowspan", "tabindex", "media"}
COMPLAINT_TEXTS = ("summary", "investigation", "handling_goal", "handling", "accountability", "remarks")
WORD = re.compile(r"[A-Za-z0-9_]+")


# ----------------------------------------------------------------------------- the demo, once


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """`zhenggai load-demo`, once for the module, rolled back afterwards."""
    with f.rolled_back(django_db_blocker, media_root=tmp_path_factory.mktemp("privacy-media")):
        call_command("load_demo", stdout=io.StringIO())
        yield


@pytest.fixture
def demo(loaded_demo, db):
    cache.clear()  # the portal keeps rendered pages in the cache: start from the data, not another module's
    yield
    cache.clear()


# ----------------------------------------------------------------------------- what must never be public


def public_names() -> list[str]:
    """Names that are public by nature: units and regions."""
    names = [*Organization.objects.values_list("name", flat=True),
             *Organization.objects.exclude(short_name="").values_list("short_name", flat=True),
             *Region.objects.values_list("name", flat=True)]
    return [n for n in names if n]


def forbidden() -> dict[str, str]:
    """Every string that must never be public → where it comes from."""
    found: dict[str, str] = {}

    def add(value: str | None, origin: str) -> None:
        value = (value or "").strip()
        if len(value) >= 2:
            found.setdefault(value, origin)

    for marker in INTERNAL_MARKERS:
        add(marker, "internal marker")
    cjk = [m for m in INTERNAL_MARKERS if not m.isascii()]
    add(os.path.commonprefix(cjk), "internal markers' common prefix")
    for person in Complainant.objects.select_related("complaint"):
        for value in (person.name, person.contact, person.id_number):
            add(value, f"complainant of {person.complaint.acceptance_number}")
    for case in Complaint.objects.all():
        for name in COMPLAINT_TEXTS:
            for hit in find_sensitive(getattr(case, name)):
                add(hit, f"contact in the {name} of {case.acceptance_number}")
    for objection in Objection.objects.all():
        add(objection.contact_name, "objector's name")
        add(objection.contact, "objector's contact")
    for user in User.objects.exclude(username=SYSTEM_USERNAME):
        add(user.username, "user name")
        add(user.get_full_name(), f"full name of {user.username}")
    public = public_names()
    return {value: origin for value, origin in found.items() if not any(value in name for name in public)}


def leaks_in(text: str, secrets: dict[str, str]) -> list[tuple[str, str]]:
    compact = re.sub(r"\s+", "", text)
    words = set(WORD.findall(text))
    hits = []
    for secret, origin in secrets.items():
        if WORD.fullmatch(secret) and not secret.isdigit():
            leaked = secret in words
        else:
            leaked = re.sub(r"\s+", "", secret) in compact
        if leaked:
            hits.append((secret, origin))
    return hits


# ----------------------------------------------------------------------------- readers, one per format


class _Html(HTMLParser):
    """Every text node (script blocks included: json_script data is data) and every non-structural
    attribute value, and the links to follow."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name not in STRUCTURAL_ATTRIBUTES:
                self.parts.append(value)
            if value and name in ("href", "src", "action"):
                self.links.append(value)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _strings(value: Any) -> list[str]:
    """Every string value of a JSON document (keys are names the code chose)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def _xlsx(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    props = workbook.properties
    parts = [props.creator or "", props.lastModifiedBy or "", props.title or "", props.subject or "",
             props.description or "", props.keywords or ""]
    for sheet in workbook.worksheets:
        parts.append(sheet.title)
        parts.extend(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)
        parts.extend(str(part.text or "") for part in (sheet.oddHeader.center, sheet.oddFooter.center))
    return "\n".join(parts)


def _pdf(content: bytes) -> str:
    text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True).stdout
    return text.decode("utf-8") + "\n" + info.decode("utf-8", errors="replace")


@dataclass
class Answer:
    kind: str  # html, json, csv, atom, svg, xlsx, pdf
    text: str  # everything read from it
    links: list[str]


def read(response: Any) -> Answer:
    kind = response["Content-Type"].split(";")[0].strip()
    content = response.content
    header = response.get("Content-Disposition", "")
    if kind == "text/html":
        page = _Html()
        page.feed(content.decode("utf-8"))
        return Answer("html", "\n".join(page.parts), page.links)
    if kind == "application/json":
        data = json.loads(content)
        strings = _strings(data)
        return Answer("json", "\n".join(strings), [s for s in strings if s.startswith(("http://", "https://", "/"))])
    if kind == "text/csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        return Answer("csv", header + "\n" + "\n".join("\t".join(row) for row in rows), [])
    if kind in ("application/atom+xml", "image/svg+xml"):
        root = ET.fromstring(content)
        attributes = [v for el in root.iter() for v in el.attrib.values()]
        links = [el.get("href", "") for el in root.iter("{http://www.w3.org/2005/Atom}link")]
        return Answer("atom" if "atom" in kind else "svg", "\n".join([*root.itertext(), *attributes]), links)
    if "spreadsheetml" in kind:
        return Answer("xlsx", header + "\n" + _xlsx(content), [])
    if kind == "application/pdf":
        return Answer("pdf", header + "\n" + _pdf(content), [])
    raise AssertionError(f"no reader for {kind} ({response.request['PATH_INFO']})")


# ----------------------------------------------------------------------------- the crawl


def _local(base: str, href: str) -> str | None:
    """The same-site path (with its query) of a link, or None for another site."""
    target = urlsplit(urljoin("http://testserver" + base, href))
    if target.scheme not in ("http", "https") or target.netloc not in ("", "testserver"):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def crawl(client: Client, starts: list[str]) -> tuple[dict[str, Answer], set[str]]:
    """url → what was read, for every public URL reachable from `starts`; and the same-site links that
    lead elsewhere (static files, the sign-in page)."""
    seen: dict[str, Answer] = {}
    elsewhere: set[str] = set()
    queue = deque(starts)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        assert len(seen) < MAX_URLS, "the crawl does not end: a link generator?"
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        answer = read(response)
        seen[url] = answer
        for href in answer.links:
            local = _local(url, href)
            if local is None:
                continue
            path = urlsplit(local).path
            if path.startswith(PUBLIC_PREFIXES) and not path.lower().endswith(BINARY):
                if local not in seen:
                    queue.append(local)
            elif not path.lower().endswith(BINARY):
                elsewhere.add(path)
    return seen, elsewhere


def public_operations(client: Client) -> list[str]:
    """The paths of the API's GET operations that need no authentication, from the OpenAPI schema."""
    schema = client.get("/api/v1/openapi.json").json()
    return sorted(path for path, operations in schema["paths"].items()
                  for method, operation in operations.items() if method == "get" and not operation.get("security"))


# How to reach each path parameter of a public operation: the list that names its values.
ID_SOURCES = {
    "plan_id": ("/api/v1/public/plans", "id"),
    "task_id": ("/api/v1/public/plans/{plan_id}/tasks", "id"),
    "notice_id": ("/api/v1/public/notices", "id"),
    "batch_id": ("/api/v1/public/complaint-batches", "id"),
}


def api_urls(client: Client, operations: list[str]) -> dict[str, list[str]]:
    """operation → the URLs that call it for every public object (every page of every list)."""

    def pages(path: str) -> list[str]:
        first = client.get(path, {"page_size": 100})
        assert first.status_code == 200, (path, first.status_code)
        count = first.json().get("count", 0) if isinstance(first.json(), dict) else 0
        return [f"{path}?page={n}&page_size=100" for n in range(1, max(1, -(-count // 100)) + 1)]

    def items(path: str) -> list[Any]:
        return [item for url in pages(path) for item in client.get(url).json()["items"]]

    values: dict[str, list[str]] = {}

    def ids(name: str) -> list[str]:
        if name not in values:
            assert name in ID_SOURCES, f"public operation with an unknown parameter {{{name}}}: add it to ID_SOURCES"
            source, key = ID_SOURCES[name]
            found: list[str] = []
            for path in expand(source):
                found.extend(str(item[key]) for item in items(path))
            values[name] = list(dict.fromkeys(found))
        return values[name]

    def expand(template: str) -> list[str]:
        names = re.findall(r"\{(\w+)\}", template)
        if not names:
            return [template]
        name = names[0]
        return [p for value in ids(name) for p in expand(template.replace("{" + name + "}", value))]

    urls: dict[str, list[str]] = {}
    schema = client.get("/api/v1/openapi.json").json()
    for operation in operations:
        parameters = {p["name"] for p in schema["paths"][operation]["get"].get("parameters", [])}
        urls[operation] = [u for path in expand(operation)
                           for u in (pages(path) if "page" in parameters else [path])]
    return urls


def test_nothing_confidential_is_public(demo, capsys):
    secrets = forbidden()
    origins = Counter(origin.split(" of ")[0] for origin in secrets.values())
    # the demo holds what the crawl looks for (each kind, in numbers), or the test would prove nothing
    assert origins["internal marker"] == len(set(INTERNAL_MARKERS))
    assert origins["complainant"] >= 10 and origins["user name"] >= 10 and origins["full name"] >= 10
    assert origins["objector's contact"] >= 1
    assert sum(n for origin, n in origins.items() if origin.startswith("contact in the")) >= 1

    client = Client()
    operations = public_operations(client)
    by_operation = api_urls(client, operations)
    starts = ["/portal/", "/portal/complaints/", "/portal/data/", "/portal/feed.atom"]
    starts += [url for urls in by_operation.values() for url in urls]
    pages, elsewhere = crawl(client, starts)

    # it reached every kind of public thing
    plans = list(selectors.public_plans())
    tasks = list(selectors.public_tasks())
    notices = list(selectors.public_notices())
    batches = list(HandoverBatch.objects.filter(published_at__isnull=False))
    assert len(plans) >= 3 and len(tasks) >= 37 and len(notices) >= 3 and len(batches) >= 10
    expected = {"/portal/results/", "/portal/notices/", "/portal/complaints/", "/portal/data/", "/portal/feed.atom"}
    for name in ("plans", "notices", "results", "complaints"):
        expected |= {f"/portal/data/{name}.csv", f"/portal/data/{name}.json"}
    for plan in plans:
        expected |= {f"/portal/plans/{plan.pk}/", f"/portal/plans/{plan.pk}/poster/", f"/portal/plans/{plan.pk}/qr.svg",
                     f"/portal/data/plans/{plan.pk}/tasks.csv", f"/portal/data/plans/{plan.pk}/tasks.json",
                     f"/api/v1/public/plans/{plan.pk}"}
    for task in tasks:
        expected |= {f"/portal/tasks/{task.pk}/", f"/api/v1/public/tasks/{task.pk}",
                     f"/api/v1/public/tasks/{task.pk}/timeline"}
    for notice in notices:
        expected |= {f"/portal/notices/{notice.pk}/", f"/api/v1/public/notices/{notice.pk}"}
        if selectors.notice_is_open(notice):
            expected.add(f"/portal/notices/{notice.pk}/objection/")
    for batch in batches:
        expected |= {f"/portal/complaints/batches/{batch.pk}/", f"/portal/complaints/batches/{batch.pk}/table.xlsx",
                     f"/portal/complaints/batches/{batch.pk}/table.pdf", f"/api/v1/public/complaint-batches/{batch.pk}"}
    assert not expected - set(pages), sorted(expected - set(pages))[:20]
    assert all(by_operation[op] for op in operations) and len(operations) >= 11
    assert any(url.endswith("/objection/") for url in pages)
    # nothing public leads into the staff site except to sign in; the rest are static files
    assert {p for p in elsewhere if not p.startswith("/static/")} <= {"/login/"}, elsewhere

    # each reader reads: a public string turns up in every format
    kinds = Counter(answer.kind for answer in pages.values())
    assert {"html", "json", "csv", "atom", "svg", "xlsx", "pdf"} <= set(kinds), kinds
    case = published_complaints().filter(batch=batches[0]).order_by("sequence").first()
    number = (case.published_data or {})["受理编号"]
    for suffix in ("/", "/table.xlsx", "/table.pdf"):
        assert number in pages[f"/portal/complaints/batches/{batches[0].pk}{suffix}"].text, suffix
    assert plans[0].title in pages[f"/portal/data/plans/{plans[0].pk}/tasks.csv"].text + pages["/portal/data/plans.csv"].text
    assert plans[0].title in pages[f"/api/v1/public/plans/{plans[0].pk}"].text
    assert "****" in "".join(a.text for a in pages.values() if a.kind == "pdf")  # masked contacts, as masked

    leaks = [(url, secret, origin) for url, answer in pages.items() for secret, origin in leaks_in(answer.text, secrets)]
    assert leaks == [], leaks[:20]
    with capsys.disabled():  # the figures, in the test run's output
        sys.stdout.write(f"\nprivacy crawl: {len(pages)} public URLs read ({dict(kinds)}), "
                         f"{len(operations)} public API operations, {len(secrets)} forbidden strings, no leak\n")


def test_the_matching_finds_what_it_looks_for(demo):
    """The matcher itself: a planted secret is found in text shaped as each reader gives it, user names only
    as whole words."""
    secrets = {"刘某某": "name", "13800001111": "phone", "head": "user name", "内控标记": "prefix"}
    assert leaks_in("办理人：刘某\n某", secrets) == [("刘某某", "name")]  # split by a line break (PDF)
    assert leaks_in("电话 13800001111 已联系", secrets) == [("13800001111", "phone")]
    assert leaks_in("table header thead", secrets) == []
    assert leaks_in("signed by head.", secrets) == [("head", "user name")]
    assert leaks_in("内控标\n记07", secrets) == [("内控标记", "prefix")]
    page = _Html()
    page.feed('<a href="/portal/x/" title="刘某某">x</a><script type="application/json">"13800001111"</script>')
    assert {s for s, _o in leaks_in("\n".join(page.parts), secrets)} == {"刘某某", "13800001111"}


def test_a_planted_leak_is_found_in_every_format(demo):
    """The other way round: a complainant's name written into a published case (as a careless edit of the
    database would) is found on the batch's page, in its Excel and PDF tables and in the API's answer."""
    from zhenggai.demo.internal_markers import COMPLAINANT_NAME

    case = published_complaints().order_by("batch__number", "sequence").first()
    data = dict(case.published_data)
    data["处理和整改情况"] = f"经联系{COMPLAINANT_NAME}核实，已整改。"
    Complaint.objects.filter(pk=case.pk).update(published_data=data)
    cache.clear()
    batch = case.batch_id
    urls = [f"/portal/complaints/batches/{batch}/", f"/portal/complaints/batches/{batch}/table.xlsx",
            f"/portal/complaints/batches/{batch}/table.pdf", f"/api/v1/public/complaint-batches/{batch}"]
    client = Client()
    secrets = forbidden()
    for url in urls:
        found = leaks_in(read(client.get(url)).text, secrets)
        assert (COMPLAINANT_NAME, "internal marker") in found, url
