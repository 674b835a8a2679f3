"""Browser test on a phone: an admin registers an event hook and sends a test event that a real receiver
verifies; a unit user subscribes to their calendar and the URL answers a valid feed without a session."""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import icalendar
import pytest

from zhenggai.notifications.event_hooks import clear_rule_cache
from zhenggai.notifications.models import WebhookDelivery, WebhookTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_admin_registers_a_hook_and_a_user_subscribes_to_the_calendar(page, live_server, world, receiver):
    clear_rule_cache()
    base = live_server.url
    login(page, base, "admin")
    page.goto(f"{base}/inbox/settings/")
    page.click("[data-testid=webhooks-link]")
    page.click("[data-testid=webhook-new]")
    page.select_option("#id_organization", str(world.office_org.pk))
    page.fill("#id_name", "区大数据平台")
    page.select_option("#id_format", "generic")
    page.fill("#id_url", receiver.url)
    page.fill("#id_event_types", "task.*")
    assert no_sideways_scroll(page)
    page.click("[data-testid=webhook-form] button[type=submit]")
    page.wait_for_selector("[data-testid=webhook-secret-box]")

    page.click("[data-testid=webhook-secret-box] summary")
    secret = page.inner_text("[data-testid=webhook-secret]").strip()
    target = WebhookTarget.objects.get(name="区大数据平台")
    assert secret == target.secret
    receiver.secret = secret
    page.click("[data-testid=webhook-send-test]")
    page.wait_for_selector("[data-testid=delivery-table] tbody tr .badge")
    assert "测试消息已送达" in page.inner_text("main")
    assert "webhook.test" in page.inner_text("[data-testid=delivery-table]")
    assert receiver.received[-1]["verified"] and receiver.received[-1]["json"]["verb"] == "webhook.test"
    assert WebhookDelivery.objects.get(target=target).status == "sent"
    assert no_sideways_scroll(page)

    page.context.clear_cookies()
    login(page, base, "staff")
    page.goto(f"{base}/inbox/settings/")
    page.click("[data-testid=calendar-link]")
    url = page.input_value("[data-testid=calendar-url]")
    assert url.startswith("https://zg.example.cn/calendar/") and url.endswith(".ics")  # the site's public URL
    assert no_sideways_scroll(page)
    with urllib.request.urlopen(base + urlsplit(url).path, timeout=10) as response:  # noqa: S310 -- live server
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        calendar = icalendar.Calendar.from_ical(response.read())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert any(s.startswith("整改时限：1.") for s in summaries)
