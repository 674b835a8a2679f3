"""Nothing confidential on the public site: with the demo loaded, crawl every page of the portal from its
home page (following every /portal/ link, downloading every Excel and PDF) and look for the complainants'
names, contacts and ID numbers, the phone numbers, ID numbers and e-mail addresses inside the cases' raw
texts, the office's review notes, and the usernames and names of the demo's users."""

from __future__ import annotations

import io
import re
import subprocess
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from zhenggai.accounts.models import User
from zhenggai.complaints.models import Complainant, Complaint, HandoverBatch
from zhenggai.complaints.redaction import find_sensitive
from zhenggai.demo import ALL_DEMO_ACCOUNTS

from .. import factories as f
from .test_demo_complaints import TEXT_FIELDS, load_demo_with_complaints

MAX_PAGES = 400


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the module in a transaction rolled back afterwards."""
    with f.rolled_back(django_db_blocker, media_root=tmp_path_factory.mktemp("media")):
        yield load_demo_with_complaints()


class _Page(HTMLParser):
    """The visible text and the links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def _xlsx_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows()
                     for cell in row if cell.value is not None)


def crawl(client: Client, *starts: str) -> dict[str, str]:
    """url → the visible text of every public page reachable from `starts`, Excel and PDF included."""
    seen: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        kind = response["Content-Type"]
        if kind.startswith("application/pdf"):
            seen[url] = _pdf_text(response.content)
            continue
        if "spreadsheetml" in kind:
            seen[url] = _xlsx_text(response.content)
            continue
        page = _Page()
        page.feed(response.content.decode())
        seen[url] = "\n".join(page.text)
        for href in page.links:
            target = urlsplit(urljoin(url, href))
            if not target.netloc and target.path.startswith("/portal/"):
                queue.append(target.path)
    return seen


@pytest.fixture
def secrets(loaded_demo, db):
    """Everything that must never be public, each with where it comes from."""
    found: dict[str, str] = {}
    for person in Complainant.objects.all():
        for value in (person.name, person.contact, person.id_number):
            if value:
                found[value] = f"complainant of {person.complaint}"
    for c in Complaint.objects.all():
        for name in TEXT_FIELDS:
            for hit in find_sensitive(getattr(c, name)):
                found[hit] = f"{name} of {c}"
        if c.review_note:
            found[c.review_note] = f"review note of {c}"
    for username, _role, _org in ALL_DEMO_ACCOUNTS:
        user = User.objects.get(username=username)
        found[user.get_full_name()] = f"name of {username}"
        found[username] = "username"
    return found


def test_the_demo_has_what_must_stay_hidden(secrets):
    kinds = " ".join(secrets.values())
    assert "complainant" in kinds and "summary" in kinds and "handling" in kinds and "review note" in kinds
    assert sum(1 for s in secrets if re.fullmatch(r"1[3-9]\d{9}", s)) >= 10


def test_no_public_page_shows_confidential_data(client, secrets):
    # the complaints' index is a start too, in case the home page does not link to it
    pages = crawl(client, reverse("portal:home"), reverse("portal_complaints"))
    published = HandoverBatch.objects.filter(published_at__isnull=False)
    assert published.count() == 10
    for batch in published:
        for name in ("portal_batch", "portal_batch_xlsx", "portal_batch_pdf"):
            assert reverse(name, args=[batch.pk]) in pages, (name, batch)
    assert reverse("portal_complaints") in pages and reverse("portal:notice_list") in pages
    assert sum(1 for url in pages if url.startswith("/portal/notices/") and url != "/portal/notices/") >= 3
    # the crawl saw the published cases (masked)
    everything = "\n".join(pages.values())
    assert "D8CQ202411180003★" in everything and "139****5678" in everything and "累计交办群众信访举报件" in everything
    leaks = []
    for url, text in pages.items():
        compact = _compact(text)
        words = set(re.findall(r"[A-Za-z0-9_]+", text))
        for secret, origin in secrets.items():
            if secret.isascii() and secret.isalnum() and not secret.isdigit():
                leaked = secret in words  # a username: as a word, not inside another one
            else:
                leaked = _compact(secret) in compact
            if leaked:
                leaks.append((url, secret, origin))
    assert not leaks, leaks[:20]


def test_unpublished_batches_are_not_public(client, loaded_demo, db):
    for batch in HandoverBatch.objects.filter(published_at__isnull=True):
        for name in ("portal_batch", "portal_batch_xlsx", "portal_batch_pdf"):
            assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    index = client.get(reverse("portal_complaints")).content.decode()
    unpublished = Complaint.objects.filter(batch__published_at__isnull=True)
    assert unpublished.exists() and not any(c.acceptance_number in index for c in unpublished)
