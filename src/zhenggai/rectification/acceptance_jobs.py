"""Jobs of 验收销号: tell the office when a public notice has ended and the task can be closed."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from .models import Objection, PublicNotice
from .warnings import today


def notices_expire(*, on: dt.date | None = None) -> int:
    """For every open notice whose period has ended: notify the office once (idempotent by key) that the
    task can be closed, or that objections still wait for an answer. Returns messages sent."""
    from zhenggai.accounts.models import Role, User
    from zhenggai.notifications.services import notify

    on = on or today()
    sent = 0
    notices = (PublicNotice.objects.filter(status=PublicNotice.Status.OPEN, end_date__lt=on)
               .select_related("task", "task__region")
               .annotate(pending=Count("objections", filter=Q(objections__status=Objection.Status.PENDING))))
    for notice in notices:
        task = notice.task
        ancestors = [task.region.path[: i + 1] for i, c in enumerate(task.region.path) if c == "/" and i]
        office = User.objects.filter(is_active=True, roles__role=Role.OFFICE, organization__region__path__in=ancestors)
        title = (_("公示期满，可以销号：%(t)s") if not notice.pending else _("公示期满，仍有异议待答复：%(t)s")) % {
            "t": task.short_title}
        sent += notify(users=office, kind="notice_ended", title=title, url=f"/tasks/{task.pk}/",
                       key=f"notice-ended:{notice.pk}:{notice.pending}")
    return sent


def register_schedules() -> None:
    from zhenggai.core.schedules import daily

    daily("notices-expire", "zhenggai.rectification.acceptance_jobs.notices_expire", hour=8, minute=0)
