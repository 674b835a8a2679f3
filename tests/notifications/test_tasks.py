from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.utils.module_loading import import_string
from django_q.models import Schedule

from zhenggai.notifications.services import notify
from zhenggai.notifications.tasks import register_schedules, send_daily_digests

from .conftest import with_email

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_register_schedules_creates_the_daily_digest_once(db):
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI), tick=False):
        register_schedules()
        register_schedules()

    schedule = Schedule.objects.get(name="daily-digest")
    assert schedule.func == "zhenggai.notifications.tasks.send_daily_digests"
    assert import_string(schedule.func) is send_daily_digests
    assert schedule.schedule_type == Schedule.DAILY
    assert schedule.repeats == -1
    assert schedule.next_run == dt.datetime(2025, 3, 4, 8, 30, tzinfo=SHANGHAI)


def test_next_run_is_today_before_half_past_eight(db):
    with time_machine.travel(dt.datetime(2025, 3, 3, 7, 59, tzinfo=SHANGHAI), tick=False):
        register_schedules()
    assert Schedule.objects.get(name="daily-digest").next_run == dt.datetime(2025, 3, 3, 8, 30, tzinfo=SHANGHAI)


def test_register_keeps_a_due_run_and_repairs_a_changed_schedule(db):
    Schedule.objects.create(name="daily-digest", func="old.path", schedule_type=Schedule.HOURLY,
                            next_run=dt.datetime(2025, 3, 3, 8, 30, tzinfo=SHANGHAI))
    Schedule.objects.create(name="daily-digest", func="old.path", schedule_type=Schedule.HOURLY)
    with time_machine.travel(dt.datetime(2025, 3, 3, 8, 45, tzinfo=SHANGHAI), tick=False):
        register_schedules()
    schedule = Schedule.objects.get(name="daily-digest")
    assert schedule.func == "zhenggai.notifications.tasks.send_daily_digests"
    assert schedule.schedule_type == Schedule.DAILY
    # the worker will still send today's digest, late rather than never
    assert schedule.next_run == dt.datetime(2025, 3, 3, 8, 30, tzinfo=SHANGHAI)


def test_daily_job_sends_digests_and_is_idempotent(world):
    staff = with_email(world.users.staff)
    for i in range(3):
        notify(users=[staff], kind="test", title=f"提醒{i}", key=f"k{i}")

    assert send_daily_digests() == {"webhook_retries_sent": 0, "users_digested": 1}
    assert send_daily_digests() == {"webhook_retries_sent": 0, "users_digested": 0}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "「整改」每日提醒（3 条）"
