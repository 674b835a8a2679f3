"""Random values thrown at the main staff forms through the real pages: never a server error; invalid
input answers the form again with its errors, valid input saves (a redirect)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhenggai.core.models import Event

HOSTILE = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'; DROP TABLE tasks; --", "%(x)s",
           "{{7*7}}", "\u202e\u200b", "=1+2", "-1", "0", "99999999999999999999", "1e309", "NaN", "2025-02-30",
           "9999-12-31", "0001-01-01", "\x00", " ", "x" * 5000]
TEXT_TYPES = {"text", "number", "date", "email", "search", "tel", "url", "textarea", ""}

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=60),
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
    st.just(""),
)


class FormFields(HTMLParser):
    """The fields of the page's largest POST form (not the sign-out button): (name, kind, current value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str, str]]] = []
        self.fields: list[tuple[str, str, str]] = []
        self._form = 0  # 0 outside, 1 inside
        self._textarea: str | None = None
        self._select: str | None = None
        self._multiple = False
        self._options: list[str] = []
        self._selected: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form, self.fields = 1, []
            self.forms.append(self.fields)
        if self._form != 1:
            return
        name = a.get("name", "")
        if tag == "input" and name and a.get("type", "text") not in ("submit", "button", "file", "image"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                if kind == "radio" and not any(f[0] == name for f in self.fields):
                    self.fields.append((name, kind, a.get("value", "on")))
                return
            self.fields.append((name, kind, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, "textarea", ""))
        elif tag == "select" and name:
            self._select, self._multiple, self._options, self._selected = name, "multiple" in a, [], []
        elif tag == "option" and self._select is not None:
            self._options.append(a.get("value", ""))
            if "selected" in a:
                self._selected.append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, kind, value = self.fields[-1]
            self.fields[-1] = (name, kind, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None:
            # what a browser sends: the selected options, else a single select's first option
            picked = self._selected or ([] if self._multiple or not self._options else self._options[:1])
            self.fields.extend((self._select, "select", value) for value in picked)
            self._select = None
        elif tag == "form":
            self._form = 0


def form_fields(client: Client, url: str) -> list[tuple[str, str, str]]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = FormFields()
    parser.feed(response.content.decode())
    fields = max(parser.forms, key=len, default=[])
    assert len(fields) > 3, url
    return fields


def fuzz_once(client: Client, url: str, draw) -> None:
    fields = form_fields(client, url)
    data: dict[str, list[str]] = {}
    changed = False
    for name, kind, value in fields:
        if kind in TEXT_TYPES and name != "csrfmiddlewaretoken" and draw(st.booleans()):
            value, changed = draw(values), True
        data.setdefault(name, []).append(value)
    events = Event.objects.count()
    response = client.post(url, data)
    assert response.status_code in (200, 302, 400, 403, 409), (url, response.status_code, data)
    if response.status_code == 302:
        assert Event.objects.count() > events or not changed, (url, data)  # saved, with its event
    else:
        html = response.content.decode()
        assert re.search(r"is-invalid|invalid-feedback|errorlist|alert-danger|alert-warning", html), (url, data)


FUZZ = settings(max_examples=6, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize(("user", "url"), [
    ("office", "/tasks/{t_dept}/edit/"),
    ("staff", "/tasks/{t_dept}/report/"),
    ("office", "/tasks/{t_dept}/supervise/"),
])
@FUZZ
@given(data=st.data())
def test_random_values_never_break_the_forms(world, user, url, data):
    client = Client()
    client.force_login(getattr(world.users, user))
    fuzz_once(client, url.format(t_dept=world.t_dept.pk, t_town=world.t_town.pk), data.draw)


@settings(FUZZ, max_examples=3)
@given(data=st.data())
def test_the_valid_form_as_shown_saves(world, data):
    """The page's own values, unchanged, are valid: the form saves (so a refusal above means bad input)."""
    client = Client()
    client.force_login(world.users.office)
    url = f"/tasks/{world.t_dept.pk}/edit/"
    fields = form_fields(client, url)
    title = data.draw(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S")),
                              min_size=1, max_size=80).filter(lambda t: t.strip()))
    body: dict[str, list[str]] = {}
    for name, _kind, value in fields:
        if name == "title":
            value = title
        elif name == "deadline" and not value:
            value = "2026年12月底"
        body.setdefault(name, []).append(value)
    response = client.post(url, body)
    html = response.content.decode()
    assert response.status_code == 302, re.findall(r'name="([^"]+)"[^>]*is-invalid', html)
    world.t_dept.refresh_from_db()
    assert world.t_dept.title == title.strip()
