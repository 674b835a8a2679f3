"""Background jobs of notifications (django-q2) and their schedule.

`register_schedules()` is called by the command that registers every app's schedules; it is safe to call
at every deploy (idempotent by schedule name)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from zhenggai.core.actors import system_actor

from .services import digest_send, webhook_retry_due

DIGEST_SCHEDULE_NAME = "daily-digest"
DIGEST_FUNC = "zhenggai.notifications.tasks.send_daily_digests"
DIGEST_TIME = dt.time(8, 30)
DIGEST_TIME_ZONE = ZoneInfo("Asia/Shanghai")


def send_daily_digests() -> dict[str, int]:
    """The 08:30 job: retry group-robot deliveries whose backoff has passed, then send the day's digests.
    Runs as the system actor; sending changes no domain data, so it writes no events (the delivery log
    and each message's `digested_at` / `emailed_at` are its record). Safe to run twice."""
    system_actor()  # every job has an actor; created here so it exists before any service needs it
    with translation.override(settings.LANGUAGE_CODE):
        retried = webhook_retry_due()
        users = digest_send(on=timezone.now().astimezone(DIGEST_TIME_ZONE).date())
    return {"webhook_retries_sent": retried, "users_digested": users}


def next_digest_run(now: dt.datetime | None = None) -> dt.datetime:
    """The next 08:30 in Asia/Shanghai strictly after `now`."""
    local = (now or timezone.now()).astimezone(DIGEST_TIME_ZONE)
    candidate = local.replace(hour=DIGEST_TIME.hour, minute=DIGEST_TIME.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def register_schedules() -> list[Any]:
    """Create or update the "daily-digest" schedule (daily at 08:30 Asia/Shanghai). A pending run that is
    already due at 08:30 is kept (so a deploy at 08:45 does not skip today's digest); duplicates by name
    are removed. Returns the schedules."""
    from django_q.models import Schedule

    existing = list(Schedule.objects.filter(name=DIGEST_SCHEDULE_NAME).order_by("pk"))
    schedule = existing[0] if existing else Schedule(name=DIGEST_SCHEDULE_NAME)
    for duplicate in existing[1:]:
        duplicate.delete()
    keep_next_run = schedule.next_run is not None and schedule.pk is not None and (
        schedule.next_run.astimezone(DIGEST_TIME_ZONE).time().replace(second=0, microsecond=0) == DIGEST_TIME
    )
    schedule.func = DIGEST_FUNC
    schedule.args = None
    schedule.kwargs = None
    schedule.schedule_type = Schedule.DAILY
    schedule.repeats = -1
    if not keep_next_run:
        schedule.next_run = next_digest_run()
    schedule.save()
    return [schedule]
