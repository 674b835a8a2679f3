"""Sending notifications. `notify` is the one entry point for every module; it is idempotent by key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Notification


def notify(*, users: Iterable[Any], kind: str, title: str, body: str = "", url: str = "", key: str) -> int:
    """Put a message in each user's inbox unless that user already has one with the same `key`.
    Returns the number of new messages. E-mail and group robots follow each user's preferences
    (immediately or in the daily digest)."""
    created = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        _obj, new = Notification.objects.get_or_create(
            user=user, key=key[:200], defaults={"kind": kind, "title": title[:200], "body": body, "url": url[:300]}
        )
        created += new
    return created
