"""The inbox and notification settings through the API: one's own messages and preference only."""

from __future__ import annotations

import pytest

from zhenggai.core.models import Event
from zhenggai.notifications.models import Notification, NotificationPreference
from zhenggai.notifications.services import notify

pytestmark = pytest.mark.django_db


def _put(client, path: str, body: dict):
    return client.client.put(path, body, content_type="application/json", headers=client.headers)


def _messages(world) -> tuple[Notification, Notification, Notification]:
    notify(users=[world.users.staff], kind="test", title="第一条", url="/tasks/", key="k1")
    notify(users=[world.users.staff], kind="test", title="第二条", key="k2")
    notify(users=[world.users.head], kind="test", title="别人的", key="k3")
    mine = Notification.objects.filter(user=world.users.staff).order_by("id")
    return mine[0], mine[1], Notification.objects.get(user=world.users.head)


def test_inbox_lists_marks_and_opens_own_messages(world, api):
    first, second, others = _messages(world)
    listed = api.staff.get("/api/v1/inbox").json()
    assert [m["id"] for m in listed["items"]] == [second.pk, first.pk]
    opened = api.staff.post(f"/api/v1/inbox/{first.pk}/open")
    assert opened.status_code == 200 and opened.json()["url"] == "/tasks/" and opened.json()["read_at"]
    assert [m["id"] for m in api.staff.get("/api/v1/inbox", {"unread": "true"}).json()["items"]] == [second.pk]
    assert api.staff.post(f"/api/v1/inbox/{others.pk}/open").status_code == 404
    assert api.staff.post("/api/v1/inbox/read", {"ids": [others.pk]}).json()["count"] == 0
    assert Notification.objects.get(pk=others.pk).read_at is None
    assert api.staff.post("/api/v1/inbox/read", {}).json()["count"] == 1
    assert not Notification.objects.filter(user=world.users.staff, read_at__isnull=True).exists()


def test_preferences_read_and_update(world, api):
    default = api.staff.get("/api/v1/account/notification-settings").json()
    assert default == {"frequency": "daily", "by_email": True, "by_webhook": False}
    body = {"frequency": "immediate", "by_email": False, "by_webhook": True}
    assert _put(api.staff, "/api/v1/account/notification-settings", body).json() == body
    pref = NotificationPreference.objects.get(user=world.users.staff)
    assert (pref.frequency, pref.by_email, pref.by_webhook) == ("immediate", False, True)
    assert Event.objects.filter(verb="notification_preference.updated").count() == 1
    wrong = _put(api.staff, "/api/v1/account/notification-settings", {**body, "frequency": "hourly"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "frequency"
    assert api.head.get("/api/v1/account/notification-settings").json()["frequency"] == "daily"
