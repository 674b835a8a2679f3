"""The portal in Chromium on a phone: no sideways scrolling, the skip link comes first and is visible on
focus, the filters work with the keyboard, the QR code loads, the poster has its print button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from zhenggai.inspections.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_page_on_a_phone_with_the_keyboard(page, live_server, world):
    Plan.objects.filter(pk=world.plan.pk).update(published_date=dt.date(2025, 5, 23))
    base = live_server.url
    page.goto(base + reverse("portal:plan_detail", args=[world.plan.pk]))
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.getAttribute('href'), document.activeElement.getBoundingClientRect().height]")
    assert focused[0] == "#main" and focused[1] > 0  # the skip link, visible once focused
    assert page.evaluate("document.querySelector('img.zg-qr').naturalWidth") > 100
    assert page.locator("[data-testid=task-table] tbody tr").count() == 3
    page.focus("#f-status")
    page.select_option("#f-status", "not_started")
    page.focus("button[type=submit]:has-text('筛选')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "status=not_started" in page.url
    assert page.locator("[data-testid=task-table] caption").inner_text().startswith("共 3 项")
    page.goto(base + reverse("portal:plan_poster", args=[world.plan.pk]))
    assert page.locator("[data-zg-print]").is_visible()  # shown by portal.js
    assert page.evaluate("document.querySelector('img.zg-poster-qr').naturalWidth") > 100
