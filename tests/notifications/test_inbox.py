from __future__ import annotations

import pytest
from django.urls import reverse

from zhenggai.core.models import Event
from zhenggai.notifications.models import Notification, NotificationPreference
from zhenggai.notifications.services import notification_mark_read, notify


def _login(client, user):
    client.force_login(user)
    return client


def test_notify_twice_with_the_same_key_makes_one_row(world):
    staff = world.users.staff
    assert notify(users=[staff], kind="test", title="有任务申请验收", key="application:1") == 1
    assert notify(users=[staff], kind="test", title="有任务申请验收（又一次）", key="application:1") == 0
    rows = Notification.objects.filter(user=staff, key="application:1")
    assert rows.count() == 1
    assert rows.get().title == "有任务申请验收"


def test_notify_counts_each_user_once_and_ignores_missing_users(world):
    u = world.users
    assert notify(users=[u.staff, u.head, u.staff, None], kind="test", title="t", key="k") == 2
    assert notify(users=[u.staff, u.head, u.head2], kind="test", title="t", key="k") == 1
    assert Notification.objects.filter(key="k").count() == 3


def test_inbox_lists_own_messages_newest_first_with_unread_count(world, client):
    u = world.users
    notify(users=[u.staff], kind="test", title="第一条提醒", key="a")
    notify(users=[u.staff], kind="test", title="第二条提醒", body="请在本月底前上报进展", key="b")
    notify(users=[u.head], kind="test", title="别人的提醒", key="c")
    notification_mark_read(user=u.staff, ids=Notification.objects.filter(key="a").values_list("pk", flat=True))

    response = _login(client, u.staff).get(reverse("inbox"))

    assert response.status_code == 200
    assert response.context["unread_count"] == 1
    content = response.content.decode()
    assert content.index("第二条提醒") < content.index("第一条提醒")
    assert "请在本月底前上报进展" in content
    assert "别人的提醒" not in content
    assert content.count('data-unread="1"') == 1
    assert "全部标为已读" in content


def test_inbox_unread_filter_and_pagination(world, client):
    staff = world.users.staff
    for i in range(25):
        notify(users=[staff], kind="test", title=f"提醒{i:02d}", key=f"p{i}")
    notification_mark_read(user=staff, ids=Notification.objects.filter(key="p0").values_list("pk", flat=True))
    _login(client, staff)

    first = client.get(reverse("inbox"))
    second = client.get(reverse("inbox") + "?page=2")
    unread = client.get(reverse("inbox") + "?unread=1")

    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "提醒00" in second.content.decode()
    assert unread.context["page"].paginator.count == 24


def test_inbox_page_query_count_does_not_grow_with_messages(world, client, django_assert_max_num_queries):
    staff = world.users.staff
    for i in range(20):
        notify(users=[staff], kind="test", title=f"提醒{i}", key=f"q{i}")
    _login(client, staff)
    client.get(reverse("inbox"))  # warm the session and role caches
    with django_assert_max_num_queries(10):
        assert client.get(reverse("inbox")).status_code == 200


def test_mark_all_read_touches_only_own_messages(world, client):
    u = world.users
    notify(users=[u.staff, u.head], kind="test", title="提醒", key="x")
    notify(users=[u.staff], kind="test", title="提醒二", key="y")

    response = _login(client, u.staff).post(reverse("inbox"))

    assert response.status_code == 302
    assert not Notification.objects.filter(user=u.staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=u.head, read_at__isnull=True).count() == 1
    assert client.get(reverse("inbox")).context["unread_count"] == 0


def test_mark_read_by_ids_ignores_other_users_ids(world):
    u = world.users
    notify(users=[u.staff, u.head], kind="test", title="提醒", key="x")
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert notification_mark_read(user=u.staff, ids=ids) == 1
    assert Notification.objects.get(user=u.head).read_at is None


def test_open_marks_read_and_redirects_to_the_item(world, client):
    staff = world.users.staff
    notify(users=[staff], kind="test", title="提醒", url=f"/tasks/{world.t_dept.pk}/", key="open")
    n = Notification.objects.get(user=staff)

    response = _login(client, staff).get(reverse("inbox_open", args=[n.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{world.t_dept.pk}/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_open_of_another_users_message_is_404_and_leaves_it_unread(world, client):
    u = world.users
    notify(users=[u.head], kind="test", title="负责人的提醒", url="/tasks/1/", key="theirs")
    theirs = Notification.objects.get(user=u.head)
    _login(client, u.staff)

    assert client.get(reverse("inbox_open", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("inbox_open", args=[theirs.pk + 1000])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_open_never_redirects_off_site(world, client):
    staff = world.users.staff
    notify(users=[staff], kind="test", title="提醒", url="https://evil.example/phish", key="evil")
    n = Notification.objects.get(user=staff)
    response = _login(client, staff).get(reverse("inbox_open", args=[n.pk]))
    assert response["Location"] == reverse("inbox")


@pytest.mark.parametrize("name", ["inbox", "notification_settings"])
def test_pages_need_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_settings_page_explains_the_daily_digest_and_saves(world, client):
    staff = world.users.staff
    _login(client, staff)

    page = client.get(reverse("notification_settings"))
    assert page.status_code == 200
    assert "每天上午 8:30" in page.content.decode()
    assert page.context["form"].initial["frequency"] == "daily"

    response = client.post(reverse("notification_settings"),
                           {"frequency": "immediate", "by_email": "on", "by_webhook": "on"})

    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=staff)
    assert (pref.frequency, pref.by_email, pref.by_webhook) == ("immediate", True, True)
    event = Event.objects.get(verb="notification_preference.updated")
    assert event.actor_id == staff.pk
    assert event.data["changes"]["frequency"] == ["daily", "immediate"]

    client.post(reverse("notification_settings"), {"frequency": "daily"})  # unchecked boxes are False
    pref.refresh_from_db()
    assert (pref.frequency, pref.by_email, pref.by_webhook) == ("daily", False, False)


def test_settings_form_refuses_an_unknown_frequency(world, client):
    _login(client, world.users.staff)
    response = client.post(reverse("notification_settings"), {"frequency": "hourly", "by_email": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["frequency"]
    assert not NotificationPreference.objects.exists()


def test_settings_page_tells_whether_mail_and_robot_can_reach_the_user(world, client):
    from zhenggai.notifications.models import WebhookTarget

    staff = world.users.staff
    _login(client, staff)
    assert "还没有登记邮箱" in client.get(reverse("notification_settings")).content.decode()
    assert "还没有配置工作群机器人" in client.get(reverse("notification_settings")).content.decode()

    staff.email = "staff@example.cn"
    staff.save(update_fields=["email"])
    WebhookTarget.objects.create(organization=world.dept, name="住建委工作群", url="https://x.example/", format="wecom")
    WebhookTarget.objects.create(organization=world.town, name="街道工作群", url="https://y.example/", format="wecom")
    content = client.get(reverse("notification_settings")).content.decode()
    assert "staff@example.cn" in content
    assert "住建委工作群" in content and "街道工作群" not in content
