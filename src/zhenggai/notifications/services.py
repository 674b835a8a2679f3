"""Sending notifications: the inbox, e-mail and group robots (WeCom / DingTalk).

`notify` is the one entry point for every module. What happens next depends on each user's
`NotificationPreference` (a user without one gets the default: e-mail, once a day):

- Every message lands in the user's inbox, idempotently by (user, key).
- `immediate` users: after the transaction commits, `notification_dispatch` is queued (django-q2); it
  e-mails each message and posts it to the group robots of the user's organization.
- everyone else: `digest_send` (the daily job, 08:30) sends one e-mail per user listing the messages
  not yet sent out and one message per group robot summarising its organization's messages. Messages
  the user has already read in the inbox are not sent again (they need no reminder). The job also
  sweeps up messages of `immediate` users that the queue never delivered (older than
  `IMMEDIATE_GRACE`), so a broken queue delays a reminder by a day instead of losing it.

Nothing is sent twice:
- `Notification.digested_at` is the claim: a message leaves through the outbound channels only in the
  run (immediate or digest) that set it from null, inside a short transaction (rows locked with
  SKIP LOCKED on PostgreSQL; SQLite serialises writers). A second run finds nothing to claim.
  When the e-mail fails and the message reached no group robot either, the claim is released so the
  next run tries again.
- a group-robot message is a `WebhookDelivery`, unique per (target, key): `notify:<key>` for an
  immediate message (one post per group even when several of its users get the same message) and
  `digest:<date>:<hash of the messages>` for a digest.

Group robots: formats, signing, delivery and the retry rules are in `webhooks.py`; the functions are
re-exported here (`webhook_payload`, `webhook_deliver`, ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhenggai.core.errors import NotFound
from zhenggai.core.events import diff, event_record

from .models import Notification, NotificationPreference, WebhookDelivery, WebhookTarget
from .webhooks import (
    MAX_ATTEMPTS,
    Status,
    absolute_url,
    webhook_deliver,
    webhook_payload,
    webhook_retry_due,
    webhook_send_test,
    webhook_signed_url,
)

__all__ = [
    "MAX_ATTEMPTS", "digest_send", "notification_dispatch", "notification_mark_read", "notification_open",
    "notification_preference_for", "notification_preference_save", "notify", "webhook_deliver",
    "webhook_payload", "webhook_retry_due", "webhook_send_test", "webhook_signed_url",
]

logger = logging.getLogger(__name__)

Frequency = NotificationPreference.Frequency

IMMEDIATE_GRACE = dt.timedelta(minutes=15)  # the immediate path's head start before the digest sweeps up
DIGEST_MAX_ITEMS = 50  # listed per e-mail; the count says how many more wait in the inbox
WEBHOOK_MAX_LINES = 15
DISPATCH_TASK = "zhenggai.notifications.services.notification_dispatch"


# --- the inbox -------------------------------------------------------------------------------------


def notify(*, users: Iterable[Any], kind: str, title: str, body: str = "", url: str = "", key: str) -> int:
    """Put a message in each user's inbox unless that user already has one with the same `key`.
    Returns the number of new messages. E-mail and group robots follow each user's preferences:
    `immediate` users' new messages are dispatched after the transaction commits (queued, so the
    caller never waits for a mail server); the others wait for the daily digest."""
    created: list[Notification] = []
    for user in {u.pk: u for u in users if u is not None and u.pk is not None}.values():
        obj, new = Notification.objects.get_or_create(
            user=user, key=key[:200], defaults={"kind": kind, "title": title[:200], "body": body, "url": url[:300]}
        )
        if new:
            created.append(obj)
    if created:
        immediate_users = set(
            NotificationPreference.objects.filter(user_id__in={n.user_id for n in created}, frequency=Frequency.IMMEDIATE)
            .filter(Q(by_email=True) | Q(by_webhook=True))
            .values_list("user_id", flat=True)
        )
        ids = [n.pk for n in created if n.user_id in immediate_users]
        if ids:
            transaction.on_commit(partial(_enqueue, DISPATCH_TASK, ids), robust=True)
    return len(created)


def notification_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread messages read: those in `ids`, or all of them when `ids` is None.
    Other users' messages are never touched. Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def notification_open(*, user: Any, pk: int) -> Notification:
    """The user's own message, marked read. Someone else's message and a missing one both raise NotFound."""
    try:
        notification = Notification.objects.get(user=user, pk=pk)
    except Notification.DoesNotExist as exc:
        raise NotFound() from exc
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_preference_for(*, user: Any) -> NotificationPreference:
    """The user's preference, or an unsaved default (e-mail, daily digest) when they never chose."""
    try:
        return NotificationPreference.objects.get(user=user)
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def notification_preference_save(*, user: Any, by_email: bool, by_webhook: bool, frequency: str) -> NotificationPreference:
    """Save the user's own channel choices; the change is recorded as an event by the user."""
    if frequency not in Frequency.values:
        raise ValueError(f"unknown frequency {frequency!r}")
    with transaction.atomic():
        pref, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
        fields = ("by_email", "by_webhook", "frequency")
        before = {f: getattr(pref, f) for f in fields}
        pref.by_email, pref.by_webhook, pref.frequency = by_email, by_webhook, frequency
        after = {f: getattr(pref, f) for f in fields}
        changes = diff(before, after)
        if changes:
            pref.save(update_fields=list(changes))
            event_record(actor=user, verb="notification_preference.updated", obj=pref, data={"changes": changes})
    return pref


# --- immediate dispatch ----------------------------------------------------------------------------


def notification_dispatch(notification_ids: Sequence[int]) -> int:
    """Queued by `notify` for `immediate` users: e-mail each message and post it to the group robots of the
    user's organization. Claims the messages first, so a second run (or the digest) sends nothing again;
    messages of users who switched to the daily digest meanwhile are left for the digest.
    Returns the number of e-mails and robot messages sent."""
    with translation.override(settings.LANGUAGE_CODE):
        return _dispatch(list(notification_ids))


def _dispatch(notification_ids: list[int]) -> int:
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=notification_ids, digested_at__isnull=True, user__is_active=True,
                    user__notification_preference__frequency=Frequency.IMMEDIATE)
            .select_related("user")
            .order_by("id")
        )
        _claim(rows, now)
        prefs = _preferences({n.user_id for n in rows})
        targets = _targets_by_org({n.user.organization_id for n in rows if prefs[n.user_id].by_webhook})
        deliveries: list[WebhookDelivery] = []
        posted: set[int] = set()
        for n in rows:
            if not prefs[n.user_id].by_webhook:
                continue
            for target in targets.get(n.user.organization_id or 0, []):
                payload = webhook_payload(target, n.title, _body_lines(n.body), absolute_url(n.url))
                delivery, created = WebhookDelivery.objects.get_or_create(
                    target=target, key=_delivery_key("notify", n.key), defaults={"payload": payload}
                )
                posted.add(n.pk)
                if created:
                    deliveries.append(delivery)
    sent = sum(webhook_deliver(d.pk) == Status.SENT for d in deliveries)
    connection = get_connection()
    for n in rows:
        if not (prefs[n.user_id].by_email and n.user.email):
            continue
        if _send(_immediate_email(n, connection)):
            Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
            sent += 1
        elif n.pk not in posted:
            _release([n])
    return sent


# --- the daily digest ------------------------------------------------------------------------------


def _digest_candidates(now: dt.datetime) -> QuerySet[Notification]:
    daily = Q(user__notification_preference__isnull=True) | Q(user__notification_preference__frequency=Frequency.DAILY_DIGEST)
    missed_immediate = Q(created_at__lte=now - IMMEDIATE_GRACE)
    return Notification.objects.filter(digested_at__isnull=True, read_at__isnull=True, user__is_active=True).filter(
        daily | missed_immediate
    )


def digest_send(*, on: dt.date | None = None) -> int:
    """The daily digest for the date `on` (today by default): for each user with unread messages not yet
    sent out, one e-mail listing them (when the user wants e-mail and has an address), and for each
    organization one message per active group robot summarising the messages of its users who chose the
    robot. Every listed message is claimed (`digested_at`), so running again sends nothing; a message
    whose e-mail failed and that reached no robot is released for the next run.

    Works one organization at a time: a short transaction claims the messages of its users and records
    the robot deliveries; e-mails and HTTP posts happen after it commits. Returns the number of users
    whose messages were digested."""
    on = on or timezone.localdate()
    now = timezone.now()
    candidates = _digest_candidates(now)
    org_ids = set(candidates.values_list("user__organization_id", flat=True).distinct())
    digested_users = 0
    connection = get_connection()
    with translation.override(settings.LANGUAGE_CODE):
        for org_id in sorted(org_ids, key=lambda pk: (pk is None, pk or 0)):
            digested_users += _digest_organization(org_id, on=on, now=now, connection=connection)
    return digested_users


def _digest_organization(org_id: int | None, *, on: dt.date, now: dt.datetime, connection: Any) -> int:
    with transaction.atomic():
        in_org = Q(user__organization_id=org_id) if org_id is not None else Q(user__organization__isnull=True)
        rows = list(
            _digest_candidates(now)
            .filter(in_org)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .order_by("user_id", "created_at", "id")
        )
        if not rows:
            return 0
        _claim(rows, now)
        prefs = _preferences({n.user_id for n in rows})
        by_user: dict[int, list[Notification]] = defaultdict(list)
        for n in rows:
            by_user[n.user_id].append(n)
        for_robots = [n for n in rows if prefs[n.user_id].by_webhook]
        deliveries: list[WebhookDelivery] = []
        if for_robots and org_id is not None:
            for target in _targets_by_org({org_id}).get(org_id, []):
                title, lines = _digest_robot_text(target, for_robots)
                key = _delivery_key("digest", f"{on:%Y-%m-%d}:" + _ids_hash(for_robots))
                delivery, created = WebhookDelivery.objects.get_or_create(
                    target=target, key=key, defaults={"payload": webhook_payload(target, title, lines, absolute_url(""))}
                )
                if created:
                    deliveries.append(delivery)
        posted_users = {n.user_id for n in for_robots} if deliveries else set()
    for delivery in deliveries:
        webhook_deliver(delivery.pk)
    for user_id, items in by_user.items():
        user = items[0].user
        if not (prefs[user_id].by_email and user.email):
            continue
        if _send(_digest_email(user, items, on=on, connection=connection)):
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
        elif user_id not in posted_users:
            _release(items)
    return len(by_user)


def _digest_robot_text(target: WebhookTarget, items: Sequence[Notification]) -> tuple[str, list[str]]:
    """One line per distinct message (the same key reaches several users of a unit), naming its users."""
    names: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for n in items:
        names.setdefault(n.key, []).append(str(n.user))
        titles.setdefault(n.key, n.title)
    lines = [
        _("%(title)s（%(names)s）") % {"title": titles[key], "names": "、".join(dict.fromkeys(who))}
        for key, who in names.items()
    ]
    if len(lines) > WEBHOOK_MAX_LINES:
        rest = len(lines) - WEBHOOK_MAX_LINES
        lines = [*lines[:WEBHOOK_MAX_LINES], _("……另有 %(n)s 条，请到消息中心查看") % {"n": rest}]
    title = _("「整改」每日提醒 · %(org)s（%(n)s 条）") % {
        "org": target.organization.short_name or target.organization.name, "n": len(names)}
    return title, lines


# --- helpers ---------------------------------------------------------------------------------------


def _enqueue(func: str, *args: Any) -> None:
    """Queue a job; if the queue is unavailable, the daily job picks the work up instead."""
    try:
        from django_q.tasks import async_task

        async_task(func, *args)
    except Exception:
        logger.warning("could not queue %s; the daily digest will send it", func, exc_info=True)


def _claim(rows: Sequence[Notification], now: dt.datetime) -> None:
    Notification.objects.filter(pk__in=[n.pk for n in rows]).update(digested_at=now)
    for n in rows:
        n.digested_at = now


def _release(rows: Sequence[Notification]) -> None:
    Notification.objects.filter(pk__in=[n.pk for n in rows]).update(digested_at=None)


def _preferences(user_ids: set[int]) -> dict[int, NotificationPreference]:
    found = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}
    return {pk: found.get(pk) or NotificationPreference(user_id=pk) for pk in user_ids}


def _targets_by_org(org_ids: set[int | None]) -> dict[int, list[WebhookTarget]]:
    result: dict[int, list[WebhookTarget]] = defaultdict(list)
    ids = {pk for pk in org_ids if pk is not None}
    robots = WebhookTarget.objects.filter(organization_id__in=ids, is_active=True).exclude(format=WebhookTarget.Format.GENERIC)
    for target in robots.select_related("organization"):
        result[target.organization_id].append(target)
    return result


def _delivery_key(prefix: str, value: str) -> str:
    key = f"{prefix}:{value}"
    if len(key) <= 200:
        return key
    return f"{prefix}:sha256:{hashlib.sha256(value.encode()).hexdigest()}"


def _ids_hash(rows: Sequence[Notification]) -> str:
    ids = ",".join(str(pk) for pk in sorted(n.pk for n in rows))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def _body_lines(body: str) -> list[str]:
    text = " ".join(body.split())
    return [text[:200] + ("…" if len(text) > 200 else "")] if text else []


def _send(message: EmailMultiAlternatives) -> bool:
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError, ValueError):
        logger.warning("sending e-mail to %s failed", message.to, exc_info=True)
        return False
    return True


def _email(*, user: Any, subject: str, template: str, context: dict[str, Any], connection: Any) -> EmailMultiAlternatives:
    context = {
        "user": user, "inbox_url": absolute_url(reverse("inbox")),
        "settings_url": absolute_url(reverse("notification_settings")), **context,
    }
    text = render_to_string(f"notifications/email/{template}.txt", context)
    html = render_to_string(f"notifications/email/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email], connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def _immediate_email(n: Notification, connection: Any) -> EmailMultiAlternatives:
    return _email(
        user=n.user, subject=_("「整改」%(title)s") % {"title": n.title}, template="immediate", connection=connection,
        context={"item": n, "open_url": absolute_url(reverse("inbox_open", args=[n.pk]))},
    )


def _digest_email(user: Any, items: Sequence[Notification], *, on: dt.date, connection: Any) -> EmailMultiAlternatives:
    shown = [{"item": n, "open_url": absolute_url(reverse("inbox_open", args=[n.pk]))} for n in items[:DIGEST_MAX_ITEMS]]
    return _email(
        user=user, subject=_("「整改」每日提醒（%(n)s 条）") % {"n": len(items)}, template="digest", connection=connection,
        context={"entries": shown, "count": len(items), "more": max(len(items) - DIGEST_MAX_ITEMS, 0), "on": on},
    )
