"""The main pages in Chromium under the real Content-Security-Policy: no violation is reported and the
charts still draw."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def test_main_pages_raise_no_csp_violation_and_charts_render(page, live_server):
    call_command("load_demo")
    base = live_server.url
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.add_init_script(RECORD_VIOLATIONS)

    page.goto(f"{base}/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", "zhenggai-demo")
    with page.expect_navigation():
        page.click("button[type=submit]")
    task = Task.objects.filter(plan__published_date__isnull=False).order_by("pk").first()
    plan = Plan.objects.filter(published_date__isnull=False).order_by("pk").first()
    assert task is not None and plan is not None
    violations: list[str] = []
    for path in ("/", "/tasks/", f"/tasks/{task.pk}/", "/dashboards/office/", f"/portal/plans/{plan.pk}/",
                 "/portal/", "/account/two-factor/", "/api/v1/docs"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
        if path == "/dashboards/office/":
            # ECharts draws into a canvas inside each chart container
            page.wait_for_selector("#chart-status canvas")
            assert page.locator("[id^=chart-] canvas").count() >= 2
            box = page.locator("#chart-status canvas").first.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100
            page.hover("#chart-status canvas")  # tooltips are drawn as HTML
        violations += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
    csp_console = [line for line in console if "Content Security Policy" in line or "pageerror" in line]
    assert violations == [] and csp_console == [], (violations, csp_console)
