"""The whole loop in Chromium as the demo users: staff reports with a photo → head approves and applies →
acceptor passes → an anonymous visitor objects on the notice page → office answers → time moves past the
notice end → office closes → the task shows 已销号 with its timeline."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from PIL import Image

from zhenggai.rectification.models import DispatchRound, ProgressReport, PublicNotice, Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "zhenggai-demo")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def pick_task() -> tuple[DispatchRound, Task]:
    current = DispatchRound.objects.get(status="open")
    for task in current.tasks.filter(status="in_progress", implementing_units__name="区住房城乡建委",
                                     acceptance_unit__name="区生态环境局").order_by("number"):
        reports = ProgressReport.objects.filter(round=current, task=task, unit__name="区住房城乡建委")
        if not reports.exists() and task.implementing_units.count() == 1:
            return current, task
    for task in current.tasks.filter(status="in_progress", implementing_units__name="区住房城乡建委",
                                     acceptance_unit__name="区生态环境局").order_by("number"):
        if not ProgressReport.objects.filter(round=current, task=task, unit__name="区住房城乡建委").exists():
            return current, task
    raise AssertionError("the demo has no unreported task of 区住房城乡建委 accepted by 区生态环境局")


def test_the_whole_loop(page, live_server, tmp_path):
    call_command("load_demo")
    base = live_server.url
    round_, task = pick_task()
    photo = tmp_path / "整改后.jpg"
    Image.new("RGB", (200, 150), (40, 140, 70)).save(photo, "JPEG")

    # staff reports with a photo
    login(page, base, "staff")
    page.goto(f"{base}/rounds/{round_.pk}/tasks/{task.pk}/report/")
    page.select_option("select[name=stage]", "done")
    page.fill("input[name=percent]", "100")
    page.fill("textarea[name=description]", "管网改造全部完成，已通水运行。")
    page.set_input_files("#id_attachments", str(photo))
    with page.expect_navigation():
        page.click("[data-testid=submit-report]")
    report = ProgressReport.objects.get(round=round_, task=task, unit__name="区住房城乡建委")
    assert report.status == "submitted" and report.evidence.count() == 1

    # head approves, then applies for acceptance with that photo
    login(page, base, "head")
    page.goto(f"{base}/rounds/{round_.pk}/tasks/{task.pk}/report/")
    with page.expect_navigation():
        page.click("[data-testid=approve]")
    assert ProgressReport.objects.get(pk=report.pk).status == "approved"
    page.goto(f"{base}/tasks/{task.pk}/")
    page.click("text=申请验收销号")
    page.fill("textarea[name=statement]", "整改措施全部完成，现场已无溢流。")
    for key in ("measures", "solved", "mechanism", "conduct", "records"):
        page.check(f"input[name=check_{key}]")
    page.check("input[name=evidence]")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('提交申请')")
    page.wait_for_url(f"{base}/tasks/{task.pk}/")
    assert Task.objects.get(pk=task.pk).status == "acceptance_requested"

    # acceptor passes
    login(page, base, "acceptor")
    page.goto(f"{base}/tasks/{task.pk}/")
    page.click("[data-testid=transition-buttons] a:has-text('验收')")
    page.check("input[name=decision][value=pass]")
    page.fill("textarea[name=reasons]", "现场核查通过。")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('提交验收意见')")
    page.wait_for_url(f"{base}/tasks/{task.pk}/")
    notice = PublicNotice.objects.get(task=task, status="open")

    # an anonymous visitor objects on the public notice page
    page.context.clear_cookies()
    page.goto(f"{base}/portal/notices/{notice.pk}/")
    assert "公示期间" in page.inner_text("main")
    with page.expect_navigation():
        page.click("[data-testid=objection-link]")
    page.fill("textarea[name=content]", "施工后道路没有恢复。")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('提交异议')")
    assert "异议已提交" in page.inner_text("main")

    # the office answers
    login(page, base, "office")
    page.goto(f"{base}/tasks/{task.pk}/")
    page.click("[data-testid=notice] a:has-text('答复')")
    page.fill("textarea[name=answer]", "已督促施工单位恢复路面。")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('提交答复')")
    page.wait_for_url(f"{base}/tasks/{task.pk}/")

    # time moves past the notice end; the office closes the task
    with time_machine.travel(dt.datetime.combine(notice.end_date + dt.timedelta(days=1), dt.time(10, 0)), tick=True):
        login(page, base, "office")
        page.goto(f"{base}/tasks/{task.pk}/")
        with page.expect_navigation():
            page.click("[data-testid=transition-buttons] button:has-text('销号')")
        page.wait_for_url(f"{base}/tasks/{task.pk}/")
        assert Task.objects.get(pk=task.pk).status == "closed"
        assert page.locator("[data-status=closed]").first.inner_text() == "已销号"
        timeline = page.inner_text("[data-testid=events]")
        for step in ("提交整改进展", "审核通过整改进展", "申请验收任务", "验收通过任务", "销号任务"):
            assert step in timeline, (step, timeline)
        page.screenshot(path=str(tmp_path / "closed.png"), full_page=True)
