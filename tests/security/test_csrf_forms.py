"""CSRF on every form.

Three ways, so that a form added later is covered without anybody remembering this file:

- every view of the site is behind Django's CsrfViewMiddleware, except the API (django-ninja checks the token
  itself for session calls; bearer tokens need none) and a short list of upload views that switch the
  token check off only to put their size-limiting upload handler in place first and then check it
  themselves (`csrf_protect` inside) — each of these is posted to without a token and must refuse;
- signed in as each role of the `world` fixture (and anonymously), the staff site is walked link by link:
  every POST form of every page carries the token, and every form's action, posted to with the CSRF cookie
  but without the token, answers 403 with the CSRF refusal page — and nothing is written;
- the portal's objection form (its own uncached page) the same way, and the API refuses a session write
  without `X-CSRFToken`.

Every `<form method="post">` of the templates carrying `{% csrf_token %}` is checked by
tests/core/test_security_headers.py::test_every_post_form_carries_a_csrf_token.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from zhenggai.core.models import Event
from zhenggai.rectification.models import AcceptanceApplication, PublicNotice, Task
from zhenggai.rectification.workflow import TaskStatus

MAX_PAGES = 400
# Views that turn Django's check off to install their upload handler first, then check the token themselves.
CHECKED_INSIDE = {
    "zhenggai.evidence.views.evidence_upload",
    "zhenggai.complaints.views.complaint_handle",
    "zhenggai.complaints.views.complaint_evidence_upload",
}
NOT_FOLLOWED = ("/static/", "/api/", "/admin/", "/portal/", "/logout/", "/i18n/")
DOWNLOADS = (".xlsx", ".pdf", ".docx", ".csv", ".ics", ".zip", ".jpg", ".png", ".svg", ".json", ".atom")


def _views(patterns=None, prefix: str = ""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from _views(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def test_every_view_outside_the_api_is_behind_the_csrf_check():
    exempt = {f"{callback.__module__}.{callback.__name__}" for route, callback in _views()
              if getattr(callback, "csrf_exempt", False) and not route.startswith("api/v1/")}
    assert exempt == CHECKED_INSIDE, exempt
    assert sum(1 for _route, _callback in _views()) > 200


class Forms(HTMLParser):
    """The links and the POST forms of a page: (action, has a token)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[list] = []  # [action, has_token]
        self._open: list | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._open = [a.get("action", ""), False]
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and a.get("name") == "csrfmiddlewaretoken" and a.get("value"):
            self._open[1] = True
        elif tag == "button" and a.get("formaction") and self._open is not None:
            self.forms.append([a["formaction"], self._open[1]])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def walk(client: Client, starts: list[str]) -> tuple[int, dict[str, str], list[tuple[str, str]]]:
    """(pages read, form action → the page it is on, forms without a token) of the staff site reachable
    from `starts`; query strings are dropped, so every page is read once."""
    seen: set[str] = set()
    actions: dict[str, str] = {}
    missing: list[tuple[str, str]] = []
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        page = Forms()
        page.feed(response.content.decode())
        for action, has_token in page.forms:
            target = urlsplit(urljoin("http://testserver" + url, action or url))
            path = target.path + (f"?{target.query}" if target.query else "")
            if target.netloc in ("", "testserver"):
                actions.setdefault(path, url)
                if not has_token:
                    missing.append((url, path))
        for href in page.links:
            target = urlsplit(urljoin("http://testserver" + url, href))
            if target.netloc in ("", "testserver") and target.path.startswith("/") \
                    and not target.path.startswith(NOT_FOLLOWED) and not target.path.endswith(DOWNLOADS):
                queue.append(target.path)
    assert len(seen) < MAX_PAGES, "the walk does not end"
    return len(seen), actions, missing


def assert_refused_without_token(client: Client, actions: dict[str, str]) -> None:
    events = Event.objects.count()
    tasks = list(Task.objects.order_by("pk").values_list("status", "title", "updated_at"))
    for action, page in actions.items():
        response = client.post(action, {"confirm": "1"})
        assert response.status_code == 403, (action, page, response.status_code)
        assert 'data-testid="csrf-failure"' in response.content.decode(), (action, page)
    assert Event.objects.count() == events
    assert list(Task.objects.order_by("pk").values_list("status", "title", "updated_at")) == tasks


@pytest.fixture
def busy_world(world):
    """The world with something in each kind of form: a complaint, a report in a round, a notice."""
    from zhenggai.complaints.models import HandoverBatch
    from zhenggai.complaints.services import complaint_create

    batch = HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=dt.date(2025, 6, 3),
                                         reply_days=10)
    complaint_create(actor=world.users.office, batch=batch, data={
        "acceptance_number": "D3CQ202506030001", "summary": "某化工厂夜间排放刺鼻气味", "region": world.district,
        "pollution_types": ["air"], "lead_unit": world.dept})
    Task.objects.filter(pk=world.t_town.pk).update(status=TaskStatus.ACCEPTANCE_REQUESTED)
    application = AcceptanceApplication.objects.create(task=world.t_town, unit=world.town,
                                                       applied_by=world.users.head2, statement="已完成", self_check={})
    world.notice = PublicNotice.objects.create(
        task=world.t_town, application=application, start_date=timezone.localdate(),
        end_date=timezone.localdate() + dt.timedelta(days=14), summary="概述", result="整改情况")
    return world


@pytest.mark.parametrize("role", ["office", "staff", "head", "acceptor", "admin"])
def test_every_form_of_the_staff_site_carries_the_token_and_needs_it(busy_world, role):
    world = busy_world
    client = Client(enforce_csrf_checks=True)
    client.force_login(getattr(world.users, role))
    starts = ["/", f"/tasks/{world.t_dept.pk}/", f"/tasks/{world.t_town.pk}/", "/complaints/"]
    pages, actions, missing = walk(client, starts)
    assert missing == []
    assert pages >= 15 and len(actions) >= 3, (pages, actions)
    assert_refused_without_token(client, actions)


def test_anonymous_forms_need_the_token_too(busy_world):
    client = Client(enforce_csrf_checks=True)
    objection = f"/portal/notices/{busy_world.notice.pk}/objection/"
    pages, actions, missing = walk(client, ["/login/", "/admin/login/", objection])
    assert missing == [] and {"/login/", objection} <= set(actions), actions
    assert_refused_without_token(client, actions)
    # with the token from the page, the same POST goes through (so the 403 above was the token's)
    form = client.get(objection).content.decode()
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    done = client.post(objection, {"content": "河边仍有异味", "csrfmiddlewaretoken": token})
    assert done.status_code == 302 and busy_world.notice.objections.count() == 1


def test_the_upload_views_check_the_token_themselves(busy_world):
    """The views of CHECKED_INSIDE, posted to with a session and the CSRF cookie but no token."""
    world = busy_world
    from zhenggai.complaints.models import Complaint

    complaint = Complaint.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.office)
    client.get(f"/complaints/{complaint.pk}/")  # the CSRF cookie
    assert "csrftoken" in client.cookies
    urls = [f"/tasks/{world.t_dept.pk}/evidence/upload/", f"/complaints/{complaint.pk}/handle/",
            f"/complaints/{complaint.pk}/evidence/"]
    events = Event.objects.count()
    for url in urls:
        response = client.post(url, {"handling": "已整改", "status": "done", "category": "statement"})
        assert response.status_code == 403, (url, response.status_code)
    assert Event.objects.count() == events
    complaint.refresh_from_db()
    assert complaint.handling == ""


def test_the_api_refuses_a_session_write_without_the_token(busy_world):
    world = busy_world
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.staff)
    client.get("/")
    refused = client.post(f"/api/v1/tasks/{world.t_dept.pk}/start", {}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert Task.objects.get(pk=world.t_dept.pk).status == TaskStatus.NOT_STARTED
    token = client.cookies["csrftoken"].value
    done = client.post(f"/api/v1/tasks/{world.t_dept.pk}/start", {}, content_type="application/json",
                       headers={"X-CSRFToken": token})
    assert done.status_code == 200, done.content
    assert Task.objects.get(pk=world.t_dept.pk).status == TaskStatus.IN_PROGRESS
