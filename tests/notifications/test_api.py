"""API v1 routes of webhooks and calendar feeds: the same rules as the staff pages."""

from __future__ import annotations

import icalendar
import pytest
from django.core.cache import cache
from django.test import Client

from tests.api.conftest import ApiClient, token_for
from zhenggai.notifications.event_hooks import clear_rule_cache
from zhenggai.notifications.models import WebhookDelivery, WebhookTarget


@pytest.fixture(autouse=True)
def _fresh_counters_and_rules():
    cache.clear()
    clear_rule_cache()
    yield
    cache.clear()
    clear_rule_cache()


@pytest.fixture
def admin_api(world) -> ApiClient:
    return ApiClient(token_for(world.users.admin))


def test_admin_creates_an_event_hook_and_sees_the_secret_once(world, admin_api, django_capture_on_commit_callbacks):
    body = {"organization": world.office_org.pk, "name": "区大数据平台", "url": "https://data.example.cn/hooks",
            "format": "generic", "event_types": ["task.*", "complaint.handled"]}
    response = admin_api.post("/api/v1/webhooks", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    target = WebhookTarget.objects.get(pk=created["id"])
    assert created["secret"] == target.secret and target.secret.startswith("whsec_")
    assert created["event_types"] == ["task.*", "complaint.handled"] and created["has_secret"] is True

    detail = admin_api.get(f"/api/v1/webhooks/{target.pk}").json()
    assert "secret" not in detail and detail["organization"]["id"] == world.office_org.pk
    listing = admin_api.get("/api/v1/webhooks").json()
    assert [row["id"] for row in listing["items"]] == [target.pk] and listing["count"] == 1

    rotated = admin_api.post(f"/api/v1/webhooks/{target.pk}/rotate-secret").json()
    assert rotated["secret"] != created["secret"]
    assert WebhookTarget.objects.get(pk=target.pk).secret == rotated["secret"]

    changed = admin_api.patch(f"/api/v1/webhooks/{target.pk}", {"is_active": False, "event_types": ["*"]}).json()
    assert changed["is_active"] is False and changed["event_types"] == ["*"] and changed["name"] == "区大数据平台"

    with django_capture_on_commit_callbacks() as callbacks:
        queued = admin_api.post(f"/api/v1/webhooks/{target.pk}/test")
    assert queued.status_code == 201 and queued.json()["verb"] == "webhook.test"
    assert queued.json()["status"] == "pending" and len(callbacks) >= 1  # queued after the commit, not sent here
    log = admin_api.get(f"/api/v1/webhooks/{target.pk}/deliveries").json()
    assert [d["id"] for d in log["items"]] == [queued.json()["id"]]
    assert WebhookDelivery.objects.get(pk=queued.json()["id"]).attempts == 0


def test_validation_and_scope(world, admin_api):
    base = {"organization": world.office_org.pk, "name": "x", "url": "https://data.example.cn/hooks",
            "format": "generic", "event_types": ["task.*"]}
    assert admin_api.post("/api/v1/webhooks", {**base, "event_types": []}).json()["field"] == "event_types"
    assert admin_api.post("/api/v1/webhooks", {**base, "event_types": ["Bad Pattern"]}).status_code == 422
    assert admin_api.post("/api/v1/webhooks", {**base, "url": "ftp://x"}).json()["field"] == "url"
    other_org = world.users.other_office.organization
    refused = admin_api.post("/api/v1/webhooks", {**base, "organization": other_org.pk})
    assert refused.status_code == 422 and refused.json()["field"] == "organization"

    hidden = WebhookTarget.objects.create(organization=other_org, name="县", url="https://county.example.cn/h",
                                          format="generic", event_types=["*"], secret="s")
    for path in (f"/api/v1/webhooks/{hidden.pk}", "/api/v1/webhooks/999999",
                 f"/api/v1/webhooks/{hidden.pk}/deliveries"):
        assert admin_api.get(path).status_code == 404
    assert admin_api.post(f"/api/v1/webhooks/{hidden.pk}/rotate-secret").status_code == 404

    office = ApiClient(token_for(world.users.office))
    assert office.get("/api/v1/webhooks").status_code == 403
    assert office.post("/api/v1/webhooks", base).status_code == 403
    assert not WebhookTarget.objects.filter(name="x").exists()


def test_calendar_url_and_reset(world, settings):
    settings.ZHENGGAI_SITE_URL = "https://zg.example.cn"
    staff = ApiClient(token_for(world.users.staff))
    first = staff.get("/api/v1/account/calendar").json()
    assert first["url"].startswith("https://zg.example.cn/calendar/") and "task-deadline" in first["kinds"]
    path = first["url"].removeprefix("https://zg.example.cn")
    feed = Client().get(path)
    assert feed.status_code == 200 and icalendar.Calendar.from_ical(feed.content).walk("VEVENT")

    second = staff.post("/api/v1/account/calendar/reset").json()
    assert second["url"] != first["url"]
    assert Client().get(path).status_code == 404
    assert staff.get("/api/v1/account/calendar").json()["url"] == second["url"]
