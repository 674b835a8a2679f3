"""Browser test: on a phone, unit staff upload photos from the task page and see them listed."""

from __future__ import annotations

import os

import pytest

from zhenggai.evidence.models import Evidence

from . import samples as s

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_upload_photos_from_the_task_page_on_a_phone(page, live_server, world):  # noqa: F811
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "pw-for-tests-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/tasks/{world.t_dept.pk}/")
    panel = page.locator("[data-testid=evidence-panel]")
    assert "暂无佐证材料" in panel.inner_text()
    panel.locator("[data-testid=evidence-upload-toggle]").click()
    form = panel.locator("[data-testid=evidence-upload-form]")
    form.wait_for(state="visible")
    form.locator("[data-testid=evidence-files]").set_input_files([
        {"name": "排口整改前.jpg", "mimeType": "image/jpeg", "buffer": s.jpeg()},
        {"name": "监测报告.pdf", "mimeType": "application/pdf", "buffer": s.pdf()},
    ])
    form.locator("select[name=category]").select_option("before_photo")
    with page.expect_navigation(timeout=60000), page.expect_response(
            lambda r: r.request.method == "POST" and "/evidence/" in r.url, timeout=60000) as posted:
        form.locator("[data-testid=evidence-submit]").click()
    body = page.inner_text("body")
    # on failure, say what the server answered and what the page shows
    assert posted.value.status == 302, (posted.value.status, body[:2000])
    assert "已上传 2 个文件。" in body, body[:2000]
    assert page.url.startswith(f"{base}/tasks/{world.t_dept.pk}/")
    names = panel.locator("[data-testid=evidence-name]").all_inner_texts()
    assert sorted(names) == ["排口整改前.jpg", "监测报告.pdf"]
    thumbnail = panel.locator("[data-testid=evidence-thumbnail]")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    # nothing on the page is wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if os.environ.get("ZHENGGAI_SCREENSHOTS"):
        panel.screenshot(path=os.path.join(os.environ["ZHENGGAI_SCREENSHOTS"], "evidence-panel-phone.png"))
    assert Evidence.objects.count() == 2
