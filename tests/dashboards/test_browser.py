"""Browser test: the office opens its dashboard in Chromium (phone-sized), clicks a bar and lands on the
task list filtered the same way, showing exactly the counted tasks."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from zhenggai.accounts.models import Organization, User
from zhenggai.accounts.policies import scope_for
from zhenggai.rectification.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAR_PIXEL = """([id, index, value, horizontal]) => {
  const el = document.getElementById(id);
  const chart = echarts.getInstanceByDom(el);
  const at = horizontal ? [value / 2, index] : [index, value / 2];
  const [x, y] = chart.convertToPixel({seriesIndex: 0}, at);
  const box = el.getBoundingClientRect();
  return [box.left + window.scrollX + x, box.top + window.scrollY + y];
}"""


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "zhenggai-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def click_bar(page, dom_id, index, value, *, horizontal=False):
    page.locator(f"#{dom_id}").scroll_into_view_if_needed()
    page.wait_for_selector(f"#{dom_id}[data-ready='1']")
    x, y = page.evaluate(BAR_PIXEL, [dom_id, index, value, horizontal])
    scroll_y = page.evaluate("window.scrollY")
    scroll_x = page.evaluate("window.scrollX")
    with page.expect_navigation():
        page.mouse.click(x - scroll_x, y - scroll_y)


def shown_tasks(page):
    rows = page.locator("[data-testid=task-table] tbody tr[data-task]")
    return {int(rows.nth(i).get_attribute("data-task")) for i in range(rows.count())}


def test_click_on_a_bar_opens_the_filtered_task_list(page, live_server):
    call_command("load_demo")
    base = live_server.url
    office = User.objects.get(username="office")
    login(page, base, "office")
    page.goto(f"{base}/dashboards/office/")
    assert "统计分析" in page.inner_text("[data-testid=dashboard-title]")

    # tasks by status: the smallest non-empty bar (so that the list fits on one page)
    spec = json.loads(page.inner_text("#chart-status-data"))
    points = spec["series"][0]["data"]
    index = min((i for i, p in enumerate(points) if p["value"]), key=lambda i: points[i]["value"])
    value = points[index]["value"]
    assert value <= 25
    click_bar(page, "chart-status", index, value)
    status = parse_qs(urlsplit(page.url).query)["status"][0]
    assert urlsplit(page.url).path == "/tasks/"
    expected = set(scope_for(office, Task.objects.filter(status=status)).values_list("pk", flat=True))
    assert len(expected) == value
    assert f"共 {value} 项" in page.inner_text("[data-testid=task-count]")
    assert shown_tasks(page) == expected

    # tasks by implementing unit (horizontal, stacked): the first unit's first non-empty segment
    page.goto(f"{base}/dashboards/office/")
    spec = json.loads(page.inner_text("#chart-units-data"))
    series_index, series = next((i, s) for i, s in enumerate(spec["series"]) if s["data"][0]["value"])
    # click the middle of that segment: the sum of the segments before it plus half of it
    before = sum(s["data"][0]["value"] for s in spec["series"][:series_index])
    value = series["data"][0]["value"]
    page.locator("#chart-units").scroll_into_view_if_needed()
    page.wait_for_selector("#chart-units[data-ready='1']")
    x, y = page.evaluate(BAR_PIXEL, ["chart-units", 0, 2 * before + value, True])
    with page.expect_navigation():
        page.mouse.click(x - page.evaluate("window.scrollX"), y - page.evaluate("window.scrollY"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["unit_role"] == ["implementing"] and query["status"] == [series["key"]]
    unit = Organization.objects.get(pk=int(query["unit"][0]))
    expected = set(scope_for(office, Task.objects.filter(
        status=series["key"], implementing_units__path__startswith=unit.path)).values_list("pk", flat=True))
    assert len(expected) == value
    assert f"共 {value} 项" in page.inner_text("[data-testid=task-count]")
    if value <= 25:
        assert shown_tasks(page) == expected
