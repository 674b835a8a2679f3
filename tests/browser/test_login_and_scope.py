"""Browser tests: Debian's Chromium, driven by Playwright, against the live server with the demo loaded."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from zhenggai.accounts.models import User
from zhenggai.accounts.policies import scope_for
from zhenggai.rectification.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "zhenggai-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_head_logs_in_and_finds_only_its_own_tasks(page, live_server):
    call_command("load_demo")
    base = live_server.url
    login(page, base, "head")
    assert "区住房城乡建委" in page.inner_text("header")
    # workbench: the unit's open tasks
    assert page.locator("[data-testid=workbench-tasks] tbody tr").count() > 0

    page.goto(f"{base}/tasks/?sort=number")
    head = User.objects.get(username="head")
    expected = set(scope_for(head, Task.objects.all()).values_list("pk", flat=True))
    shown: set[int] = set()
    while True:
        rows = page.locator("[data-testid=task-table] tbody tr[data-task]")
        shown |= {int(rows.nth(i).get_attribute("data-task")) for i in range(rows.count())}
        nxt = page.get_by_role("link", name="下一页")
        if nxt.count() == 0:
            break
        nxt.first.click()
        page.wait_for_load_state("networkidle")
    assert shown == expected
    assert 0 < len(shown) < Task.objects.count()

    # another unit's task answers "not found", like a missing one
    foreign = Task.objects.exclude(pk__in=expected).first()
    response = page.goto(f"{base}/tasks/{foreign.pk}/")
    assert response.status == 404

    # one of its own tasks opens, marked as sample data, with its measures
    own = Task.objects.filter(pk__in=expected, is_sample=True).first()
    page.goto(f"{base}/tasks/{own.pk}/")
    assert page.locator("[data-testid=measures] tbody tr").count() >= 2
    assert page.get_by_text("示例数据").first.is_visible()


def test_filters_search_and_language_switch(page, live_server):
    call_command("load_demo")
    base = live_server.url
    login(page, base, "office")
    page.goto(f"{base}/tasks/")
    count_text = page.inner_text("[data-testid=task-count]")
    assert re.search(r"共 \d+ 项", count_text)
    page.select_option("#f-year", "2027")
    page.wait_for_function("() => document.querySelector('[data-testid=task-count]').innerText.includes('共 2 项')")
    assert "year=2027" in page.url
    page.goto(f"{base}/tasks/?q=污水")
    assert page.locator("[data-testid=task-table] tbody tr[data-task]").count() > 0
    # switch to English and back
    page.goto(f"{base}/")
    page.click("header .dropdown-toggle")
    page.click("[data-testid=switch-language]")
    page.wait_for_load_state("networkidle")
    assert "Workbench" in page.inner_text("nav#sidebar") or "Workbench" in page.content()


def test_wrong_password_is_refused_in_chinese(page, live_server):
    call_command("load_demo")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "head")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]")
    assert "请输入一个正确的" in page.inner_text("form") or "用户名和密码" in page.inner_text("form")
