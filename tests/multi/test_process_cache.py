"""Per-process caches dropped everywhere through the shared cache (core/process_cache.py). Two
ProcessCache objects of one name stand for two processes: in a test they share Django's cache as app
servers share Redis."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from zhenggai.core import workdays
from zhenggai.core.models import WorkCalendar
from zhenggai.core.process_cache import ProcessCache
from zhenggai.notifications import event_hooks


class Source:
    """The database, as far as the cache can tell: a value and how often it was read."""

    def __init__(self) -> None:
        self.value, self.reads = 1, 0

    def load(self) -> int:
        self.reads += 1
        return self.value


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


def test_a_change_in_one_process_reaches_the_other_within_the_check_interval():
    source = Source()
    here = ProcessCache("t1", source.load, max_age=300, check_seconds=0.2)
    there = ProcessCache("t1", source.load, max_age=300, check_seconds=0.2)
    assert (here.get(), there.get(), source.reads) == (1, 1, 2)
    assert (here.get(), there.get(), source.reads) == (1, 1, 2)  # kept: no read
    source.value = 2
    here.invalidate()
    assert here.get() == 2  # at once where the change was made
    assert there.get() == 1  # the other within check_seconds …
    time.sleep(0.25)
    assert there.get() == 2  # … then it sees the new version
    reads = source.reads
    time.sleep(0.25)
    assert (here.get(), there.get(), source.reads) == (2, 2, reads)  # same version: no read


def test_without_a_shared_version_a_copy_lives_at_most_max_age():
    source = Source()
    cached = ProcessCache("t2", source.load, max_age=0.2, check_seconds=0.0)
    assert cached.get() == 1
    source.value = 2  # changed behind its back, nobody invalidates
    assert cached.get() == 1
    time.sleep(0.25)
    assert cached.get() == 2


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}})
def test_an_unreachable_shared_cache_means_reading_again_never_an_error():
    source = Source()
    cached = ProcessCache("t3", source.load, max_age=300, check_seconds=0.0)
    assert cached.get() == 1
    source.value = 2
    assert cached.get() == 2 and source.reads == 2
    cached.invalidate()  # logged, not raised


def test_event_hook_rules_and_the_calendar_use_the_shared_version(world, django_capture_on_commit_callbacks):
    version = caches["default"].get(event_hooks._rules.key)
    event_hooks.clear_rule_cache()
    assert caches["default"].get(event_hooks._rules.key) not in (None, version)
    version = caches["default"].get(workdays._years.key)
    day = WorkCalendar.objects.order_by("date").first()
    assert day is not None
    with django_capture_on_commit_callbacks(execute=True):
        day.save()
    assert caches["default"].get(workdays._years.key) not in (None, version)
