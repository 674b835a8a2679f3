"""Random and hostile values thrown at the complaint handling form (page and API) and at the public's
objection form: text with NUL, direction marks, emoji, markup, template and SQL-looking text, very long
strings; random choice values, dates and numbers.

Whatever is sent: never a server error; a refusal explains itself (the form again with its errors, or the
API's error body with a message); an accepted value is stored exactly as sent (less the surrounding white
space the form trims) and renders escaped where it is shown — the case's page for the office, the task's
acceptance panel for the office, the public notice once answered (masked there).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.template.defaultfilters import linebreaksbr
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhenggai.api.services import api_token_create
from zhenggai.complaints.models import Complaint, ComplaintStatus, HandoverBatch, Truthfulness
from zhenggai.complaints.redaction import mask_text
from zhenggai.complaints.services import complaint_create
from zhenggai.evidence.models import EvidenceCategory
from zhenggai.rectification.models import AcceptanceApplication, Objection, PublicNotice, Task
from zhenggai.rectification.transitions import objection_answer
from zhenggai.rectification.workflow import TaskStatus

from .test_fuzz_forms import HOSTILE, FormFields

MARKUP = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "<b>粗体</b>&amp;&lt;", "{{ 7*7 }}{% now 'Y' %}",
          "' OR '1'='1' --", "1; DROP TABLE complaints_complaint; --", "\u202e\u2066反向\u2069\u202c", "😀🌊🏭‍🔥",
          "\ufeff零宽\u200b\u200d", "a\x00b", "\r\n第二行\r\n", "\t缩进", "长" * 2100, "x" * 25000, "%s%n%(x)s",
          "javascript:alert(1)", "电话13812345678，身份证50022819800101123X"]
TEXT_FIELDS = ("investigation", "handling_goal", "handling", "accountability", "remarks")
COUNTERS = ("ordered_rectify", "penalized", "fine_amount", "investigated", "admin_detained", "criminal_detained",
            "interviewed", "held_accountable", "leads_transferred")
TAGS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<b>粗体</b>")

texts = st.one_of(
    st.sampled_from(MARKUP + HOSTILE),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.tuples(st.sampled_from(MARKUP), st.text(alphabet=st.characters(codec="utf-8"), max_size=20)).map("".join),
    st.just(""),
)
junk = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
numbers = st.one_of(st.integers(min_value=-5, max_value=10**6), st.sampled_from([2**31, 2**31 - 1, 2**63, 10**20]),
                    st.integers(min_value=-10**30, max_value=10**30))
dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))

FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ERRORS = re.compile(r"is-invalid|invalid-feedback|errorlist|alert-danger")


def shown(value: str) -> str:
    """How a template shows `value` with `|linebreaksbr` (escaped, line breaks as <br>)."""
    return str(linebreaksbr(value, autoescape=True))


def assert_escaped(html: str, value: str, where: str) -> None:
    assert shown(value) in html, (where, value[:80])
    for tag in TAGS:
        assert tag not in html, (where, tag)


@pytest.fixture
def case(world):
    batch = HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=dt.date(2025, 6, 3),
                                         reply_days=10)
    return complaint_create(actor=world.users.office, batch=batch, data={
        "acceptance_number": "D3CQ202506030001", "summary": "某化工厂夜间排放刺鼻气味", "region": world.district,
        "pollution_types": ["air"], "lead_unit": world.dept})


def _check_stored(complaint: Complaint, sent: dict[str, str]) -> None:
    complaint.refresh_from_db()
    for name in TEXT_FIELDS:
        assert getattr(complaint, name) == sent[name].strip(), name
    assert complaint.truthfulness == sent["truthfulness"]
    assert complaint.status == sent["status"]
    for name in COUNTERS:
        assert Decimal(getattr(complaint, name)) == Decimal(sent[name].strip() or "0"), name
    if sent["status"] == ComplaintStatus.DONE and sent["done_at"]:
        assert complaint.done_at == dt.date.fromisoformat(sent["done_at"])
    elif sent["status"] != ComplaintStatus.DONE:
        assert complaint.done_at is None


def _check_page(client: Client, complaint: Complaint) -> None:
    html = client.get(f"/complaints/{complaint.pk}/").content.decode()
    for name in TEXT_FIELDS:
        value = getattr(complaint, name)
        if value:
            assert_escaped(html, value, name)


# ----------------------------------------------------------------------------- the handling page


def test_random_values_in_the_handling_form(world, case):
    client = Client()
    client.force_login(world.users.office)  # the office reads the texts unmasked: they must come back as sent
    url = f"/complaints/{case.pk}/handle/"
    choices = {
        "truthfulness": ["", *Truthfulness.values],
        "status": [ComplaintStatus.INVESTIGATING, ComplaintStatus.STAGE_DONE, ComplaintStatus.DONE],
        "evidence_category": list(EvidenceCategory.values),
    }
    outcomes: Counter[int] = Counter()

    @FUZZ
    @given(data=st.data())
    def run(data):
        page = client.get(url)
        assert page.status_code == 200
        parser = FormFields()
        parser.feed(page.content.decode())
        sent = {name: value for name, _kind, value in max(parser.forms, key=len)}
        for name in TEXT_FIELDS:
            sent[name] = data.draw(texts, label=name)
        # half of the examples keep the other fields valid; the rest throw junk at about half of them
        hostile = data.draw(st.booleans(), label="hostile")

        def pick(good, bad, name):
            return data.draw(bad if hostile and data.draw(st.booleans()) else good, label=name)

        for name, options in choices.items():
            sent[name] = pick(st.sampled_from(options), st.one_of(junk, st.just(ComplaintStatus.RECEIVED)), name)
        for name in COUNTERS:
            sent[name] = pick(st.integers(0, 10**6).map(str), st.one_of(
                numbers.map(str), st.sampled_from(["", "1.5", "-0", "1e3", "٣", " 7 "]), junk), name)
        sent["done_at"] = pick(st.one_of(dates.map(dt.date.isoformat), st.just("")), junk, "done_at")
        response = client.post(url, sent)
        assert response.status_code in (302, 400), response.status_code
        outcomes[response.status_code] += 1
        if response.status_code == 400:
            assert ERRORS.search(response.content.decode()), sent
            return
        _check_stored(case, sent)
        _check_page(client, case)

    run()
    assert outcomes[302] >= 5 and outcomes[400] >= 5, outcomes


# ----------------------------------------------------------------------------- the handling API

HANDLE_KEYS = (*TEXT_FIELDS, "truthfulness", "status", "done_at", *COUNTERS)
json_values = st.one_of(
    texts, junk, numbers, st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from([*Truthfulness.values, "investigating", "stage_done", "done", "received"]),
    dates.map(dt.date.isoformat), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                         max_size=2),
)

# payloads of the right shape (their texts still hostile), so that some are accepted
well_typed = st.fixed_dictionaries({}, optional={
    **{name: texts for name in TEXT_FIELDS},
    "truthfulness": st.sampled_from(["true", "mostly_true", "partly_true"]),
    "status": st.sampled_from(["investigating", "stage_done", "done"]),
    "done_at": dates.map(dt.date.isoformat),
    **{name: st.integers(0, 10**6) for name in COUNTERS},
})


def test_random_values_in_the_handling_api(world, case):
    _token, secret = api_token_create(user=world.users.office, name="fuzz")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    office = Client()
    office.force_login(world.users.office)
    outcomes: Counter[int] = Counter()

    @settings(FUZZ, max_examples=40)
    @given(payload=st.one_of(well_typed, st.dictionaries(st.sampled_from([*HANDLE_KEYS, "version", "id", "complainant"]),
                                                         json_values, max_size=6)))
    def run(payload):
        cache.clear()  # the API's rate counters
        before = Complaint.objects.values().get(pk=case.pk)
        response = client.post(f"/api/v1/complaints/{case.pk}/handle", json.dumps(payload),
                               content_type="application/json")
        assert response.status_code in (200, 409, 422), (response.status_code, payload)
        outcomes[response.status_code] += 1
        if response.status_code != 200:
            body = response.json()
            assert body["code"] and body["message"].strip(), body
            assert Complaint.objects.values().get(pk=case.pk) == before  # nothing written
            return
        case.refresh_from_db()
        for name, value in payload.items():
            if value is None or name not in HANDLE_KEYS:
                continue
            stored = getattr(case, name)
            if name in TEXT_FIELDS:
                assert stored == value.strip(), name
            elif name in COUNTERS:
                assert Decimal(stored) == Decimal(str(value)), name
            elif name == "done_at" and case.status == ComplaintStatus.DONE:
                assert stored == dt.date.fromisoformat(value)
            elif name in ("truthfulness", "status"):
                assert stored == value, name
        answer = response.json()
        assert all(answer[name] == getattr(case, name) for name in TEXT_FIELDS)
        _check_page(office, case)

    run()
    assert outcomes[200] >= 5 and outcomes[422] >= 5, outcomes


# ----------------------------------------------------------------------------- the public objection form


class _Token(HTMLParser):
    token = ""

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("name") == "csrfmiddlewaretoken":
            self.token = values.get("value") or ""


@pytest.fixture
def notice(world):
    Task.objects.filter(pk=world.t_town.pk).update(status=TaskStatus.IN_PUBLIC_NOTICE)
    application = AcceptanceApplication.objects.create(task=world.t_town, unit=world.town,
                                                       applied_by=world.users.head2, statement="已完成", self_check={})
    return PublicNotice.objects.create(task=world.t_town, application=application, start_date=timezone.localdate(),
                                       end_date=timezone.localdate() + dt.timedelta(days=14), summary="概述",
                                       result="整改情况")


def test_random_values_in_the_objection_form(world, notice):
    url = f"/portal/notices/{notice.pk}/objection/"
    office = Client()
    office.force_login(world.users.office)
    addresses = itertools.count(1)
    outcomes: Counter[int] = Counter()

    @FUZZ
    @given(content=texts, name=st.one_of(texts, junk), contact=st.one_of(texts, junk, numbers.map(str)))
    def run(content, name, contact):
        cache.clear()
        n = next(addresses)  # one visitor each: the limit of 5 objections a day per visitor stays out of the way
        visitor = Client(enforce_csrf_checks=True, REMOTE_ADDR=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
        parser = _Token()
        parser.feed(visitor.get(url).content.decode())
        assert parser.token
        count = Objection.objects.count()
        response = visitor.post(url, {"content": content, "contact_name": name, "contact": contact,
                                      "csrfmiddlewaretoken": parser.token})
        assert response.status_code in (302, 400), response.status_code
        outcomes[response.status_code] += 1
        if response.status_code == 400:
            html = response.content.decode()
            assert ERRORS.search(html) and Objection.objects.count() == count
            for tag in TAGS:
                assert tag not in html  # the values sent back into the form are escaped too
            return
        objection = Objection.objects.latest("pk")
        assert (objection.content, objection.contact_name, objection.contact) == (
            content.strip(), name.strip(), contact.strip())
        # the office sees it, escaped, with the contact
        html = office.get(f"/tasks/{world.t_town.pk}/").content.decode()
        assert_escaped(html, objection.content, "task page")
        if objection.contact:
            assert shown(objection.contact) in html
        # answered, the public sees it, masked and escaped, without the contact
        objection_answer(actor=world.users.office, objection=objection, answer="已核实", upheld=False)
        cache.clear()
        public = Client().get(f"/portal/notices/{notice.pk}/").content.decode()
        assert_escaped(public, mask_text(objection.content), "notice page")

    run()
    assert outcomes[302] >= 5 and outcomes[400] >= 5, outcomes
