"""Portal pages on a small district (the `world` fixture): caching with ETags and 304s without sessions,
the plan page's filters and its constant number of queries, the objection form's CSRF token, and the
last good copy when the database fails."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.models import Organization
from zhenggai.inspections.models import Plan
from zhenggai.portal.caching import public_data_changed
from zhenggai.rectification.models import Objection, ProgressReport, PublicNotice, Task
from zhenggai.rectification.workflow import DeadlineKind, TaskStatus

from .. import factories as f


@pytest.fixture
def public(world):
    Plan.objects.filter(pk=world.plan.pk).update(published_date=dt.date(2025, 5, 23))
    return world


def _approve(task: Task, unit: Organization, user, percent: int) -> ProgressReport:
    return ProgressReport.objects.create(task=task, unit=unit, status=ProgressReport.Status.APPROVED, drafted_by=user,
                                         approved_by=user, approved_at=timezone.now(), percent=percent,
                                         description=f"推进{percent}%")


def _add_tasks(world, start: int, count: int) -> None:
    for number in range(start, start + count):
        long_term = number % 3 == 0
        task = f.task(actor=world.users.office, plan=world.plan, number=number, units=[world.dept, world.town],
                      acceptance_unit=world.acceptor_org, title=f"问题{number}",
                      deadline=None if long_term else dt.date(2026, 12, 31),
                      deadline_kind=DeadlineKind.LONG_TERM if long_term else DeadlineKind.BY_DATE,
                      category="water" if number % 2 else "air", due_year=2026)
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)
        _approve(task, world.dept, world.users.head, 30 + number)


def test_pages_carry_etags_and_answer_304_without_a_session(client, public):
    url = reverse("portal:plan_detail", args=[public.plan.pk])
    response = client.get(url)
    assert response.status_code == 200
    etag = response["ETag"]
    assert etag.startswith('"') and response["Last-Modified"]
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "") and not response.cookies
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert len(queries) == 1  # the fingerprint only: nothing rendered
    with CaptureQueriesContext(connection) as queries:
        cached = client.get(url)
    assert cached.status_code == 200 and cached.content == response.content and len(queries) == 1
    # a change of public data makes a new ETag, and the old copy is not served
    Task.objects.filter(pk=public.t_dept.pk).update(title="新的问题表述", updated_at=timezone.now())
    public_data_changed()  # the rule for writes that send no signal (see portal.caching)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag and "新的问题表述" in changed.content.decode()
    # another language, another ETag
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english["ETag"] != changed["ETag"]


def test_every_portal_page_is_cacheable(client, public):
    plan = public.plan
    for url in (reverse("portal:home"), reverse("portal:results"), reverse("portal:notice_list"),
                reverse("portal:data_index"), reverse("portal:feed"), reverse("portal:task_detail", args=[public.t_dept.pk]),
                reverse("portal:plan_qr_svg", args=[plan.pk]), reverse("portal:plan_poster", args=[plan.pk]),
                reverse("portal:dataset", args=["plans", "csv"]), reverse("portal:plan_tasks", args=[plan.pk, "json"])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["ETag"] and "max-age=60" in response["Cache-Control"], url
        assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304, url
        assert client.post(url).status_code == 405, url
    # unpublished plans and their tasks are not public
    assert client.get(reverse("portal:plan_detail", args=[public.other_plan.pk])).status_code == 404
    assert client.get(reverse("portal:task_detail", args=[public.t_other.pk])).status_code == 404


def test_plan_page_queries_do_not_grow_with_tasks(client, public):
    url = reverse("portal:plan_detail", args=[public.plan.pk])
    _add_tasks(public, 4, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _add_tasks(public, 7, 15)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "问题21" in page
    assert len(many) == len(few) <= 20, (len(few), len(many))


def test_plan_page_filters(client, public):
    _add_tasks(public, 4, 6)
    url = reverse("portal:plan_detail", args=[public.plan.pk])

    def numbers(**params) -> set[int]:
        response = client.get(url, params)
        assert response.status_code == 200
        rows = [t for t in Task.objects.filter(plan=public.plan) if reverse("portal:task_detail", args=[t.pk])
                in response.content.decode()]
        return {t.number for t in rows}

    assert numbers() == set(range(1, 10))
    assert numbers(status="in_progress") == set(range(4, 10))
    assert numbers(year="2026") == set(range(4, 10))
    assert numbers(category="air") == {4, 6, 8}
    assert numbers(unit=str(public.town.pk)) == {2} | set(range(4, 10))
    assert numbers(schedule="not_started") == {1, 2, 3}
    behind_or_not = numbers(schedule="behind") | numbers(schedule="on_schedule") | numbers(schedule="ahead")
    assert behind_or_not == set(range(4, 10))
    # unknown values are ignored, and do not make new cache entries
    assert client.get(url, {"status": "nonsense", "x": "1"})["ETag"] == client.get(url)["ETag"]


@pytest.fixture
def open_notice(public):
    from zhenggai.rectification import transitions as tr

    task = public.t_dept
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.ACCEPTANCE_REQUESTED)
    from zhenggai.rectification.models import AcceptanceApplication

    application = AcceptanceApplication.objects.create(task=task, unit=public.dept, applied_by=public.users.head,
                                                       statement="已完成", self_check={})
    return PublicNotice.objects.create(task=task, application=application, start_date=timezone.localdate(),
                                       end_date=timezone.localdate() + dt.timedelta(days=14), summary="概述",
                                       result="整改情况", contact_phone="023-53200000"), tr


def test_objection_form_has_its_own_page_with_a_csrf_token_and_the_notice_stays_cacheable(open_notice):
    from django.test import Client

    notice, _tr = open_notice
    client = Client(enforce_csrf_checks=True)
    url = reverse("portal:notice_detail", args=[notice.pk])
    form_url = reverse("portal:notice_objection", args=[notice.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and form_url in html and "<form" not in html
    assert "csrfmiddlewaretoken" not in html and "public" in page["Cache-Control"] and not page.cookies
    assert client.post(url, {"content": "x"}).status_code == 403  # no token: CSRF refuses first
    assert Client().post(url, {"content": "x"}).status_code == 405  # and the notice page takes no POST
    # the form's page: a token, a cookie, never cached
    form_page = client.get(form_url)
    assert form_page.status_code == 200 and "提交异议" in form_page.content.decode()
    assert form_page["Cache-Control"] == "private, no-store" and "ETag" not in form_page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page.content.decode()).group(1)
    data = {"content": "河边仍有臭味", "contact_name": "张三", "contact": "13912345678"}
    # without the token (a forged cross-site POST): refused by Django's CSRF check
    assert client.post(form_url, data).status_code == 403
    # with it but marked cross-site or from another origin: refused by the second layer
    assert client.post(form_url, {**data, "csrfmiddlewaretoken": token},
                       HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert client.post(form_url, {**data, "csrfmiddlewaretoken": token},
                       HTTP_ORIGIN="https://evil.example.com").status_code == 403
    assert not Objection.objects.exists()
    done = client.post(form_url, {**data, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://testserver",
                       HTTP_SEC_FETCH_SITE="same-origin")
    assert done.status_code == 302 and done["Location"] == url + "?lodged=1"
    assert Objection.objects.get().contact == "13912345678"
    shown = client.get(done["Location"]).content.decode()
    assert "异议已提交" in shown and "13912345678" not in shown and "张三" not in shown
    assert "已收到异议 1 条" in client.get(url).content.decode()
    invalid = client.post(form_url, {"content": "", "csrfmiddlewaretoken": token})
    assert invalid.status_code == 400 and invalid["Cache-Control"] == "private, no-store"
    assert "invalid-feedback" in invalid.content.decode() and 'name="csrfmiddlewaretoken"' in invalid.content.decode()


def test_the_objection_page_of_an_ended_notice_takes_no_objection(client, open_notice):
    notice, _tr = open_notice
    PublicNotice.objects.filter(pk=notice.pk).update(end_date=timezone.localdate() - dt.timedelta(days=1))
    form_url = reverse("portal:notice_objection", args=[notice.pk])
    page = client.get(form_url).content.decode()
    assert "公示已结束" in page and "<form" not in page
    refused = client.post(form_url, {"content": "河边仍有臭味"})
    assert refused.status_code == 400 and "公示已结束，不再受理异议。" in refused.content.decode()
    assert not Objection.objects.exists()
    assert client.get(reverse("portal:notice_objection", args=[999999])).status_code == 404


def test_the_last_copy_is_served_when_the_database_fails(client, public):
    url = reverse("portal:plan_detail", args=[public.plan.pk])
    first = client.get(url)
    assert first.status_code == 200

    def broken(execute, sql, params, many, context):
        raise OperationalError("the database is down")

    with connection.execute_wrapper(broken):
        response = client.get(url)
    assert response.status_code == 200 and response.content == first.content
    assert "Stale" in response["Warning"]
