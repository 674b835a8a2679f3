from __future__ import annotations

import ast
import base64
import datetime as dt
import hashlib
import hmac
import time

import time_machine
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule

from zhenggai.notifications.models import Notification, WebhookDelivery, WebhookTarget
from zhenggai.notifications.services import (
    MAX_ATTEMPTS,
    digest_send,
    notify,
    webhook_deliver,
    webhook_payload,
    webhook_retry_due,
    webhook_signed_url,
)

from .conftest import prefer, target, with_email

DINGTALK = WebhookTarget.Format.DINGTALK
WECOM = WebhookTarget.Format.WECOM
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


def _expected_sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _delivery(org, robot, *, fmt=WECOM, key="k") -> WebhookDelivery:
    t = target(org, robot, fmt=fmt)
    return WebhookDelivery.objects.create(target=t, key=key, payload=webhook_payload(t, "标题", ["一行"], "/inbox/"))


def test_payload_shapes(world):
    wecom = WebhookTarget(organization=world.dept, name="w", url="https://qyapi.weixin.qq.com/x", format=WECOM)
    ding = WebhookTarget(organization=world.dept, name="d", url="https://oapi.dingtalk.com/robot/send", format=DINGTALK)

    w = webhook_payload(wecom, "「整改」每日提醒", ["任务一（张三）", "任务二（李四）"], "https://zg.example.cn/inbox/")
    d = webhook_payload(ding, "「整改」每日提醒", ["任务一（张三）"], "https://zg.example.cn/inbox/")

    assert w["msgtype"] == "markdown" and set(w["markdown"]) == {"content"}
    assert "**「整改」每日提醒**" in w["markdown"]["content"]
    assert "> 任务二（李四）" in w["markdown"]["content"]
    assert "(https://zg.example.cn/inbox/)" in w["markdown"]["content"]
    assert d["msgtype"] == "markdown" and set(d["markdown"]) == {"title", "text"}
    assert d["markdown"]["title"] == "「整改」每日提醒"
    assert "- 任务一（张三）" in d["markdown"]["text"]


def test_wecom_content_stays_within_4096_bytes(world):
    wecom = WebhookTarget(organization=world.dept, name="w", url="https://qyapi.weixin.qq.com/x", format=WECOM)
    payload = webhook_payload(wecom, "标题", ["很长的提醒内容" * 40] * 20, "https://zg.example.cn/inbox/")
    content = payload["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.endswith("(https://zg.example.cn/inbox/)")


def test_dingtalk_url_is_signed_only_with_a_secret(world):
    plain = WebhookTarget(organization=world.dept, name="d", url="https://oapi.dingtalk.com/robot/send?access_token=t",
                          format=DINGTALK)
    assert webhook_signed_url(plain) == plain.url
    signed = WebhookTarget(organization=world.dept, name="d", url=plain.url, format=DINGTALK, secret=SECRET)
    url = webhook_signed_url(signed, timestamp_ms=1700000000000)
    expected = _expected_sign("1700000000000", SECRET)
    assert url.startswith(plain.url + "&timestamp=1700000000000&sign=")
    from urllib.parse import parse_qs, urlsplit

    assert parse_qs(urlsplit(url).query)["sign"] == [expected]


def test_digest_posts_one_message_per_robot_in_both_formats(world, robot):
    u = world.users
    for user in (u.staff, u.head):
        prefer(user, by_email=False, by_webhook=True)
    target(world.dept, robot, fmt=WECOM, path="/wecom")
    target(world.dept, robot, fmt=DINGTALK, secret=SECRET, path="/dingtalk")
    target(world.town, robot, fmt=WECOM, path="/town")  # no user of the town chose the robot
    notify(users=[u.staff, u.head], kind="test", title="有任务申请验收：城区污水管网", key="app:1")
    notify(users=[u.head], kind="test", title="督办单待答复", key="sup:1")
    notify(users=[u.staff2], kind="test", title="街道的提醒", key="town:1")

    digest_send(on=dt.date(2025, 3, 4))

    assert sorted(r["path"] for r in robot.requests) == ["/dingtalk", "/wecom"]
    wecom = next(r for r in robot.requests if r["path"] == "/wecom")
    ding = next(r for r in robot.requests if r["path"] == "/dingtalk")
    assert wecom["content_type"].startswith("application/json")
    assert wecom["json"]["msgtype"] == "markdown"
    content = wecom["json"]["markdown"]["content"]
    assert "有任务申请验收：城区污水管网（staff、head）" in content
    assert "督办单待答复（head）" in content
    assert "街道的提醒" not in content
    assert "https://zg.example.cn/inbox/" in content
    assert ding["json"]["msgtype"] == "markdown"
    assert set(ding["json"]["markdown"]) == {"title", "text"}
    assert "区住建委" in ding["json"]["markdown"]["title"]
    assert "督办单待答复（head）" in ding["json"]["markdown"]["text"]
    timestamp, sign = ding["query"]["timestamp"][0], ding["query"]["sign"][0]
    assert ding["query"]["access_token"] == ["test-token"]
    assert sign == _expected_sign(timestamp, SECRET)
    assert abs(int(timestamp) - time.time() * 1000) < 60_000
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert all(k.startswith("digest:2025-03-04:") for k in WebhookDelivery.objects.values_list("key", flat=True))

    digest_send(on=dt.date(2025, 3, 4))
    assert len(robot.requests) == 2


def test_immediate_message_is_posted_once_per_robot(world, robot, django_capture_on_commit_callbacks):
    u = world.users
    for user in (u.staff, u.head):
        prefer(user, frequency="immediate", by_email=False, by_webhook=True)
    target(world.dept, robot, fmt=DINGTALK, path="/dingtalk")

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[u.staff, u.head], kind="test", title="验收退回：城区污水管网", body="请补充整改后照片",
               url="/tasks/1/", key="returned:1:2")
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[u.staff, u.head], kind="test", title="验收退回：城区污水管网", key="returned:1:2")
    digest_send()

    assert len(robot.requests) == 1
    text = robot.requests[0]["json"]["markdown"]["text"]
    assert "请补充整改后照片" in text
    assert "https://zg.example.cn/tasks/1/" in text
    assert "timestamp" not in robot.requests[0]["query"]  # no secret, no signature
    assert mail.outbox == []


def test_failing_robot_is_retried_with_backoff_and_given_up_after_the_limit(world, robot):
    robot.status = 500
    delivery = _delivery(world.dept, robot)
    start = timezone.now()

    assert webhook_deliver(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_code) == (1, 500)
    assert "500" in delivery.error
    assert delivery.next_attempt_at > start
    retry = Schedule.objects.get(name=f"webhook-retry-{delivery.pk}-1")
    assert retry.func == "zhenggai.notifications.webhooks.webhook_deliver"
    assert ast.literal_eval(retry.args) == (delivery.pk,)
    assert retry.schedule_type == Schedule.ONCE and retry.next_run == delivery.next_attempt_at

    assert webhook_deliver(delivery.pk) == "pending"  # backoff not over: nothing sent
    assert len(robot.requests) == 1

    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        assert webhook_deliver(delivery.pk) == "pending"
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        assert webhook_deliver(delivery.pk) == "failed"
    with time_machine.travel(start + dt.timedelta(days=1), tick=False):
        assert webhook_deliver(delivery.pk) == "failed"
        assert webhook_retry_due() == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert delivery.next_attempt_at is None
    assert len(robot.requests) == MAX_ATTEMPTS


def test_robot_error_code_with_http_200_counts_as_a_failure(world, robot):
    robot.answer = {"errcode": 310000, "errmsg": "sign not match"}
    delivery = _delivery(world.dept, robot, fmt=DINGTALK)
    assert webhook_deliver(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.response_code == 200
    assert "310000" in delivery.error and "sign not match" in delivery.error


def test_retry_sweep_sends_due_deliveries_only(world, robot):
    robot.status = 500
    delivery = _delivery(world.dept, robot, key="a")
    webhook_deliver(delivery.pk)
    robot.status = 200

    assert webhook_retry_due() == 0  # still in its backoff
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        assert webhook_retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 2, 200)
    assert delivery.sent_at is not None
    assert webhook_deliver(delivery.pk) == "sent"
    assert len(robot.requests) == 2


def test_unreachable_robot_records_the_error(world, robot):
    t = WebhookTarget.objects.create(organization=world.dept, name="关掉的", url="http://127.0.0.1:9/robot",
                                     format=WECOM)
    delivery = WebhookDelivery.objects.create(target=t, key="k", payload={"msgtype": "markdown"})
    assert webhook_deliver(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.response_code is None and delivery.error


def test_disabled_robot_gets_nothing(world, robot):
    delivery = _delivery(world.dept, robot)
    WebhookTarget.objects.update(is_active=False)
    assert webhook_deliver(delivery.pk) == "pending"
    assert robot.requests == []


def test_a_claim_abandoned_on_the_last_attempt_is_marked_failed(world, robot):
    delivery = _delivery(world.dept, robot)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="sending", attempts=MAX_ATTEMPTS, next_attempt_at=timezone.now() - dt.timedelta(minutes=1)
    )
    webhook_retry_due()
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert robot.requests == []


def test_a_claim_in_flight_is_not_posted_twice(world, robot):
    delivery = _delivery(world.dept, robot)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="sending", attempts=1, next_attempt_at=timezone.now() + dt.timedelta(minutes=1)
    )
    assert webhook_deliver(delivery.pk) == "sending"
    assert webhook_retry_due() == 0
    assert robot.requests == []


def test_user_with_robot_and_failed_e_mail_keeps_the_claim(world, robot, settings):
    """The message reached the group, so a broken mail server must not make the group see it twice."""
    staff = with_email(world.users.staff)
    prefer(staff, by_email=True, by_webhook=True)
    target(world.dept, robot)
    notify(users=[staff], kind="test", title="提醒", key="k")
    settings.EMAIL_BACKEND = "tests.notifications.test_email.BrokenEmailBackend"

    digest_send()
    digest_send()

    assert len(robot.requests) == 1
    assert Notification.objects.get(user=staff).digested_at is not None
