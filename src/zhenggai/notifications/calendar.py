"""Private calendar feeds (iCalendar, RFC 5545): each user's dates in their calendar program.

Every user may have one `CalendarFeed`; its URL `/calendar/<token>.ics` needs no session, so the random
token is the credential: whoever has the URL reads the feed. Resetting the token (on the page
"日历订阅") makes the old URL answer 404 at once. A disabled user's feed answers 404 too.

What is in a feed — all-day events of the open work the user may see (`scope_for`), by role:

| item (UID prefix)                         | office | unit staff/head | acceptor | leader | discipline |
|-------------------------------------------|--------|-----------------|----------|--------|------------|
| task deadline 整改时限 (`task-deadline`)  |   ✓    |        ✓        |    ✓     |   ✓    |            |
| milestone 阶段目标 (`milestone`)          |   ✓    |        ✓        |          |        |            |
| public-notice end 公示截止 (`notice-end`) |   ✓    |                 |    ✓     |   ✓    |            |
| round due date 调度报送截止 (`round-due`) |   ✓    |        ✓        |          |        |            |
| supervision reply 督办回复期限            |   ✓    |  own unit only  |          |        |     ✓      |
| complaint reply 信访件反馈期限            |   ✓    |        ✓        |          |        |            |

Unit roles see the tasks their unit (or a sub-unit) is party to, region-wide roles those of their region;
`admin` users get an empty calendar. Only open items are listed (tasks not closed, notices in their
period, open rounds, issued notices awaiting a reply, complaints not done, so an overdue date stays
until the work is done); milestones more than `PAST_DAYS` old are left out. UIDs are `zhenggai-<kind>-<id>@<host>`, the same on every request, and DTSTAMP is the
item's last change, so an unchanged feed is byte-for-byte the same (and carries a stable ETag).

The text follows RFC 5545: CRLF line ends, TEXT values escaped, lines folded at 75 octets without
splitting a UTF-8 character, dates as VALUE=DATE with DTEND the next day.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import scope_for, user_has_role
from zhenggai.core.events import event_record

from .models import CalendarFeed

PAST_DAYS = 90
PRODID = "-//zhenggai//calendar feed 1.0//ZH"

DEADLINE, MILESTONE, NOTICE_END, ROUND_DUE, SUPERVISION_REPLY, COMPLAINT_REPLY = (
    "task-deadline", "milestone", "notice-end", "round-due", "supervision-reply", "complaint-reply",
)
KINDS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.OFFICE: frozenset({DEADLINE, MILESTONE, NOTICE_END, ROUND_DUE, SUPERVISION_REPLY, COMPLAINT_REPLY}),
    Role.UNIT_STAFF: frozenset({DEADLINE, MILESTONE, ROUND_DUE, SUPERVISION_REPLY, COMPLAINT_REPLY}),
    Role.UNIT_HEAD: frozenset({DEADLINE, MILESTONE, ROUND_DUE, SUPERVISION_REPLY, COMPLAINT_REPLY}),
    Role.ACCEPTOR: frozenset({DEADLINE, NOTICE_END}),
    Role.LEADER: frozenset({DEADLINE, NOTICE_END}),
    Role.DISCIPLINE: frozenset({SUPERVISION_REPLY}),
    Role.ADMIN: frozenset(),
}


@dataclass(frozen=True)
class CalendarItem:
    kind: str
    pk: int
    day: dt.date
    summary: str
    description: str
    path: str  # the page of the item on the staff site
    changed_at: dt.datetime


# --- the token ------------------------------------------------------------------------------------------


def calendar_feed_for(*, user: Any) -> CalendarFeed:
    """The user's feed, created with a new random token on first use."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is not None:
        return feed
    feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"token": _new_token()})
    return feed


def calendar_feed_reset(*, user: Any) -> CalendarFeed:
    """Give the user's feed a new token; the old URL answers 404 from now on. Recorded as an event."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            user=user, defaults={"token": _new_token()})
        if not created:
            feed.token = _new_token()
            feed.save(update_fields=["token", "created_at"])
        event_record(actor=user, verb="calendar_feed.reset", obj=feed, data={})
    return feed


def calendar_feed_by_token(token: str) -> CalendarFeed | None:
    """The feed of an active user with this token, or None (unknown, reset, or the user disabled)."""
    if not token or len(token) > 64:
        return None
    return CalendarFeed.objects.select_related("user__organization").filter(token=token, user__is_active=True).first()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


# --- what goes in ---------------------------------------------------------------------------------------


def calendar_kinds_for(user: Any) -> frozenset[str]:
    kinds: set[str] = set()
    for role, allowed in KINDS_BY_ROLE.items():
        if user_has_role(user, role):
            kinds |= allowed
    return frozenset(kinds)


def calendar_items_for_user(*, user: Any, today: dt.date | None = None) -> list[CalendarItem]:
    """The dated items of the user's feed (module docstring), by date. One query per kind of item."""
    from zhenggai.rectification.models import Task
    from zhenggai.rectification.workflow import TaskStatus

    kinds = calendar_kinds_for(user)
    if not kinds:
        return []
    since = (today or timezone.localdate()) - dt.timedelta(days=PAST_DAYS)
    tasks = scope_for(user, Task.objects.exclude(status=TaskStatus.CLOSED))
    builders = {
        DEADLINE: _deadlines, MILESTONE: _milestones, NOTICE_END: _notice_ends, ROUND_DUE: _round_dues,
        SUPERVISION_REPLY: _supervision_replies, COMPLAINT_REPLY: _complaint_replies,
    }
    items: list[CalendarItem] = []
    for kind, build in builders.items():
        if kind in kinds:
            items.extend(build(user, tasks, since))
    items.sort(key=lambda item: (item.day, item.kind, item.pk))
    return items


def _deadlines(user: Any, tasks: QuerySet[Any], since: dt.date) -> Iterator[CalendarItem]:
    for pk, number, title, deadline, changed in tasks.filter(deadline__isnull=False).values_list(
            "pk", "number", "title", "deadline", "updated_at"):
        yield CalendarItem(DEADLINE, pk, deadline, _("整改时限：%(task)s") % {"task": _task(number, title)},
                           title, reverse("task_detail", args=[pk]), changed)


def _milestones(user: Any, tasks: QuerySet[Any], since: dt.date) -> Iterator[CalendarItem]:
    from zhenggai.rectification.models import Milestone

    rows = Milestone.objects.filter(task__in=tasks.values("pk"), date__gte=since).values_list(
        "pk", "date", "title", "percent", "task_id", "task__number", "task__title", "task__updated_at")
    for pk, day, title, percent, task_id, number, task_title, changed in rows:
        yield CalendarItem(
            MILESTONE, pk, day, _("阶段目标：%(title)s（任务 %(n)s）") % {"title": title, "n": number},
            _("%(task)s\n应完成 %(p)s%%") % {"task": _task(number, task_title), "p": percent},
            reverse("task_detail", args=[task_id]), changed)


def _notice_ends(user: Any, tasks: QuerySet[Any], since: dt.date) -> Iterator[CalendarItem]:
    from zhenggai.rectification.models import PublicNotice

    rows = PublicNotice.objects.filter(task__in=tasks.values("pk"), status=PublicNotice.Status.OPEN).values_list(
        "pk", "end_date", "task_id", "task__number", "task__title", "created_at")
    for pk, day, task_id, number, title, changed in rows:
        yield CalendarItem(NOTICE_END, pk, day, _("公示截止：%(task)s") % {"task": _task(number, title)},
                           title, reverse("task_detail", args=[task_id]), changed)


def _round_dues(user: Any, tasks: QuerySet[Any], since: dt.date) -> Iterator[CalendarItem]:
    from zhenggai.rectification.models import DispatchRound

    rows = DispatchRound.objects.filter(status=DispatchRound.Status.OPEN, tasks__in=tasks.values("pk")).distinct().values_list(
        "pk", "due_date", "title", "opened_at")
    for pk, day, title, changed in rows:
        yield CalendarItem(ROUND_DUE, pk, day, _("调度报送截止：%(title)s") % {"title": title}, title,
                           reverse("round_detail", args=[pk]), changed)


def _supervision_replies(user: Any, tasks: QuerySet[Any], since: dt.date) -> Iterator[CalendarItem]:
    """Issued notices awaiting a reply; unit roles only see those addressed to their unit (or below)."""
    from zhenggai.rectification.models import SupervisionNotice

    notices = SupervisionNotice.objects.filter(task__in=tasks.values("pk"), status=SupervisionNotice.Status.ISSUED)
    if not user_has_role(user, Role.OFFICE, Role.DISCIPLINE):
        org = getattr(user, "organization", None)
        notices = notices.filter(unit__path__startswith=org.path) if org is not None else notices.none()
    labels = dict(SupervisionNotice.Kind.choices)
    for pk, day, number, kind, unit, task_number, title, issued, drafted in notices.values_list(
            "pk", "reply_deadline", "number", "kind", "unit__name", "task__number", "task__title", "issued_at",
            "drafted_at"):
        label = f"{labels.get(kind, kind)} {number}".strip()
        yield CalendarItem(
            SUPERVISION_REPLY, pk, day, _("督办回复期限：%(label)s（%(unit)s）") % {"label": label, "unit": unit},
            _task(task_number, title), reverse("notice_detail", args=[pk]), issued or drafted)


def _complaint_replies(user: Any, tasks: QuerySet[Any], since: dt.date) -> Iterator[CalendarItem]:
    from zhenggai.complaints.models import Complaint, ComplaintStatus

    complaints = scope_for(user, Complaint.objects.exclude(status=ComplaintStatus.DONE)).filter(
        merged_into__isnull=True)
    for pk, day, number, region, changed in complaints.values_list(
            "pk", "reply_deadline", "acceptance_number", "region_text", "updated_at"):
        yield CalendarItem(COMPLAINT_REPLY, pk, day, _("信访件反馈期限：%(n)s") % {"n": number}, region,
                           reverse("complaint_detail", args=[pk]), changed)


def _task(number: int, title: str) -> str:
    short = title if len(title) <= 40 else title[:40] + "…"
    return f"{number}. {short}"


# --- the text -------------------------------------------------------------------------------------------


def ical_escape(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def ical_fold(line: str) -> str:
    """Fold one content line into physical lines of at most 75 octets (RFC 5545 §3.1), never inside a
    UTF-8 character; continuation lines start with one space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # the leading space takes one octet
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(value: dt.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_render(*, items: Sequence[CalendarItem], name: str, base_url: str, host: str) -> str:
    """The VCALENDAR text of `items`; links are `base_url` + each item's path."""
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{ical_escape(name)}", "X-WR-TIMEZONE:Asia/Shanghai",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
    ]
    for item in items:
        lines.extend(_vevent(item, base_url=base_url, host=host))
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)


def _vevent(item: CalendarItem, *, base_url: str, host: str) -> Iterable[str]:
    url = base_url.rstrip("/") + item.path
    description = f"{item.description}\n{url}" if item.description else url
    return [
        "BEGIN:VEVENT",
        f"UID:zhenggai-{item.kind}-{item.pk}@{host}",
        f"DTSTAMP:{_utc(item.changed_at)}",
        f"DTSTART;VALUE=DATE:{item.day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{item.day + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{ical_escape(item.summary)}",
        f"DESCRIPTION:{ical_escape(description)}",
        f"URL:{url}",
        f"CATEGORIES:{ical_escape(_category(item.kind))}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def _category(kind: str) -> str:
    return {
        DEADLINE: _("整改时限"), MILESTONE: _("阶段目标"), NOTICE_END: _("销号公示"), ROUND_DUE: _("调度"),
        SUPERVISION_REPLY: _("督办"), COMPLAINT_REPLY: _("信访件"),
    }.get(kind, kind)
