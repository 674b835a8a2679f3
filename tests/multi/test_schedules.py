"""Workers that start together register every schedule once (core/schedules.py)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import timezone
from django_q.models import Schedule

from zhenggai.core import schedules

pytestmark = pytest.mark.django_db(transaction=True)


def test_workers_starting_together_register_each_schedule_once():
    """Without the registration lock this fails on PostgreSQL: duplicates, or MultipleObjectsReturned."""
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            schedules.register_all()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    names = list(Schedule.objects.values_list("name", flat=True))
    assert len(names) >= 7 and sorted(names) == sorted(set(names))


def test_duplicates_left_behind_are_removed_and_do_not_stop_the_worker():
    schedules.register_all()
    kept = Schedule.objects.get(name="notices-expire")
    Schedule.objects.create(name="notices-expire", func=kept.func, schedule_type=Schedule.DAILY,
                            next_run=timezone.now())
    Schedule.objects.create(name="daily-warnings", func="x.y", schedule_type=Schedule.DAILY, next_run=timezone.now())
    schedules.register_all()  # get_or_create/update_or_create would raise MultipleObjectsReturned
    assert Schedule.objects.filter(name="notices-expire").get().pk == kept.pk
    assert Schedule.objects.filter(name="daily-warnings").count() == 1


def test_a_restart_keeps_todays_pending_run_and_corrects_a_wrong_time():
    schedules.register_all()
    due = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    Schedule.objects.filter(name="notices-expire").update(next_run=due)  # 08:00, not yet run
    Schedule.objects.filter(name="complaints-remind").update(next_run=due)  # 08:00 but it runs at 08:20
    schedules.register_all()
    assert Schedule.objects.get(name="notices-expire").next_run == due
    corrected = timezone.localtime(Schedule.objects.get(name="complaints-remind").next_run)
    assert (corrected.hour, corrected.minute) == (8, 20) and corrected > timezone.now()

