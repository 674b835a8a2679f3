from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.utils import timezone

from zhenggai.notifications.models import Notification
from zhenggai.notifications.services import digest_send, notification_dispatch, notify

from .conftest import prefer, with_email


class BrokenEmailBackend:
    """An SMTP server that refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection refused")

    def close(self):
        pass


def test_immediate_e_mail_is_sent_once(world, django_capture_on_commit_callbacks):
    staff = with_email(world.users.staff)
    prefer(staff, frequency="immediate")

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[staff], kind="acceptance_returned", title="验收退回：城区污水管网", body="佐证材料不全",
               url=f"/tasks/{world.t_dept.pk}/", key="returned:1")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[staff], kind="acceptance_returned", title="验收退回：城区污水管网", key="returned:1")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [staff.email]
    assert message.subject == "「整改」验收退回：城区污水管网"
    n = Notification.objects.get(user=staff)
    assert "佐证材料不全" in message.body
    assert f"https://zg.example.cn/inbox/{n.pk}/open/" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert n.emailed_at is not None and n.digested_at is not None

    # a duplicated queue entry and the daily digest find nothing left to send
    assert notification_dispatch([n.pk]) == 0
    digest_send()
    assert len(mail.outbox) == 1


def test_immediate_path_sends_nothing_for_daily_users(world, django_capture_on_commit_callbacks):
    staff = with_email(world.users.staff)  # no preference row: the default is the daily digest
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(users=[staff], kind="test", title="提醒", key="k")
    assert callbacks == []
    assert mail.outbox == []
    assert Notification.objects.get(user=staff).digested_at is None


def test_digest_sends_one_e_mail_for_three_messages_and_nothing_on_a_second_run(world):
    staff = with_email(world.users.staff)
    for i, title in enumerate(["有任务申请验收：餐饮油烟扰民", "调度即将截止：2025年3月", "督办单待答复：农村生活污水"]):
        notify(users=[staff], kind="test", title=title, body=f"说明{i}", url="/tasks/1/", key=f"d{i}")

    assert digest_send(on=dt.date(2025, 3, 4)) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "「整改」每日提醒（3 条）"
    assert "2025年3月4日" in message.body
    for title in ["有任务申请验收：餐饮油烟扰民", "调度即将截止：2025年3月", "督办单待答复：农村生活污水"]:
        assert title in message.body
        assert title in message.alternatives[0][0]
    assert "https://zg.example.cn/inbox/settings/" in message.body
    assert not Notification.objects.filter(user=staff, digested_at__isnull=True).exists()
    assert not Notification.objects.filter(user=staff, emailed_at__isnull=True).exists()

    assert digest_send(on=dt.date(2025, 3, 4)) == 0
    assert len(mail.outbox) == 1


def test_digest_is_one_e_mail_per_user_with_only_their_messages(world):
    u = world.users
    staff, head = with_email(u.staff), with_email(u.head)
    notify(users=[staff, head], kind="test", title="共同的提醒", key="both")
    notify(users=[head], kind="test", title="只给负责人的提醒", key="head-only")

    digest_send()

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {staff.email, head.email}
    assert "只给负责人的提醒" not in by_recipient[staff.email].body
    assert "只给负责人的提醒" in by_recipient[head.email].body
    assert by_recipient[head.email].subject == "「整改」每日提醒（2 条）"


def test_digest_skips_read_messages_and_users_without_e_mail(world):
    u = world.users
    staff = with_email(u.staff)
    notify(users=[staff, u.head], kind="test", title="已读的提醒", key="read")
    Notification.objects.filter(user=staff).update(read_at=timezone.now())
    notify(users=[u.head], kind="test", title="负责人没有邮箱", key="noaddress")

    assert digest_send() == 1  # the head's messages are digested (inbox only); staff has nothing unread
    assert mail.outbox == []
    assert not Notification.objects.filter(user=u.head, digested_at__isnull=True).exists()


def test_digest_respects_turning_e_mail_off(world):
    staff = with_email(world.users.staff)
    prefer(staff, by_email=False)
    notify(users=[staff], kind="test", title="提醒", key="k")
    digest_send()
    assert mail.outbox == []


def test_failed_e_mail_is_released_for_the_next_run(world, settings):
    staff = with_email(world.users.staff)
    notify(users=[staff], kind="test", title="提醒", key="k")
    settings.EMAIL_BACKEND = "tests.notifications.test_email.BrokenEmailBackend"

    digest_send()

    assert Notification.objects.get(user=staff).digested_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    digest_send()
    assert len(mail.outbox) == 1


def test_digest_sweeps_up_immediate_messages_the_queue_never_sent(world):
    staff = with_email(world.users.staff)
    prefer(staff, frequency="immediate")
    notify(users=[staff], kind="test", title="刚发生的提醒", key="fresh")  # its on-commit job never ran
    notify(users=[staff], kind="test", title="队列丢失的提醒", key="lost")
    Notification.objects.filter(key="lost").update(created_at=timezone.now() - dt.timedelta(hours=2))

    digest_send()

    assert len(mail.outbox) == 1
    assert "队列丢失的提醒" in mail.outbox[0].body
    assert "刚发生的提醒" not in mail.outbox[0].body  # still the immediate path's to send
    assert Notification.objects.get(key="fresh").digested_at is None


def test_links_stay_relative_without_a_site_url(world, settings):
    settings.ZHENGGAI_SITE_URL = ""
    staff = with_email(world.users.staff)
    notify(users=[staff], kind="test", title="提醒", key="k")
    digest_send()
    n = Notification.objects.get(user=staff)
    assert f"/inbox/{n.pk}/open/" in mail.outbox[0].body


@pytest.mark.parametrize("count", [60])
def test_long_digest_lists_the_first_fifty_and_counts_the_rest(world, count):
    staff = with_email(world.users.staff)
    for i in range(count):
        notify(users=[staff], kind="test", title=f"提醒{i}", key=f"k{i}")
    digest_send()
    message = mail.outbox[0]
    assert message.subject == f"「整改」每日提醒（{count} 条）"
    assert "另有 10 条" in message.body
